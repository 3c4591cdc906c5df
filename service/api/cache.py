"""Answers that pages read on every visit, made once: bytes, gzip, ETag, 304.

A stored job result never changes once written, and an area's depot list or layer changes
only when the registry does; so each is serialised (and gzip-compressed) once per version
and kept in memory (least recently used first out, within a byte budget). A client that
sends the ETag back in ``If-None-Match`` gets ``304 Not Modified`` with no body; one that
accepts gzip gets the compressed bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import Response

#: Memory for cached answers, per process.
BUDGET_BYTES = 256 * 2**20
#: Bodies smaller than this are not worth compressing.
MIN_GZIP_BYTES = 1024


@dataclass(frozen=True, slots=True)
class Entry:
    """One answer: its bytes, their gzip, and its ETag."""

    raw: bytes
    gz: bytes | None
    etag: str

    @property
    def size(self) -> int:
        """Bytes held."""
        return len(self.raw) + len(self.gz or b"")


def make_entry(raw: bytes, tag: str | None = None) -> Entry:
    """An entry for ``raw`` (ETag from its content unless ``tag`` is given)."""
    gz = gzip.compress(raw, compresslevel=6, mtime=0) if len(raw) >= MIN_GZIP_BYTES else None
    etag = '"' + (tag or hashlib.blake2b(raw, digest_size=16).hexdigest()) + '"'
    return Entry(raw, gz, etag)


class AnswerCache:
    """A thread-safe LRU of :class:`Entry` by key, within :data:`BUDGET_BYTES`."""

    def __init__(self, budget: int = BUDGET_BYTES) -> None:
        self.budget = budget
        self._items: OrderedDict[Hashable, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Entry]) -> Entry:
        """The entry for ``key``, made by ``make`` the first time."""
        with self._lock:
            got = self._items.get(key)
            if got is not None:
                self._items.move_to_end(key)
                return got
        entry = make()  # outside the lock: two makers at once only do the work twice
        with self._lock:
            if key not in self._items:
                self._items[key] = entry
                self._bytes += entry.size
                while self._bytes > self.budget and len(self._items) > 1:
                    _, old = self._items.popitem(last=False)
                    self._bytes -= old.size
        return entry

    def peek(self, key: Hashable) -> Entry | None:
        """The entry for ``key`` if it is made already."""
        with self._lock:
            got = self._items.get(key)
            if got is not None:
                self._items.move_to_end(key)
            return got

    @staticmethod
    def file_key(path: Path) -> Hashable:
        """A file's key: its path, size and modification time."""
        st = path.stat()
        return ("file", str(path), st.st_size, st.st_mtime_ns)

    def file(self, path: Path) -> Entry:
        """A file's bytes, keyed by its path, size and modification time."""
        return self.get(self.file_key(path), lambda: make_entry(path.read_bytes()))


class Versions:
    """The registry version last read per area, trusted for ``ttl`` seconds.

    Edits made through this process forget their area at once (so its next read sees
    them); edits made elsewhere (another process on the same database) show within
    ``ttl``.
    """

    def __init__(self, ttl: float = 1.0) -> None:
        self.ttl = ttl
        self._seen: dict[str, tuple[tuple[int, ...], float]] = {}

    def get(self, area: str) -> tuple[int, ...] | None:
        """The version read for ``area`` less than ``ttl`` ago, else None."""
        got = self._seen.get(area)
        if got is None or time.monotonic() - got[1] > self.ttl:
            return None
        return got[0]

    def put(self, area: str, version: tuple[int, ...]) -> None:
        """Remember ``version`` as read now."""
        self._seen[area] = (version, time.monotonic())

    def forget(self, area: str) -> None:
        """An edit to ``area`` was just committed."""
        self._seen.pop(area, None)


def answer(request: Request, entry: Entry, media_type: str) -> Response:
    """``entry`` as the response ``request`` wants: 304, gzip or plain."""
    headers = {"ETag": entry.etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    match = request.headers.get("if-none-match", "")
    if match and (match.strip() == "*" or entry.etag in {t.strip() for t in match.split(",")}):
        return Response(status_code=304, headers=headers)
    accepts = request.headers.get("accept-encoding", "")
    if entry.gz is not None and "gzip" in accepts.lower():
        headers["Content-Encoding"] = "gzip"
        return Response(entry.gz, media_type=media_type, headers=headers)
    return Response(entry.raw, media_type=media_type, headers=headers)

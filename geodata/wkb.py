"""Check a WKB geometry's structure before GEOS decodes it.

GEOS trusts what a WKB blob declares: a collection nested a hundred thousand deep crashes
the process (stack overflow), and a count larger than the blob is only noticed late. The
walk here reads the declared types and counts, refuses nesting deeper than a collection of
multi-geometries, and counts vertices, so a layer's vertex limit holds before any geometry
is built.
"""

from __future__ import annotations

import struct

from solver.errors import DataError

#: Collections may hold multi-geometries, which hold simple ones: no deeper.
MAX_DEPTH = 3
_SIMPLE = {1: "Point", 2: "LineString", 3: "Polygon"}
_MULTI = {4: 1, 5: 2, 6: 3}  # multi type -> the simple type it holds


class WkbError(ValueError):
    """The blob is not a well-formed WKB geometry of a supported type."""


def wkb_vertices(buf: bytes | memoryview, start: int = 0) -> int:
    """Vertices declared by the WKB geometry at ``buf[start:]``; :class:`WkbError` if malformed.

    Supports Point, LineString, Polygon, their Multi- forms and GeometryCollection, in 2D,
    Z, M and ZM (ISO and EWKB type codes), nested at most :data:`MAX_DEPTH` deep.
    """
    count, end = _walk(memoryview(buf), start, 0, None)
    if end != len(buf):
        raise WkbError(f"{len(buf) - end} bytes after the geometry")
    return count


def _walk(buf: memoryview, at: int, depth: int, want: int | None) -> tuple[int, int]:
    if depth >= MAX_DEPTH:
        raise WkbError(f"geometries nested more than {MAX_DEPTH} deep")
    if at + 5 > len(buf):
        raise WkbError("truncated")
    order = buf[at]
    if order not in (0, 1):
        raise WkbError(f"bad byte order {order}")
    end = "<" if order == 1 else ">"
    (code,) = struct.unpack_from(end + "I", buf, at + 1)
    at += 5
    dims = 2
    if code & 0x20000000:  # EWKB SRID follows
        at += 4
    if code & 0x80000000:
        dims += 1
    if code & 0x40000000:
        dims += 1
    code &= 0x0FFFFFFF
    iso, kind = divmod(code, 1000)
    if iso not in (0, 1, 2, 3):
        raise WkbError(f"unsupported geometry type code {code}")
    dims += {0: 0, 1: 1, 2: 1, 3: 2}[iso]
    if kind not in _SIMPLE and kind not in _MULTI and kind != 7:
        raise WkbError(f"unsupported geometry type code {code}")
    if want is not None and kind != want:
        raise WkbError(f"a multi-geometry holds type {kind}, expected {want}")
    step = 8 * dims
    if kind == 1:
        if at + step > len(buf):
            raise WkbError("truncated point")
        return 1, at + step
    n, at = _count(buf, at, end)
    if kind == 2:
        return _points(buf, at, end, n, step)
    if kind == 3:
        total = 0
        for _ in range(n):
            k, at = _count(buf, at, end)
            got, at = _points(buf, at, end, k, step)
            total += got
        return total, at
    total = 0
    inner = _MULTI.get(kind)
    for _ in range(n):
        got, at = _walk(buf, at, depth + 1, inner)
        total += got
    return total, at


def _count(buf: memoryview, at: int, end: str) -> tuple[int, int]:
    if at + 4 > len(buf):
        raise WkbError("truncated count")
    (n,) = struct.unpack_from(end + "I", buf, at)
    # Each element takes at least 4 bytes: a count larger than what is left is a lie.
    if n * 4 > len(buf) - at - 4:
        raise WkbError(f"declares {n} elements, more than the blob holds")
    return n, at + 4


def _points(buf: memoryview, at: int, end: str, n: int, step: int) -> tuple[int, int]:
    stop = at + n * step
    if stop > len(buf):
        raise WkbError(f"declares {n} vertices, more than the blob holds")
    return n, stop


def checked_vertices(blob: bytes, start: int, *, source: str, record: str) -> int:
    """:func:`wkb_vertices`, with a malformed blob refused as a :class:`DataError`."""
    try:
        return wkb_vertices(blob, start)
    except (WkbError, struct.error) as exc:
        raise DataError(
            f"geometry is not valid WKB: {exc}",
            source=source,
            record=record,
            field="geometry",
            problem_zh="几何数据无效",
        ) from None

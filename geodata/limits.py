"""How much one file or layer may hold before a reader refuses it.

Every reader checks these before it builds anything large: the file's size, the number of
features and the number of vertices in a layer, and how deeply a document nests. The CLI
reads local files with :data:`LOCAL`; the service passes tighter limits from its settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from solver.errors import DataError


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Per-file and per-layer limits (``max_bytes`` of the file, the rest per layer)."""

    max_bytes: int = 2**30
    max_features: int = 2_000_000
    max_vertices: int = 20_000_000
    max_depth: int = 64


#: Local files named on the command line.
LOCAL = ReadLimits()


class TooLargeError(DataError):
    """A file over its size limit (HTTP 413; other limits are 422 like any bad data)."""


def check_size(size: int, limits: ReadLimits, source: str) -> None:
    """Refuse a file of ``size`` bytes over ``limits.max_bytes``."""
    if size > limits.max_bytes:
        raise TooLargeError(
            f"{size:,} bytes, over the limit of {limits.max_bytes:,}",
            source=source,
            problem_zh=f"文件过大({size:,} 字节,上限 {limits.max_bytes:,})",
        )


def check_count(what: str, n: int, limit: int, source: str, *, zh: str) -> None:
    """Refuse a layer with more than ``limit`` ``what`` (features, vertices)."""
    if n > limit:
        raise DataError(
            f"{n:,} {what}, over the limit of {limit:,} per layer",
            source=source,
            field="geometry" if what == "vertices" else None,
            problem_zh=f"{zh}过多({n:,},每图层上限 {limit:,})",
        )

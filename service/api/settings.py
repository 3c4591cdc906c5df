"""Service settings: where data lives and the limits that protect the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Everything ``relief serve`` can be told; defaults suit one bureau on one machine.

    ``areas`` maps extra area names to GeoPackages (the bundled ``hengshui`` and
    ``zhuozhou`` are always there).
    """

    db_url: str = "sqlite:///relief-data/relief.db"
    data_dir: Path = Path("relief-data")
    max_body_bytes: int = 20 * 2**20
    max_running_jobs: int = 1
    max_queued_jobs: int = 20
    max_time_limit_s: float = 300.0
    max_attempts: int = 2
    areas: dict[str, Path] = field(default_factory=dict)

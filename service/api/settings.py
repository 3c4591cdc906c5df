"""Service settings: where data lives and the limits that protect the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geodata.limits import ReadLimits


@dataclass(frozen=True)
class Settings:
    """Everything ``relief serve`` can be told; defaults suit one bureau on one machine.

    ``areas`` maps extra area names to GeoPackages (the bundled ``hengshui`` and
    ``zhuozhou`` are always there).
    """

    db_url: str = "sqlite:///relief-data/relief.db"
    data_dir: Path = Path("relief-data")
    max_body_bytes: int = 20 * 2**20
    #: Per uploaded layer: features and vertices (a flood of 1 M vertices is refused).
    max_layer_features: int = 100_000
    max_layer_vertices: int = 500_000
    max_running_jobs: int = 1
    max_queued_jobs: int = 20
    max_time_limit_s: float = 300.0
    max_attempts: int = 2
    areas: dict[str, Path] = field(default_factory=dict)

    @property
    def upload_limits(self) -> ReadLimits:
        """What one uploaded file and each of its layers may hold."""
        return ReadLimits(
            max_bytes=self.max_body_bytes,
            max_features=self.max_layer_features,
            max_vertices=self.max_layer_vertices,
        )

"""The severities of generated floods, by name (kept apart so that naming them is cheap).

The values are assumptions, explained in :mod:`scenarios.generate`'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Severity:
    """How big a generated flood is (assumed values, see scenarios.generate)."""

    width_km: float
    length_km: float
    depth_m: float
    bridge_failure: float
    fleet_share: float


SEVERITIES: dict[str, Severity] = {
    "minor": Severity(1.0, 10.0, 0.5, 0.2, 0.95),
    "moderate": Severity(2.0, 20.0, 0.8, 0.35, 0.9),
    "major": Severity(3.5, 35.0, 1.2, 0.5, 0.8),
    "extreme": Severity(6.0, 60.0, 2.0, 0.7, 0.7),
}

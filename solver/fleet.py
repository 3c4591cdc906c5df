"""Vehicle classes and the vehicles based at depots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from solver.errors import DataError


class Mode(StrEnum):
    """How a vehicle moves: on the road graph, by boat or by air from a staging point."""

    ROAD = "road"
    BOAT = "boat"
    HELICOPTER = "helicopter"


@dataclass(frozen=True, slots=True)
class VehicleClass:
    """A class of vehicle with its carrying limits and how water affects it.

    Parameters
    ----------
    payload_kg, volume_m3
        Load limits; relief goods are bulky, so volume often binds ("truck-classes").
    speed_factor
        Multiplies each road class's truck speed (1.0 = the reference loaded truck).
    max_speed_kmh
        Legal or physical cap (trucks <= 100 km/h, "legal-truck-100").
    fording_depth_m
        Water deeper than this closes a road to the class ("ford-depth").
    mode
        Road vehicles use the road graph; boats and helicopters serve staging legs.
    cruise_kmh
        Straight-line speed for boats and helicopters (unused for road vehicles).
    """

    id: str
    name_zh: str
    name_en: str
    payload_kg: int
    volume_m3: float
    speed_factor: float = 1.0
    max_speed_kmh: float = 100.0
    fording_depth_m: float = 0.6
    mode: Mode = Mode.ROAD
    cruise_kmh: float = 0.0
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.payload_kg <= 0:
            raise DataError(
                f"must be > 0, got {self.payload_kg}",
                record=self.id,
                field="payload_kg",
                problem_zh="载重须大于0",
            )
        if not (math.isfinite(self.volume_m3) and self.volume_m3 > 0):
            raise DataError(
                f"must be > 0, got {self.volume_m3}",
                record=self.id,
                field="volume_m3",
                problem_zh="容积须大于0",
            )
        if not (0 < self.speed_factor <= 2):
            raise DataError(
                f"must be in (0, 2], got {self.speed_factor}", record=self.id, field="speed_factor"
            )
        if self.max_speed_kmh <= 0:
            raise DataError("must be > 0", record=self.id, field="max_speed_kmh")
        if self.fording_depth_m < 0:
            raise DataError("must be >= 0", record=self.id, field="fording_depth_m")
        if self.mode is not Mode.ROAD and self.cruise_kmh <= 0:
            raise DataError(
                "boats and helicopters need a cruise speed", record=self.id, field="cruise_kmh"
            )


#: Default classes from the trade figures in the domain reference ("truck-classes").
#: Payload of the 6.8 m truck and all speed factors are the project's assumptions.
DEFAULT_VEHICLE_CLASSES: tuple[VehicleClass, ...] = (
    VehicleClass(
        "light",
        "4.2米轻型货车",
        "4.2 m light truck",
        2_000,
        17.0,
        speed_factor=1.0,
        fording_depth_m=0.3,
        sources=("truck-classes", "ford-depth"),
    ),
    VehicleClass(
        "medium",
        "6.8米中型货车",
        "6.8 m medium truck",
        6_000,
        35.0,
        speed_factor=0.95,
        fording_depth_m=0.6,
        sources=("truck-classes", "ford-depth", "unit-mass-assumed"),
    ),
    VehicleClass(
        "large",
        "9.6米大型货车",
        "9.6 m large truck",
        10_000,
        60.0,
        speed_factor=0.9,
        fording_depth_m=0.6,
        sources=("truck-classes", "ford-depth"),
    ),
    VehicleClass(
        "heavy",
        "17.5米重型半挂车",
        "17.5 m heavy semi-trailer",
        25_000,
        125.0,
        speed_factor=0.85,
        fording_depth_m=1.1,
        sources=("truck-classes", "ford-depth"),
    ),
    VehicleClass(
        "boat",
        "冲锋舟",
        "assault boat",
        800,
        3.0,
        mode=Mode.BOAT,
        cruise_kmh=15.0,
        fording_depth_m=0.0,
        sources=("unit-mass-assumed",),
    ),
    VehicleClass(
        "helicopter",
        "直升机",
        "helicopter",
        3_000,
        20.0,
        mode=Mode.HELICOPTER,
        cruise_kmh=200.0,
        fording_depth_m=0.0,
        sources=("unit-mass-assumed",),
    ),
)


@dataclass(frozen=True, slots=True)
class FleetEntry:
    """``count`` vehicles of ``vehicle_class`` based at ``depot_id``."""

    id: str
    vehicle_class: str
    depot_id: str
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 0:
            raise DataError(
                f"must be >= 0, got {self.count}",
                record=self.id,
                field="count",
                problem_zh="车辆数不能为负",
            )


@dataclass(frozen=True, slots=True)
class FleetClass:
    """``count`` road vehicles of one class at a depot, with the class's load limits."""

    cls: str
    count: int
    payload_kg: float
    volume_m3: float

    def __post_init__(self) -> None:
        if self.count < 0:
            raise DataError("must be >= 0", record=self.cls, field="count")
        if not (self.payload_kg > 0 and self.volume_m3 > 0):
            raise DataError("load limits must be > 0", record=self.cls, field="payload_kg")

"""The reserve network: depots with stock, people to serve, shelters, staging points, fleet.

Plain frozen data, checked on construction. Stocks and people are integers; coordinates are
WGS84 longitude/latitude in degrees.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from solver.catalogue import DEFAULT_CATALOGUE, Catalogue, NeedGroup
from solver.defaults import SHELTER_M2_PER_PERSON, Tier
from solver.errors import DataError
from solver.fleet import DEFAULT_VEHICLE_CLASSES, FleetEntry, Mode, VehicleClass


class Provenance(StrEnum):
    """How far a record can be trusted: real data, a proxy for it, or made up."""

    REAL = "real"
    PROXY = "proxy"
    SYNTHETIC = "synthetic"


class PointKind(StrEnum):
    """Kinds of places where affected people are."""

    COUNTY_SEAT = "county_seat"
    TOWNSHIP_SEAT = "township_seat"
    VILLAGE = "village"
    SHELTER = "shelter"

    @property
    def zh(self) -> str:
        """Chinese label."""
        return {
            "county_seat": "县城",
            "township_seat": "乡镇驻地",
            "village": "村",
            "shelter": "避难场所",
        }[self.value]


def _check_lonlat(record: str, lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise DataError(
            "coordinates must be finite numbers",
            record=record,
            field="lon/lat",
            problem_zh="坐标须为有限数值",
        )
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DataError(
            f"({lon}, {lat}) is not a WGS84 longitude/latitude",
            record=record,
            field="lon/lat",
            problem_zh="坐标不是WGS84经纬度",
        )


@dataclass(frozen=True, slots=True)
class Depot:
    """A reserve depot or stock point.

    Parameters
    ----------
    stock
        Units on hand per item id (read-only mapping).
    loading_t_per_h
        How many tonnes the depot can load onto trucks per hour (all bays together).
    alert_delay_h
        Time from the dispatch order to the start of loading.
    open_from_h, open_to_h
        Daily opening hours (0-24); orders outside them wait for opening.
    """

    id: str
    name: str
    tier: Tier
    lon: float
    lat: float
    stock: Mapping[str, int]
    loading_t_per_h: float
    alert_delay_h: float
    open_from_h: float = 0.0
    open_to_h: float = 24.0
    county: str = ""
    provenance: Provenance = Provenance.SYNTHETIC

    def __post_init__(self) -> None:
        if not self.id:
            raise DataError("a depot needs an id", field="id", problem_zh="储备库缺少编号")
        _check_lonlat(self.id, self.lon, self.lat)
        for item_id, qty in self.stock.items():
            if not isinstance(qty, int) or isinstance(qty, bool):
                raise DataError(
                    f"stock must be a whole number, got {qty!r}",
                    record=self.id,
                    field=f"stock_{item_id}",
                    problem_zh="库存须为整数",
                )
            if qty < 0:
                raise DataError(
                    f"stock must be >= 0, got {qty}",
                    record=self.id,
                    field=f"stock_{item_id}",
                    problem_zh=f"库存不能为负({qty})",
                )
        object.__setattr__(self, "stock", MappingProxyType(dict(self.stock)))
        if not (math.isfinite(self.loading_t_per_h) and self.loading_t_per_h > 0):
            raise DataError(
                f"must be > 0, got {self.loading_t_per_h}",
                record=self.id,
                field="loading_t_per_h",
                problem_zh="装车速率须大于0",
            )
        if not (math.isfinite(self.alert_delay_h) and self.alert_delay_h >= 0):
            raise DataError(
                f"must be >= 0, got {self.alert_delay_h}",
                record=self.id,
                field="alert_delay_h",
                problem_zh="响应延迟不能为负",
            )
        if not (0 <= self.open_from_h < self.open_to_h <= 24):
            raise DataError(
                f"opening hours must satisfy 0 <= from < to <= 24, got "
                f"{self.open_from_h}-{self.open_to_h}",
                record=self.id,
                field="open_from_h",
                problem_zh="开放时间不合理",
            )


@dataclass(frozen=True, slots=True)
class Point:
    """A place with affected people: a county or township seat, a village or a shelter.

    ``capacity`` is the number of people a shelter can take (None for other kinds); use
    :func:`shelter_capacity` to derive it from floor area.
    """

    id: str
    name: str
    kind: PointKind
    lon: float
    lat: float
    population: int
    capacity: int | None = None
    county: str = ""
    township: str = ""
    provenance: Provenance = Provenance.SYNTHETIC

    def __post_init__(self) -> None:
        if not self.id:
            raise DataError("a point needs an id", field="id", problem_zh="地点缺少编号")
        _check_lonlat(self.id, self.lon, self.lat)
        if self.population < 0:
            raise DataError(
                f"must be >= 0, got {self.population}",
                record=self.id,
                field="population",
                problem_zh="人口不能为负",
            )
        if self.capacity is not None and self.capacity < 0:
            raise DataError(
                f"must be >= 0, got {self.capacity}",
                record=self.id,
                field="capacity",
                problem_zh="容量不能为负",
            )
        if self.kind is PointKind.SHELTER and self.capacity is None:
            raise DataError(
                "a shelter needs a capacity (or a floor area)",
                record=self.id,
                field="capacity",
                problem_zh="避难场所须有容量或面积",
            )


def shelter_capacity(floor_area_m2: float, m2_per_person: float = SHELTER_M2_PER_PERSON) -> int:
    """People a shelter of ``floor_area_m2`` holds at ``m2_per_person`` (GB 21734: 1.5 m2)."""
    if m2_per_person <= 0:
        raise DataError(f"must be > 0, got {m2_per_person}", field="m2_per_person")
    if floor_area_m2 < 0:
        raise DataError(
            f"must be >= 0, got {floor_area_m2}", field="floor_area_m2", problem_zh="面积不能为负"
        )
    return math.floor(floor_area_m2 / m2_per_person + 1e-9)


@dataclass(frozen=True, slots=True)
class StagingPoint:
    """A helicopter landing point or a boat launch point for cut-off places."""

    id: str
    name: str
    mode: Mode
    lon: float
    lat: float
    provenance: Provenance = Provenance.SYNTHETIC

    def __post_init__(self) -> None:
        _check_lonlat(self.id, self.lon, self.lat)
        if self.mode is Mode.ROAD:
            raise DataError(
                "a staging point is for boats or helicopters",
                record=self.id,
                field="mode",
                problem_zh="转运点类型须为船或直升机",
            )


@dataclass(frozen=True, slots=True)
class ReserveNetwork:
    """Depots, points, staging points, vehicle classes and fleet, cross-checked.

    Raises :class:`DataError` for duplicate ids, stock of unknown items, fleet entries at
    unknown depots or of unknown classes.
    """

    depots: tuple[Depot, ...]
    points: tuple[Point, ...]
    staging: tuple[StagingPoint, ...] = ()
    fleet: tuple[FleetEntry, ...] = ()
    vehicle_classes: tuple[VehicleClass, ...] = DEFAULT_VEHICLE_CLASSES
    catalogue: Catalogue = field(default_factory=lambda: DEFAULT_CATALOGUE)

    def __post_init__(self) -> None:
        for kind, records in (
            ("depot", self.depots),
            ("point", self.points),
            ("staging point", self.staging),
            ("fleet entry", self.fleet),
            ("vehicle class", self.vehicle_classes),
        ):
            counts = Counter(r.id for r in records)
            dups = sorted(k for k, n in counts.items() if n > 1)
            if dups:
                raise DataError(
                    f"duplicate {kind} id(s): {', '.join(dups[:10])}",
                    record=dups[0],
                    field="id",
                    problem_zh=f"编号重复: {dups[0]}",
                )
        known = set(self.catalogue.ids)
        for depot in self.depots:
            for item_id in depot.stock:
                if item_id not in known:
                    raise DataError(
                        f"stock of unknown item {item_id!r}; known items: "
                        f"{', '.join(self.catalogue.ids)}",
                        record=depot.id,
                        field=f"stock_{item_id}",
                        problem_zh=f"未知物资 {item_id!r}",
                    )
        depot_ids = {d.id for d in self.depots}
        class_ids = {c.id for c in self.vehicle_classes}
        for entry in self.fleet:
            if entry.depot_id not in depot_ids:
                raise DataError(
                    f"unknown depot {entry.depot_id!r}",
                    record=entry.id,
                    field="depot_id",
                    problem_zh="车辆所属储备库不存在",
                )
            if entry.vehicle_class not in class_ids:
                raise DataError(
                    f"unknown vehicle class {entry.vehicle_class!r}; known: "
                    f"{', '.join(sorted(class_ids))}",
                    record=entry.id,
                    field="vehicle_class",
                    problem_zh="未知车型",
                )

    def depot(self, depot_id: str) -> Depot:
        """The depot with ``depot_id``; DataError when unknown."""
        for d in self.depots:
            if d.id == depot_id:
                return d
        raise DataError(f"unknown depot {depot_id!r}", field="depot", problem_zh="储备库不存在")

    def point(self, point_id: str) -> Point:
        """The point with ``point_id``; DataError when unknown."""
        for p in self.points:
            if p.id == point_id:
                return p
        raise DataError(f"unknown point {point_id!r}", field="point", problem_zh="地点不存在")

    def vehicle_class(self, class_id: str) -> VehicleClass:
        """The vehicle class with ``class_id``; DataError listing the known ones."""
        for c in self.vehicle_classes:
            if c.id == class_id:
                return c
        known = ", ".join(c.id for c in self.vehicle_classes)
        raise DataError(
            f"unknown vehicle class {class_id!r}; known: {known}",
            field="vehicle",
            problem_zh="未知车型",
        )

    def stock_total(self) -> dict[str, int]:
        """Units on hand per item across all depots."""
        total = dict.fromkeys(self.catalogue.ids, 0)
        for depot in self.depots:
            for item_id, qty in depot.stock.items():
                total[item_id] += qty
        return total

    def stock_by_group(self) -> dict[NeedGroup, dict[str, int]]:
        """Units on hand per need group and item."""
        total = self.stock_total()
        return {g: {i.id: total[i.id] for i in self.catalogue.in_group(g)} for g in NeedGroup}

"""Plain data of the relief check: its problem, and what it finds."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from solver.catalogue import Catalogue
from solver.errors import DataError
from solver.fleet import FleetClass
from solver.loading import Dock


class Reason(StrEnum):
    """Why a point's needs are not met by a target."""

    UNREACHABLE = "unreachable"
    SHELTER_OVER_CAPACITY = "shelter_over_capacity"
    EVACUATION_LATE = "evacuation_late"
    TOO_FAR = "too_far"
    STOCK_SHORTFALL = "stock_shortfall"
    DISPATCH_CAPACITY = "dispatch_capacity"
    FLEET_CAPACITY = "fleet_capacity"


@dataclass(frozen=True, slots=True)
class DemandPoint:
    """People at one place who need supplies.

    ``ready_h`` is when the people are there (after evacuation); ``handover_h`` the
    unloading and distribution time; ``overflow`` marks people who found no shelter place
    and wait at ``place`` (a shelter's place holds its own people and its overflow as two
    demands); ``place`` defaults to ``id``.
    """

    id: str
    people: int
    need: Mapping[str, int]
    ready_h: float
    handover_h: float
    name: str = ""
    county: str = ""
    overflow: bool = False
    place: str = ""

    def __post_init__(self) -> None:
        if self.people < 0:
            raise DataError(
                f"must be >= 0, got {self.people}",
                record=self.id,
                field="people",
                problem_zh="人数不能为负",
            )
        for item, q in self.need.items():
            if q < 0:
                raise DataError(f"need must be >= 0, got {q}", record=self.id, field=f"need.{item}")
        if not self.place:
            object.__setattr__(self, "place", self.id)


@dataclass(frozen=True, slots=True)
class SupplyPoint:
    """A depot as the check sees it: stock, its loading (:mod:`solver.loading`), its trucks."""

    id: str
    stock: Mapping[str, int]
    dock: Dock
    fleet: tuple[FleetClass, ...] = ()
    tier: str = ""
    name: str = ""
    county: str = ""

    @property
    def start_h(self) -> float:
        """When loading can first start."""
        return self.dock.start_h

    def trucks(self, cls: str) -> FleetClass | None:
        """The depot's trucks of class ``cls`` (None if it has none)."""
        for f in self.fleet:
            if f.cls == cls and f.count > 0:
                return f
        return None


@dataclass(frozen=True, slots=True, eq=False)
class CheckProblem:
    """Everything the check needs, as plain data.

    Travel is per road vehicle class ``classes[c]``, depot ``s`` and demand ``d`` (hours;
    ``inf`` where the class cannot get there): ``arrive_h[c, s, d]`` from leaving the depot
    to the goods reaching the people (by road, or by road to a staging point and on by boat
    or helicopter), ``out_h[c, s, d]`` the truck's drive out and ``back_h[c, s, d]`` its drive
    back to the depot. ``unload_h`` is the truck's time at a stop; ``final_h`` a last
    checkpoint after the targets (everything still needed should arrive by then).
    """

    demands: tuple[DemandPoint, ...]
    supplies: tuple[SupplyPoint, ...]
    catalogue: Catalogue
    classes: tuple[str, ...]
    arrive_h: NDArray[np.float64]
    out_h: NDArray[np.float64]
    back_h: NDArray[np.float64]
    targets_h: tuple[float, ...] = (10.0, 12.0)
    checkpoints_h: tuple[float, ...] = ()
    final_h: float | None = None
    unload_h: float = 0.5
    tier_penalty: Mapping[str, float] = field(default_factory=dict)
    #: Consider for each point only the depots that can arrive first: at least this many,
    #: and more until their stock (in tonnes) covers ``candidate_cover`` times the point's
    #: need. None (the default) considers every depot and the answer is a proven bound; a
    #: number makes province-scale checks fit in memory and time, and the answer is then
    #: the best only among those depots (not a bound).
    max_depots_per_point: int | None = None
    candidate_cover: float = 3.0

    def __post_init__(self) -> None:
        shape = (len(self.classes), len(self.supplies), len(self.demands))
        for name in ("arrive_h", "out_h", "back_h"):
            a = getattr(self, name)
            if a.shape != shape:
                raise DataError(f"{name} has shape {a.shape}, expected {shape}", field=name)
            if np.isnan(a).any() or (a < 0).any():
                raise DataError("travel hours must be >= 0 (inf: no way)", field=name)
        if not self.targets_h:
            raise DataError(
                "at least one target is needed", field="targets", problem_zh="至少需要一个目标时限"
            )
        for t in self.targets_h:
            if not (isinstance(t, int | float) and math.isfinite(t) and t > 0):
                raise DataError(
                    f"targets must be positive hours, got {t!r}",
                    field="targets",
                    problem_zh="目标时限须为正的小时数",
                )
        known = set(self.catalogue.ids)
        for d in self.demands:
            for item in d.need:
                if item not in known:
                    raise DataError(f"unknown item {item!r}", record=d.id, field="need")
        for s in self.supplies:
            for f in s.fleet:
                if f.cls not in self.classes:
                    raise DataError(
                        f"vehicle class {f.cls!r} has no travel times",
                        record=s.id,
                        field="fleet",
                    )

    @property
    def grid(self) -> tuple[float, ...]:
        """Sorted checkpoints: targets, the extra checkpoints and the final checkpoint."""
        extra = (self.final_h,) if self.final_h is not None else ()
        return tuple(sorted({*map(float, self.targets_h), *map(float, self.checkpoints_h), *extra}))

    @property
    def travel_h(self) -> NDArray[np.float64]:
        """Hours until goods from each depot reach each demand with its fastest class."""
        have = np.array(
            [[s.trucks(c) is not None for s in self.supplies] for c in self.classes], dtype=bool
        ).reshape(len(self.classes), len(self.supplies))
        masked = np.where(have[:, :, None], self.arrive_h, np.inf)
        out: NDArray[np.float64] = (
            masked.min(axis=0)
            if len(self.classes)
            else np.full((len(self.supplies), len(self.demands)), np.inf)
        )
        return out


@dataclass(frozen=True, slots=True)
class Shipment:
    """A quantity of one item from one depot to one demand in the bound's allocation.

    ``depart_h`` is when it must be loaded by, ``arrive_h`` when it must reach the people
    by to count at checkpoint ``by_h``.
    """

    supply: str
    demand: str
    item: str
    quantity: float
    depart_h: float
    arrive_h: float
    by_h: float


@dataclass(frozen=True, slots=True)
class TripShare:
    """Truck trips of one class from one depot to one demand in the bound's allocation.

    ``trips`` is fractional (a multi-stop trip is shared between its stops); ``tonnes`` and
    ``m3`` are what they carry; they must be loaded by ``load_by_h`` and arrive by
    ``arrive_by_h`` to count at checkpoint ``by_h``.
    """

    supply: str
    cls: str
    demand: str
    by_h: float
    trips: float
    tonnes: float
    m3: float
    load_by_h: float
    arrive_by_h: float


@dataclass(frozen=True, slots=True)
class Finding:
    """The binding reason a point is late for one target."""

    reason: Reason
    item: str | None = None
    quantity: float = 0.0


@dataclass(frozen=True, slots=True)
class PointOutcome:
    """What the plan achieves at one point."""

    id: str
    name: str
    county: str
    people: int
    hours_to_met: float | None
    group_hours: Mapping[str, float | None]
    met_by_target: Mapping[float, float]
    findings: Mapping[float, Finding]
    overflow: bool = False

    def status(self, target_h: float) -> str:
        """``met``, ``partial``, ``late`` (met later) or ``unmet`` for a target."""
        met = self.met_by_target.get(target_h, 0.0)
        if met >= self.people - 1e-6:
            return "met"
        if met > 1e-6:
            return "partial"
        return "late" if self.hours_to_met is not None else "unmet"


@dataclass(frozen=True, slots=True)
class Pinch:
    """A rule the bound runs up against.

    One more unit of it would let the bound meet ``value`` more people: a unit of item
    ``what`` at ``depot`` for ``stock``; a bay-hour or truck-hour due by hour ``what`` for
    ``loading`` and ``fleet``.
    """

    value: float
    family: str
    depot: str
    what: str


@dataclass(frozen=True, slots=True)
class TargetKPI:
    """People whose needs are all met by one target, overall, by county and by need group."""

    hours: float
    people_total: int
    people_met: float
    by_county: Mapping[str, tuple[int, float]]
    by_group: Mapping[str, float]
    binding: str
    #: People not met, put down to what stops them (roads, shelters, stock, loading, fleet).
    limits: Mapping[str, float] = field(default_factory=dict)
    #: The rules that pinch most (from the bound's dual values).
    pinches: tuple[Pinch, ...] = ()

    @property
    def share_met(self) -> float:
        """Share of affected people met (1.0 when nobody is affected)."""
        return self.people_met / self.people_total if self.people_total else 1.0


@dataclass(frozen=True, slots=True)
class ItemBalance:
    """Need, stock and what the plan ships, for one item."""

    item: str
    need: int
    stock: int
    shipped: float


@dataclass(frozen=True, slots=True, eq=False)
class CheckResult:
    """The check's answer: the bound per target, per-place outcomes and reasons, allocation.

    ``bound`` is True when no plan obeying the rules can meet more (every depot was
    considered); ``everyone_met_h`` and ``hours_to_met`` are checkpoints of the bound's own
    allocation, not a plan's times.
    """

    status: str
    targets: tuple[TargetKPI, ...]
    points: tuple[PointOutcome, ...]
    shipments: tuple[Shipment, ...]
    trips: tuple[TripShare, ...]
    everyone_met_h: float | None
    never_met: Mapping[str, int]
    items: tuple[ItemBalance, ...]
    stats: Mapping[str, float]
    bound: bool = True
    solvers: tuple[str, ...] = ()

    def target(self, hours: float) -> TargetKPI:
        """The KPI for ``hours``."""
        for t in self.targets:
            if abs(t.hours - hours) < 1e-9:
                return t
        raise KeyError(hours)


# ------------------------------------------------------------------------------------------
# Model construction
# ------------------------------------------------------------------------------------------

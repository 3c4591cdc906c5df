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
from solver.timeline import work_finish_h


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
    unloading and distribution time; ``overflow`` marks people who found no shelter place.
    """

    id: str
    people: int
    need: Mapping[str, int]
    ready_h: float
    handover_h: float
    name: str = ""
    county: str = ""
    overflow: bool = False

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


@dataclass(frozen=True, slots=True)
class SupplyPoint:
    """A depot as the check sees it: stock, when it can load, how fast, and its trucks.

    ``windows`` are the intervals (hours after report) in which it loads; ``fleet_payload_kg``
    and ``fleet_volume_m3`` are the summed capacities of its road vehicles (used only by the
    fleet bound).
    """

    id: str
    stock: Mapping[str, int]
    windows: tuple[tuple[float, float], ...]
    loading_t_per_h: float
    tier: str = ""
    name: str = ""
    county: str = ""
    fleet_payload_kg: float = 0.0
    fleet_volume_m3: float = 0.0

    @property
    def start_h(self) -> float:
        """When loading can first start."""
        return self.windows[0][0] if self.windows else math.inf

    def capacity_t(self, until_h: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Tonnes loadable from the first window up to ``until_h``."""
        until = np.asarray(until_h, dtype=float)
        total = np.zeros_like(until)
        for a, b in self.windows:
            total += np.clip(until - a, 0.0, b - a)
        return self.loading_t_per_h * total

    def finish_h(self, start_h: float, tonnes: float) -> float:
        """When loading ``tonnes`` that cannot start before ``start_h`` is done."""
        return work_finish_h(self.windows, start_h, tonnes / self.loading_t_per_h)


@dataclass(frozen=True, slots=True, eq=False)
class CheckProblem:
    """Everything the check needs, as plain data; ``travel_h[s, d]`` supply -> demand hours."""

    demands: tuple[DemandPoint, ...]
    supplies: tuple[SupplyPoint, ...]
    travel_h: NDArray[np.float64]
    catalogue: Catalogue
    targets_h: tuple[float, ...] = (10.0, 12.0)
    checkpoints_h: tuple[float, ...] = ()
    loading_step_h: float = 0.25
    unload_h: float = 0.5
    tier_penalty: Mapping[str, float] = field(default_factory=dict)
    #: Consider for each point only the depots that can arrive first: at least this many,
    #: and more until their stock (in tonnes) covers ``candidate_cover`` times the point's
    #: need. None (the default) considers every depot and the answer is exact; a number
    #: makes province-scale checks fit in memory and time, and the answer is then optimal
    #: only among those depots.
    max_depots_per_point: int | None = None
    candidate_cover: float = 3.0

    def __post_init__(self) -> None:
        shape = (len(self.supplies), len(self.demands))
        if self.travel_h.shape != shape:
            raise DataError(
                f"travel_h has shape {self.travel_h.shape}, expected {shape}", field="travel_h"
            )
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

    @property
    def grid(self) -> tuple[float, ...]:
        """Sorted checkpoints: targets plus the extra checkpoints."""
        return tuple(sorted({*map(float, self.targets_h), *map(float, self.checkpoints_h)}))


@dataclass(frozen=True, slots=True)
class Shipment:
    """A quantity of one item from one depot to one point, with its times."""

    supply: str
    demand: str
    item: str
    quantity: float
    depart_h: float
    arrive_h: float


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
class TargetKPI:
    """People whose needs are all met by one target, overall, by county and by need group."""

    hours: float
    people_total: int
    people_met: float
    by_county: Mapping[str, tuple[int, float]]
    by_group: Mapping[str, float]
    binding: str

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
    """The check's answer: KPIs per target, per-point outcomes and reasons, the plan."""

    status: str
    targets: tuple[TargetKPI, ...]
    points: tuple[PointOutcome, ...]
    shipments: tuple[Shipment, ...]
    everyone_met_h: float | None
    never_met: Mapping[str, int]
    items: tuple[ItemBalance, ...]
    fleet_aware: bool
    stats: Mapping[str, float]

    def target(self, hours: float) -> TargetKPI:
        """The KPI for ``hours``."""
        for t in self.targets:
            if abs(t.hours - hours) < 1e-9:
                return t
        raise KeyError(hours)


# ------------------------------------------------------------------------------------------
# Model construction
# ------------------------------------------------------------------------------------------

"""The dispatch plan as typed, frozen records: routes, stops, transfers, unserved goods, KPIs.

Dispatch, re-dispatch, exercises and drills pass :class:`Plan` around; JSON is read and
written only at the edges (:meth:`Plan.to_json`, :meth:`Plan.from_json`; the ``plan.json``
format, version 3). A demand is :class:`DemandRef` (the people's place and whether they are
the overflow left there), never an id with a suffix. Why goods are not delivered is an
:class:`UnservedReason`, whose Chinese and English labels live here and nowhere else.

The records are pydantic models (frozen, unknown fields refused): a ``plan.json`` read back
from disk, which a user may have edited, is validated field by field as it is parsed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_serializer

from scenarios.dispatch_request import DispatchRequest
from scenarios.model import Affected, Closure
from solver.errors import DataError
from solver.met import Arrival

if TYPE_CHECKING:
    from solver.check_types import DemandPoint

PLAN_VERSION: Literal[3] = 3
PLAN_KIND: Literal["dispatch_plan"] = "dispatch_plan"


class UnservedReason(StrEnum):
    """Why goods for a demand are not delivered by a plan."""

    NO_VEHICLE = "no_vehicle"
    NO_VEHICLE_IN_TIME = "no_vehicle_in_time"
    VEHICLE_UNAVAILABLE = "vehicle_unavailable"
    DEPOT_CLOSED = "depot_closed"
    CUT_OFF = "cut_off"
    TOO_BIG_FOR_VEHICLES = "too_big_for_vehicles"
    OVER_CAPACITY = "over_capacity"
    NO_STOCK = "no_stock"
    RECEIVING_WINDOW = "receiving_window"
    HARD_DEADLINE = "hard_deadline"
    SHELTER_CHANGED = "shelter_changed"
    DEPOT_LOST = "depot_lost"
    # A drill's player plan (scenarios/drill.py).
    NOT_DISPATCHED = "not_dispatched"
    UNREACHABLE = "unreachable"
    VEHICLE_STUCK = "vehicle_stuck"

    @property
    def zh(self) -> str:
        """The Chinese label."""
        return REASON_LABELS[self][0]

    @property
    def en(self) -> str:
        """The English label."""
        return REASON_LABELS[self][1]


#: (Chinese, English) label of every reason.
REASON_LABELS: Mapping[UnservedReason, tuple[str, str]] = {
    UnservedReason.NO_VEHICLE: ("储备库无车辆", "no vehicle at the depot"),
    UnservedReason.NO_VEHICLE_IN_TIME: ("运力不足,无车辆按时送达", "no vehicle in time"),
    UnservedReason.VEHICLE_UNAVAILABLE: ("车辆已损失或不可用", "vehicle lost or unavailable"),
    UnservedReason.DEPOT_CLOSED: ("储备库关闭(车辆无法出库)", "depot closed"),
    UnservedReason.CUT_OFF: (
        "被洪水阻断,车辆与转运均无法到达",
        "cut off (no road, air or boat route)",
    ),
    UnservedReason.TOO_BIG_FOR_VEHICLES: (
        "单件超出所有车辆载重或容积",
        "a unit too big for every vehicle",
    ),
    UnservedReason.OVER_CAPACITY: ("避难场所容量不足", "shelters over capacity"),
    UnservedReason.NO_STOCK: ("库存不足", "no stock"),
    UnservedReason.RECEIVING_WINDOW: (
        "避难场所接收时段内无法送达",
        "outside the shelter's receiving hours",
    ),
    UnservedReason.HARD_DEADLINE: (
        "无法在时限内送达(硬时限)",
        "cannot arrive by the hard deadline",
    ),
    UnservedReason.SHELTER_CHANGED: (
        "道路封闭后人员转往其他避难场所",
        "people moved to another shelter",
    ),
    UnservedReason.DEPOT_LOST: (
        "储备库损毁,其他储备库无法补足",
        "depot lost; no other depot can replace it",
    ),
    UnservedReason.NOT_DISPATCHED: ("未派车", "not dispatched"),
    UnservedReason.UNREACHABLE: ("道路中断,车辆无法到达", "road cut, not reached"),
    UnservedReason.VEHICLE_STUCK: (
        "车辆受困,无法执行后续车次",
        "vehicle stuck, later trips not driven",
    ),
}

#: Unserved reasons whose goods a re-plan offers again (the old plan lacked trucks in time).
RETRY_REASONS = frozenset({UnservedReason.NO_VEHICLE_IN_TIME})


class Record(BaseModel):
    """A frozen plan record; ``OMIT_NONE`` fields are left out of its JSON when empty."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_empty(self, handler: Any) -> Any:
        out = handler(self)
        if self.OMIT_NONE and isinstance(out, dict):
            for key in self.OMIT_NONE:
                if out.get(key) is None:
                    out.pop(key, None)
        return out


class DemandRef(Record):
    """A demand: the people at ``point``, or the overflow waiting there.

    The overflow are people who found no shelter place and wait in place; a shelter's point
    holds both as two demands.
    """

    point: str
    overflow: bool = False

    @classmethod
    def of(cls, d: DemandPoint) -> DemandRef:
        """The reference to a check demand (its place, and whether it is the overflow)."""
        return cls(point=d.place, overflow=d.overflow)

    def label(self) -> str:
        """How a sheet names it: the point's id, marked when it is the overflow."""
        return f"{self.point}(滞留 overflow)" if self.overflow else self.point


class Part(Record):
    """The goods a stop carries for one demand."""

    demand: DemandRef
    items: dict[str, int]


class Via(Record):
    """The staging point a truck unloads at when no truck gets to the place itself."""

    staging: str
    mode: str
    km: float
    hours_one_trip: float
    estimate_h: float


class TransferLeg(Record):
    """The boat or helicopter leg from a staging point on to the people."""

    to: str
    mode: str
    craft_trips: int
    start_h: float
    arrive_h: float


class Stop(Record):
    """One trip's delivery: where the truck unloads, what it carries for whom, and when.

    ``point`` is where the truck goes (a shelter, or a staging point: ``via``); ``place`` is
    where the people are. Drill stops also name the player's ``decision`` and its trip;
    committed stops of a re-plan (under way at the cut) name their ``vehicle``.
    """

    OMIT_NONE: ClassVar[frozenset[str]] = frozenset(
        {"via", "transfer", "met_h", "roads", "vehicle", "decision", "decision_trip", "place"}
    )

    point: str
    name: str = ""
    place: str | None = None
    parts: tuple[Part, ...]
    depot: str
    trip: int
    bay: int | None = None
    load_start_h: float | None = None
    loaded_by_h: float | None = None
    leave_h: float
    arrive_h: float
    depart_h: float
    people_h: float | None = None
    back_h: float | None = None
    items: dict[str, int]
    kg: float | None = None
    litres: float | None = None
    by_h: float | None = None
    via: Via | None = None
    transfer: TransferLeg | None = None
    met_h: float | None = None
    roads: tuple[str, ...] | None = None
    vehicle: str | None = None
    decision: int | None = None
    decision_trip: int | None = None

    @property
    def people_place(self) -> str:
        """Where the goods' people are."""
        return self.place or self.point

    @property
    def eta_h(self) -> float:
        """When the goods reach the people's place (after any air or boat transfer)."""
        if self.transfer is not None:
            return self.transfer.arrive_h
        return self.people_h if self.people_h is not None else self.arrive_h

    def arrivals(self) -> Iterator[tuple[DemandRef, Arrival]]:
        """(demand, arrival) for every item this stop brings."""
        for p in self.parts:
            for item, q in p.items.items():
                yield p.demand, Arrival(item, q, self.eta_h)


class Route(Record):
    """One vehicle's trips in order."""

    vehicle: str
    vehicle_class: str
    depot: str
    start: str
    start_h: float | None
    shift_end_h: float | None = None
    end_h: float | None = None
    drive_h: float | None = None
    capacity_kg: float | None = None
    capacity_litres: float | None = None
    stops: tuple[Stop, ...]
    open_end: bool = False
    distance_km: float | None = None


class Load(Record):
    """One truckload on a depot keeper's loading list (出库单)."""

    vehicle: str
    trip: int
    bay: int | None
    load_start_h: float
    loaded_by_h: float | None
    to: str
    items: dict[str, int]
    kg: float | None = None


class DepotLoading(Record):
    """A depot's truckloads in loading order."""

    depot: str
    loads: tuple[Load, ...]


class Transfer(Record):
    """A boat or helicopter transfer from a staging point, for one truck stop."""

    from_: str = Field(validation_alias="from", serialization_alias="from")
    to: str
    demand: DemandRef
    vehicle: str
    mode: str
    craft_class: str
    craft_trips: int
    km: float
    start_h: float
    arrive_h: float
    items: dict[str, int]


class Unserved(Record):
    """Goods for a demand that the plan does not deliver, and why."""

    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"depot"})

    point: str
    demand: DemandRef
    item: str
    quantity: int
    reason: UnservedReason
    depot: str | None = None


class Late(Record):
    """A stop whose goods meet their people after a target."""

    point: str
    demand: DemandRef
    vehicle: str
    met_h: float
    missed_targets_h: tuple[float, ...]


class PeopleBy(Record):
    """People met by one target."""

    hours: float
    people_met: float


class DemandOutcome(Record):
    """One demand: when its needs are wholly met (None: never) and people met per target."""

    demand: DemandRef
    people: int
    met_h: float | None
    by_target: tuple[PeopleBy, ...]


class TargetMet(Record):
    """The plan's people met by one target, beside the bound's."""

    hours: float
    people_total: int
    people_met: int
    share_met: float
    bound_people_met: int | None = None
    gap_points: float | None = None


class BoundAt(Record):
    """The relief check's bound at one target (no plan can meet more)."""

    hours: float
    people_met: int
    share_met: float
    binding: str
    bound: bool


class SolverFigures(Record):
    """Who made the plan, its status, and its solver's objective, bound and gap.

    The engine is a scheduler's name, or ``players`` for a drill's played trips.
    """

    engine: str
    status: str
    objective: float | None = None
    objective_bound: float | None = None
    solver_gap: float | None = None
    solve_s: float | None = None


class Kpis(SolverFigures):
    """The plan's figures, its solver's status and bound, and the check's bound beside it."""

    targets: tuple[TargetMet, ...]
    relief_check_targets: tuple[BoundAt, ...]
    everyone_met_h: float | None
    vehicles_used: int
    trips: int
    stops: int
    late_stops: int
    drive_h: float
    transfers: int
    unserved_units: int
    unserved_units_by_reason: dict[str, int]
    seconds: float
    distance_km: float | None = None


class ScenarioInfo(Record):
    """The scenario a plan was made for, its fingerprint and the folder of its files."""

    name: str
    name_zh: str = ""
    area: str
    fingerprint: str
    report_time: str
    definition: dict[str, Any]
    folder: str | None = None


class LostGoods(Record):
    """Goods for a demand lost with a flooded depot."""

    depot: str
    demand: DemandRef
    item: str
    quantity: int


class RedispatchInfo(Record):
    """Where a re-plan came from and what changed at its hour."""

    at_h: float
    from_fingerprint: str
    closures: tuple[Closure, ...] = ()
    committed_stops: int
    loaded_kept: int
    stuck_vehicles: tuple[str, ...] = ()
    added_affected: tuple[Affected, ...] = ()
    depots_lost: tuple[str, ...] = ()
    #: Parked ones are lost; those on the road deliver what they carry, then stop.
    vehicles_lost_with_depot: tuple[str, ...] = ()
    goods_lost_in_depots: tuple[LostGoods, ...] = ()
    new_demand_units: int
    previous_kpis: Kpis | None = None


class Plan(Record):
    """A dispatch plan (``plan.json``): routes, loading lists, transfers, unserved, KPIs."""

    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"redispatch"})

    version: Literal[3] = PLAN_VERSION
    kind: Literal["dispatch_plan"] = PLAN_KIND
    scenario: ScenarioInfo
    request: DispatchRequest
    routes: tuple[Route, ...]
    loading: tuple[DepotLoading, ...]
    transfers: tuple[Transfer, ...]
    committed: tuple[Stop, ...]
    unserved: tuple[Unserved, ...]
    late: tuple[Late, ...]
    demands: tuple[DemandOutcome, ...]
    kpis: Kpis
    redispatch: RedispatchInfo | None = None

    def stops(self) -> list[Stop]:
        """Every stop: the routes' and those committed before a re-plan."""
        return [s for r in self.routes for s in r.stops] + list(self.committed)

    def to_json(self) -> dict[str, Any]:
        """The ``plan.json`` document."""
        out: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return out

    @classmethod
    def from_json(cls, data: object, *, source: str = "plan") -> Plan:
        """A plan from its JSON document, every field checked.

        A bad document raises :class:`DataError` naming the first bad field.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise DataError(
                str(err["msg"]),
                source=source,
                field=where or None,
                problem_zh="调度计划文件中的字段无效",
            ) from None


def reason_labels(reason: str) -> tuple[str, str]:
    """A reason's (Chinese, English) labels; an unknown reason is shown as given."""
    try:
        return REASON_LABELS[UnservedReason(reason)]
    except ValueError:
        return reason, reason

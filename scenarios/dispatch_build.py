"""From orders to a scheduling problem: trucks, truckloads, depots' loading, travel seconds.

An order is what one depot sends to one place (goods for one or more demands there). Each
order becomes truckloads of the truck class the check's bound used for it (or the largest
class that gets there), in whole units, every truckload carrying the same share of every
demand's goods, so each one met counts the same towards each demand. A place no truck of
the depot reaches is served through the best staging point, by boat or helicopter from
there (:mod:`scenarios.dispatch_shuttle`). Travel seconds are the check's
(:mod:`scenarios.places`), depots' loading is the check's (:mod:`solver.loading`): a plan
and its bound see the same world.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scenarios.apply import Situation
from scenarios.dispatch_shuttle import Shuttle, staging_options
from scenarios.places import FORBIDDEN, Places
from scenarios.plan import DemandRef, Unserved, UnservedReason, Via
from solver.fleet import Mode
from solver.loading import Dock
from solver.schedule import Need, Part, ScheduleProblem, Truck
from solver.schedule import Order as Goods
from solver.timeline import depot_start_h
from solver.units import seconds_to_hours

if TYPE_CHECKING:
    from scenarios.check import CheckReport


#: An order is cut into units of about this many kilograms; a trip carries whole units.
UNIT_KG = 250


@dataclass(frozen=True)
class Vehicle:
    """A road vehicle of a depot's fleet, e.g. ``D-C-131102/medium-2``."""

    id: str
    depot: str
    cls: str


def road_vehicles(situation: Situation) -> list[Vehicle]:
    """Every road vehicle of every depot, in depot and class order."""
    out: list[Vehicle] = []
    for depot in situation.network.depots:
        for cls, n in sorted(situation.fleet.get(depot.id, {}).items()):
            if situation.network.vehicle_class(cls).mode is Mode.ROAD:
                out.extend(Vehicle(f"{depot.id}/{cls}-{k + 1}", depot.id, cls) for k in range(n))
    return out


def depot_begin_h(situation: Situation, depot_id: str, not_before_h: float = 0.0) -> float:
    """When a depot starts loading (alerted and open), no earlier than ``not_before_h``."""
    d = next(d for d in situation.network.depots if d.id == depot_id)
    begin = depot_start_h(d, situation.response_start_h, situation.scenario.report_clock_h)
    return max(begin, not_before_h)


@dataclass(frozen=True)
class Order:
    """What one depot sends to one place: goods per demand there, for a target (or after).

    ``cls``: the truck class the check's bound sent it with; ``trips``: how many trips the
    bound used (a hint for the truckload size). ``vehicle``/``loaded_h``: in a re-plan, the
    goods are on that truck already, loaded by that hour.
    """

    depot: str
    place: str
    parts: tuple[tuple[DemandRef, Mapping[str, int]], ...]
    by_h: float | None = None
    cls: str | None = None
    trips: float = 0.0
    vehicle: str | None = None
    loaded_h: float | None = None

    @property
    def items(self) -> dict[str, int]:
        """All goods of the order, whatever demand they are for."""
        out: dict[str, int] = {}
        for _, items in self.parts:
            for i, q in items.items():
                out[i] = out.get(i, 0) + int(q)
        return out


def unserved_of(order: Order, reason: UnservedReason) -> list[Unserved]:
    """One unserved record per demand and item of ``order``."""
    return unserved_parts(order.place, order.parts, reason, order.depot)


def unserved_parts(
    place: str,
    parts: Sequence[tuple[DemandRef, Mapping[str, int]]],
    reason: UnservedReason,
    depot: str | None = None,
) -> list[Unserved]:
    """One unserved record per demand and item of ``parts`` (goods bound for ``place``)."""
    return [
        Unserved(point=place, demand=dem, item=item, quantity=int(q), reason=reason, depot=depot)
        for dem, items in parts
        for item, q in items.items()
        if q > 0
    ]


@dataclass(frozen=True)
class VehicleState:
    """Where a vehicle is free again in a re-plan, and from when."""

    free_h: float
    #: The crew's shift end if it started earlier (else a shift from when it is free).
    shift_end_h: float | None = None


@dataclass
class Built:
    """The scheduling problem and what each of its rows stands for."""

    problem: ScheduleProblem
    vehicles: list[Vehicle]
    depots: list[str]
    orders: list[Order]
    #: per order of the problem: the allocation order it carries, and its staging leg
    load_order: list[int]
    via: list[Via | None]
    #: demands (rows of the problem's needs) and place ids (rows of its matrices)
    demands: list[DemandRef] = field(default_factory=list)
    place_ids: tuple[str, ...] = ()
    unserved: list[Unserved] = field(default_factory=list)


def split_items(items: Mapping[str, int], parts: int) -> list[dict[str, int]]:
    """Split quantities into ``parts`` nearly equal whole-unit chunks.

    Each item's odd units go to the chunks after the previous item's, so no chunk collects
    one extra unit of everything.
    """
    out = [dict.fromkeys(items, 0) for _ in range(parts)]
    turn = 0
    for item, q in items.items():
        base, extra = divmod(int(q), parts)
        for k in range(parts):
            out[k][item] = base
        for e in range(extra):
            out[(turn + e) % parts][item] += 1
        turn = (turn + extra) % parts
    return [{k: v for k, v in chunk.items() if v > 0} for chunk in out]


def weight_of(situation: Situation, items: Mapping[str, int]) -> tuple[float, float]:
    """(kg, litres) of ``items``, exactly: the weight a bay loads (:mod:`solver.loading`)."""
    cat = situation.network.catalogue
    kg = sum(cat.get(i).unit_weight_kg * q for i, q in items.items())
    litres = sum(cat.get(i).unit_volume_m3 * 1000 * q for i, q in items.items())
    return float(kg), float(litres)


def load_of(situation: Situation, items: Mapping[str, int]) -> tuple[int, int]:
    """(kg, litres) of ``items``, rounded up."""
    cat = situation.network.catalogue
    kg = sum(cat.get(i).unit_weight_kg * q for i, q in items.items())
    litres = sum(cat.get(i).unit_volume_m3 * 1000 * q for i, q in items.items())
    return math.ceil(kg - 1e-9), math.ceil(litres - 1e-9)


def build(
    situation: Situation,
    report: CheckReport,
    orders: Sequence[Order],
    *,
    trips: int,
    shift_h: float,
    load_share: float = 1.0,
    receiving: Mapping[str, tuple[float, float]] | None = None,
    hard_deadline: bool = False,
    targets_h: Sequence[float] | None = None,
    states: Mapping[str, VehicleState] | None = None,
    only: set[str] | None = None,
    docks: Mapping[str, Dock] | None = None,
    not_before_h: float = 0.0,
) -> Built:
    """The scheduling problem for ``orders`` on ``situation`` (see the module docstring).

    ``states``: vehicles busy in a re-plan (free from an hour; crews keep their shift).
    ``only``: the vehicles that may be used. ``docks``: depots' loading in a re-plan.
    """
    places: Places = report.places
    receiving = receiving or {}
    states = states or {}
    targets = tuple(sorted(targets_h or situation.scenario.targets_h))
    depots = [s.id for s in report.problem.supplies]
    dock_of = {s.id: s.dock for s in report.problem.supplies}
    dock_of.update(docks or {})
    vehicles = [v for v in road_vehicles(situation) if only is None or v.id in only]
    vehicles = [v for v in vehicles if v.depot in dock_of]
    classes = list(places.classes)
    trucks: list[Truck] = []
    for v in vehicles:
        vc = situation.network.vehicle_class(v.cls)
        begin = dock_of[v.depot].start_h
        st = states.get(v.id)
        free = max(begin, not_before_h) if st is None else max(st.free_h, not_before_h)
        shift_end = free + shift_h
        if st is not None and st.shift_end_h is not None:
            shift_end = max(free, st.shift_end_h)
        if v.cls not in classes or not math.isfinite(free):
            continue
        trucks.append(
            Truck(
                v.id,
                depots.index(v.depot),
                classes.index(v.cls),
                max(1, math.floor(vc.payload_kg * load_share)),
                max(1, math.floor(vc.volume_m3 * 1000 * load_share)),
                free,
                shift_end,
                trips,
            )
        )
    vehicles = [v for v in vehicles if any(t.id == v.id for t in trucks)]
    truck_index = {t.id: k for k, t in enumerate(trucks)}
    demand_of = {DemandRef.of(d): d for d in report.problem.demands}
    refs = list(demand_of)
    row_of = {ref: k for k, ref in enumerate(refs)}
    needs = tuple(
        Need(d.people, dict(d.need), d.ready_h, d.handover_h) for d in report.problem.demands
    )
    crafts = Shuttle.fleet(situation)
    unload = situation.params.unload_h
    goods: list[Goods] = []
    load_order: list[int] = []
    via: list[Via | None] = []
    unserved: list[Unserved] = []
    for n, o in enumerate(orders):
        d = depots.index(o.depot) if o.depot in depots else -1
        fleet = [t for t in trucks if d >= 0 and t.depot == d]
        if o.vehicle is not None:
            fleet = [t for t in fleet if t.id == o.vehicle]
        if not fleet:
            lost = o.vehicle is not None or o.depot not in depots
            unserved += unserved_of(
                o, UnservedReason.VEHICLE_UNAVAILABLE if lost else UnservedReason.NO_VEHICLE
            )
            continue
        home = places.index(o.depot)

        def reaches(t: Truck, place: str, home: int = home) -> bool:
            m = places.durations[t.cls]
            p = places.index(place)
            return bool(m[home, p] < FORBIDDEN and m[p, home] < FORBIDDEN)

        going = [t for t in fleet if reaches(t, o.place)]
        stop, extra, leg = o.place, 0.0, None
        if not going:
            kg, _ = load_of(situation, o.items)
            for opt in staging_options(situation, o.place, kg, crafts):
                going = [t for t in fleet if reaches(t, opt.staging)]
                if going:
                    stop, leg = opt.staging, opt
                    extra = unload + opt.hours_one_trip
                    break
        if not going:
            unserved += unserved_of(o, UnservedReason.CUT_OFF)
            continue
        biggest = max(going, key=lambda t: (t.kg, t.litres))
        cap = (biggest.kg, biggest.litres)  # the trucks' limits, cut by the load share
        kg, _ = load_of(situation, o.items)
        units = 1 if o.loaded_h is not None else max(1, math.ceil(kg / UNIT_KG - 1e-9))
        units = min(units, max(1, sum(o.items.values())))
        chunks = _chunks(o, units)
        if o.loaded_h is None:
            # Whole goods round up: more units until one fits the truck's share.
            while len(chunks) < sum(o.items.values()) and any(
                a > c
                for ch in chunks
                for a, c in zip(load_of(situation, _merged(ch)), cap, strict=True)
            ):
                units = len(chunks) + 1
                chunks = _chunks(o, units)
            too_big = [
                ch
                for ch in chunks
                if any(a > c for a, c in zip(load_of(situation, _merged(ch)), cap, strict=True))
            ]
            for ch in too_big:
                unserved += unserved_parts(
                    o.place, ch, UnservedReason.TOO_BIG_FOR_VEHICLES, o.depot
                )
            chunks = [ch for ch in chunks if ch not in too_big]
        if not chunks:
            continue
        window = receiving.get(o.place) if leg is None else None
        if window is not None:
            # No truck of the depot can be there before the place stops receiving.
            dock = dock_of[o.depot]
            soonest = (
                min(
                    seconds_to_hours(places.durations[t.cls][home, places.index(o.place)])
                    for t in going
                )
                + max(dock.start_h, not_before_h)
                + dock.dock_h
            )
            if soonest > window[1] + 1e-9:
                unserved += unserved_of(o, UnservedReason.RECEIVING_WINDOW)
                continue
        if hard_deadline:
            deadline = min(targets[0] - demand_of[dem].handover_h - extra for dem, _ in o.parts)
            window = (
                window[0] if window else 0.0,
                min(window[1] if window else math.inf, deadline),
            )
            if window[1] < window[0]:
                unserved += unserved_of(o, UnservedReason.HARD_DEADLINE)
                continue
        sizes = [weight_of(situation, _merged(ch)) for ch in chunks]
        goods.append(
            Goods(
                d,
                places.index(stop),
                tuple(
                    tuple(Part(row_of[dem], dict(items)) for dem, items in ch if items)
                    for ch in chunks
                ),
                tuple(k for k, _ in sizes),
                tuple(li for _, li in sizes),
                extra,
                truck_index[o.vehicle] if o.vehicle is not None else None,
                o.loaded_h,
                not_before_h,
                window,
            )
        )
        load_order.append(n)
        via.append(leg)
    problem = ScheduleProblem(
        tuple(dock_of[s] for s in depots),
        tuple(places.index(s) for s in depots),
        tuple(trucks),
        tuple(goods),
        needs,
        targets,
        tuple(places.durations),
        unload,
        horizon_h=max(48.0, not_before_h + shift_h + 24.0),
    )
    return Built(
        problem,
        vehicles,
        depots,
        list(orders),
        load_order,
        via,
        refs,
        places.ids,
        unserved,
    )


def _chunks(order: Order, n: int) -> list[list[tuple[DemandRef, dict[str, int]]]]:
    """``n`` truckloads of ``order``, each with a near-equal share of every demand's goods."""
    per_demand = [(dem, split_items(items, n)) for dem, items in order.parts]
    out: list[list[tuple[DemandRef, dict[str, int]]]] = [[] for _ in range(n)]
    for dem, chunks in per_demand:
        for k, ch in enumerate(chunks):
            if ch:
                out[k].append((dem, ch))
    return [c for c in out if c]


def _merged(chunk: Sequence[tuple[DemandRef, Mapping[str, int]]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, items in chunk:
        for i, q in items.items():
            out[i] = out.get(i, 0) + int(q)
    return out

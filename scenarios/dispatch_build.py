"""From orders to a routing problem: places and matrices, vehicles, truck-sized jobs.

Loading model: a depot loads its goods one job after another, the most urgent first (least
slack to the first target), at the depot's rate over all bays, and no job faster than one bay
(2.5 t/h, "houston-unload"); a job's *release* is when its goods are on a truck, and the trip
carrying it leaves no earlier. Trucks are at the depot once it is alerted and open, spend
:data:`DOCK_H` at the dock per trip, and work one shift. A job no truck of its depot can reach
goes to a staging point for the last leg by boat or helicopter
(:mod:`scenarios.dispatch_shuttle`), its deadlines moved earlier by one craft trip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from geodata.snap import snap
from scenarios.apply import Situation
from scenarios.dispatch_shuttle import Shuttle, coords, staging_options
from solver.fleet import Mode
from solver.routing import FORBIDDEN, Job, VehicleSpec
from solver.timeline import depot_start_h, open_windows, work_finish_h
from solver.traveltime import UNREACHABLE, travel_seconds

if TYPE_CHECKING:
    from scenarios.check import CheckReport
    from scenarios.dispatch import DispatchRequest, Order, VehicleState

#: Loading rate of one bay, t/h ("houston-unload"): no load goes on faster than this.
BAY_T_PER_H = 2.5
#: Time at the dock per trip for paperwork and securing the load ("dock-turnaround-assumed").
DOCK_H = 0.25


@dataclass
class Places:
    """Every place a vehicle goes, and the travel seconds between them per vehicle class."""

    ids: list[str]
    durations: list[np.ndarray]
    classes: list[str]

    def index(self, place: str) -> int:
        """Row of ``place`` in the matrices."""
        return self.ids.index(place)


def road_access(situation: Situation, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Road node and access seconds of each place (depots and points use the area's snaps)."""
    area = situation.area
    depot_row = {d.id: k for k, d in enumerate(area.network.depots)}
    point_row = {p.id: k for k, p in enumerate(area.network.points)}
    nodes, access = [], []
    for pid in ids:
        if pid in depot_row:
            nodes.append(area.depot_snap.node[depot_row[pid]])
            access.append(area.depot_snap.access_s[depot_row[pid]])
        elif pid in point_row:
            nodes.append(area.point_snap.node[point_row[pid]])
            access.append(area.point_snap.access_s[point_row[pid]])
        else:
            lon, lat = coords(situation, pid)
            sn = snap(area.roads, [lon], [lat], [pid], max_m=area.max_snap_m, source="staging")
            nodes.append(sn.node[0])
            access.append(sn.access_s[0])
    return np.array(nodes, np.int64), np.array(access, float)


def build_places(situation: Situation, ids: list[str], classes: list[str]) -> Places:
    """Matrices between ``ids`` per vehicle class on the flooded roads (FORBIDDEN = cut)."""
    nodes, access = road_access(situation, ids)
    xy = [coords(situation, pid) for pid in ids]
    depth = situation.hazards.depth_at([a for a, _ in xy], [b for _, b in xy])
    durations = []
    for cls in classes:
        vc = situation.network.vehicle_class(cls)
        # A place standing in water deeper than the class can ford is not reachable by it.
        acc = np.where(depth >= vc.fording_depth_m, np.inf, access)
        sec = travel_seconds(
            situation.area.roads.graph,
            nodes,
            nodes,
            vehicle=vc,
            conditions=situation.hazards.conditions,
            origin_access_s=acc,
            target_access_s=acc,
        )
        mat = np.where(sec == UNREACHABLE, FORBIDDEN, np.round(sec)).astype(np.int64)
        # Staying put costs nothing, even at a place cut off from the roads.
        np.fill_diagonal(mat, 0)
        durations.append(mat)
    return Places(ids, durations, classes)


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


def vehicle_specs(
    situation: Situation,
    req: DispatchRequest,
    vehicles: list[Vehicle],
    places: Places,
    states: dict[str, VehicleState],
    not_before_h: float,
) -> list[VehicleSpec | None]:
    """Routing vehicles (None where the depot never opens within 48 h)."""
    profile = {cls: i for i, cls in enumerate(places.classes)}
    specs: list[VehicleSpec | None] = []
    for v in vehicles:
        begin = depot_begin_h(situation, v.depot, not_before_h)
        if not math.isfinite(begin):
            specs.append(None)
            continue
        vc = situation.network.vehicle_class(v.cls)
        start_h, at = begin, v.depot
        state = states.get(v.id)
        shift_end_h = start_h + req.shift_h
        if state is not None:
            start_h, at = max(begin, state.free_h), state.at
            shift_end_h = start_h + req.shift_h
            if state.shift_end_h is not None:  # the crew's shift began in an earlier plan
                shift_end_h = max(start_h, state.shift_end_h)
        specs.append(
            VehicleSpec(
                v.id,
                places.index(at),
                places.index(v.depot),
                (int(vc.payload_kg), round(vc.volume_m3 * 1000)),
                profile=profile[v.cls],
                start_s=round(start_h * 3600),
                shift_end_s=round(shift_end_h * 3600),
                trips=req.trips,
                reload_s=round(DOCK_H * 3600),
            )
        )
    return specs


def split_items(items: dict[str, int], parts: int) -> list[dict[str, int]]:
    """Split quantities into ``parts`` nearly equal whole-unit chunks (split delivery).

    Each item's odd units go to the chunks after the previous item's, so no chunk collects
    one extra unit of everything.
    """
    out = [dict.fromkeys(items, 0) for _ in range(parts)]
    turn = 0
    for item, q in items.items():
        base, extra = divmod(q, parts)
        for k in range(parts):
            out[k][item] = base
        for e in range(extra):
            out[(turn + e) % parts][item] += 1
        turn = (turn + extra) % parts
    return [{k: v for k, v in chunk.items() if v > 0} for chunk in out if any(chunk.values())]


def unserved_rows(
    order: Order, reason: str, items: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """One unserved row per item of ``order`` (or of ``items``), with the reason."""
    return [
        {
            "point": order.point,
            "demand": order.demand,
            "item": item,
            "quantity": q,
            "reason": reason,
            "depot": order.depot,
        }
        for item, q in (items or order.items).items()
    ]


def load_of(situation: Situation, items: dict[str, int]) -> tuple[int, int]:
    """(kg, litres) of ``items``, rounded up."""
    cat = situation.network.catalogue
    kg = sum(cat.get(i).unit_weight_kg * q for i, q in items.items())
    litres = sum(cat.get(i).unit_volume_m3 * 1000 * q for i, q in items.items())
    return math.ceil(kg - 1e-9), math.ceil(litres - 1e-9)


@dataclass
class JobInfo:
    """What a routing job stands for: part of an order, maybe via a staging point."""

    order: Order
    items: dict[str, int]
    via: dict[str, Any] | None
    release_h: float = 0.0


def build_jobs(
    situation: Situation,
    req: DispatchRequest,
    orders: list[Order],
    report: CheckReport,
    vehicles: list[Vehicle],
    specs: list[VehicleSpec | None],
    places: Places,
    crafts: dict[Mode, Shuttle],
    not_before_h: float = 0.0,
) -> tuple[list[Job], list[JobInfo], list[dict[str, Any]]]:
    """Truck-sized jobs with deadlines, worth and release times; what cannot even be tried."""
    cat = situation.network.catalogue
    demand_of = {d.id: d for d in report.problem.demands}
    targets = sorted(req.targets_h or situation.scenario.targets_h)
    unload_s = round(situation.params.unload_h * 3600)
    by_depot: dict[str, list[int]] = {}
    has_fleet: set[str] = set()
    for k, v in enumerate(vehicles):
        has_fleet.add(v.depot)
        if specs[k] is not None:
            by_depot.setdefault(v.depot, []).append(k)
    drafts: list[tuple[Job, JobInfo, float]] = []  # job, info, slack for the loading order
    unserved: list[dict[str, Any]] = []
    for o in orders:
        fleet = [
            k for k in by_depot.get(o.depot, []) if o.vehicle is None or vehicles[k].id == o.vehicle
        ]
        if not fleet:
            reason = "depot_closed" if o.depot in has_fleet else "no_vehicle"
            unserved += unserved_rows(o, reason)
            continue

        def drive(k: int, place: str, order: Order = o) -> int:
            spec = specs[k]
            assert spec is not None
            m = places.durations[spec.profile]
            b = places.index(place)
            if order.vehicle is not None:  # goods on board: from where the vehicle is
                return int(m[spec.start, b])
            a = places.index(order.depot)
            return int(max(m[a, b], m[b, a]))

        allowed = [k for k in fleet if drive(k, o.point) < FORBIDDEN]
        via = None
        shuttle_h = 0.0
        if not allowed:
            # No truck of this depot gets there: by road to a staging point, then air/boat.
            kg, _ = load_of(situation, o.items)
            options = [
                (opt, [k for k in fleet if drive(k, opt["staging"]) < FORBIDDEN])
                for opt in staging_options(situation, o.point, kg, crafts)
            ]
            options = [(opt, ks) for opt, ks in options if ks]
            if not options:
                unserved += unserved_rows(o, "cut_off")
                continue
            via, allowed = options[0]
            shuttle_h = via["hours_one_trip"]
        target_place = via["staging"] if via else o.point
        caps = sorted(specs[k].capacity for k in allowed)  # type: ignore[union-attr]
        # Chunk to a share of the depot's median truck: smaller loads are ready sooner and
        # a truck may take several (more jobs to route, though).
        cap = tuple(max(1, math.floor(c * req.load_share)) for c in caps[len(caps) // 2])
        kg, litres = load_of(situation, o.items)
        biggest = max(c[0] for c in caps), max(c[1] for c in caps)
        parts = max(1, math.ceil(max(kg / cap[0], litres / max(1, cap[1])) - 1e-9))
        chunks = split_items(o.items, parts)
        while parts < sum(o.items.values()) and any(
            a > c for ch in chunks for a, c in zip(load_of(situation, ch), cap, strict=True)
        ):  # whole units round up: one more chunk until each fits the median truck
            parts += 1
            chunks = split_items(o.items, parts)
        medical = any(cat.get(i).group.value == "medical" for i in o.items)
        weight = (req.priority.get("medical", 1.0) if medical else 1.0) * (
            req.priority.get("in_place", 1.0) if o.in_place else 1.0
        )
        handover_h = demand_of[o.demand].handover_h
        # A demand is met only when every load has arrived: one late load costs all its
        # people (the marginal loss), not its share.
        worth = round(req.person_value_s * weight * max(1, o.people))
        # Needs are met once unloaded and handed out: arrive by target - handover.
        deadlines = [max(0, round((t - handover_h - shuttle_h) * 3600)) for t in targets]
        fastest = min(drive(k, target_place) for k in allowed)
        window = req.receiving.get(o.point) if via is None else None
        if window is not None:
            soonest = min(specs[k].start_s for k in allowed) + fastest  # type: ignore[union-attr]
            if soonest > window[1] * 3600:
                unserved += unserved_rows(o, "receiving_window")
                continue
        for c, chunk in enumerate(chunks):
            load = load_of(situation, chunk)
            if load[0] > biggest[0] or load[1] > biggest[1]:
                # A single unit heavier or bulkier than any truck (bad catalogue data).
                unserved += unserved_rows(o, "too_big_for_vehicles", chunk)
                continue
            steps: tuple[tuple[int, int], ...]
            if req.hard_deadline:
                late, steps = deadlines[0], ()
            else:
                late, steps = 10**8, tuple((d, worth) for d in deadlines)
            early = 0
            if window is not None:  # the shelter receives goods only within its hours
                early, late = round(window[0] * 3600), min(late, round(window[1] * 3600))
                if late < early:
                    unserved += unserved_rows(o, "receiving_window", chunk)
                    continue
            job = Job(
                f"{o.depot}>{o.demand}#{c + 1}",
                places.index(target_place),
                load,
                service_s=unload_s,
                tw_early_s=early,
                tw_late_s=late,
                # Never delivered costs one more step than delivered after every target.
                penalty=worth * (len(targets) + 1),
                allowed=tuple(allowed),
                targets=steps,
            )
            drafts.append((job, JobInfo(o, chunk, via), deadlines[0] - fastest))
    jobs, infos = _release(situation, drafts, not_before_h)
    return jobs, infos, unserved


def _release(
    situation: Situation, drafts: list[tuple[Job, JobInfo, float]], not_before_h: float
) -> tuple[list[Job], list[JobInfo]]:
    """Release times: each depot loads its jobs least slack first, at its rate."""
    depots = {d.id: d for d in situation.network.depots}
    loaded: dict[str, float] = {}
    release: dict[int, float] = {}
    order = sorted(
        range(len(drafts)), key=lambda n: (drafts[n][2], -(drafts[n][0].penalty or 0), n)
    )
    # In a re-plan, loads already loaded or queued keep their hour; new loads queue after.
    queued: dict[str, float] = {}
    for _, info, _ in drafts:
        if info.order.ready_h is not None:
            d_id = info.order.depot
            queued[d_id] = max(queued.get(d_id, 0.0), info.order.ready_h)
    clock = situation.scenario.report_clock_h
    for n in order:
        job, info, _ = drafts[n]
        d = depots[info.order.depot]
        begin = max(depot_begin_h(situation, d.id, not_before_h), queued.get(d.id, 0.0))
        if info.order.ready_h is not None:
            release[n] = max(not_before_h, info.order.ready_h)
            continue
        tonnes = job.load[0] / 1000.0
        loaded[d.id] = loaded.get(d.id, 0.0) + tonnes
        rate = d.loading_t_per_h
        # Loading happens only while the depot is open (its daily hours, from ``begin``).
        hours = open_windows(d, clock, begin, begin + 24 * 7)
        done = max(
            work_finish_h(hours, begin, loaded[d.id] / rate),
            work_finish_h(hours, begin, tonnes / min(BAY_T_PER_H, rate)),
        )
        if not math.isfinite(done):  # not loadable within a week: never ready in time
            done = begin + 24 * 7
        release[n] = done + DOCK_H
    jobs, infos = [], []
    for n, (job, info, _) in enumerate(drafts):
        info.release_h = release[n]
        jobs.append(replace(job, release_s=round(release[n] * 3600)))
        infos.append(info)
    return jobs, infos

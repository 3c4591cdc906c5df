"""Flood dispatch: which vehicle loads what where, which road it takes, when it arrives.

``plan_dispatch`` turns a situation into a timed plan:

1. the relief check's allocation (which depot sends which items to which point, respecting
   stock) becomes orders, split into truck-sized jobs (split delivery);
2. every road vehicle of every depot is a routing vehicle that may make several trips,
   reloading at its depot; it leaves once the depot is alerted and it is loaded (trucks
   load one after another at the depot's rate);
3. travel times per vehicle class come from the flooded road network; a job no vehicle of
   its depot can reach goes by road to the best reachable helicopter or boat staging point
   and on by air or water (:mod:`scenarios.dispatch_shuttle`), or is reported cut off;
4. the routing engines (:func:`solver.routing.solve_routes`) plan routes; the targets
   (10 h, 12 h) are step costs per job weighted by the people it serves and by priority
   (medical loads, people left in place), or one hard deadline on request.

Everything not delivered is listed with its reason. :func:`redispatch` re-plans from a plan
at a given hour after new closures, keeping what is delivered and every leg being driven.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from scenarios.apply import Situation
from scenarios.check import CheckReport, run_check
from scenarios.dispatch_build import (
    JobInfo,
    Places,
    Vehicle,
    build_jobs,
    build_places,
    road_vehicles,
    unserved_rows,
    vehicle_specs,
)
from scenarios.dispatch_doc import plan_document
from scenarios.dispatch_shuttle import Shuttle, coords, haversine_km, plan_transfers
from solver.errors import DataError
from solver.fleet import Mode
from solver.routing import (
    FORBIDDEN,
    Engine,
    RoutingParams,
    RoutingProblem,
    RoutingSolution,
    solve_routes,
)

#: A crew's duty shift, hours from the vehicle's start ("shift-assumed").
SHIFT_H = 12.0
#: Worth of one person's needs met by a target, in seconds of truck driving
#: ("person-value-assumed"): a 1,000-person load is worth ~17 hours of driving.
PERSON_VALUE_S = 60
#: Trips per vehicle and shift: load, deliver, come back, reload ("trips-assumed").
TRIPS = 4

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class DispatchRequest:
    """How to plan: engine, limits, deadline handling, priorities (all overridable)."""

    time_limit_s: float = 30.0
    seed: int = 1
    engine: Engine = Engine.PORTFOLIO
    hard_deadline: bool = False
    targets_h: tuple[float, ...] | None = None
    trips: int = TRIPS
    shift_h: float = SHIFT_H
    person_value_s: int = PERSON_VALUE_S
    solution_limit: int | None = None
    #: Loads are cut to this share of the depot's median truck (1: full truckloads).
    load_share: float = 1.0
    #: Shelter receiving hours: point id -> (opens, closes), hours after the report; goods
    #: arrive (start unloading) within them. Points not listed receive at any hour.
    receiving: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: Multipliers of a job's worth: medical loads and people left in place go first
    #: ("person-value-assumed").
    priority: dict[str, float] = field(default_factory=lambda: {"medical": 3.0, "in_place": 2.0})

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "engine", Engine(self.engine))
        except ValueError:
            raise DataError(
                f"unknown engine {self.engine!r}; one of " + ", ".join(e.value for e in Engine),
                field="engine",
                problem_zh="未知求解器",
            ) from None
        if not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise DataError("must be > 0 seconds", field="time_limit", problem_zh="须大于0秒")
        if self.trips < 1:
            raise DataError("must be >= 1", field="trips", problem_zh="须至少为1")
        if not (self.shift_h > 0):
            raise DataError("must be > 0 hours", field="shift_h", problem_zh="须大于0小时")
        if not (0 < self.load_share <= 1):
            raise DataError(
                f"must be in (0, 1], got {self.load_share}",
                field="load_share",
                problem_zh="装载比例须在0到1之间",
            )
        if self.person_value_s < 1:
            raise DataError("must be >= 1", field="person_value_s")
        for t in self.targets_h or ():
            if not (math.isfinite(t) and t > 0):
                raise DataError(
                    f"must be positive hours, got {t}", field="target", problem_zh="时限须为正"
                )
        for pid, win in self.receiving.items():
            if not (
                len(win) == 2 and all(math.isfinite(x) and x >= 0 for x in win) and win[0] < win[1]
            ):
                raise DataError(
                    f"{pid}: give (opens, closes) in hours >= 0 with opens < closes, got {win}",
                    field=f"receiving.{pid}",
                    problem_zh="接收时段须为 开始<结束 的小时数",
                )
        for key, w in self.priority.items():
            if key not in ("medical", "in_place") or not (w > 0):
                raise DataError(
                    f"{key}={w}: keys are medical, in_place; weights > 0", field="priority"
                )


@dataclass(frozen=True)
class Order:
    """What one depot sends to one demand (possibly split over several jobs)."""

    depot: str
    demand: str
    items: dict[str, int]
    people: int
    in_place: bool
    #: Only this vehicle may carry it (goods already on board in a re-plan).
    vehicle: str | None = None
    #: In a re-plan: the hour it is (or will be, as planned before) loaded on a truck; it
    #: then waits for no loading bay.
    ready_h: float | None = None

    @property
    def point(self) -> str:
        """The place the goods go to (a demand id may carry '#overflow')."""
        return self.demand.split("#")[0]


@dataclass(frozen=True)
class VehicleState:
    """Where a vehicle is free again in a re-dispatch, and from when."""

    at: str
    free_h: float
    #: The crew's shift end if it started earlier (else a shift from ``free_h``).
    shift_end_h: float | None = None


@dataclass
class DispatchPlan:
    """A dispatch plan: its document (plan.json) and the routing solution behind it."""

    doc: dict[str, Any]
    solution: RoutingSolution | None = None
    #: The situation planned for (a re-dispatch builds its own, with the closures).
    situation: Situation | None = None


def _whole_units(
    situation: Situation, shipments: Sequence[Any], demands: dict[str, Any]
) -> dict[tuple[str, str], dict[str, int]]:
    """The check's (fractional) shipments in whole units, (depot, demand) -> items.

    Per demand and item, the total is the shipped amount rounded (never above the need);
    each depot gets its whole part and the remaining units go to the largest fractions,
    never beyond a depot's stock.
    """
    frac: dict[tuple[str, str], dict[str, float]] = {}
    for sh in shipments:
        got = frac.setdefault((sh.demand, sh.item), {})
        got[sh.supply] = got.get(sh.supply, 0.0) + sh.quantity
    left = {d.id: {k: int(v) for k, v in d.stock.items()} for d in situation.network.depots}
    out: dict[tuple[str, str], dict[str, int]] = {}
    for (demand, item), by_depot in sorted(frac.items()):
        need = round(demands[demand].need.get(item, 0))
        total = min(need, math.floor(sum(by_depot.values()) + 0.5))
        whole = {
            dep: min(math.floor(q + 1e-9), left[dep].get(item, 0)) for dep, q in by_depot.items()
        }
        extra = total - sum(whole.values())
        for dep in sorted(by_depot, key=lambda d: (-(by_depot[d] - whole[d]), d)):
            if extra <= 0:
                break
            if left[dep].get(item, 0) > whole[dep]:
                whole[dep] += 1
                extra -= 1
        for dep, q in whole.items():
            if q > 0:
                left[dep][item] = left[dep].get(item, 0) - q
                out.setdefault((dep, demand), {})[item] = q
    return out


def orders_from_check(
    situation: Situation,
) -> tuple[list[Order], list[dict[str, Any]], CheckReport]:
    """Orders from the relief check's allocation, and what it could not place (with why)."""
    from solver.check_types import Reason

    report = run_check(situation, fleet_bound=False)
    res = report.result
    demands = {d.id: d for d in report.problem.demands}
    indoor = {pl.location for pl in situation.placements if pl.indoor}
    per = _whole_units(situation, res.shipments, demands)
    orders = []
    shipped: dict[str, dict[str, float]] = {}
    for (depot, demand), items in sorted(per.items()):
        for k, v in items.items():
            shipped.setdefault(demand, {})[k] = shipped.get(demand, {}).get(k, 0.0) + v
        if items:
            point = demand.split("#")[0]
            in_place = "#overflow" in demand or point not in indoor
            orders.append(Order(depot, demand, items, demands[demand].people, in_place))
    unplaced = []
    reasons = {Reason.UNREACHABLE: "cut_off", Reason.SHELTER_OVER_CAPACITY: "over_capacity"}
    for pt in res.points:
        reason = "no_stock"
        finding = next(iter(pt.findings.values()), None)
        if finding is not None:
            reason = reasons.get(finding.reason, "no_stock")
        for item, need in demands[pt.id].need.items():
            short = need - shipped.get(pt.id, {}).get(item, 0.0)
            if short >= 1:
                unplaced.append(
                    {
                        "point": pt.id.split("#")[0],
                        "demand": pt.id,
                        "item": item,
                        "quantity": int(short),
                        "reason": reason,
                    }
                )
    extra, unplaced = _cut_off_orders(situation, report, per, unplaced)
    return orders + extra, unplaced, report


def _cut_off_orders(
    situation: Situation,
    report: CheckReport,
    shipped: dict[tuple[str, str], dict[str, int]],
    unplaced: list[dict[str, Any]],
) -> tuple[list[Order], list[dict[str, Any]]]:
    """Orders for places the check found cut off, from stock it left unused.

    The relief check counts only road deliveries; dispatch can still reach a cut-off place
    through a staging point. Each short item is taken from the nearest depots (straight
    line) that still hold it, larger places first. What no depot holds stays unplaced.
    """
    if not situation.network.staging or not unplaced:
        return [], unplaced
    left: dict[str, dict[str, float]] = {
        d.id: {k: float(v) for k, v in d.stock.items()} for d in situation.network.depots
    }
    for (depot, _), items in shipped.items():
        for item, q in items.items():
            left[depot][item] = left[depot].get(item, 0) - q
    demands = {d.id: d for d in report.problem.demands}
    indoor = {pl.location for pl in situation.placements if pl.indoor}
    cut = [u for u in unplaced if u["reason"] == "cut_off"]
    rest = [u for u in unplaced if u["reason"] != "cut_off"]
    per: dict[tuple[str, str], dict[str, int]] = {}
    for u in sorted(cut, key=lambda u: (-demands[u["demand"]].people, u["demand"], u["item"])):
        need = take_nearest(situation, left, per, u["demand"], u["item"], int(u["quantity"]))
        if need > 0:
            rest.append({**u, "quantity": need, "reason": "no_stock"})
    orders = [
        Order(
            depot,
            demand,
            items,
            demands[demand].people,
            "#overflow" in demand or demand.split("#")[0] not in indoor,
        )
        for (depot, demand), items in sorted(per.items())
    ]
    return orders, rest


def take_nearest(
    situation: Situation,
    left: dict[str, dict[str, float]],
    per: dict[tuple[str, str], dict[str, int]],
    demand: str,
    item: str,
    quantity: int,
) -> int:
    """Take ``quantity`` of ``item`` for ``demand`` from the nearest depots still holding it.

    Nearest is straight-line; adds to ``per`` ((depot, demand) -> items), takes from ``left``,
    and returns what no depot could give.
    """
    here = coords(situation, demand.split("#")[0])
    need = quantity
    for near in sorted(
        situation.network.depots, key=lambda d: (haversine_km((d.lon, d.lat), here), d.id)
    ):
        if need <= 0:
            break
        take = min(need, math.floor(left[near.id].get(item, 0) + 1e-9))
        if take > 0:
            got = per.setdefault((near.id, demand), {})
            got[item] = got.get(item, 0) + take
            left[near.id][item] -= take
            need -= take
    return max(0, need)


def plan_dispatch(
    situation: Situation,
    request: DispatchRequest | None = None,
    *,
    folder: Path | None = None,
    progress: Progress | None = None,
) -> DispatchPlan:
    """Plan who carries what, where and when, for ``situation``.

    ``folder`` is where the scenario's relative files live (kept in the plan so that
    :func:`redispatch` can rebuild the situation); ``progress`` gets (stage, fraction).
    """
    req = request or DispatchRequest()
    known = {p.id for p in situation.network.points}
    for pid in req.receiving:
        if pid not in known:
            raise DataError(
                f"unknown point {pid!r}", field=f"receiving.{pid}", problem_zh="未知地点"
            )
    say = progress or (lambda stage, frac: None)
    say("check", 0.0)
    orders, unplaced, report = orders_from_check(situation)
    plan = _plan(situation, req, orders, unplaced, report, states={}, progress=say)
    plan.doc["scenario"]["folder"] = str((folder or Path(".")).resolve())
    return plan


# ------------------------------------------------------------------------------------------
# Planning
# ------------------------------------------------------------------------------------------


def _place_ids(
    vehicles: list[Vehicle], orders: list[Order], situation: Situation, extra: list[str]
) -> list[str]:
    ids: list[str] = []
    for pid in (
        [v.depot for v in vehicles]
        + [o.point for o in orders]
        + [s.id for s in situation.network.staging]
        + extra
    ):
        if pid not in ids:
            ids.append(pid)
    return ids


def place_names(situation: Situation) -> dict[str, str]:
    """Chinese names of depots, points and staging points by id."""
    net = situation.network
    out = {d.id: d.name for d in net.depots}
    out.update({p.id: p.name for p in net.points})
    out.update({s.id: s.name for s in net.staging})
    return out


def _route_docs(
    situation: Situation,
    solution: RoutingSolution,
    problem: RoutingProblem,
    vehicles: list[Vehicle],
    usable: list[int],
    info: list[JobInfo],
    places: Places,
) -> list[dict[str, Any]]:
    """Routes as plan.json records; each stop says when the truck leaves for it."""
    names = place_names(situation)
    routes = []
    for r in solution.routes:
        v = vehicles[usable[r.vehicle]]
        spec = problem.vehicles[r.vehicle]
        mat = problem.durations[spec.profile]
        stops = []
        prev_loc, prev_trip = spec.start, r.visits[0].trip if r.visits else 0
        trip_no = {t: n + 1 for n, t in enumerate(sorted({vis.trip for vis in r.visits}))}
        for visit in r.visits:
            meta = info[visit.job]
            loc = problem.jobs[visit.job].location
            if visit.trip != prev_trip:
                prev_loc, prev_trip = spec.end, visit.trip
            place = meta.via["staging"] if meta.via else meta.order.point
            stops.append(
                {
                    "point": place,
                    "name": names.get(meta.order.point, ""),
                    "demand": meta.order.demand,
                    "depot": meta.order.depot,
                    "trip": trip_no[visit.trip],  # numbered among trips driven
                    # Latest it can leave the previous place (depot or stop) and be on time.
                    "leave_h": round((visit.arrive_s - int(mat[prev_loc, loc])) / 3600, 3),
                    "arrive_h": round(visit.arrive_s / 3600, 3),
                    "depart_h": round(visit.depart_s / 3600, 3),
                    "items": meta.items,
                    "loaded_by_h": round(meta.release_h, 3),
                    **({"via": meta.via} if meta.via else {}),
                }
            )
            prev_loc = loc
        routes.append(
            {
                "vehicle": v.id,
                "vehicle_class": v.cls,
                "depot": v.depot,
                "start": places.ids[spec.start],
                "start_h": round(r.start_s / 3600, 3),
                "shift_end_h": round(spec.shift_end_s / 3600, 3),
                "end_h": round(r.end_s / 3600, 3),
                "drive_h": round(r.cost / 3600, 3),
                "stops": stops,
            }
        )
    return routes


def _solve(
    situation: Situation,
    req: DispatchRequest,
    orders: list[Order],
    report: CheckReport,
    *,
    states: dict[str, VehicleState],
    not_before_h: float,
    only: set[str] | None = None,
    trips: int | None = None,
    open_end: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], RoutingSolution | None, dict[Mode, Shuttle]]:
    """Routes, unserved rows, the solution and the shuttle pool for ``orders``.

    ``open_end``: routes end at their last stop instead of the depot (goods on board in a
    re-plan are delivered even if the truck cannot get home afterwards).
    """
    vehicles = [v for v in road_vehicles(situation) if only is None or v.id in only]
    classes = sorted({v.cls for v in vehicles}) or ["medium"]
    extra = [st.at for st in states.values()]
    places = build_places(situation, _place_ids(vehicles, orders, situation, extra), classes)
    sub = replace(req, trips=trips) if trips is not None else req
    specs = vehicle_specs(situation, sub, vehicles, places, states, not_before_h)
    crafts = Shuttle.fleet(situation)
    jobs, info, unserved = build_jobs(
        situation, req, orders, report, vehicles, specs, places, crafts, not_before_h
    )
    if not jobs:
        return [], unserved, None, crafts
    usable = [k for k, s in enumerate(specs) if s is not None]
    index = {k: n for n, k in enumerate(usable)}
    mats = list(places.durations)
    fleet = [s for s in specs if s is not None]
    if open_end:
        # One more place, "wherever the last stop is": free to reach, never left.
        n = len(places.ids)
        for p, m in enumerate(mats):
            big = np.full((n + 1, n + 1), FORBIDDEN, dtype=np.int64)
            big[:n, :n] = m
            big[:, n] = 0
            mats[p] = big
        fleet = [replace(s, end=n) for s in fleet]
    problem = RoutingProblem(
        tuple(mats),
        tuple(replace(j, allowed=tuple(index[k] for k in j.allowed or ())) for j in jobs),
        tuple(fleet),
    )
    solution = solve_routes(
        problem, params=RoutingParams(req.engine, req.time_limit_s, req.seed, req.solution_limit)
    )
    routes = _route_docs(situation, solution, problem, vehicles, usable, info, places)
    for r in routes:
        r["open_end"] = open_end
    for j in solution.dropped:
        unserved += unserved_rows(info[j].order, "no_vehicle_in_time", info[j].items)
    return routes, unserved, solution, crafts


def _plan(
    situation: Situation,
    req: DispatchRequest,
    orders: list[Order],
    unplaced: list[dict[str, Any]],
    report: CheckReport,
    *,
    states: dict[str, VehicleState],
    progress: Progress,
    not_before_h: float = 0.0,
    committed: Sequence[dict[str, Any]] = (),
    continued: Sequence[dict[str, Any]] = (),
    extra_unserved: Sequence[dict[str, Any]] = (),
    only: set[str] | None = None,
) -> DispatchPlan:
    tic = time.perf_counter()
    progress("routing", 0.0)
    routes, unserved, solution, crafts = _solve(
        situation, req, orders, report, states=states, not_before_h=not_before_h, only=only
    )
    transfers = plan_transfers(situation, list(continued) + routes, crafts, busy=committed)
    progress("document", 0.0)
    doc = plan_document(
        situation,
        req,
        routes=routes,
        continued=list(continued),
        committed=list(committed),
        transfers=transfers,
        unserved=list(unplaced) + list(extra_unserved) + unserved,
        report=report,
        solution=solution,
        seconds=time.perf_counter() - tic,
    )
    return DispatchPlan(doc, solution, situation)

"""Making a :class:`scenarios.plan.Plan` from a schedule, and reading ``plan.json`` back.

The plan's figures use the one meaning of "met" (:mod:`solver.met`) that the relief check's
bound uses, so ``kpis.targets`` (the plan) and ``kpis.relief_check_targets`` (the bound: no
plan can meet more) are read side by side: the plan is at or below the bound at every
target, and ``gap_points`` says by how much.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.apply import Situation
from scenarios.dispatch_build import unserved_parts
from scenarios.dispatch_request import DispatchRequest
from scenarios.plan import (
    PLAN_KIND,
    PLAN_VERSION,
    BoundAt,
    DemandOutcome,
    DemandRef,
    DepotLoading,
    Kpis,
    Late,
    Load,
    Part,
    PeopleBy,
    Plan,
    RedispatchInfo,
    Route,
    ScenarioInfo,
    SolverFigures,
    Stop,
    TargetMet,
    Transfer,
    Unserved,
    UnservedReason,
)
from solver.errors import DataError
from solver.met import Arrival, met_h, share_met

if TYPE_CHECKING:
    from scenarios.check import CheckReport
    from scenarios.dispatch_build import Built
    from solver.check_types import DemandPoint
    from solver.schedule import Schedule, Trip


def fingerprint(situation: Situation) -> str:
    """A short hash of the area and the scenario definition a plan was made for."""
    data = json.dumps(
        situation.scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(f"{situation.area.name}|{data}".encode()).hexdigest()[:16]


def definition_fingerprint(area: str, definition: dict[str, Any]) -> str:
    """The fingerprint from a plan's stored area name and scenario definition."""
    data = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{area}|{data}".encode()).hexdigest()[:16]


def arrivals_of(stops: Sequence[Stop]) -> dict[DemandRef, list[Arrival]]:
    """Per demand, what reaches its people and when, over the given stops."""
    out: dict[DemandRef, list[Arrival]] = {}
    for s in stops:
        for demand, arrival in s.arrivals():
            out.setdefault(demand, []).append(arrival)
    return out


def demand_outcomes(
    demands: Sequence[DemandPoint], stops: Sequence[Stop], targets: Sequence[float]
) -> list[DemandOutcome]:
    """Per demand: when its needs are wholly met and the people met by each target."""
    got = arrivals_of(stops)
    out = []
    for d in demands:
        mine = got.get(DemandRef.of(d), [])
        out.append(
            DemandOutcome(
                demand=DemandRef.of(d),
                people=d.people,
                met_h=_r(met_h(d.need, mine, d.ready_h, d.handover_h)) if d.people else 0.0,
                by_target=tuple(
                    PeopleBy(
                        hours=t,
                        people_met=d.people * share_met(d.need, mine, d.ready_h, d.handover_h, t),
                    )
                    for t in targets
                ),
            )
        )
    return out


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def people_met(
    demands: Sequence[DemandPoint], stops: Sequence[Stop], targets: Sequence[float]
) -> list[TargetMet]:
    """People met by each target over ``stops`` (the one meaning of "met")."""
    total = sum(d.people for d in demands)
    rows = demand_outcomes(demands, stops, targets)
    out = []
    for k, t in enumerate(targets):
        met = sum(r.by_target[k].people_met for r in rows)
        out.append(
            TargetMet(
                hours=t,
                people_total=total,
                people_met=int(met + 1e-6),
                share_met=round(met / total, 4) if total else 1.0,
            )
        )
    return out


def place_names(situation: Situation) -> dict[str, str]:
    """Chinese names of depots, points and staging points by id."""
    net = situation.network
    out = {d.id: d.name for d in situation.area.network.depots}
    out.update({d.id: d.name for d in net.depots})
    out.update({p.id: p.name for p in net.points})
    out.update({s.id: s.name for s in net.staging})
    return out


def route_docs(situation: Situation, built: Built, schedule: Schedule) -> list[Route]:
    """Per vehicle its trips in order: one stop per trip, the goods merged per place."""
    prob = built.problem
    names = place_names(situation)
    by_truck: dict[int, list[Trip]] = {}
    for tr in schedule.trips:
        by_truck.setdefault(tr.truck, []).append(tr)
    routes = []
    for v, trips in sorted(by_truck.items(), key=lambda kv: prob.trucks[kv[0]].id):
        truck = prob.trucks[v]
        vehicle = next(x for x in built.vehicles if x.id == truck.id)
        trips = sorted(trips, key=lambda t: t.start_h)
        stops = []
        drive = 0.0
        for n, tr in enumerate(trips):
            order = built.orders[built.load_order[tr.order]]
            parts = tuple(
                Part(demand=built.demands[p.demand], items=dict(p.items)) for p in tr.parts(prob)
            )
            merged: dict[str, int] = {}
            for part in parts:
                for i, q in part.items.items():
                    merged[i] = merged.get(i, 0) + int(q)
            out_h = tr.arrive_h - tr.depart_h
            back_h = (tr.back_h - tr.arrive_h - prob.unload_h) if tr.back_h is not None else 0.0
            drive += out_h + max(0.0, back_h)
            stops.append(
                Stop(
                    point=built.place_ids[prob.orders[tr.order].place],
                    name=names.get(order.place, ""),
                    place=order.place,
                    parts=parts,
                    depot=order.depot,
                    trip=n + 1,
                    bay=None if tr.bay is None else tr.bay + 1,
                    load_start_h=_r(tr.start_h),
                    loaded_by_h=_r(tr.loaded_h),
                    leave_h=round(tr.depart_h, 3),
                    arrive_h=round(tr.arrive_h, 3),
                    depart_h=round(tr.arrive_h + prob.unload_h, 3),
                    people_h=_r(tr.people_h),
                    back_h=_r(tr.back_h),
                    items=merged,
                    kg=tr.kg(prob),
                    litres=tr.litres(prob),
                    by_h=order.by_h,
                    via=built.via[tr.order],
                )
            )
        last = trips[-1]
        routes.append(
            Route(
                vehicle=truck.id,
                vehicle_class=vehicle.cls,
                depot=vehicle.depot,
                start=vehicle.depot,
                start_h=_r(trips[0].start_h),
                shift_end_h=_r(truck.shift_end_h),
                end_h=_r(last.back_h if last.back_h is not None else last.arrive_h),
                drive_h=_r(drive),
                capacity_kg=truck.kg,
                capacity_litres=truck.litres,
                stops=tuple(stops),
                open_end=last.back_h is None,
            )
        )
    return routes


def loading_lists(routes: Sequence[Route]) -> tuple[DepotLoading, ...]:
    """Per depot, its truckloads in loading order (the depot keeper's list, 出库单)."""
    per: dict[str, list[Load]] = {}
    for r in routes:
        for s in r.stops:
            if s.load_start_h is None:
                continue
            per.setdefault(s.depot, []).append(
                Load(
                    vehicle=r.vehicle,
                    trip=s.trip,
                    bay=s.bay,
                    load_start_h=s.load_start_h,
                    loaded_by_h=s.loaded_by_h,
                    to=s.point,
                    items=dict(s.items),
                    kg=s.kg,
                )
            )
    return tuple(
        DepotLoading(
            depot=dep, loads=tuple(sorted(rows, key=lambda x: (x.load_start_h, x.vehicle)))
        )
        for dep, rows in sorted(per.items())
    )


def plan_document(
    situation: Situation,
    req: DispatchRequest,
    *,
    built: Built,
    schedule: Schedule,
    report: CheckReport,
    unserved: list[Unserved],
    committed: list[Stop],
    folder: Path,
    seconds: float,
    redispatch: RedispatchInfo | None = None,
) -> Plan:
    """The plan made by ``schedule`` (see scenarios/README.md, "Dispatch plans")."""
    from scenarios.dispatch_shuttle import Shuttle, plan_transfers

    routes, transfers = plan_transfers(
        situation,
        route_docs(situation, built, schedule),
        Shuttle.fleet(situation),
        busy=committed,
    )
    # What the schedule could not fit: every unit nobody carries.
    missed: list[Unserved] = []
    for j, first, n in schedule.unplanned:
        goods = built.problem.orders[j]
        order = built.orders[built.load_order[j]]
        for chunk in goods.chunks[first : first + n]:
            missed += unserved_parts(
                order.place,
                [(built.demands[p.demand], p.items) for p in chunk],
                UnservedReason.NO_VEHICLE_IN_TIME,
                order.depot,
            )
    return document(
        situation,
        req,
        routes=routes,
        transfers=transfers,
        committed=committed,
        unserved=list(unserved) + missed,
        report=report,
        solver=SolverFigures(
            engine=schedule.engine,
            status=schedule.status,
            objective=None if schedule.objective != schedule.objective else schedule.objective,
            objective_bound=None if schedule.bound != schedule.bound else schedule.bound,
            solver_gap=round(schedule.gap, 4),
            solve_s=round(schedule.seconds, 2),
        ),
        seconds=seconds,
        folder=folder,
        redispatch=redispatch,
    )


def document(
    situation: Situation,
    req: DispatchRequest,
    *,
    routes: Sequence[Route],
    transfers: Sequence[Transfer],
    committed: Sequence[Stop],
    unserved: Sequence[Unserved],
    report: CheckReport,
    solver: SolverFigures,
    seconds: float,
    folder: Path | None = None,
    redispatch: RedispatchInfo | None = None,
) -> Plan:
    """The plan from its routes (a plan's, or trips played in a drill), with its KPIs."""
    sc = situation.scenario
    targets = sorted(req.targets_h or sc.targets_h)
    demands = report.problem.demands
    handover = {DemandRef.of(d): d.handover_h for d in demands}
    ready = {DemandRef.of(d): d.ready_h for d in demands}
    late: list[Late] = []
    timed: list[Route] = []
    for r in routes:
        stops = []
        for s in r.stops:
            # Goods left where nobody waits (a drill's player may do that) meet nobody.
            mine = [p.demand for p in s.parts if p.demand in ready]
            if not mine:
                stops.append(s)
                continue
            met_at = max(s.eta_h, max(ready[p] for p in mine)) + max(handover[p] for p in mine)
            stops.append(s.model_copy(update={"met_h": round(met_at, 3)}))
            missed_t = tuple(t for t in targets if met_at > t + 1e-9)
            if missed_t:
                late.append(
                    Late(
                        point=s.people_place,
                        demand=s.parts[0].demand,
                        vehicle=r.vehicle,
                        met_h=round(met_at, 3),
                        missed_targets_h=missed_t,
                    )
                )
        timed.append(r.model_copy(update={"stops": tuple(stops)}))
    stops_all = [s for r in timed for s in r.stops] + list(committed)
    reasons: dict[str, int] = {}
    for u in unserved:
        reasons[u.reason.value] = reasons.get(u.reason.value, 0) + u.quantity
    planned = people_met(demands, stops_all, targets)
    bound = {t.hours: t for t in report.result.targets}
    check_targets = []
    rows = []
    for row in planned:
        b = bound.get(row.hours)
        if b is None:
            rows.append(row)
            continue
        check_targets.append(
            BoundAt(
                hours=b.hours,
                people_met=int(b.people_met + 1e-6),
                share_met=round(b.share_met, 4),
                binding=b.binding,
                bound=report.result.bound,
            )
        )
        rows.append(
            row.model_copy(
                update={
                    "bound_people_met": int(b.people_met + 1e-6),
                    "gap_points": round(100 * (round(b.share_met, 4) - row.share_met), 1),
                }
            )
        )
    outcomes = demand_outcomes(demands, stops_all, targets)
    met_times = [o.met_h for o in outcomes if o.people > 0]
    everyone = (
        max(t for t in met_times if t is not None)
        if met_times and all(t is not None for t in met_times)
        else None
    )
    return Plan(
        scenario=ScenarioInfo(
            name=sc.name,
            name_zh=sc.name_zh,
            area=situation.area.name,
            fingerprint=fingerprint(situation),
            report_time=sc.report_time.isoformat(),
            definition=sc.model_dump(mode="json"),
            folder=None if folder is None else str(folder.resolve()),
        ),
        request=replace(req, targets_h=tuple(targets)),
        routes=tuple(timed),
        loading=loading_lists(timed),
        transfers=tuple(transfers),
        committed=tuple(committed),
        unserved=tuple(unserved),
        late=tuple(late),
        demands=tuple(outcomes),
        kpis=Kpis(
            targets=tuple(rows),
            relief_check_targets=tuple(check_targets),
            everyone_met_h=everyone,
            vehicles_used=len({r.vehicle for r in timed}),
            trips=sum(len(r.stops) for r in timed),
            stops=len(stops_all),
            late_stops=len(late),
            drive_h=round(sum(r.drive_h or 0.0 for r in timed), 2),
            transfers=len(transfers),
            unserved_units=sum(u.quantity for u in unserved),
            unserved_units_by_reason=dict(sorted(reasons.items())),
            seconds=round(seconds, 2),
            **solver.model_dump(),
        ),
        redispatch=redispatch,
    )


def read_plan(path: Path) -> Plan:
    """Read and check a plan.json: kind, version, every field, and its own fingerprint."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("file does not exist", source=str(path), problem_zh="文件不存在") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"not a readable JSON plan ({exc})", source=str(path), problem_zh="不是可读的计划文件"
        ) from None
    if not isinstance(doc, dict) or doc.get("kind") != PLAN_KIND:
        raise DataError(
            f"not a dispatch plan (kind must be {PLAN_KIND!r})",
            source=str(path),
            field="kind",
            problem_zh="不是调度计划文件",
        )
    if doc.get("version") != PLAN_VERSION:
        raise DataError(
            f"plan version {doc.get('version')!r}; this program reads version {PLAN_VERSION}"
            " (make the plan again with this version)",
            source=str(path),
            field="version",
            problem_zh=f"计划文件版本不符(本程序读取第 {PLAN_VERSION} 版,请重新生成计划)",
        )
    plan = Plan.from_json(doc, source=str(path))
    sc = plan.scenario
    if definition_fingerprint(sc.area, sc.definition) != sc.fingerprint:
        raise DataError(
            "the scenario stored in the plan does not match its fingerprint (edited?)",
            source=str(path),
            field="scenario.fingerprint",
            problem_zh="计划中的情景与其指纹不符(可能被修改)",
        )
    return plan

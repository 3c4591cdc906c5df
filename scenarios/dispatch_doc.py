"""The dispatch plan document (plan.json): routes, loading lists, unserved, KPIs; reading it.

The plan's figures use the one meaning of "met" (:mod:`solver.met`) that the relief check's
bound uses, so ``kpis.targets`` (the plan) and ``kpis.relief_check_targets`` (the bound: no
plan can meet more) are read side by side: the plan is at or below the bound at every
target, and ``gap_points`` says by how much.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.apply import Situation
from scenarios.dispatch_build import Unserved
from solver.errors import DataError
from solver.met import Arrival, met_h, share_met

if TYPE_CHECKING:
    from scenarios.check import CheckReport
    from scenarios.dispatch import DispatchRequest
    from scenarios.dispatch_build import Built
    from solver.check_types import DemandPoint
    from solver.schedule import Schedule

PLAN_VERSION = 2
PLAN_KIND = "dispatch_plan"


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


def stop_eta_h(stop: dict[str, Any]) -> float:
    """When the goods of a stop reach the people's place (after any air/boat transfer)."""
    return float(stop.get("transfer", {}).get("arrive_h", stop.get("people_h", stop["arrive_h"])))


def stop_parts(stop: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """(demand, items) carried by a stop."""
    parts = stop.get("parts")
    if parts:
        return [(p["demand"], dict(p["items"])) for p in parts]
    return [(stop["demand"], dict(stop["items"]))]


def arrivals_of(stops: Sequence[dict[str, Any]]) -> dict[str, list[Arrival]]:
    """Per demand, what reaches its people and when, over the given stops."""
    out: dict[str, list[Arrival]] = {}
    for s in stops:
        eta = stop_eta_h(s)
        for demand, items in stop_parts(s):
            out.setdefault(demand, []).extend(Arrival(i, q, eta) for i, q in items.items())
    return out


def demand_outcomes(
    demands: Sequence[DemandPoint], stops: Sequence[dict[str, Any]], targets: Sequence[float]
) -> list[dict[str, Any]]:
    """Per demand: when its needs are wholly met and the people met by each target."""
    got = arrivals_of(stops)
    out = []
    for d in demands:
        mine = got.get(d.id, [])
        out.append(
            {
                "demand": d.id,
                "point": d.place,
                "people": d.people,
                "met_h": _r(met_h(d.need, mine, d.ready_h, d.handover_h)) if d.people else 0.0,
                "by_target": [
                    {
                        "hours": t,
                        "people_met": d.people
                        * share_met(d.need, mine, d.ready_h, d.handover_h, t),
                    }
                    for t in targets
                ],
            }
        )
    return out


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(float(x), nd)


def people_met(
    demands: Sequence[DemandPoint], stops: Sequence[dict[str, Any]], targets: Sequence[float]
) -> list[dict[str, Any]]:
    """People met by each target over ``stops`` (the one meaning of "met")."""
    total = sum(d.people for d in demands)
    rows = demand_outcomes(demands, stops, targets)
    out = []
    for k, t in enumerate(targets):
        met = sum(r["by_target"][k]["people_met"] for r in rows)
        out.append(
            {
                "hours": t,
                "people_total": total,
                "people_met": int(met + 1e-6),
                "share_met": round(met / total, 4) if total else 1.0,
            }
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


def route_docs(situation: Situation, built: Built, schedule: Schedule) -> list[dict[str, Any]]:
    """Per vehicle its trips in order: one stop per trip, the goods merged per place."""
    prob = built.problem
    names = place_names(situation)
    by_truck: dict[int, list[Any]] = {}
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
            via = built.via[tr.order]
            parts = [
                {"demand": built.need_ids[p.demand], "items": dict(p.items)} for p in tr.parts(prob)
            ]
            merged: dict[str, int] = {}
            for part in parts:
                for i, q in part["items"].items():
                    merged[i] = merged.get(i, 0) + int(q)
            out_h = tr.arrive_h - tr.depart_h
            back_h = (tr.back_h - tr.arrive_h - prob.unload_h) if tr.back_h is not None else 0.0
            drive += out_h + max(0.0, back_h)
            stop = {
                "point": built.place_ids[prob.orders[tr.order].place],
                "name": names.get(order.place, ""),
                "place": order.place,
                "demand": parts[0]["demand"],
                "parts": parts,
                "depot": order.depot,
                "trip": n + 1,
                "bay": None if tr.bay is None else tr.bay + 1,
                "load_start_h": _r(tr.start_h),
                "loaded_by_h": _r(tr.loaded_h),
                "leave_h": _r(tr.depart_h),
                "arrive_h": _r(tr.arrive_h),
                "depart_h": _r(tr.arrive_h + prob.unload_h),
                "people_h": _r(tr.people_h),
                "back_h": _r(tr.back_h),
                "items": merged,
                "kg": tr.kg(prob),
                "litres": tr.litres(prob),
                "by_h": order.by_h,
            }
            if via is not None:
                stop["via"] = via
            stops.append(stop)
        last = trips[-1]
        routes.append(
            {
                "vehicle": truck.id,
                "vehicle_class": vehicle.cls,
                "depot": vehicle.depot,
                "start": vehicle.depot,
                "start_h": _r(trips[0].start_h),
                "shift_end_h": _r(truck.shift_end_h),
                "end_h": _r(last.back_h if last.back_h is not None else last.arrive_h),
                "drive_h": _r(drive),
                "capacity_kg": truck.kg,
                "capacity_litres": truck.litres,
                "stops": stops,
                "open_end": last.back_h is None,
            }
        )
    return routes


def loading_lists(routes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per depot, its truckloads in loading order (the depot keeper's list, 出库单)."""
    per: dict[str, list[dict[str, Any]]] = {}
    for r in routes:
        for s in r["stops"]:
            if s.get("load_start_h") is None:
                continue
            per.setdefault(s["depot"], []).append(
                {
                    "vehicle": r["vehicle"],
                    "trip": s["trip"],
                    "bay": s.get("bay"),
                    "load_start_h": s["load_start_h"],
                    "loaded_by_h": s["loaded_by_h"],
                    "to": s["point"],
                    "items": s["items"],
                    "kg": s.get("kg"),
                }
            )
    return [
        {"depot": dep, "loads": sorted(rows, key=lambda x: (x["load_start_h"], x["vehicle"]))}
        for dep, rows in sorted(per.items())
    ]


def plan_document(
    situation: Situation,
    req: DispatchRequest,
    *,
    built: Built,
    schedule: Schedule,
    report: CheckReport,
    unserved: list[Unserved],
    committed: list[dict[str, Any]],
    transfers_fn: Callable[..., list[dict[str, Any]]],
    seconds: float,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The plan as a JSON-ready document (see scenarios/README.md, "Dispatch plans")."""
    from scenarios.dispatch_shuttle import Shuttle

    routes = route_docs(situation, built, schedule)
    transfers = transfers_fn(situation, routes, Shuttle.fleet(situation), busy=committed)
    # What the schedule could not fit: every unit nobody carries.
    missed: list[Unserved] = []
    for j, first, n in schedule.unplanned:
        goods = built.problem.orders[j]
        order = built.orders[built.load_order[j]]
        for chunk in goods.chunks[first : first + n]:
            for part in chunk:
                for item, q in part.items.items():
                    missed.append(
                        Unserved(
                            order.place,
                            built.need_ids[part.demand],
                            item,
                            int(q),
                            "no_vehicle_in_time",
                            order.depot,
                        )
                    )
    return document(
        situation,
        req,
        routes=routes,
        transfers=transfers,
        committed=committed,
        unserved=[u.to_json() for u in list(unserved) + missed],
        report=report,
        solver={
            "engine": schedule.engine,
            "status": schedule.status,
            "objective": None if schedule.objective != schedule.objective else schedule.objective,
            "objective_bound": None if schedule.bound != schedule.bound else schedule.bound,
            "solver_gap": round(schedule.gap, 4),
            "solve_s": round(schedule.seconds, 2),
        },
        seconds=seconds,
        extra=extra,
    )


def document(
    situation: Situation,
    req: DispatchRequest,
    *,
    routes: list[dict[str, Any]],
    transfers: list[dict[str, Any]],
    committed: list[dict[str, Any]],
    unserved: list[dict[str, Any]],
    report: CheckReport,
    solver: dict[str, Any],
    seconds: float,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """plan.json from routes (a plan's, or trips played in a drill), with its KPIs."""
    sc = situation.scenario
    targets = sorted(req.targets_h or sc.targets_h)
    all_unserved = unserved
    demands = report.problem.demands
    handover = {d.id: d.handover_h for d in demands}
    ready = {d.id: d.ready_h for d in demands}
    late = []
    for r in routes:
        for s in r["stops"]:
            # Goods left where nobody waits (a drill's player may do that) meet nobody.
            mine = [p for p, _ in stop_parts(s) if p in ready]
            if not mine:
                continue
            met_at = max(stop_eta_h(s), max(ready[p] for p in mine)) + max(
                handover[p] for p in mine
            )
            s["met_h"] = round(met_at, 3)
            missed_t = [t for t in targets if met_at > t + 1e-9]
            if missed_t:
                late.append(
                    {
                        "point": s.get("place", s["point"]),
                        "demand": s["demand"],
                        "vehicle": r["vehicle"],
                        "met_h": round(met_at, 3),
                        "missed_targets_h": missed_t,
                    }
                )
    stops = [s for r in routes for s in r["stops"]] + list(committed)
    reasons: dict[str, int] = {}
    for u in all_unserved:
        reasons[str(u["reason"])] = reasons.get(str(u["reason"]), 0) + int(u["quantity"])
    planned = people_met(demands, stops, targets)
    bound = {t.hours: t for t in report.result.targets}
    check_targets = []
    for row in planned:
        b = bound.get(row["hours"])
        if b is None:
            continue
        check_targets.append(
            {
                "hours": b.hours,
                "people_met": int(b.people_met + 1e-6),
                "share_met": round(b.share_met, 4),
                "binding": b.binding,
                "bound": report.result.bound,
            }
        )
        row["bound_people_met"] = int(b.people_met + 1e-6)
        row["gap_points"] = round(100 * (round(b.share_met, 4) - row["share_met"]), 1)
    outcomes = demand_outcomes(demands, stops, targets)
    met_times = [o["met_h"] for o in outcomes if o["people"] > 0]
    everyone = max(met_times) if met_times and all(t is not None for t in met_times) else None
    doc: dict[str, Any] = {
        "version": PLAN_VERSION,
        "kind": PLAN_KIND,
        "scenario": {
            "name": sc.name,
            "name_zh": sc.name_zh,
            "area": situation.area.name,
            "fingerprint": fingerprint(situation),
            "report_time": sc.report_time.isoformat(),
            "definition": sc.model_dump(mode="json"),
        },
        "request": {
            "time_limit_s": req.time_limit_s,
            "seed": req.seed,
            "engine": req.engine,
            "hard_deadline": req.hard_deadline,
            "targets_h": targets,
            "trips": req.trips,
            "shift_h": req.shift_h,
            "load_share": req.load_share,
            "receiving": {k: list(v) for k, v in req.receiving.items()},
            "deterministic": req.deterministic,
        },
        "routes": routes,
        "loading": loading_lists(routes),
        "transfers": transfers,
        "committed": committed,
        "unserved": all_unserved,
        "late": late,
        "demands": outcomes,
        "kpis": {
            "targets": planned,
            "relief_check_targets": check_targets,
            "everyone_met_h": everyone,
            "vehicles_used": len({r["vehicle"] for r in routes}),
            "trips": sum(len(r["stops"]) for r in routes),
            "stops": len(stops),
            "late_stops": len(late),
            "drive_h": round(sum(r["drive_h"] or 0.0 for r in routes), 2),
            "transfers": len(transfers),
            "unserved_units": sum(int(u["quantity"]) for u in all_unserved),
            "unserved_units_by_reason": dict(sorted(reasons.items())),
            **solver,
            "seconds": round(seconds, 2),
        },
    }
    if extra:
        doc.update(extra)
    return doc


def read_plan(path: Path) -> dict[str, Any]:
    """Read and check a plan.json: kind, version, and that its fingerprint is its own."""
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
    sc = doc.get("scenario")
    if not isinstance(sc, dict) or not {"area", "definition", "fingerprint"} <= set(sc):
        raise DataError(
            "missing scenario.area/definition/fingerprint",
            source=str(path),
            field="scenario",
            problem_zh="计划缺少情景信息",
        )
    if definition_fingerprint(sc["area"], sc["definition"]) != sc["fingerprint"]:
        raise DataError(
            "the scenario stored in the plan does not match its fingerprint (edited?)",
            source=str(path),
            field="scenario.fingerprint",
            problem_zh="计划中的情景与其指纹不符(可能被修改)",
        )
    for key in ("routes", "committed", "unserved"):
        if not isinstance(doc.get(key), list):
            raise DataError("must be a list", source=str(path), field=key, problem_zh="须为列表")
    return doc

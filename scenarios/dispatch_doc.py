"""The dispatch plan document (plan.json): routes, transfers, unserved, KPIs, and reading it back.

The KPIs are computed the way the relief check computes its own (people whose every need
is handed out by each target hour), so the two can be read side by side on one scenario:
the check allocates stock with loading and trips relaxed; the plan is what concrete
vehicles on concrete roads achieve.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scenarios.apply import Situation
from solver.errors import DataError

if TYPE_CHECKING:
    from scenarios.check import CheckReport
    from scenarios.dispatch import DispatchRequest
    from solver.routing import RoutingSolution

PLAN_VERSION = 1
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
    return float(stop.get("transfer", {}).get("arrive_h", stop["arrive_h"]))


def _people_met(
    report: CheckReport, stops: list[dict[str, Any]], targets: list[float]
) -> list[dict[str, Any]]:
    demands = report.problem.demands
    arrivals: dict[str, list[tuple[float, str, int]]] = {}
    for s in stops:
        for item, q in s["items"].items():
            arrivals.setdefault(s["demand"], []).append((stop_eta_h(s), item, q))
    total = sum(d.people for d in demands)
    out = []
    for t in targets:
        met = 0.0
        for d in demands:
            if d.people == 0 or d.ready_h + d.handover_h > t + 1e-9:
                continue
            share = 1.0
            for item, need in d.need.items():
                if need <= 0:
                    continue
                got = sum(
                    q
                    for eta, it, q in arrivals.get(d.id, [])
                    if it == item and eta + d.handover_h <= t + 1e-9
                )
                share = min(share, got / need)
            met += share * d.people
        out.append(
            {
                "hours": t,
                "people_total": total,
                "people_met": int(met + 1e-6),
                "share_met": round(met / total, 4) if total else 1.0,
            }
        )
    return out


def plan_document(
    situation: Situation,
    req: DispatchRequest,
    *,
    routes: list[dict[str, Any]],
    continued: list[dict[str, Any]],
    committed: list[dict[str, Any]],
    transfers: list[dict[str, Any]],
    unserved: list[dict[str, Any]],
    report: CheckReport,
    solution: RoutingSolution | None,
    seconds: float,
) -> dict[str, Any]:
    """The plan as a JSON-ready document (see scenarios/README.md, "Dispatch plans")."""
    sc = situation.scenario
    targets = sorted(req.targets_h or sc.targets_h)
    handover = {d.id: d.handover_h for d in report.problem.demands}
    all_routes = continued + routes
    late = []
    for r in all_routes:
        for s in r["stops"]:
            met_h = stop_eta_h(s) + handover.get(s["demand"], 0.0)
            s["met_h"] = round(met_h, 3)
            missed = [t for t in targets if met_h > t + 1e-9]
            if missed:
                late.append(
                    {
                        "point": s["demand"].split("#")[0],
                        "demand": s["demand"],
                        "vehicle": r["vehicle"],
                        "met_h": round(met_h, 3),
                        "missed_targets_h": missed,
                    }
                )
    stops = [s for r in all_routes for s in r["stops"]] + committed
    reasons: dict[str, int] = {}
    for u in unserved:
        reasons[u["reason"]] = reasons.get(u["reason"], 0) + int(u["quantity"])
    check_targets = [
        {
            "hours": x.hours,
            "people_met": int(x.people_met + 1e-6),
            "share_met": round(x.share_met, 4),
        }
        for x in report.result.targets
        if x.hours in targets
    ]
    return {
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
            "engine": req.engine.value,
            "hard_deadline": req.hard_deadline,
            "targets_h": targets,
            "trips": req.trips,
            "shift_h": req.shift_h,
            "person_value_s": req.person_value_s,
            "priority": dict(req.priority),
            "solution_limit": req.solution_limit,
            "load_share": req.load_share,
            "receiving": {k: list(v) for k, v in req.receiving.items()},
        },
        "routes": all_routes,
        "transfers": transfers,
        "committed": committed,
        "unserved": unserved,
        "late": late,
        "kpis": {
            "targets": _people_met(report, stops, targets),
            "relief_check_targets": check_targets,
            "vehicles_used": len({r["vehicle"] for r in all_routes}),
            "trips": sum(len({s["trip"] for s in r["stops"]}) for r in all_routes),
            "stops": len(stops),
            "late_stops": len(late),
            "drive_h": round(sum(r["drive_h"] for r in all_routes), 2),
            "transfers": len(transfers),
            "unserved_units": sum(int(u["quantity"]) for u in unserved),
            "unserved_units_by_reason": dict(sorted(reasons.items())),
            "engine": solution.engine if solution else None,
            "objective": solution.objective if solution else None,
            "solve_s": round(solution.seconds, 2) if solution else 0.0,
            "seconds": round(seconds, 2),
        },
    }


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
            f"plan version {doc.get('version')!r}; this program reads version {PLAN_VERSION}",
            source=str(path),
            field="version",
            problem_zh="计划文件版本不符",
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

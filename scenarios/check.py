"""Run the 10/12-hour relief check on a situation and shape its report.

``run_check`` turns a :class:`scenarios.apply.Situation` into a
:class:`solver.adequacy.CheckProblem` (demands at shelters or in place, supplies with their
clock, travel hours by the best vehicle each depot has), solves it twice — stock and time
only, then with the fleet bound — and returns a :class:`CheckReport` whose ``to_json`` is
the ``report.json`` format shared with the dispatch plan.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np

from geodata.matrix import travel_time_matrix
from scenarios.apply import Placement, Situation, road_classes
from solver.adequacy import CheckProblem, CheckResult, DemandPoint, SupplyPoint, check
from solver.fleet import Mode
from solver.sources import SOURCES
from solver.timeline import depot_start_h, open_windows
from solver.traveltime import UNREACHABLE

REPORT_VERSION = 1


@dataclass(frozen=True, eq=False)
class CheckReport:
    """The check's results for one situation: stock-and-time plan and fleet-aware bound."""

    situation: Situation
    problem: CheckProblem
    result: CheckResult
    fleet_result: CheckResult | None

    def to_json(self) -> dict[str, Any]:
        """The ``report.json`` document."""
        return report_json(self)

    def points_frame(self) -> gpd.GeoDataFrame:
        """One row per demand location with hours to needs met, status and reason."""
        return points_frame(self)


def _demands(situation: Situation) -> tuple[DemandPoint, ...]:
    params = situation.params
    cat = situation.network.catalogue
    start = situation.response_start_h
    by_loc: dict[tuple[str, bool, bool], list[Placement]] = {}
    for pl in situation.placements:
        by_loc.setdefault((pl.location, pl.indoor, pl.overflow), []).append(pl)
    points = {p.id: p for p in situation.area.network.points}
    out = []
    for (loc, indoor, overflow), group in sorted(by_loc.items()):
        people = sum(pl.people for pl in group)
        need = cat.needs(people, params.horizon_h)
        if indoor:
            for item in params.indoor_skip_items:
                need.pop(item, None)
        moved = any(pl.location != pl.origin for pl in group)
        ready = start + (params.evacuation_h + max(pl.travel_h for pl in group) if moved else 0.0)
        pid = loc if not overflow else f"{loc}#overflow"
        p = points[loc]
        out.append(
            DemandPoint(
                pid,
                people,
                {k: v for k, v in need.items() if v > 0},
                ready,
                params.handover_h(people),
                name=p.name,
                county=p.county,
                overflow=overflow,
            )
        )
    return tuple(out)


def _supplies(situation: Situation) -> tuple[SupplyPoint, ...]:
    sc = situation.scenario
    start = situation.response_start_h
    out = []
    for d in situation.network.depots:
        begin = depot_start_h(d, start, sc.report_clock_h)
        windows = tuple(open_windows(d, sc.report_clock_h, begin, begin + 24 * 7))
        payload = volume = 0.0
        for cls, n in situation.fleet.get(d.id, {}).items():
            vc = situation.network.vehicle_class(cls)
            if vc.mode is Mode.ROAD:
                payload += n * vc.payload_kg
                volume += n * vc.volume_m3
        out.append(
            SupplyPoint(
                d.id,
                dict(d.stock),
                windows,
                d.loading_t_per_h,
                tier=d.tier.value,
                name=d.name,
                county=d.county,
                fleet_payload_kg=payload,
                fleet_volume_m3=volume,
            )
        )
    return tuple(out)


def _travel_hours(situation: Situation, demands: tuple[DemandPoint, ...]) -> np.ndarray:
    """Hours from each remaining depot to each demand location, by its best road vehicle."""
    area = situation.area
    all_depots = [d.id for d in area.network.depots]
    rows = [all_depots.index(d.id) for d in situation.network.depots]
    point_ids = [p.id for p in area.network.points]
    cols = [point_ids.index(d.id.split("#")[0]) for d in demands]
    best = np.full((len(rows), len(cols)), np.inf)
    per_class = {}
    for cls in road_classes(situation):
        m = travel_time_matrix(area, vehicle=cls, hazards=situation.hazards)
        sub = m.seconds[np.ix_(rows, cols)]
        per_class[cls] = np.where(sub < UNREACHABLE, sub / 3600.0, np.inf)
    for r, d in enumerate(situation.network.depots):
        have = [c for c, n in situation.fleet.get(d.id, {}).items() if n > 0 and c in per_class]
        for cls in have or ["medium"]:
            best[r] = np.minimum(best[r], per_class[cls][r])
    return best


def run_check(
    situation: Situation, *, targets_h: tuple[float, ...] | None = None, fleet_bound: bool = True
) -> CheckReport:
    """Solve the relief check for ``situation`` (targets from the scenario unless given)."""
    targets = tuple(targets_h) if targets_h else tuple(situation.scenario.targets_h)
    demands = _demands(situation)
    supplies = _supplies(situation)
    travel = _travel_hours(situation, demands)
    params = situation.params
    problem = CheckProblem(
        demands,
        supplies,
        travel,
        situation.network.catalogue,
        targets_h=targets,
        checkpoints_h=params.checkpoints_h,
        loading_step_h=params.loading_step_h,
        unload_h=params.unload_h,
        tier_penalty=dict(situation.scenario.tier_preference),
    )
    if not fleet_bound:
        return CheckReport(situation, problem, check(problem), None)
    # GLOP releases the GIL: the two solves share the machine's cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        plain = pool.submit(check, problem)
        fleet = pool.submit(check, problem, fleet_aware=True)
        return CheckReport(situation, problem, plain.result(), fleet.result())


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(float(x), nd)


def _origin_counties(sit: Situation, res: CheckResult) -> dict[float, dict[str, list[float]]]:
    """People and people met per county of origin (where they lived), per target.

    A demand location can hold people from several places; its share met applies to each.
    """
    county = {p.id: p.county for p in sit.area.network.points}
    groups: dict[str, list[Placement]] = {}
    for pl in sit.placements:
        key = f"{pl.location}#overflow" if pl.overflow else pl.location
        groups.setdefault(key, []).append(pl)
    out: dict[float, dict[str, list[float]]] = {}
    for t in res.targets:
        per: dict[str, list[float]] = {}
        for pt in res.points:
            share = pt.met_by_target[t.hours] / pt.people if pt.people else 1.0
            for pl in groups.get(pt.id, []):
                row = per.setdefault(county.get(pl.origin, ""), [0.0, 0.0])
                row[0] += pl.people
                row[1] += pl.people * share
        out[t.hours] = per
    return out


def _targets_json(res: CheckResult, sit: Situation) -> list[dict[str, Any]]:
    counties = _origin_counties(sit, res)
    return [
        {
            "hours": t.hours,
            "people_total": t.people_total,
            "people_met": int(t.people_met + 1e-6),
            "share_met": round(t.share_met, 4),
            "binding": t.binding,
            "by_county": [
                {
                    "county": c,
                    "people": int(n),
                    "people_met": int(m + 1e-6),
                    "share_met": round(m / n, 4) if n else 1.0,
                }
                for c, (n, m) in sorted(counties[t.hours].items())
            ],
            "by_need_group": {
                g: {
                    "people_met": int(n),
                    "share_met": round(n / t.people_total, 4) if t.people_total else 1.0,
                }
                for g, n in t.by_group.items()
            },
        }
        for t in res.targets
    ]


def report_json(rep: CheckReport) -> dict[str, Any]:
    """The ``report.json`` document (see scenarios/README.md for every field)."""
    sit, res = rep.situation, rep.result
    first = min(t.hours for t in res.targets)
    demand_lookup = {d.id: d for d in rep.problem.demands}
    pts = {p.id: p for p in sit.area.network.points}
    points = []
    for pt in res.points:
        base = pts[pt.id.split("#")[0]]
        finding = pt.findings.get(first)
        dem = demand_lookup[pt.id]
        points.append(
            {
                "id": pt.id,
                "point": base.id,
                "name": pt.name or base.name,
                "county": pt.county,
                "kind": "overflow" if pt.overflow else base.kind.value,
                "lon": base.lon,
                "lat": base.lat,
                "people": pt.people,
                "hours_to_met": _r(pt.hours_to_met),
                "status": pt.status(first),
                "reason": finding.reason.value if finding else None,
                "reason_item": finding.item if finding else None,
                "reason_quantity": _r(finding.quantity, 1) if finding and finding.item else None,
                "by_target": [
                    {
                        "hours": t,
                        "people_met": int(pt.met_by_target[t] + 1e-6),
                        "status": pt.status(t),
                        "reason": pt.findings[t].reason.value if t in pt.findings else None,
                    }
                    for t in sorted(pt.met_by_target)
                ],
                "need_group_hours": {g: _r(h) for g, h in pt.group_hours.items()},
                "ready_h": _r(dem.ready_h),
                "handover_h": _r(dem.handover_h),
            }
        )
    out: dict[str, Any] = {
        "version": REPORT_VERSION,
        "kind": "relief_check",
        "scenario": {
            "name": sit.scenario.name,
            "name_zh": sit.scenario.name_zh,
            "area": sit.area.name,
            "provenance": sit.scenario.provenance,
            "report_time": sit.scenario.report_time.isoformat(),
            "response_level": sit.scenario.response_level.value,
            "horizon_h": sit.params.horizon_h,
            "sources": list(sit.scenario.sources),
        },
        "clock": {
            "response_start_h": sit.response_start_h,
            "evacuation_h": sit.params.evacuation_h,
            "unload_h": sit.params.unload_h,
            "distribution_people_per_h": sit.params.distribution_people_per_h,
            "sources": {
                k: SOURCES[k].url or SOURCES[k].text
                for k in (
                    "response-start-assumed",
                    "report-2h",
                    "evacuation-assumed",
                    "unload-half-hour",
                    "distribution-assumed",
                    "dispatch-lag",
                )
            },
        },
        "people_affected": sit.people_affected,
        "people_sheltered": sum(p.people for p in sit.placements if p.indoor),
        "people_without_shelter_place": sum(p.people for p in sit.placements if p.overflow),
        "targets": _targets_json(res, sit),
        "everyone_met_h": _r(res.everyone_met_h),
        "never_met": res.never_met,
        "points": points,
        "items": [
            {"item": b.item, "need": b.need, "stock": b.stock, "shipped": round(b.shipped, 1)}
            for b in res.items
        ],
        "shipments": [
            {
                "depot": s.supply,
                "point": s.demand,
                "item": s.item,
                "quantity": round(s.quantity, 2),
                "depart_h": _r(s.depart_h),
                "arrive_h": _r(s.arrive_h),
            }
            for s in res.shipments
        ],
        "notes": list(sit.notes),
        "solver": {k: round(v, 3) for k, v in res.stats.items()},
    }
    if rep.fleet_result is not None:
        out["fleet_bound"] = {
            "targets": _targets_json(rep.fleet_result, sit),
            "everyone_met_h": _r(rep.fleet_result.everyone_met_h),
            "binding": {
                str(t.hours): (
                    "fleet"
                    if t.people_met < res.target(t.hours).people_met - 0.5
                    else res.target(t.hours).binding
                )
                for t in rep.fleet_result.targets
            },
        }
    return out


def points_frame(rep: CheckReport) -> gpd.GeoDataFrame:
    """Demand locations as points with their hours to needs met, status and reason."""
    doc = report_json(rep)
    rows = [
        {k: v for k, v in p.items() if k not in ("by_target", "need_group_hours")}
        for p in doc["points"]
    ]
    for row, p in zip(rows, doc["points"], strict=True):
        for g, h in p["need_group_hours"].items():
            row[f"hours_{g}"] = h
    frame = gpd.GeoDataFrame(
        rows,
        geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
        crs=4326,
    )
    return frame

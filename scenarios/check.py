"""Run the 10/12-hour relief check on a situation and shape its report.

``run_check`` turns a :class:`scenarios.apply.Situation` into a
:class:`solver.adequacy.CheckProblem` (demands at shelters or in place, depots with their
loading and trucks, travel hours per vehicle class from :mod:`scenarios.places`, the same
seconds dispatch plans drive on) and solves the bound: no dispatch plan that obeys the rules
meets more people by a target. ``CheckReport.to_json`` is the ``report.json`` format; a plan
made for the same situation (:mod:`scenarios.dispatch`) adds its own figures beside the
bound's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from scenarios.apply import Placement, Situation, road_classes
from scenarios.check_roads import roads_behind
from scenarios.dispatch_shuttle import Shuttle, haversine_km
from scenarios.places import FORBIDDEN, Places, build_places, coords
from solver.adequacy import CheckProblem, CheckResult, DemandPoint, SupplyPoint, check
from solver.fleet import FleetClass, Mode
from solver.loading import LoadingRule, dock_of
from solver.sources import SOURCES
from solver.units import seconds_to_hours

if TYPE_CHECKING:
    from scenarios.plan import DemandOutcome, DemandRef, Plan, TargetMet

REPORT_VERSION = 2


@dataclass(frozen=True, eq=False)
class CheckReport:
    """The check's bound for one situation, the problem behind it and its travel times."""

    situation: Situation
    problem: CheckProblem
    result: CheckResult
    places: Places

    def to_json(self, plan: Plan | None = None) -> dict[str, Any]:
        """The ``report.json`` document (with a plan's figures beside the bound's)."""
        return report_json(self, plan)

    def points_frame(self, plan: Plan | None = None) -> gpd.GeoDataFrame:
        """One row per demand location with its figures, status and reason."""
        return points_frame(self, plan)

    @cached_property
    def _by_ref(self) -> dict[DemandRef, DemandPoint]:
        from scenarios.plan import DemandRef

        return {DemandRef.of(d): d for d in self.problem.demands}

    def demand(self, ref: DemandRef) -> DemandPoint | None:
        """The check's demand for ``ref`` (None if nobody waits there now)."""
        return self._by_ref.get(ref)


def demand_key(place: str, overflow: bool) -> str:
    """The check's (and solver's) key of a demand: opaque, never parsed back."""
    return f"{place}#overflow" if overflow else place


def demand_points(situation: Situation) -> tuple[DemandPoint, ...]:
    """The people to supply: one demand per place, and one for the overflow left there."""
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
        p = points[loc]
        out.append(
            DemandPoint(
                demand_key(loc, overflow),
                people,
                {k: v for k, v in need.items() if v > 0},
                ready,
                params.handover_h(people),
                name=p.name,
                county=p.county,
                overflow=overflow,
                place=loc,
            )
        )
    return tuple(out)


def supply_points(situation: Situation) -> tuple[SupplyPoint, ...]:
    """Every depot with its stock, loading (:func:`solver.loading.dock_of`) and road trucks."""
    sc = situation.scenario
    rule = LoadingRule.of(situation.params)
    out = []
    for d in situation.network.depots:
        fleet = []
        for cls, n in sorted(situation.fleet.get(d.id, {}).items()):
            vc = situation.network.vehicle_class(cls)
            if vc.mode is Mode.ROAD and n > 0:
                fleet.append(FleetClass(cls, n, float(vc.payload_kg), float(vc.volume_m3)))
        out.append(
            SupplyPoint(
                d.id,
                dict(d.stock),
                dock_of(d, situation.response_start_h, sc.report_clock_h, rule),
                tuple(fleet),
                tier=d.tier.value,
                name=d.name,
                county=d.county,
            )
        )
    return tuple(out)


def travel_arrays(
    situation: Situation, demands: tuple[DemandPoint, ...], classes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Places]:
    """Hours per class, depot and demand: goods reach the people, truck out, truck back.

    Places no truck of a class reaches are reached through the best staging point: by road
    to it, unloading there, then a boat or helicopter of the pooled fleet
    (:mod:`scenarios.dispatch_shuttle`); the bound counts neither craft queues nor capacity.
    A truck that gets there but cannot get back still delivers (its return is not counted).
    """
    depots = [d.id for d in situation.network.depots]
    targets = list(dict.fromkeys(d.place for d in demands))
    crafts = Shuttle.fleet(situation)
    staging = [g for g in situation.network.staging if g.mode in crafts]
    places = build_places(situation, depots + targets + [g.id for g in staging], classes)
    n_c, n_s, n_d = len(classes), len(depots), len(demands)
    arrive = np.full((n_c, n_s, n_d), np.inf)
    out = np.full((n_c, n_s, n_d), np.inf)
    back = np.full((n_c, n_s, n_d), np.inf)
    s_rows = np.array([places.index(d) for d in depots], dtype=np.int64)
    d_cols = np.array([places.index(d.place) for d in demands], dtype=np.int64)
    g_cols = np.array([places.index(g.id) for g in staging], dtype=np.int64)
    unload = situation.params.unload_h
    # Craft leg from each staging point to each demand's place (load, fly or sail, unload).
    craft = np.array(
        [
            [
                crafts[g.mode].one_way_h(haversine_km((g.lon, g.lat), coords(situation, d.place)))
                for d in demands
            ]
            for g in staging
        ]
    ).reshape(len(staging), n_d)

    def hours(m: np.ndarray) -> np.ndarray:
        return np.where(m >= FORBIDDEN, np.inf, seconds_to_hours(m))

    for c in range(n_c):
        m = places.durations[c]
        to = hours(m[np.ix_(s_rows, d_cols)])
        fro = hours(m[np.ix_(d_cols, s_rows)]).T
        arrive[c], out[c] = to, to
        back[c] = np.where(np.isfinite(to) & ~np.isfinite(fro), 0.0, fro)
        if len(staging):
            to_g = hours(m[np.ix_(s_rows, g_cols)])  # (S, G)
            fro_g = hours(m[np.ix_(g_cols, s_rows)]).T
            via = to_g[:, :, None] + unload + craft[None, :, :]  # (S, G, D)
            cut = ~np.isfinite(to)
            best = via.min(axis=1)
            arrive[c] = np.where(cut, best, arrive[c])
            out[c] = np.where(cut & np.isfinite(best), to_g.min(axis=1)[:, None], out[c])
            back[c] = np.where(
                cut & np.isfinite(best),
                np.where(np.isfinite(fro_g), fro_g, 0.0).min(axis=1)[:, None],
                back[c],
            )
    return arrive, out, back, places


def run_check(situation: Situation, *, targets_h: tuple[float, ...] | None = None) -> CheckReport:
    """The bound for ``situation`` (targets from the scenario unless given)."""
    targets = tuple(targets_h) if targets_h else tuple(situation.scenario.targets_h)
    demands = demand_points(situation)
    supplies = supply_points(situation)
    classes = road_classes(situation)
    arrive, out, back, places = travel_arrays(situation, demands, classes)
    params = situation.params
    problem = CheckProblem(
        demands,
        supplies,
        situation.network.catalogue,
        tuple(classes),
        arrive,
        out,
        back,
        targets_h=targets,
        checkpoints_h=params.checkpoints_h,
        unload_h=params.unload_h,
        tier_penalty=dict(situation.scenario.tier_preference),
    )
    return CheckReport(situation, problem, check(problem), places)


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(float(x), nd)


def _origin_counties(
    sit: Situation, res: CheckResult, met: Mapping[str, Mapping[float, float]]
) -> dict[float, dict[str, list[float]]]:
    """People and people met per county of origin (where they lived), per target.

    ``met[demand id][hours]``: people met there by then (the bound's or a plan's). A demand
    location can hold people from several places; its share met applies to each.
    """
    county = {p.id: p.county for p in sit.area.network.points}
    groups: dict[str, list[Placement]] = {}
    for pl in sit.placements:
        key = demand_key(pl.location, pl.overflow)
        groups.setdefault(key, []).append(pl)
    out: dict[float, dict[str, list[float]]] = {}
    for t in res.targets:
        per: dict[str, list[float]] = {}
        for pt in res.points:
            got = met.get(pt.id, {}).get(t.hours, 0.0)
            share = got / pt.people if pt.people else 1.0
            for pl in groups.get(pt.id, []):
                row = per.setdefault(county.get(pl.origin, ""), [0.0, 0.0])
                row[0] += pl.people
                row[1] += pl.people * share
        out[t.hours] = per
    return out


def _plan_county(row: Sequence[float]) -> dict[str, Any]:
    n, m = row
    return {"plan_people_met": int(m + 1e-6), "plan_share_met": round(m / n, 4) if n else 1.0}


def _plan_targets(plan: Plan | None) -> dict[float, TargetMet]:
    if plan is None:
        return {}
    return {t.hours: t for t in plan.kpis.targets}


def _plan_demands(plan: Plan | None) -> dict[str, DemandOutcome]:
    """The plan's outcome per check demand key."""
    if plan is None:
        return {}
    return {demand_key(d.demand.point, d.demand.overflow): d for d in plan.demands}


def _targets_json(res: CheckResult, sit: Situation, plan: Plan | None) -> list[dict[str, Any]]:
    counties = _origin_counties(sit, res, {p.id: p.met_by_target for p in res.points})
    by_demand = _plan_demands(plan)
    plan_counties = (
        _origin_counties(
            sit,
            res,
            {d: {b.hours: b.people_met for b in row.by_target} for d, row in by_demand.items()},
        )
        if plan is not None
        else {}
    )
    planned = _plan_targets(plan)
    out = []
    for t in res.targets:
        row: dict[str, Any] = {
            "hours": t.hours,
            "people_total": t.people_total,
            "people_met": int(t.people_met + 1e-6),
            "share_met": round(t.share_met, 4),
            "bound": res.bound,
            "binding": t.binding,
            "limits": {k: int(v + 1e-6) for k, v in sorted(t.limits.items())},
            "pinches": [
                {
                    "family": p.family,
                    "depot": p.depot,
                    "what": p.what,
                    "people_per_unit": round(p.value, 3),
                }
                for p in t.pinches
            ],
            "by_county": [
                {
                    "county": c,
                    "people": int(n),
                    "people_met": int(m + 1e-6),
                    "share_met": round(m / n, 4) if n else 1.0,
                    **(
                        _plan_county(plan_counties[t.hours].get(c, (n, 0.0)))
                        if t.hours in plan_counties
                        else {}
                    ),
                }
                for c, (n, m) in sorted(counties[t.hours].items())
            ],
            "by_need_group": {
                g: {
                    "people_met": int(n + 1e-6),
                    "share_met": round(n / t.people_total, 4) if t.people_total else 1.0,
                }
                for g, n in t.by_group.items()
            },
        }
        mine = planned.get(t.hours)
        if mine is not None:
            row["plan_people_met"] = mine.people_met
            row["plan_share_met"] = mine.share_met
            row["gap_people"] = max(0, row["people_met"] - mine.people_met)
            row["gap_points"] = round(100 * (row["share_met"] - mine.share_met), 1)
        out.append(row)
    return out


def report_json(rep: CheckReport, plan: Plan | None = None) -> dict[str, Any]:
    """The ``report.json`` document (see scenarios/README.md for every field).

    ``targets[].share_met`` is the bound: no plan obeying the rules meets more. With a
    ``plan`` (a dispatch plan document for the same situation) its figures stand beside the
    bound's (``plan_people_met``, ``plan_share_met``, ``gap_points``), and each place's
    hours to needs met are the plan's.
    """
    sit, res = rep.situation, rep.result
    first = min(t.hours for t in res.targets)
    demand_lookup = {d.id: d for d in rep.problem.demands}
    pts = {p.id: p for p in sit.area.network.points}
    planned = _plan_demands(plan)
    blamed = roads_behind(rep)
    points = []
    for pt in res.points:
        dem = demand_lookup[pt.id]
        base = pts[dem.place]
        finding = pt.findings.get(first)
        mine = planned.get(pt.id)
        plan_by = {b.hours: b for b in mine.by_target} if mine else {}
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
                "hours_to_met": _r(mine.met_h) if mine else None,
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
                        **(
                            {"plan_people_met": int(plan_by[t].people_met + 1e-6)}
                            if t in plan_by
                            else {}
                        ),
                    }
                    for t in sorted(pt.met_by_target)
                ],
                "roads": [r.to_json() for r in blamed.get(pt.id, ())],
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
            "bay_t_per_h": sit.params.bay_t_per_h,
            "dock_h": sit.params.dock_h,
            "sources": {
                k: SOURCES[k].url or SOURCES[k].text
                for k in (
                    "response-start-assumed",
                    "report-2h",
                    "evacuation-assumed",
                    "unload-half-hour",
                    "distribution-assumed",
                    "dispatch-lag",
                    "houston-unload",
                    "dock-turnaround-assumed",
                )
            },
        },
        "people_affected": sit.people_affected,
        "people_sheltered": sum(p.people for p in sit.placements if p.indoor),
        "people_without_shelter_place": sum(p.people for p in sit.placements if p.overflow),
        "bound": res.bound,
        "targets": _targets_json(res, sit, plan),
        "everyone_met_h": _r(plan.kpis.everyone_met_h) if plan else None,
        "bound_everyone_met_by_h": _r(res.everyone_met_h),
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
                "by_h": s.by_h,
            }
            for s in res.shipments
        ],
        "notes": [*sit.notes, *idle_stock_notes(rep.problem)],
        "solver": {
            **{k: round(v, 3) for k, v in res.stats.items()},
            "lp_solvers": list(res.solvers),
        },
    }
    if plan is not None:
        out["plan"] = {
            "seconds": plan.kpis.seconds,
            "engine": plan.kpis.engine,
            "status": plan.kpis.status,
        }
    return out


def idle_stock_notes(problem: CheckProblem) -> list[str]:
    """A note for every depot that holds stock but has no road truck to move it."""
    return [
        f"储备库 {s.id} 有库存但没有车辆,其物资无法运出 depot {s.id} holds stock but has no "
        "road trucks: its goods cannot move (add trucks under the scenario's fleet)"
        for s in problem.supplies
        if any(q > 0 for q in s.stock.values()) and not any(f.count > 0 for f in s.fleet)
    ]


def points_frame(rep: CheckReport, plan: Plan | None = None) -> gpd.GeoDataFrame:
    """Demand locations as points with their hours to needs met, status and reason."""
    doc = report_json(rep, plan)
    rows = [
        {k: v for k, v in p.items() if k not in ("by_target", "need_group_hours", "roads")}
        for p in doc["points"]
    ]
    for row, p in zip(rows, doc["points"], strict=True):
        for g, h in p["need_group_hours"].items():
            row[f"hours_{g}"] = h
        row["roads"] = ",".join(r["id"] for r in p["roads"])
    frame = gpd.GeoDataFrame(
        rows,
        geometry=gpd.points_from_xy([r["lon"] for r in rows], [r["lat"] for r in rows]),
        crs=4326,
    )
    return frame

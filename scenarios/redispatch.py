"""Re-dispatch: re-plan a stored dispatch plan at a given hour after new road closures.

At hour ``at`` the plan is split (:func:`split_plan`):

* a stop whose leg has begun (the vehicle has left for it) is **committed**: it will be
  delivered as planned, and the closures are assumed not to stop a leg already driven;
* the remaining stops of a trip under way are **on board**: that vehicle alone re-routes
  them from its last committed stop on the new roads, then goes home to reload;
* trips not yet begun, and loads the old plan could not deliver in time, go back to the
  **pool** and are re-planned with every vehicle, each free at its depot once back
  (a vehicle that cannot get home any more is reported stuck);
* everything else the old plan could not serve stays unserved with its old reason.

The new plan's scenario is the old one plus the closures, so its fingerprint differs; the
plan records where it came from (``redispatch``) and the old KPIs for comparison.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from geodata.area import Area, load_area
from scenarios.apply import Situation, apply_scenario
from scenarios.check import run_check
from scenarios.dispatch import (
    DispatchPlan,
    DispatchRequest,
    Order,
    Progress,
    VehicleState,
    _plan,
    _solve,
    take_nearest,
)
from scenarios.dispatch_build import DOCK_H, build_places, road_vehicles
from scenarios.dispatch_doc import fingerprint
from scenarios.model import Affected, Closure, Scenario, scenario_from_dict
from solver.errors import DataError
from solver.routing import FORBIDDEN

#: Unserved reasons whose goods are offered again to the re-plan.
RETRY_REASONS = frozenset({"no_vehicle_in_time"})


# ------------------------------------------------------------------------------------------
# Closures from files
# ------------------------------------------------------------------------------------------


def load_closures(path: Path) -> list[Closure]:
    """Closures from YAML/JSON (a list of closure mappings) or GeoJSON (points, lines).

    A GeoJSON point closes the road nearest to it (``at``), a line every road it crosses;
    a feature's ``name``/``note`` properties are kept.
    """
    p = Path(path)
    if not p.exists():
        raise DataError("file does not exist", source=str(p), problem_zh="文件不存在")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(f"not YAML/JSON ({exc})", source=str(p), problem_zh="无法解析") from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        return _closures_from_features(data.get("features"), str(p))
    if isinstance(data, dict) and "closures" in data:
        data = data["closures"]
    if not isinstance(data, list):
        raise DataError(
            "expected a list of closures or a GeoJSON FeatureCollection",
            source=str(p),
            field="closures",
            problem_zh="须为封闭道路列表或 GeoJSON",
        )
    out = []
    for k, item in enumerate(data):
        try:
            out.append(Closure.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise DataError(
                err["msg"],
                source=str(p),
                field=f"closures[{k}]" + (f".{where}" if where else ""),
                problem_zh="封闭道路记录无效",
            ) from None
    return out


def _closures_from_features(features: object, source: str) -> list[Closure]:
    if not isinstance(features, list):
        raise DataError("must be a list", source=source, field="features", problem_zh="须为列表")
    out = []
    for k, f in enumerate(features):
        if not isinstance(f, dict):
            raise DataError("must be a GeoJSON feature", source=source, field=f"features[{k}]")
        geom = f.get("geometry") or {}
        props = f.get("properties") or {}
        note = str(props.get("note") or props.get("name") or "")
        kind, xy = geom.get("type"), geom.get("coordinates") or []
        try:
            if kind == "Point":
                out.append(Closure(at=(xy[0], xy[1]), note=note))
            elif kind == "LineString":
                out.append(Closure(line=[(c[0], c[1]) for c in xy], note=note))
            else:
                raise DataError(
                    f"geometry {kind!r}: use Point or LineString",
                    source=source,
                    field=f"features[{k}].geometry",
                    problem_zh="几何类型须为点或线",
                )
        except (ValidationError, TypeError, IndexError) as exc:
            raise DataError(
                f"bad coordinates ({str(exc).splitlines()[0]})",
                source=source,
                field=f"features[{k}].geometry.coordinates",
                problem_zh="坐标无效",
            ) from None
    return out


# ------------------------------------------------------------------------------------------
# Splitting a plan at an hour
# ------------------------------------------------------------------------------------------


@dataclass
class Split:
    """A plan cut at an hour: what is done, on board, back in the pool, and where vehicles are."""

    committed: list[dict[str, Any]] = field(default_factory=list)
    #: vehicle -> (its depot, the last committed stop's place, free from hour, on-board stops)
    on_board: dict[str, tuple[str, str, float, list[dict[str, Any]]]] = field(default_factory=dict)
    #: vehicle -> (depot, last place, free from hour, home by this hour as planned or None)
    #: for vehicles whose last trip begun is delivered
    homeward: dict[str, tuple[str, str, float, float | None]] = field(default_factory=dict)
    #: (depot, demand, ready hour or None) -> items not on their way: loaded or queued for
    #: loading as planned before (ready at that hour), or not deliverable in time (None)
    pool: dict[tuple[str, str, float | None], dict[str, int]] = field(default_factory=dict)
    kept_unserved: list[dict[str, Any]] = field(default_factory=list)
    #: vehicle -> when its crew's shift ends (from the plan's routes)
    shift_end: dict[str, float] = field(default_factory=dict)

    def add_to_pool(
        self, depot: str, demand: str, items: dict[str, int], ready_h: float | None = None
    ) -> None:
        """Put ``items`` for ``demand`` from ``depot`` back into the pool."""
        got = self.pool.setdefault((depot, demand, ready_h), {})
        for item, q in items.items():
            got[item] = got.get(item, 0) + int(q)


def split_plan(doc: dict[str, Any], at_h: float) -> Split:
    """Cut ``doc`` at hour ``at_h`` (see the module docstring).

    Each vehicle ends up in at most one of ``on_board`` and ``homeward``: the state of its
    latest trip begun (routes of one vehicle are taken in time order, as a re-dispatched
    plan holds a continued route and a new one for the same vehicle).
    """
    out = Split(committed=[dict(s) for s in doc.get("committed", [])])
    state: dict[str, tuple[str, Any]] = {}
    for r in sorted(doc["routes"], key=lambda r: (r["vehicle"], r["start_h"])):
        if r.get("shift_end_h") is not None:
            end = float(r["shift_end_h"])
            out.shift_end[r["vehicle"]] = min(out.shift_end.get(r["vehicle"], end), end)
        here = _split_route(r, at_h, out)
        if here is not None:
            state[r["vehicle"]] = here
    for vid, (kind, value) in state.items():
        if kind == "on_board":
            out.on_board[vid] = value
        else:
            out.homeward[vid] = value
    for u in doc["unserved"]:
        if u["reason"] in RETRY_REASONS and u.get("depot"):
            out.add_to_pool(u["depot"], u["demand"], {u["item"]: u["quantity"]})
        else:
            out.kept_unserved.append(dict(u))
    return out


def _split_route(r: dict[str, Any], at_h: float, out: Split) -> tuple[str, Any] | None:
    """Commit, pool or keep on board the trips of route ``r``; the vehicle's state after."""
    trips: dict[int, list[dict[str, Any]]] = {}
    for s in r["stops"]:
        trips.setdefault(int(s["trip"]), []).append(s)
    start = r.get("start") or r["depot"]
    last_trip = max(trips, default=0)
    state: tuple[str, Any] | None = None
    for n, t in enumerate(sorted(trips)):
        stops = sorted(trips[t], key=lambda s: s["arrive_h"])
        if stops[0]["leave_h"] > at_h:
            if n == 0 and start != r["depot"]:
                # A continued route (goods on board at a shelter) that has not moved yet.
                state = ("on_board", (r["depot"], start, max(at_h, r["start_h"]), stops))
                continue
            for s in stops:  # not yet left the depot: back to the pool, loading kept
                ready = s.get("loaded_by_h")
                ready = None if ready is None else max(at_h, float(ready))
                out.add_to_pool(s["depot"], s["demand"], s["items"], ready)
            continue
        done = [s for s in stops if s["leave_h"] <= at_h]
        rest = [s for s in stops if s["leave_h"] > at_h]
        out.committed += [{**s, "vehicle": r["vehicle"]} for s in done]
        last = done[-1]
        free = max(at_h, float(last["depart_h"]))
        if rest:
            state = ("on_board", (r["depot"], last["point"], free, rest))
        else:
            # Home by the route's end as planned (an open-ended route ends at its last stop).
            home_by = float(r["end_h"]) if t == last_trip and not r.get("open_end") else None
            state = ("homeward", (r["depot"], last["point"], free, home_by))
    return state


# ------------------------------------------------------------------------------------------
# Re-dispatch
# ------------------------------------------------------------------------------------------


def redispatch(
    doc: dict[str, Any],
    at_h: float,
    closures: Sequence[Closure] = (),
    request: DispatchRequest | None = None,
    *,
    area: Area | str | None = None,
    expect: Scenario | None = None,
    folder: Path | None = None,
    progress: Progress | None = None,
    added: Sequence[Affected] = (),
    depots_lost: Sequence[str] = (),
) -> DispatchPlan:
    """Re-plan ``doc`` (a checked plan, :func:`scenarios.dispatch_doc.read_plan`) at ``at_h``.

    ``expect``: the scenario the caller believes the plan belongs to; a plan made for
    another one is refused. ``request`` defaults to the old plan's settings. ``added``: new
    affected people reported since (new demand); what their shelters now need beyond what
    the old plan covered is taken from stock the old plan left, nearest depots first.
    ``depots_lost``: depots flooded at ``at_h``: the goods still in them (loaded or not) are
    lost and supplied again from other depots like new demand; their vehicles out on the
    road deliver what they carry, then are out of service (``vehicles_lost_with_depot``).
    """
    say = progress or (lambda stage, frac: None)
    if not (isinstance(at_h, int | float) and math.isfinite(at_h) and at_h >= 0):
        raise DataError(
            f"must be hours >= 0 after the report, got {at_h}", field="at", problem_zh="须≥0小时"
        )
    old = doc["scenario"]
    definition = dict(old["definition"])
    if expect is not None:  # compared as scenarios, so plans made before a new field match
        mine = json.dumps(expect.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        theirs = scenario_from_dict(definition, source="plan").model_dump(mode="json")
        if json.dumps(theirs, sort_keys=True, ensure_ascii=False) != mine:
            raise DataError(
                f"the plan was made for scenario {definition.get('name')!r}, "
                f"not for {expect.name!r} as given",
                field="plan",
                problem_zh="调度计划与所给情景不符",
            )
    definition["closures"] = list(definition.get("closures") or []) + [
        c.model_dump(mode="json") for c in closures
    ]
    definition["affected"] = list(definition.get("affected") or []) + [
        a.model_dump(mode="json") for a in added
    ]
    known = {str(x) for x in definition.get("depots_lost") or []}
    for k, dep in enumerate(depots_lost):
        if dep in known:
            raise DataError(
                f"depot {dep!r} is lost already",
                field=f"depots_lost[{k}]",
                problem_zh="储备库已损毁",
            )
        known.add(dep)
    before = dict(definition)
    definition["depots_lost"] = list(definition.get("depots_lost") or []) + list(depots_lost)
    scenario = scenario_from_dict(definition, source="plan.scenario.definition")
    where = folder or Path(old.get("folder") or ".")
    if not where.is_dir():
        where = Path(".")
    say("network", 0.0)
    the_area = area if isinstance(area, Area) else load_area(area or scenario.area)
    situation = apply_scenario(the_area, scenario, folder=where)
    lost = set(depots_lost)
    # The network just before the loss: same roads, the lost depots and fleets still there.
    prior = (
        apply_scenario(the_area, scenario_from_dict(before, source="plan"), folder=where)
        if lost
        else situation
    )
    req = request or old_request(doc)
    split = split_plan(doc, at_h)
    destroyed = _take_lost(split, lost)
    report = run_check(situation, fleet_bound=False)
    demands = {d.id: d for d in report.problem.demands}
    indoor = {pl.location for pl in situation.placements if pl.indoor}
    gone: list[dict[str, Any]] = []

    def order(
        depot: str, demand: str, items: dict[str, int], vehicle: str | None, ready: float | None
    ) -> Order | None:
        if demand not in demands:  # the closures moved these people to another shelter
            gone.extend(
                {
                    "point": demand.split("#")[0],
                    "demand": demand,
                    "item": i,
                    "quantity": q,
                    "reason": "shelter_changed",
                    "depot": depot,
                }
                for i, q in items.items()
            )
            return None
        point = demand.split("#")[0]
        in_place = "#overflow" in demand or point not in indoor
        return Order(depot, demand, items, demands[demand].people, in_place, vehicle, ready)

    # 1. Trips under way: each vehicle re-routes what it carries, alone, then goes home.
    say("on board", 0.0)
    states: dict[str, VehicleState] = {}
    continued: list[dict[str, Any]] = []
    unserved: list[dict[str, Any]] = []
    if split.on_board:
        loads = []
        for vid, (depot, _, _, rest) in split.on_board.items():
            for s in rest:
                o = order(depot, s["demand"], s["items"], vid, at_h)
                if o is not None:
                    loads.append(o)
        small = replace(req, time_limit_s=max(0.5, 0.2 * req.time_limit_s))
        routes, dropped, _, _ = _solve(
            prior,  # trucks of a lost depot still drive what they carry
            small,
            loads,
            report,
            states={
                v: VehicleState(at, free, split.shift_end.get(v))
                for v, (_, at, free, _) in split.on_board.items()
            },
            not_before_h=at_h,
            only=set(split.on_board),
            trips=1,
            open_end=True,
        )
        continued = routes
        unserved += [{**u, "reason": "on_board_" + u["reason"]} for u in dropped]
        for r in routes:  # then home from the last stop (below)
            last = r["stops"][-1]
            split.homeward[r["vehicle"]] = (r["depot"], last["point"], last["depart_h"], None)
        for vid in set(split.on_board) - {r["vehicle"] for r in routes}:
            depot, at, free, _ = split.on_board[vid]
            split.homeward[vid] = (depot, at, free, None)
    # 2. Vehicles heading home: free at their depot once back, if they can get back. Every
    #    crew that drove in the old plan keeps its shift end. A lost depot takes its fleet.
    gone_with = sorted(v.id for v in road_vehicles(prior) if v.depot in lost)
    for vid in gone_with:
        split.homeward.pop(vid, None)
    stuck = _homeward_states(situation, split.homeward, states)
    depot_of = {v.id: v.depot for v in road_vehicles(situation)}
    for vid, end in split.shift_end.items():
        st = states.get(vid) or VehicleState(depot_of.get(vid, ""), at_h)
        if vid in depot_of:
            states[vid] = replace(st, shift_end_h=end)
    # 3. Everything in the pool, with every vehicle.
    pool = [
        o
        for (depot, demand, ready), items in sorted(
            split.pool.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or -1.0)
        )
        if (o := order(depot, demand, {k: v for k, v in items.items() if v > 0}, None, ready))
    ]
    # 4. New demand (added people, or people the closures sent to another shelter).
    more, short = _new_demand(situation, report, doc, indoor, destroyed)
    everyone = {v.id for v in road_vehicles(situation)} - set(stuck)
    say("routing", 0.0)
    plan = _plan(
        situation,
        req,
        pool + more,
        split.kept_unserved + gone + short,
        report,
        states=states,
        progress=say,
        not_before_h=at_h,
        committed=split.committed,
        continued=continued,
        extra_unserved=unserved,
        only=everyone,
    )
    plan.doc["scenario"]["folder"] = str(where.resolve())
    plan.doc["redispatch"] = {
        "at_h": at_h,
        "from_fingerprint": old["fingerprint"],
        "closures": [c.model_dump(mode="json") for c in closures],
        "committed_stops": len(split.committed),
        "continued_vehicles": len(continued),
        "stuck_vehicles": stuck,
        "added_affected": [a.model_dump(mode="json") for a in added],
        "depots_lost": list(depots_lost),
        "vehicles_lost_with_depot": gone_with,
        "goods_lost_in_depots": [
            {"depot": dep, "demand": dem, "item": i, "quantity": q}
            for (dep, dem), items in sorted(destroyed.items())
            for i, q in sorted(items.items())
        ],
        "new_demand_units": sum(q for o in more for q in o.items.values())
        + sum(int(u["quantity"]) for u in short),
        "previous_kpis": doc.get("kpis"),
    }
    assert plan.doc["scenario"]["fingerprint"] == fingerprint(situation)
    return plan


def old_request(doc: dict[str, Any]) -> DispatchRequest:
    """The settings a stored plan was made with."""
    r = dict(doc.get("request") or {})
    keys = DispatchRequest.__dataclass_fields__
    kwargs = {k: v for k, v in r.items() if k in keys}
    if kwargs.get("targets_h") is not None:
        kwargs["targets_h"] = tuple(kwargs["targets_h"])
    if isinstance(kwargs.get("receiving"), dict):
        kwargs["receiving"] = {k: tuple(v) for k, v in kwargs["receiving"].items()}
    try:
        return DispatchRequest(**kwargs)
    except TypeError as exc:
        raise DataError(str(exc), field="request", problem_zh="计划中的参数无效") from None


def _homeward_states(
    situation: Any,
    homeward: dict[str, tuple[str, str, float, float | None]],
    states: dict[str, VehicleState],
) -> list[str]:
    """Set each homeward vehicle free at its depot once back and reloaded.

    Returns the vehicles that cannot get back (the closures cut them off).
    """
    # Home already: back (as planned) no later than the cut (free = max(cut, last departure)).
    home = {vid: v for vid, v in homeward.items() if v[3] is not None and v[3] <= v[2]}
    for vid, (depot, _, free, home_by) in home.items():
        assert home_by is not None
        states[vid] = VehicleState(depot, max(free, home_by + DOCK_H))
    away = {vid: v for vid, v in homeward.items() if vid not in home}
    if not away:
        return []
    cls_of = {v.id: v.cls for v in road_vehicles(situation)}
    ids: list[str] = []
    for depot, at, _, _ in away.values():
        for pid in (depot, at):
            if pid not in ids:
                ids.append(pid)
    classes = sorted({cls_of[v] for v in away if v in cls_of}) or ["medium"]
    places = build_places(situation, ids, classes)
    stuck = []
    for vid, (depot, at, free, _) in sorted(away.items()):
        if vid not in cls_of:
            stuck.append(vid)
            continue
        m = places.durations[places.classes.index(cls_of[vid])]
        sec = int(m[places.index(at), places.index(depot)])
        if sec >= FORBIDDEN:
            stuck.append(vid)
        else:
            states[vid] = VehicleState(depot, free + sec / 3600 + DOCK_H)
    return stuck


def _take_lost(split: Split, lost: set[str]) -> dict[tuple[str, str], dict[str, int]]:
    """Take the goods still in ``lost`` depots out of the pool: (depot, demand) -> items."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for key in [k for k in split.pool if k[0] in lost]:
        got = out.setdefault((key[0], key[1]), {})
        for item, q in split.pool.pop(key).items():
            got[item] = got.get(item, 0) + int(q)
    return out


def _new_demand(
    situation: Situation,
    report: Any,
    doc: dict[str, Any],
    indoor: set[str],
    destroyed: dict[tuple[str, str], dict[str, int]] | None = None,
) -> tuple[list[Order], list[dict[str, Any]]]:
    """Orders for needs the old plan did not cover, from the stock it left; the rest unserved.

    The old plan covered, per demand and item, what it delivered, kept on trucks or in the
    pool, and what it listed unserved; a need above that is new. Each new unit comes from
    the nearest depot (straight line) still holding it after the old plan's allocations.
    Goods destroyed in a lost depot no longer cover a need.
    """
    stops = [s for r in doc["routes"] for s in r["stops"]] + list(doc.get("committed", []))
    covered: dict[tuple[str, str], int] = {}
    left: dict[str, dict[str, float]] = {
        d.id: {k: float(v) for k, v in d.stock.items()} for d in situation.network.depots
    }
    for s in stops:
        for item, q in s["items"].items():
            covered[s["demand"], item] = covered.get((s["demand"], item), 0) + int(q)
            if s["depot"] in left:
                left[s["depot"]][item] = left[s["depot"]].get(item, 0) - int(q)
    burnt = list((destroyed or {}).items())
    for (_, dem), items in burnt:
        for item, q in items.items():
            covered[dem, item] = covered.get((dem, item), 0) - int(q)
    for u in doc["unserved"]:
        key = (u["demand"], u["item"])
        covered[key] = covered.get(key, 0) + int(u["quantity"])
        if u.get("depot") in left:
            left[u["depot"]][u["item"]] = left[u["depot"]].get(u["item"], 0) - int(u["quantity"])
    per: dict[tuple[str, str], dict[str, int]] = {}
    short: list[dict[str, Any]] = []
    for d in report.problem.demands:
        for item, need in sorted(d.need.items()):
            extra = round(need) - covered.get((d.id, item), 0)
            if extra > 0:
                extra = take_nearest(situation, left, per, d.id, item, extra)
            # What a lost depot held and no other depot can replace is lost with it.
            in_lost = min(extra, sum(q.get(item, 0) for (_, dem), q in burnt if dem == d.id))
            for qty, why in ((in_lost, "depot_lost"), (extra - in_lost, "no_stock")):
                if qty > 0:
                    short.append(
                        {
                            "point": d.id.split("#")[0],
                            "demand": d.id,
                            "item": item,
                            "quantity": qty,
                            "reason": why,
                        }
                    )
    people = {d.id: d.people for d in report.problem.demands}
    orders = [
        Order(
            dep,
            dem,
            items,
            people[dem],
            "#overflow" in dem or dem.split("#")[0] not in indoor,
        )
        for (dep, dem), items in sorted(per.items())
    ]
    return orders, short

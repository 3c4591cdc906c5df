"""Re-dispatch: re-plan a stored dispatch plan at an hour, after roads close or depots flood.

People may be added too.

At hour ``at`` the plan is split (:func:`split_plan`); every trip of a plan has one stop:

* a trip that has **left** its depot is **committed**: it delivers as planned (the closures
  are assumed not to stop a leg already being driven); its truck then drives back on the new
  roads (or is reported stuck if they cut it off);
* a trip **loading or loaded** at its depot keeps its goods on its truck: it is re-planned
  with that truck (no bay needed again; a bay still loading stays busy until done);
* trips **not yet loading**, and goods the old plan could not deliver in time, go back to
  the **pool** and are re-planned with every truck, each free at its depot once back;
* goods for people the closures moved to another shelter are unserved as
  ``shelter_changed``; new need (people added, or moved) is supplied from the stock the old
  plan left, nearest depots first; a depot lost at ``at`` takes its stock, the goods loaded
  on its trucks not yet gone, and its parked trucks; its trucks on the road deliver what they
  carry and are then out of service;
* everything else the old plan could not serve stays unserved with its old reason.

The new plan's scenario is the old one plus the changes, so its fingerprint differs; the
plan records where it came from (``redispatch``) and the old KPIs for comparison.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from geodata.area import Area, load_area
from scenarios.apply import Situation, apply_scenario
from scenarios.check import CheckReport, run_check
from scenarios.dispatch import DispatchPlan, make_plan, take_nearest
from scenarios.dispatch_build import Order, VehicleState, road_vehicles, unserved_parts
from scenarios.dispatch_doc import fingerprint
from scenarios.dispatch_request import DispatchRequest, Progress
from scenarios.model import Affected, Closure, Scenario, scenario_from_dict
from scenarios.places import FORBIDDEN
from scenarios.plan import (
    RETRY_REASONS,
    DemandRef,
    LostGoods,
    Plan,
    RedispatchInfo,
    Stop,
    Unserved,
    UnservedReason,
)
from solver.errors import DataError
from solver.loading import Dock
from solver.units import seconds_to_hours

#: Unserved reasons of goods no stock covered: the need is known, not new.
STOCK_REASONS = frozenset({UnservedReason.NO_STOCK, UnservedReason.DEPOT_LOST})


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
    """A plan cut at an hour: what is done or on its way, loaded, back in the pool."""

    #: stops of trips that have left (with their vehicle), delivered as planned
    committed: list[Stop] = field(default_factory=list)
    #: vehicle -> (depot, stop place, hour it starts back from there) for trucks out
    out: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    #: vehicle -> (depot, hour back) for trucks home by the cut as planned
    home: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: trips loading or loaded at the cut: (vehicle, stop)
    loaded: list[tuple[str, Stop]] = field(default_factory=list)
    #: (depot, demand) -> items not yet loading, or not delivered in time by the old plan
    pool: dict[tuple[str, DemandRef], dict[str, int]] = field(default_factory=dict)
    kept_unserved: list[Unserved] = field(default_factory=list)
    #: vehicle -> when its crew's shift ends (from the plan's routes)
    shift_end: dict[str, float] = field(default_factory=dict)
    #: depot -> hours its bays are busy until (truckloads loading at the cut)
    bays_busy: dict[str, list[float]] = field(default_factory=dict)

    def add_to_pool(self, depot: str, demand: DemandRef, items: Mapping[str, int]) -> None:
        """Put ``items`` for ``demand`` from ``depot`` back into the pool."""
        got = self.pool.setdefault((depot, demand), {})
        for item, q in items.items():
            got[item] = got.get(item, 0) + int(q)


def split_plan(plan: Plan, at_h: float) -> Split:
    """Cut ``plan`` at hour ``at_h`` (see the module docstring)."""
    out = Split(committed=list(plan.committed))
    for r in sorted(plan.routes, key=lambda r: (r.vehicle, r.start_h or 0.0)):
        vid = r.vehicle
        if r.shift_end_h is not None:
            out.shift_end[vid] = min(out.shift_end.get(vid, r.shift_end_h), r.shift_end_h)
        for s in sorted(r.stops, key=lambda s: s.leave_h):
            start = s.load_start_h
            if s.leave_h <= at_h:
                out.committed.append(s.model_copy(update={"vehicle": vid}))
                if s.back_h is not None and s.back_h <= at_h:
                    out.home[vid] = (r.depot, s.back_h)
                    out.out.pop(vid, None)
                else:
                    out.out[vid] = (r.depot, s.point, max(at_h, s.depart_h))
                    out.home.pop(vid, None)
            elif start is None or start <= at_h:
                # Loading, or loaded and waiting to leave: the goods are on the truck.
                out.loaded.append((vid, s))
                if start is not None and s.loaded_by_h is not None and s.loaded_by_h > at_h:
                    out.bays_busy.setdefault(s.depot, []).append(s.loaded_by_h)
            else:
                for part in s.parts:
                    out.add_to_pool(s.depot, part.demand, part.items)
    for u in plan.unserved:
        if u.reason in RETRY_REASONS and u.depot:
            out.add_to_pool(u.depot, u.demand, {u.item: u.quantity})
        else:
            out.kept_unserved.append(u)
    return out


# ------------------------------------------------------------------------------------------
# Re-dispatch
# ------------------------------------------------------------------------------------------


def _definition(
    plan: Plan,
    closures: Sequence[Closure],
    added: Sequence[Affected],
    depots_lost: Sequence[str],
    expect: Scenario | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The new scenario definition, and the one just before the losses."""
    definition = dict(plan.scenario.definition)
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
    return definition, before


def redispatch(
    plan: Plan,
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
    """Re-plan ``plan`` (e.g. read by :func:`scenarios.dispatch_doc.read_plan`) at ``at_h``.

    ``expect``: the scenario the caller believes the plan belongs to; a plan made for
    another one is refused. ``request`` defaults to the old plan's settings. ``added``: new
    affected people reported since; ``depots_lost``: depots flooded at ``at_h`` (see the
    module docstring for what happens to their goods and trucks).
    """
    say = progress or (lambda stage, frac: None)
    if not (isinstance(at_h, int | float) and math.isfinite(at_h) and at_h >= 0):
        raise DataError(
            f"must be hours >= 0 after the report, got {at_h}", field="at", problem_zh="须≥0小时"
        )
    old = plan.scenario
    definition, before = _definition(plan, closures, added, depots_lost, expect)
    scenario = scenario_from_dict(definition, source="plan.scenario.definition")
    where = folder or Path(old.folder or ".")
    if not where.is_dir():
        where = Path(".")
    say("network", 0.0)
    the_area = area if isinstance(area, Area) else load_area(area or scenario.area)
    situation = apply_scenario(the_area, scenario, folder=where)
    lost = set(depots_lost)
    req = request or plan.request
    split = split_plan(plan, at_h)
    say("check", 0.1)
    report = run_check(situation, targets_h=req.targets_h)
    lost_world = (
        apply_scenario(the_area, scenario_from_dict(before, source="plan"), folder=where)
        if lost
        else situation
    )
    gone_with = sorted(v.id for v in road_vehicles(lost_world) if v.depot in lost)
    goods = _goods_at_the_cut(situation, report, split, at_h, lost)
    states, stuck = _truck_states(situation, report, split, at_h, lost)
    everyone = {v.id for v in road_vehicles(situation)} - set(stuck) - set(gone_with)
    more, short = _new_demand(situation, report, plan, goods.destroyed)
    docks = _docks_at(report, split, at_h)
    say("scheduling", 0.3)
    info = RedispatchInfo(
        at_h=at_h,
        from_fingerprint=old.fingerprint,
        closures=tuple(closures),
        committed_stops=len(split.committed),
        loaded_kept=len(split.loaded),
        stuck_vehicles=tuple(stuck),
        added_affected=tuple(added),
        depots_lost=tuple(depots_lost),
        vehicles_lost_with_depot=tuple(gone_with),
        goods_lost_in_depots=tuple(
            LostGoods(depot=dep, demand=dem, item=i, quantity=q)
            for (dep, dem), items in sorted(goods.destroyed.items(), key=_by_depot_demand)
            for i, q in sorted(items.items())
        ),
        new_demand_units=sum(q for o in more for q in o.items.values())
        + sum(u.quantity for u in short),
        previous_kpis=plan.kpis,
    )
    new = make_plan(
        situation,
        req,
        report,
        goods.orders + more,
        split.kept_unserved + goods.unserved + short,
        progress=say,
        states=states,
        only=everyone,
        not_before_h=at_h,
        committed=split.committed,
        docks=docks,
        folder=where,
        redispatch=info,
    )
    if new.plan.scenario.fingerprint != fingerprint(situation):
        raise DataError("the re-plan's scenario does not match its situation", field="plan")
    return new


@dataclass
class Goods:
    """What becomes of the old plan's goods not yet on the road at the cut."""

    #: re-planned: goods on a truck still at its depot (kept on it), and the pool
    orders: list[Order] = field(default_factory=list)
    #: for people the closures moved elsewhere (``shelter_changed``)
    unserved: list[Unserved] = field(default_factory=list)
    #: (depot, demand) -> items lost with a flooded depot
    destroyed: dict[tuple[str, DemandRef], dict[str, int]] = field(default_factory=dict)

    def lose(self, depot: str, demand: DemandRef, items: Mapping[str, int]) -> None:
        """``items`` for ``demand`` are lost with ``depot``."""
        got = self.destroyed.setdefault((depot, demand), {})
        for i, q in items.items():
            got[i] = got.get(i, 0) + int(q)


def _goods_at_the_cut(
    situation: Situation, report: CheckReport, split: Split, at_h: float, lost: set[str]
) -> Goods:
    """Orders for goods loaded at the cut (kept on their truck) and for the pool.

    Goods at a lost depot are lost with it; goods for people no longer at their place are
    unserved as ``shelter_changed``.
    """
    out = Goods()
    depot_of = {v.id: v.depot for v in road_vehicles(situation)}
    for vid, s in split.loaded:
        if s.depot in lost:
            for part in s.parts:
                out.lose(s.depot, part.demand, part.items)
            continue
        keep = [(p.demand, p.items) for p in s.parts if report.demand(p.demand) is not None]
        for p in s.parts:
            if report.demand(p.demand) is None:
                out.unserved += _gone(s.people_place, p.demand, p.items, s.depot)
        if keep and vid in depot_of:
            loaded = s.loaded_by_h if s.loaded_by_h is not None else at_h
            out.orders.append(
                Order(
                    s.depot,
                    keep[0][0].point,
                    tuple(keep),
                    s.by_h,
                    vehicle=vid,
                    loaded_h=max(at_h, loaded),
                )
            )
    for (depot, dem), items in sorted(split.pool.items(), key=_by_depot_demand):
        items = {i: q for i, q in items.items() if q > 0}
        if not items:
            continue
        if depot in lost:
            out.lose(depot, dem, items)
        elif report.demand(dem) is None:
            out.unserved += _gone(dem.point, dem, items, depot)
        else:
            out.orders.append(Order(depot, dem.point, ((dem, items),)))
    return out


def _docks_at(report: CheckReport, split: Split, at_h: float) -> dict[str, Dock]:
    """Each depot's loading from the cut: bays still loading stay busy until done."""
    docks: dict[str, Dock] = {}
    for sup in report.problem.supplies:
        busy = sorted(split.bays_busy.get(sup.id, []))[: sup.dock.bays]
        begin = max(sup.dock.start_h, at_h)
        windows = tuple((max(a, begin), b) for a, b in sup.dock.windows if b > begin)
        docks[sup.id] = replace(sup.dock, windows=windows, busy_until=tuple(busy))
    return docks


def _by_depot_demand(kv: tuple[tuple[str, DemandRef], object]) -> tuple[str, str, bool]:
    (dep, dem), _ = kv
    return dep, dem.point, dem.overflow


def _gone(point: str, demand: DemandRef, items: Mapping[str, int], depot: str) -> list[Unserved]:
    """Goods for people who are no longer at that place (the closures moved them)."""
    return unserved_parts(point, [(demand, items)], UnservedReason.SHELTER_CHANGED, depot)


def _truck_states(
    situation: Situation, report: CheckReport, split: Split, at_h: float, lost: set[str]
) -> tuple[dict[str, VehicleState], list[str]]:
    """When each truck is free at its depot; the trucks that cannot get back (stuck).

    A truck out on a trip drives back from its stop on the new roads once it has unloaded;
    one home is free from the cut (or when back, as planned). A truck of a lost depot is out
    of service once it has delivered. Crews keep the shift ends they started with.
    """
    places = report.places
    cls_of = {v.id: v.cls for v in road_vehicles(situation)}
    states: dict[str, VehicleState] = {}
    stuck: list[str] = []
    for vid, (depot, back) in split.home.items():
        if depot not in lost:
            states[vid] = VehicleState(max(at_h, back))
    for vid, (depot, at, leave) in sorted(split.out.items()):
        if depot in lost:
            continue
        cls = cls_of.get(vid)
        if cls is None or at not in places.ids or depot not in places.ids:
            stuck.append(vid)
            continue
        sec = places.seconds(cls, at, depot)
        if sec >= FORBIDDEN:
            stuck.append(vid)
        else:
            states[vid] = VehicleState(leave + seconds_to_hours(sec))
    for vid, s in split.loaded:
        if s.depot not in lost and vid not in states:
            states[vid] = VehicleState(at_h)
    # Crews keep the shifts they started.
    for vid, end in split.shift_end.items():
        if vid in states:
            states[vid] = replace(states[vid], shift_end_h=end)
    return states, stuck


def _new_demand(
    situation: Situation,
    report: CheckReport,
    plan: Plan,
    destroyed: dict[tuple[str, DemandRef], dict[str, int]],
) -> tuple[list[Order], list[Unserved]]:
    """Orders for needs the old plan does not cover, from the stock it left; the rest unserved.

    The old plan covers, per demand and item, what it delivered or has on its way, what is
    in the pool, and what it listed unserved for want of stock; a need above that is new.
    Each new unit comes from the nearest depot (straight line) still holding it after the old
    plan's allocations. Goods lost with a depot no longer cover a need.
    """
    covered: dict[tuple[DemandRef, str], int] = {}
    left: dict[str, dict[str, int]] = {
        d.id: {k: int(v) for k, v in d.stock.items()} for d in situation.network.depots
    }
    for s in plan.stops():
        for part in s.parts:
            for item, q in part.items.items():
                covered[part.demand, item] = covered.get((part.demand, item), 0) + int(q)
                if s.depot in left:
                    left[s.depot][item] = left[s.depot].get(item, 0) - int(q)
    for (_, dem), items in destroyed.items():
        for item, q in items.items():
            covered[dem, item] = covered.get((dem, item), 0) - int(q)
    for u in plan.unserved:
        key = (u.demand, u.item)
        if u.reason in RETRY_REASONS or u.reason in STOCK_REASONS:
            covered[key] = covered.get(key, 0) + u.quantity
        if u.depot is not None and u.depot in left:
            left[u.depot][u.item] = left[u.depot].get(u.item, 0) - u.quantity
    per: dict[tuple[str, DemandRef], dict[str, int]] = {}
    short: list[Unserved] = []
    burnt = list(destroyed.items())
    for d in report.problem.demands:
        ref = DemandRef.of(d)
        for item, need in sorted(d.need.items()):
            extra = round(need) - covered.get((ref, item), 0)
            if extra <= 0:
                continue
            got, missing = take_nearest(situation, left, d.id, d.place, item, extra)
            for dep, g in got.items():
                mine = per.setdefault((dep, ref), {})
                mine[item] = mine.get(item, 0) + g
            in_lost = min(missing, sum(q.get(item, 0) for (_, dem), q in burnt if dem == ref))
            for qty, why in (
                (in_lost, UnservedReason.DEPOT_LOST),
                (missing - in_lost, UnservedReason.NO_STOCK),
            ):
                if qty > 0:
                    short += unserved_parts(d.place, [(ref, {item: qty})], why)
    orders = [
        Order(dep, ref.point, ((ref, items),))
        for (dep, ref), items in sorted(per.items(), key=_by_depot_demand)
    ]
    return orders, short

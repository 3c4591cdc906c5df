"""Apply a scenario to an area: who is affected, where they shelter, what roads and depots remain.

The result, a :class:`Situation`, holds everything the relief check and dispatch need, as
new objects: the area's data is never mutated.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geodata.area import Area
from geodata.flood import depth_at, read_flood, water_text
from geodata.matrix import Hazards, build_hazards, travel_time_matrix
from scenarios.model import Affected, Closure, Scenario
from solver.errors import DataError
from solver.fleet import Mode
from solver.network import Point, PointKind, ReserveNetwork
from solver.shelter_placement import PlacementProblem, place_people
from solver.timeline import TimelineParams
from solver.traveltime import travel_seconds
from solver.units import seconds_to_hours


@dataclass(frozen=True, slots=True)
class Placement:
    """People from ``origin`` now at ``location`` (a shelter, or their own place)."""

    origin: str
    location: str
    people: int
    indoor: bool
    overflow: bool = False
    travel_h: float = 0.0


@dataclass(frozen=True, eq=False)
class Situation:
    """A scenario resolved against an area."""

    scenario: Scenario
    area: Area
    network: ReserveNetwork
    hazards: Hazards
    params: TimelineParams
    affected: dict[str, int]
    placements: tuple[Placement, ...]
    flood: gpd.GeoDataFrame | None
    fleet: dict[str, dict[str, int]]
    depots_lost: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def response_start_h(self) -> float:
        """Hours from report to the dispatch order."""
        if self.scenario.timeline.response_start_h is not None:
            return self.scenario.timeline.response_start_h
        return self.params.response_start(self.scenario.response_level)

    @property
    def people_affected(self) -> int:
        """All affected people."""
        return sum(self.affected.values())


def timeline_params(scenario: Scenario, base: TimelineParams | None = None) -> TimelineParams:
    """The sourced defaults with the scenario's overrides and horizon applied."""
    params = base or TimelineParams()
    changes = {
        k: v
        for k, v in scenario.timeline.model_dump().items()
        if v is not None and k != "response_start_h"
    }
    if scenario.evacuation.hours_after_response is not None:
        changes["evacuation_h"] = scenario.evacuation.hours_after_response
    return dataclasses.replace(params, horizon_h=scenario.horizon_h, **changes)


def _flood_frames(
    scenario: Scenario, folder: Path, extra: Sequence[Path]
) -> list[gpd.GeoDataFrame | Path]:
    out: list[gpd.GeoDataFrame | Path] = []
    for k, f in enumerate(scenario.floods):
        if f.file is not None:
            path = Path(f.file)
            path = path if path.is_absolute() else folder / path
            if f.name or f.depth_m is not None:
                # Features without a depth of their own take the entry's.
                frame = read_flood(path, default_depth_m=f.depth_m)
                if f.name:
                    frame["id"] = f.name
                out.append(frame)
            else:
                out.append(path)
        else:
            poly = shapely.Polygon(f.polygon)
            out.append(
                gpd.GeoDataFrame(
                    {
                        "id": [f.name or f"floods[{k}]"],
                        "depth_m": [f.depth_m if f.depth_m is not None else np.nan],
                    },
                    geometry=[poly],
                    crs=4326,
                )
            )
    out.extend(extra)
    return out


def _closure_edges(
    area: Area, closures: Sequence[Closure]
) -> tuple[list[str], list[gpd.GeoDataFrame]]:
    ids: list[str] = []
    barriers: list[gpd.GeoDataFrame] = []
    edges = area.roads.edges
    for k, c in enumerate(closures):
        label = f"closures[{k}]"
        if c.road is not None:
            area.roads.edge_index(c.road)  # raises for an unknown id
            ids.append(c.road)
        elif c.name is not None:
            names = edges["name"].astype(str)
            if "bridge_name" in edges.columns:
                hit = names.str.contains(c.name, regex=False) | edges["bridge_name"].astype(
                    str
                ).str.contains(c.name, regex=False)
            else:
                hit = names.str.contains(c.name, regex=False)
            if not hit.any():
                raise DataError(
                    f"no road or bridge named like {c.name!r}",
                    field=f"{label}.name",
                    problem_zh=f"找不到名称含 {c.name!r} 的道路或桥梁",
                )
            ids.extend(edges.loc[hit, "id"].astype(str))
        elif c.at is not None:
            barriers.append(
                gpd.GeoDataFrame({"id": [label]}, geometry=[shapely.Point(c.at)], crs=4326)
            )
        elif c.line is not None:
            barriers.append(
                gpd.GeoDataFrame({"id": [label]}, geometry=[shapely.LineString(c.line)], crs=4326)
            )
    return ids, barriers


def _select(
    area: Area,
    spec: Affected,
    label: str,
    flood_depth: dict[str, float],
    in_named: dict[str, set[str]],
) -> list[Point]:
    pts = [p for p in area.network.points if p.kind is not PointKind.SHELTER or spec.point]
    if spec.point is not None:
        chosen = [p for p in pts if p.id == spec.point]
        if not chosen:
            raise DataError(
                f"unknown point {spec.point!r}",
                field=f"{label}.point",
                problem_zh=f"未知地点 {spec.point!r}",
            )
    elif spec.township is not None:
        chosen = [p for p in pts if spec.township in (p.township, _township_code(p.id))]
        if not chosen:
            raise DataError(
                f"unknown township {spec.township!r}",
                field=f"{label}.township",
                problem_zh=f"未知乡镇 {spec.township!r}",
            )
    elif spec.county is not None:
        names = {spec.county}
        b = area.boundaries
        if b is not None and "id" in b.columns:
            names |= set(b.loc[b["id"].astype(str) == spec.county, "name"].astype(str))
        chosen = [p for p in pts if p.county in names]
        if not chosen:
            raise DataError(
                f"unknown county {spec.county!r}",
                field=f"{label}.county",
                problem_zh=f"未知县(市、区) {spec.county!r}",
            )
    else:
        chosen = pts
    if isinstance(spec.in_flood, str):
        if spec.in_flood not in in_named:
            raise DataError(
                f"no flood named {spec.in_flood!r}; floods: "
                f"{', '.join(sorted(in_named)) or 'none'}",
                field=f"{label}.in_flood",
                problem_zh=f"没有名为 {spec.in_flood!r} 的洪水范围",
            )
        chosen = [p for p in chosen if p.id in in_named[spec.in_flood]]
        if not chosen:
            raise DataError(
                f"no selected place lies inside flood {spec.in_flood!r}",
                field=f"{label}.in_flood",
                problem_zh="所选地点均不在该洪水范围内",
            )
    elif spec.in_flood:
        chosen = [p for p in chosen if flood_depth.get(p.id, 0.0) > 0]
        if not chosen:
            raise DataError(
                "no selected place lies inside the scenario's floods",
                field=f"{label}.in_flood",
                problem_zh="所选地点均不在洪水范围内",
            )
    return chosen


def _township_code(point_id: str) -> str:
    """The 9-digit NBS township code in a bundled id (``V-131124100201`` -> ``131124100``)."""
    code = point_id.split("-")[-1]
    return code[:9] if code[:9].isdigit() and len(code) >= 9 else ""


def _spread(points: list[Point], people: int, label: str) -> dict[str, int]:
    pop = np.array([p.population for p in points], dtype=float)
    if people == 0:
        return {}
    if pop.sum() <= 0:
        raise DataError(
            "the selected places have no population to spread people over",
            field=f"{label}.people",
            problem_zh="所选地点没有人口",
        )
    if people > pop.sum():
        raise DataError(
            f"{people:,} people exceed the {int(pop.sum()):,} living in the selected places",
            field=f"{label}.people",
            problem_zh="受灾人数超过所选地点人口",
        )
    raw = people * pop / pop.sum()
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: people - int(base.sum())]] += 1
    return {p.id: int(n) for p, n in zip(points, base, strict=True) if n > 0}


def _affected(
    area: Area, scenario: Scenario, flood_depth: dict[str, float], in_named: dict[str, set[str]]
) -> dict[str, int]:
    total: dict[str, int] = {}
    for k, spec in enumerate(scenario.affected):
        label = f"affected[{k}]"
        chosen = _select(area, spec, label, flood_depth, in_named)
        if spec.people is not None:
            part = _spread(chosen, spec.people, label)
        else:
            share = spec.share or 0.0
            part = {p.id: round(share * p.population) for p in chosen}
            part = {k2: v for k2, v in part.items() if v > 0}
        for pid, n in part.items():
            total[pid] = total.get(pid, 0) + n
    by_id = {p.id: p for p in area.network.points}
    for pid, n in total.items():
        p = by_id[pid]
        if p.kind is not PointKind.SHELTER and n > p.population:
            raise DataError(
                f"{n:,} affected exceed its population {p.population:,} (affected entries overlap)",
                field="affected",
                record=pid,
                problem_zh="受灾人数超过该地人口(受灾条目重叠)",
            )
    return total


def apply_scenario(
    area: Area,
    scenario: Scenario,
    *,
    folder: Path = Path("."),
    extra_floods: Sequence[Path] = (),
    crs: str | None = None,
) -> Situation:
    """Resolve ``scenario`` against ``area``: hazards, affected people, shelters, depots, fleet."""
    params = timeline_params(scenario)
    flood_inputs = _flood_frames(scenario, folder, extra_floods)
    closed_ids, barrier_frames = _closure_edges(area, scenario.closures)
    hazards = build_hazards(
        area, floods=flood_inputs, barriers=barrier_frames, closed_roads=closed_ids, crs=crs
    )
    points = area.network.points
    depth = hazards.depth_at([p.lon for p in points], [p.lat for p in points])
    flood_depth = {p.id: float(d) for p, d in zip(points, depth, strict=True)}

    in_named: dict[str, set[str]] = {}
    if hazards.flood is not None and "id" in hazards.flood.columns:
        lon = np.array([p.lon for p in points])
        lat = np.array([p.lat for p in points])
        for name, part in hazards.flood.groupby("id"):
            inside = depth_at(lon, lat, part) > 0
            in_named[str(name)] = {p.id for p, hit in zip(points, inside, strict=True) if hit}
    network = _network_after(area.network, scenario)
    affected = _affected(area, scenario, flood_depth, in_named)
    placements = _place(area, scenario, affected, flood_depth, hazards)
    fleet = _fleet(network, scenario)
    notes = []
    if hazards.flood is not None:
        ddepth = hazards.depth_at([d.lon for d in network.depots], [d.lat for d in network.depots])
        for d, dd in zip(network.depots, ddepth, strict=True):
            if dd > 0:
                notes.append(f"depot {d.id} stands in {water_text(dd)}")
        for p in points:
            if p.kind is PointKind.SHELTER and flood_depth[p.id] > 0:
                notes.append(
                    f"shelter {p.id} stands in {water_text(flood_depth[p.id])} and is not used"
                )
    return Situation(
        scenario,
        area,
        network,
        hazards,
        params,
        affected,
        tuple(placements),
        hazards.flood,
        fleet,
        tuple(scenario.depots_lost),
        tuple(notes),
    )


def check_injects(area: Area, scenario: Scenario) -> None:
    """Check every inject's roads, places and depots against ``area`` before playing it.

    Errors name ``injects[k]...``, so a bad script fails at once, not hours into a drill.
    """
    ids = {d.id for d in area.network.depots}
    lost = set(scenario.depots_lost)
    for k, inject in enumerate(scenario.injects):
        label = f"injects[{k}]"
        try:
            _closure_edges(area, inject.closures)
        except DataError as exc:
            sub = exc.field if (exc.field or "").startswith("closures") else "closures"
            raise DataError(
                exc.problem,
                record=exc.record,
                field=f"{label}.{sub}",
                problem_zh=exc.problem_zh,
            ) from None
        for j, spec in enumerate(inject.add_people):
            if not spec.in_flood:  # places in the flood are known once it is applied
                _select(area, spec, f"{label}.add_people[{j}]", {}, {})
        for j, dep in enumerate(inject.depots_lost):
            if dep not in ids:
                raise DataError(
                    f"unknown depot {dep!r}",
                    field=f"{label}.depots_lost[{j}]",
                    problem_zh=f"未知储备库 {dep!r}",
                )
            if dep in lost:
                raise DataError(
                    f"depot {dep!r} is lost already",
                    field=f"{label}.depots_lost[{j}]",
                    problem_zh=f"储备库 {dep!r} 已损毁",
                )
            lost.add(dep)


def _network_after(network: ReserveNetwork, scenario: Scenario) -> ReserveNetwork:
    ids = {d.id for d in network.depots}
    for k, lost in enumerate(scenario.depots_lost):
        if lost not in ids:
            raise DataError(
                f"unknown depot {lost!r}",
                field=f"depots_lost[{k}]",
                problem_zh=f"未知储备库 {lost!r}",
            )
    stock = {d.id: dict(d.stock) for d in network.depots}
    for k, ch in enumerate(scenario.stock_changes):
        if ch.depot not in ids:
            raise DataError(
                f"unknown depot {ch.depot!r}",
                field=f"stock_changes[{k}].depot",
                problem_zh=f"未知储备库 {ch.depot!r}",
            )
        if ch.item not in network.catalogue:
            raise DataError(
                f"unknown item {ch.item!r}; known items: {', '.join(network.catalogue.ids)}",
                field=f"stock_changes[{k}].item",
                problem_zh=f"未知物资 {ch.item!r}",
            )
        new = stock[ch.depot].get(ch.item, 0) + ch.add
        if new < 0:
            raise DataError(
                f"takes {-ch.add} {ch.item} but depot {ch.depot} holds "
                f"{stock[ch.depot].get(ch.item, 0)}",
                field=f"stock_changes[{k}].add",
                problem_zh="调减数量超过库存",
            )
        stock[ch.depot][ch.item] = new
    changes: dict[str, dict[str, Any]] = {}
    for k, dc in enumerate(scenario.depot_changes):
        if dc.depot not in ids:
            raise DataError(
                f"unknown depot {dc.depot!r}",
                field=f"depot_changes[{k}].depot",
                problem_zh=f"未知储备库 {dc.depot!r}",
            )
        changes.setdefault(dc.depot, {}).update(
            {k2: v for k2, v in dc.model_dump().items() if k2 != "depot" and v is not None}
        )
    depots = tuple(
        dataclasses.replace(d, stock=stock[d.id], **changes.get(d.id, {}))
        for d in network.depots
        if d.id not in set(scenario.depots_lost)
    )
    fleet = tuple(f for f in network.fleet if f.depot_id not in set(scenario.depots_lost))
    return dataclasses.replace(network, depots=depots, fleet=fleet)


def _fleet(network: ReserveNetwork, scenario: Scenario) -> dict[str, dict[str, int]]:
    share = scenario.fleet.available_share
    out: dict[str, dict[str, int]] = {d.id: {} for d in network.depots}
    for f in network.fleet:
        if f.depot_id in scenario.fleet.unavailable_depots:
            continue
        usable = math.floor(f.count * share + 1e-9)
        out[f.depot_id][f.vehicle_class] = out[f.depot_id].get(f.vehicle_class, 0) + usable
    for k, add in enumerate(scenario.fleet.added):
        if add.depot in scenario.depots_lost:  # lost with its depot
            continue
        if add.depot not in out:
            raise DataError(
                f"unknown depot {add.depot!r}",
                field=f"fleet.added[{k}].depot",
                problem_zh=f"未知储备库 {add.depot!r}",
            )
        network.vehicle_class(add.vehicle_class)
        out[add.depot][add.vehicle_class] = out[add.depot].get(add.vehicle_class, 0) + add.count
    for k, dep in enumerate(scenario.fleet.unavailable_depots):
        if dep not in out and dep not in scenario.depots_lost:
            raise DataError(f"unknown depot {dep!r}", field=f"fleet.unavailable_depots[{k}]")
    return out


def _supplied_shelters(area: Area, shelters: list[Point], hazards: Hazards) -> set[str]:
    """Shelters a municipal or county depot can still reach by road during the flood.

    People are not sent to a shelter the flood has cut off from the main depots: it may be
    dry, but supplies could reach it only by boat or helicopter.
    """
    main = [
        j for j, d in enumerate(area.network.depots) if d.tier.value in ("municipal", "county")
    ] or list(range(len(area.network.depots)))
    m = travel_time_matrix(area, vehicle="medium", hazards=hazards)
    col = {pid: j for j, pid in enumerate(m.target_ids)}
    return {s.id for s in shelters if m.reachable[main, col[s.id]].any()}


def _place(
    area: Area,
    scenario: Scenario,
    affected: dict[str, int],
    flood_depth: dict[str, float],
    hazards: Hazards,
) -> list[Placement]:
    """Move affected people to shelters (listed first, then nearest free places)."""
    by_id = {p.id: p for p in area.network.points}
    if scenario.evacuation.mode == "in_place":
        return [Placement(pid, pid, n, indoor=False) for pid, n in affected.items()]
    shelters = [p for p in area.network.points if p.kind is PointKind.SHELTER]
    free = {s.id: int(s.capacity or 0) for s in shelters}
    left = dict(affected)
    out: list[Placement] = []
    # People counted at a shelter are already there.
    for pid in list(left):
        if by_id[pid].kind is PointKind.SHELTER:
            inside = min(left[pid], free[pid])
            if inside:
                out.append(Placement(pid, pid, inside, indoor=True))
            if left[pid] > inside:
                out.append(Placement(pid, pid, left[pid] - inside, indoor=False, overflow=True))
            free[pid] -= inside
            del left[pid]
    for k, a in enumerate(scenario.evacuation.assignments):
        label = f"evacuation.assignments[{k}]"
        if a.shelter not in free:
            raise DataError(
                f"{a.shelter!r} is not a shelter",
                field=f"{label}.shelter",
                problem_zh=f"{a.shelter!r} 不是避难场所",
            )
        if a.people > left.get(a.from_point, 0):
            raise DataError(
                f"moves {a.people:,} people but only {left.get(a.from_point, 0):,} "
                f"affected people are at {a.from_point!r}",
                field=f"{label}.people",
                problem_zh="转移人数超过该地受灾人数",
            )
        if a.people > free[a.shelter]:
            raise DataError(
                f"shelter {a.shelter} has room for {free[a.shelter]:,}, not {a.people:,}",
                field=f"{label}.people",
                problem_zh="超出避难场所容量",
            )
        out.append(Placement(a.from_point, a.shelter, a.people, indoor=True))
        free[a.shelter] -= a.people
        left[a.from_point] -= a.people
    left = {k: v for k, v in left.items() if v > 0}
    supplied = _supplied_shelters(area, shelters, hazards)
    usable = [
        s
        for s in shelters
        if flood_depth.get(s.id, 0.0) <= 0 and free[s.id] > 0 and s.id in supplied
    ]
    if left:
        out.extend(_nearest_shelters(area, left, usable, free))
    return out


def _nearest_shelters(
    area: Area, left: dict[str, int], shelters: list[Point], free: dict[str, int]
) -> list[Placement]:
    """People-seconds of travel on dry roads, overflow when no place is free (solver's flow).

    Evacuation runs ahead of the water (Hebei's floods come from upstream releases with lead
    time), so it uses the dry network; shelters inside the flood are not used.
    """
    origins = list(left)
    pidx = {p.id: j for j, p in enumerate(area.network.points)}
    snap = area.point_snap
    secs = travel_seconds(
        area.roads.graph,
        snap.node[[pidx[o] for o in origins]],
        snap.node[[pidx[s.id] for s in shelters]],
        vehicle=area.network.vehicle_class("medium"),
        origin_access_s=snap.access_s[[pidx[o] for o in origins]],
        target_access_s=snap.access_s[[pidx[s.id] for s in shelters]],
    )
    result = place_people(
        PlacementProblem(
            people=np.array([left[o] for o in origins], dtype=np.int64),
            room=np.array([free[s.id] for s in shelters], dtype=np.int64),
            seconds=secs.astype(np.int64),
        )
    )
    out: list[Placement] = []
    for j, origin in enumerate(origins):
        if result.unplaced[j]:
            out.append(
                Placement(origin, origin, int(result.unplaced[j]), indoor=False, overflow=True)
            )
        for k in np.flatnonzero(result.flows[j]):
            out.append(
                Placement(
                    origin,
                    shelters[k].id,
                    int(result.flows[j, k]),
                    indoor=True,
                    travel_h=seconds_to_hours(float(secs[j, k])),
                )
            )
    return out


def road_classes(situation: Situation) -> list[str]:
    """Road vehicle classes present in the situation's fleet (plus medium as the default)."""
    classes = {"medium"}
    for per in situation.fleet.values():
        for cls, n in per.items():
            if n > 0 and situation.network.vehicle_class(cls).mode is Mode.ROAD:
                classes.add(cls)
    return sorted(classes)

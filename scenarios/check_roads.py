"""The roads behind the check's cut-off and late places, named for its report.

The rule is :func:`solver.road_blame.blame_roads` (the dry route's edges the flood closes or
slows, when the dry route would have served the place in time). This module feeds it the
check's own clock and places (depots from when their trucks can leave, per road vehicle
class, the places' snaps and their water), and names each road from the area's road layer:
its name (a bridge's own name where it has one) and reference number where the layer has
them, and always its id and the named places nearest its two ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.spatial import cKDTree

from scenarios.places import coords, road_access
from solver.check_types import Reason
from solver.road_blame import RoadBlame, blame_roads
from solver.traveltime import place_access_s
from solver.units import hours_to_seconds

if TYPE_CHECKING:
    from scenarios.check import CheckReport

#: Reasons a road can be behind: the place is cut off, or no truck gets there in time.
ROAD_REASONS = frozenset({Reason.UNREACHABLE, Reason.TOO_FAR})
#: Roads named per place (the worst first).
MAX_ROADS = 3


@dataclass(frozen=True, slots=True)
class NamedRoad:
    """One road behind a shortfall, as the area's road layer names it ("" where it has none)."""

    id: str
    name: str
    ref: str
    #: Names of the places nearest the road's two ends.
    ends: tuple[str, str]
    #: Closed (True) or only slowed by water (False).
    closed: bool

    def to_json(self) -> dict[str, Any]:
        """The report's ``points[].roads[]`` entry."""
        return {
            "id": self.id,
            "name": self.name,
            "ref": self.ref,
            "from": self.ends[0],
            "to": self.ends[1],
            "closed": self.closed,
        }


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return str(value).strip()


class _Namer:
    """Names edges of the area's roads: layer attributes and the named places at their ends."""

    def __init__(self, rep: CheckReport) -> None:
        area = rep.situation.area
        self.roads = area.roads
        named = [(p.lon, p.lat, p.name) for p in area.network.points if p.name]
        named += [(d.lon, d.lat, d.name) for d in area.network.depots if d.name]
        self.names = [n for _, _, n in named]
        lat0 = float(np.mean(self.roads.graph.node_lat))
        self.kx = float(np.cos(np.radians(lat0)))
        xy = np.array([(x * self.kx, y) for x, y, _ in named]).reshape(-1, 2)
        self.tree = cKDTree(xy) if len(xy) else None

    def _near(self, node: int) -> str:
        if self.tree is None:
            return ""
        g = self.roads.graph
        _, k = self.tree.query((float(g.node_lon[node]) * self.kx, float(g.node_lat[node])))
        return self.names[int(k)]

    def road(self, e: int, closed: bool) -> NamedRoad:
        row = self.roads.edges.iloc[e]
        name = _text(row.get("bridge_name")) if bool(row.get("bridge", False)) else ""
        g = self.roads.graph
        return NamedRoad(
            id=_text(row["id"]),
            name=name or _text(row.get("name")),
            ref=_text(row.get("ref")),
            ends=(self._near(int(g.edge_u[e])), self._near(int(g.edge_v[e]))),
            closed=closed,
        )


def _jobs(rep: CheckReport) -> dict[int, float]:
    """Demands with a road reason, and the latest useful arrival (seconds) for each."""
    demands = rep.problem.demands
    index = {d.id: j for j, d in enumerate(demands)}
    out: dict[int, float] = {}
    for pt in rep.result.points:
        for t in sorted(pt.findings):
            reason = pt.findings[t].reason
            if reason in ROAD_REASONS:
                j = index[pt.id]
                cut = reason is Reason.UNREACHABLE
                out[j] = np.inf if cut else hours_to_seconds(t - demands[j].handover_h)
                break
    return out


def _access(rep: CheckReport, ids: list[str], cls: str) -> tuple[np.ndarray, np.ndarray]:
    """Road nodes of ``ids`` and their access seconds for class ``cls`` (inf: in deep water)."""
    sit = rep.situation
    nodes, access = road_access(sit, ids)
    xy = [coords(sit, pid) for pid in ids]
    depth = sit.hazards.depth_at([a for a, _ in xy], [b for _, b in xy])
    return nodes, place_access_s(access, depth, sit.network.vehicle_class(cls))


def roads_behind(
    rep: CheckReport, *, max_roads: int = MAX_ROADS
) -> dict[str, tuple[NamedRoad, ...]]:
    """Per demand id, the roads behind its shortfall (only demands with any)."""
    jobs = _jobs(rep)
    if not jobs:
        return {}
    sit, prob = rep.situation, rep.problem
    order = sorted(jobs)
    places = [prob.demands[j].place for j in order]
    due = np.array([jobs[j] for j in order])
    best: dict[int, RoadBlame] = {}
    for cls in prob.classes:
        sends = [s for s in prob.supplies if s.trucks(cls) and any(q > 0 for q in s.stock.values())]
        if not sends:
            continue
        o_nodes, o_acc = _access(rep, [s.id for s in sends], cls)
        start = hours_to_seconds(np.array([s.start_h for s in sends]))
        t_nodes, t_acc = _access(rep, places, cls)
        found = blame_roads(
            sit.area.roads.graph,
            sit.network.vehicle_class(cls),
            sit.hazards.conditions,
            o_nodes,
            start + o_acc,
            t_nodes,
            t_acc,
            due,
        )
        for j, b in zip(order, found, strict=True):
            if b.edges and (j not in best or b.dry_s < best[j].dry_s):
                best[j] = b
    if not best:
        return {}
    namer = _Namer(rep)
    return {
        prob.demands[j].id: tuple(
            namer.road(e, c) for e, c in zip(b.edges[:max_roads], b.closed, strict=False)
        )
        for j, b in best.items()
    }

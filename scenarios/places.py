"""Travel seconds between the places a situation's trucks go: one source for every caller.

The relief check's bound, dispatch, re-dispatch and drills all read travel times from
:func:`build_places`, so a plan and the bound it is measured against see the same seconds:
places snap to the area's roads as everywhere else (``geodata.snap``), flooded roads slow or
close per vehicle class (``solver.traveltime``), and a place standing in water deeper than a
class fords can be neither reached nor left by it (``solver.traveltime.place_access_s``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geodata.snap import snap
from scenarios.apply import Situation
from solver.network import Depot, Point, StagingPoint
from solver.traveltime import UNREACHABLE, place_access_s, travel_seconds

#: Travel between places no vehicle of a class can drive (cut by the flood), in seconds.
FORBIDDEN = 10**9


@dataclass(frozen=True)
class Places:
    """Places and the travel seconds between them per vehicle class (FORBIDDEN = cut)."""

    ids: tuple[str, ...]
    durations: tuple[NDArray[np.int64], ...]
    classes: tuple[str, ...]

    def index(self, place: str) -> int:
        """Row of ``place`` in the matrices."""
        return self.ids.index(place)

    def seconds(self, cls: str, a: str, b: str) -> int:
        """Seconds from ``a`` to ``b`` for class ``cls`` (FORBIDDEN when cut)."""
        m = self.durations[self.classes.index(cls)]
        return int(m[self.index(a), self.index(b)])


def coords(situation: Situation, place: str) -> tuple[float, float]:
    """(lon, lat) of a depot, point or staging point."""
    from solver.errors import DataError

    net = situation.network
    records: tuple[Depot | Point | StagingPoint, ...] = (*net.depots, *net.points, *net.staging)
    for rec in records:
        if rec.id == place:
            return rec.lon, rec.lat
    for d in situation.area.network.depots:  # a depot lost to the flood is still a place
        if d.id == place:
            return d.lon, d.lat
    raise DataError(f"unknown place {place!r}", field="place", problem_zh="未知地点")


def road_access(situation: Situation, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Road node and access seconds of each place (depots and points use the area's snaps)."""
    area = situation.area
    depot_row = {d.id: k for k, d in enumerate(area.network.depots)}
    point_row = {p.id: k for k, p in enumerate(area.network.points)}
    nodes, access = [], []
    for pid in ids:
        if pid in depot_row:
            nodes.append(area.depot_snap.node[depot_row[pid]])
            access.append(area.depot_snap.access_s[depot_row[pid]])
        elif pid in point_row:
            nodes.append(area.point_snap.node[point_row[pid]])
            access.append(area.point_snap.access_s[point_row[pid]])
        else:
            lon, lat = coords(situation, pid)
            sn = snap(area.roads, [lon], [lat], [pid], max_m=area.max_snap_m, source="staging")
            nodes.append(sn.node[0])
            access.append(sn.access_s[0])
    return np.array(nodes, np.int64), np.array(access, float)


def build_places(situation: Situation, ids: Sequence[str], classes: Sequence[str]) -> Places:
    """Matrices between ``ids`` per vehicle class on the flooded roads (FORBIDDEN = cut)."""
    ids = tuple(dict.fromkeys(ids))
    nodes, access = road_access(situation, ids)
    xy = [coords(situation, pid) for pid in ids]
    depth = situation.hazards.depth_at([a for a, _ in xy], [b for _, b in xy])
    durations = []
    for cls in classes:
        vc = situation.network.vehicle_class(cls)
        acc = place_access_s(access, depth, vc)
        sec = travel_seconds(
            situation.area.roads.graph,
            nodes,
            nodes,
            vehicle=vc,
            conditions=situation.hazards.conditions,
            origin_access_s=acc,
            target_access_s=acc,
        )
        mat = np.where(sec == UNREACHABLE, FORBIDDEN, np.round(sec)).astype(np.int64)
        # Staying put costs nothing, even at a place cut off from the roads.
        np.fill_diagonal(mat, 0)
        mat.setflags(write=False)
        durations.append(mat)
    return Places(ids, tuple(durations), tuple(classes))

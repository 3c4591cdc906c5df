"""Snap places to the road network and report how far each had to move."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.roads import RoadNetwork
from solver.defaults import ACCESS_SPEED_KMH, MAX_SNAP_M, ROAD_CLASSES, RoadClass
from solver.errors import DataError
from solver.units import kmh_to_mps


@dataclass(frozen=True, eq=False)
class Snap:
    """The node each place snapped to, the straight distance (m) and the access time (s)."""

    ids: tuple[str, ...]
    node: NDArray[np.int64]
    distance_m: NDArray[np.float64]

    @property
    def access_s(self) -> NDArray[np.float64]:
        """Seconds for the leg between place and node, driven at village-road speed."""
        circuity = ROAD_CLASSES[RoadClass.TOWNSHIP].circuity
        return self.distance_m * circuity / kmh_to_mps(ACCESS_SPEED_KMH)


def snap(
    roads: RoadNetwork,
    lon: ArrayLike,
    lat: ArrayLike,
    ids: Sequence[str],
    *,
    max_m: float = MAX_SNAP_M,
    source: str | None = None,
) -> Snap:
    """Snap each (lon, lat) to the nearest node of the network's largest component.

    Raises :class:`DataError` naming the first place farther than ``max_m`` from any road.
    """
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    if len(lon_a) == 0:
        return Snap(tuple(ids), np.zeros(0, np.int64), np.zeros(0))
    pts = gpd.GeoSeries(gpd.points_from_xy(lon_a, lat_a), crs=4326).to_crs(roads.metric_crs)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    tree, node_idx = roads.node_tree
    dist, pos = tree.query(xy)
    far = dist > max_m
    if far.any():
        i = int(np.argmax(far))
        raise DataError(
            f"is {dist[i] / 1000:.1f} km from the nearest road (limit {max_m / 1000:.1f} km); "
            "check its coordinates or add the road",
            source=source,
            record=str(ids[i]),
            field="lon/lat",
            problem_zh=f"距最近道路 {dist[i] / 1000:.1f} 公里,超出限值",
        )
    return Snap(
        tuple(str(i) for i in ids), node_idx[pos].astype(np.int64), np.asarray(dist, dtype=float)
    )

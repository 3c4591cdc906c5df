"""Depot-to-point travel-time matrices on an area, under floods and barriers.

This is where geometry meets the pure engine: floods and barriers become
:class:`solver.roadgraph.RoadConditions`, places are snapped to nodes, and
:func:`solver.traveltime.travel_seconds` does the searching. A place standing in water
deeper than a vehicle can ford cannot be reached (or left) by that vehicle.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geodata.area import Area
from geodata.flood import barrier_conditions, depth_at, flood_conditions, prepare_flood, read_flood
from geodata.io import read_layer
from solver.roadgraph import RoadConditions
from solver.traveltime import UNREACHABLE, TravelTimeMatrix, place_access_s, travel_seconds


@dataclass(frozen=True, eq=False)
class Hazards:
    """Floods and barriers laid over an area's roads."""

    conditions: RoadConditions
    flood: gpd.GeoDataFrame | None = None

    def depth_at(self, lon: Sequence[float], lat: Sequence[float]) -> NDArray[np.float64]:
        """Flood depth (m) at places; 0 where dry or without flood."""
        if self.flood is None:
            return np.zeros(len(lon))
        return depth_at(lon, lat, self.flood)


def no_hazards(area: Area) -> Hazards:
    """Dry, open roads."""
    return Hazards(RoadConditions.dry(area.roads.graph.n_edges))


def build_hazards(
    area: Area,
    *,
    floods: Sequence[str | os.PathLike[str] | gpd.GeoDataFrame] = (),
    barriers: Sequence[str | os.PathLike[str] | gpd.GeoDataFrame] = (),
    closed_roads: Sequence[str] = (),
    crs: str | None = None,
) -> Hazards:
    """Combine flood layers, barrier layers and road ids to close into one :class:`Hazards`."""
    conditions = RoadConditions.dry(area.roads.graph.n_edges)
    flood_frames = []
    for f in floods:
        if not isinstance(f, gpd.GeoDataFrame):
            gdf = read_flood(f, crs=crs)
        elif "depth_known" in f.columns:  # prepared already (read_flood): warned once
            gdf = f
        else:
            gdf = prepare_flood(f, source="flood")
        flood_frames.append(gdf)
        conditions = conditions.combine(flood_conditions(area.roads, gdf))
    for b in barriers:
        gdf = b if isinstance(b, gpd.GeoDataFrame) else read_layer(b, crs=crs)
        conditions = conditions.combine(
            barrier_conditions(
                area.roads, gdf, source="barriers" if isinstance(b, gpd.GeoDataFrame) else str(b)
            )
        )
    if closed_roads:
        conditions = conditions.close([area.roads.edge_index(r) for r in closed_roads])
    flood = (
        gpd.GeoDataFrame(pd.concat(flood_frames, ignore_index=True), crs=4326)
        if flood_frames
        else None
    )
    return Hazards(conditions, flood)


def travel_time_matrix(
    area: Area,
    *,
    vehicle: str = "medium",
    hazards: Hazards | None = None,
    limit_s: float = np.inf,
) -> TravelTimeMatrix:
    """Seconds from every depot to every point for one vehicle class."""
    vclass = area.network.vehicle_class(vehicle)
    hz = hazards or no_hazards(area)
    depots, points = area.network.depots, area.network.points
    ds, ps = area.depot_snap, area.point_snap
    d_depth = hz.depth_at([d.lon for d in depots], [d.lat for d in depots])
    p_depth = hz.depth_at([p.lon for p in points], [p.lat for p in points])
    d_access = place_access_s(ds.access_s, d_depth, vclass)
    p_access = place_access_s(ps.access_s, p_depth, vclass)
    seconds = travel_seconds(
        area.roads.graph,
        ds.node,
        ps.node,
        vehicle=vclass,
        conditions=hz.conditions,
        origin_access_s=d_access,
        target_access_s=p_access,
        limit_s=limit_s,
    )
    return TravelTimeMatrix(
        tuple(d.id for d in depots), tuple(p.id for p in points), seconds, vclass.id
    )


def matrix_frame(matrix: TravelTimeMatrix, *, long: bool = False) -> pd.DataFrame:
    """The matrix as a table: depots as rows and points as columns (or one row per pair).

    Unreachable pairs are empty (``<NA>``), never a number.
    """
    values = pd.DataFrame(
        matrix.seconds,
        index=pd.Index(matrix.origin_ids, name="depot_id"),
        columns=list(matrix.target_ids),
    ).astype("Int64")
    values = values.mask(values == UNREACHABLE)
    if not long:
        return values
    seconds = pd.array(matrix.seconds.ravel(), dtype="Int64")
    seconds[~matrix.reachable.ravel()] = pd.NA
    return pd.DataFrame(
        {
            "depot_id": np.repeat(matrix.origin_ids, len(matrix.target_ids)),
            "point_id": np.tile(matrix.target_ids, len(matrix.origin_ids)),
            "seconds": seconds,
        }
    )

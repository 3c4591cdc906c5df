"""Floods and barriers on the road network.

Flood polygons (with an optional ``depth_m``) become per-edge water depth and flooded share
of length; point barriers (a failed bridge) and line barriers (a dyke breach, a cordon)
close the edges they touch or cross. The result is a :class:`solver.roadgraph.RoadConditions`
that every travel-time matrix takes. Places inside a flood are reported with the depth.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from geodata.io import read_layer
from geodata.roads import RoadNetwork
from solver.errors import DataError
from solver.roadgraph import RoadConditions

log = logging.getLogger(__name__)

#: Water of unknown depth is treated as this deep: it closes every road vehicle's route.
UNKNOWN_DEPTH_M = 9.0
#: A point barrier closes edges within this distance; farther than the limit is an error.
BARRIER_TOLERANCE_M = 50.0
BARRIER_LIMIT_M = 500.0


def prepare_flood(gdf: gpd.GeoDataFrame, *, source: str = "flood") -> gpd.GeoDataFrame:
    """Check a WGS84 flood layer: polygons only, depths >= 0, invalid shapes repaired.

    A self-intersecting or otherwise invalid polygon is repaired with
    :func:`shapely.make_valid` and a warning naming the feature is logged; a feature that
    cannot be repaired into a polygon is refused. Missing depth means unknown depth, which
    closes roads to every vehicle (``depth_m = UNKNOWN_DEPTH_M``, ``depth_known = False``).
    """
    if gdf.empty:
        raise DataError("has no flood polygons", source=source, problem_zh="没有洪水范围")
    out = gdf.reset_index(drop=True).copy()
    ids = (
        out["id"].astype(str).tolist()
        if "id" in out.columns
        else [f"feature {i + 1}" for i in range(len(out))]
    )
    out["id"] = ids
    geoms = out.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    for i, kind in enumerate(kinds):
        if kind not in (3, 6):  # Polygon, MultiPolygon
            raise DataError(
                f"flood areas must be polygons, got {geoms[i].geom_type}",
                source=source,
                record=ids[i],
                field="geometry",
                problem_zh="洪水范围须为面",
            )
    invalid = ~shapely.is_valid(geoms)
    for i in map(int, np.flatnonzero(invalid)):
        reason = shapely.is_valid_reason(geoms[i])
        fixed = shapely.make_valid(geoms[i])
        polys = shapely.get_parts(fixed)
        polys = [p for p in polys if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
        if not polys:
            raise DataError(
                f"invalid polygon ({reason}) that cannot be repaired",
                source=source,
                record=ids[i],
                field="geometry",
                problem_zh="多边形无效且无法修复",
            )
        geoms[i] = shapely.union_all(polys)
        log.warning("%s: feature '%s': invalid polygon (%s) repaired", source, ids[i], reason)
    out = out.set_geometry(geoms, crs=out.crs)
    depth_col = next((c for c in ("depth_m", "depth", "水深") if c in out.columns), None)
    if depth_col is None:
        depth = np.full(len(out), np.nan)
    else:
        depth = pd.to_numeric(out[depth_col], errors="coerce").to_numpy(dtype=float)
        text_bad = out[depth_col].notna().to_numpy() & np.isnan(depth)
        if text_bad.any():
            i = int(np.argmax(text_bad))
            raise DataError(
                f"not a number: {out[depth_col].iloc[i]!r}",
                source=source,
                record=ids[i],
                field=depth_col,
                problem_zh="水深不是数值",
            )
        if (depth < 0).any():
            i = int(np.argmax(depth < 0))
            raise DataError(
                f"must be >= 0, got {depth[i]}",
                source=source,
                record=ids[i],
                field=depth_col,
                problem_zh="水深不能为负",
            )
    out["depth_known"] = np.isfinite(depth)
    out["depth_m"] = np.where(np.isfinite(depth), depth, UNKNOWN_DEPTH_M)
    return out


def read_flood(
    path: str | os.PathLike[str], *, crs: str | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read and check a flood layer (GeoJSON, GeoPackage, Shapefile)."""
    return prepare_flood(read_layer(path, layer, crs=crs), source=str(path))


def flood_conditions(roads: RoadNetwork, flood: gpd.GeoDataFrame) -> RoadConditions:
    """Per-edge deepest water and flooded share of length under ``flood``."""
    m = roads.graph.n_edges
    depth = np.zeros(m)
    fraction = np.zeros(m)
    if flood.empty or m == 0:
        return RoadConditions(np.zeros(m, bool), depth, fraction)
    polys = flood.geometry.to_crs(roads.metric_crs).to_numpy()
    edges = roads.edges_metric.to_numpy()
    tree = shapely.STRtree(polys)
    edge_idx, poly_idx = tree.query(edges, predicate="intersects")
    if len(edge_idx) == 0:
        return RoadConditions(np.zeros(m, bool), depth, fraction)
    np.maximum.at(depth, edge_idx, flood["depth_m"].to_numpy(dtype=float)[poly_idx])
    hit = np.unique(edge_idx)
    water = shapely.union_all(polys[np.unique(poly_idx)])
    shapely.prepare(water)
    length = shapely.length(edges[hit])
    wet = shapely.length(shapely.intersection(edges[hit], water))
    fraction[hit] = np.where(length > 0, wet / np.where(length > 0, length, 1.0), 1.0)
    # An edge that only touches a flood boundary has no wet length: leave it dry.
    depth = np.where(fraction > 0, depth, 0.0)
    return RoadConditions(np.zeros(m, bool), depth, fraction)


def point_barriers(
    roads: RoadNetwork,
    lon: ArrayLike,
    lat: ArrayLike,
    ids: Sequence[str],
    *,
    tolerance_m: float = BARRIER_TOLERANCE_M,
    limit_m: float = BARRIER_LIMIT_M,
    source: str = "barriers",
) -> NDArray[np.int64]:
    """Edges closed by point barriers: all within ``tolerance_m``, else the nearest one.

    A barrier farther than ``limit_m`` from every road is refused, naming it.
    """
    pts = (
        gpd.GeoSeries(gpd.points_from_xy(np.asarray(lon, float), np.asarray(lat, float)), crs=4326)
        .to_crs(roads.metric_crs)
        .to_numpy()
    )
    edges = roads.edges_metric.to_numpy()
    tree = shapely.STRtree(edges)
    closed: list[int] = []
    for i, pt in enumerate(pts):
        near = tree.query(pt, predicate="dwithin", distance=tolerance_m)
        if len(near) == 0:
            nearest = int(tree.nearest(pt))
            dist = float(shapely.distance(pt, edges[nearest]))
            if dist > limit_m:
                raise DataError(
                    f"is {dist:.0f} m from the nearest road (limit {limit_m:.0f} m)",
                    source=source,
                    record=str(ids[i]),
                    field="geometry",
                    problem_zh=f"距最近道路 {dist:.0f} 米,无法对应道路",
                )
            near = np.array([nearest])
        closed.extend(int(e) for e in near)
    return np.unique(np.array(closed, dtype=np.int64))


def line_barriers(roads: RoadNetwork, lines: gpd.GeoSeries) -> NDArray[np.int64]:
    """Edges crossed (or touched) by barrier lines."""
    geoms = lines.to_crs(roads.metric_crs).to_numpy()
    tree = shapely.STRtree(roads.edges_metric.to_numpy())
    _, edge_idx = tree.query(geoms, predicate="intersects")
    return np.unique(edge_idx.astype(np.int64))


def barrier_conditions(
    roads: RoadNetwork, barriers: gpd.GeoDataFrame, *, source: str = "barriers"
) -> RoadConditions:
    """Close the edges hit by a layer of point and/or line barriers (polygons close inside)."""
    dry = RoadConditions.dry(roads.graph.n_edges)
    if barriers.empty:
        return dry
    ids = (
        barriers["id"].astype(str).tolist()
        if "id" in barriers.columns
        else [f"feature {i + 1}" for i in range(len(barriers))]
    )
    kinds = barriers.geom_type.to_numpy()
    closed: list[NDArray[np.int64]] = []
    is_point = kinds == "Point"
    if is_point.any():
        pts = barriers[is_point]
        closed.append(
            point_barriers(
                roads,
                pts.geometry.x,
                pts.geometry.y,
                [ids[i] for i in np.flatnonzero(is_point)],
                source=source,
            )
        )
    other = ~is_point
    if other.any():
        closed.append(line_barriers(roads, barriers.geometry[other]))
    return dry.close(np.concatenate(closed)) if closed else dry


def read_barriers(
    path: str | os.PathLike[str], roads: RoadNetwork, *, crs: str | None = None
) -> RoadConditions:
    """Read a barrier file and close the roads it hits."""
    return barrier_conditions(roads, read_layer(path, crs=crs), source=str(path))


def depth_at(lon: ArrayLike, lat: ArrayLike, flood: gpd.GeoDataFrame) -> NDArray[np.float64]:
    """Deepest flood water at each place (0 where dry)."""
    pts = gpd.points_from_xy(np.asarray(lon, float), np.asarray(lat, float))
    out = np.zeros(len(pts))
    if flood.empty or len(pts) == 0:
        return out
    tree = shapely.STRtree(flood.geometry.to_numpy())
    pt_idx, poly_idx = tree.query(np.asarray(pts), predicate="intersects")
    np.maximum.at(out, pt_idx, flood["depth_m"].to_numpy(dtype=float)[poly_idx])
    return out

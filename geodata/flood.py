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
from geodata.limits import LOCAL, ReadLimits
from geodata.roads import RoadNetwork
from solver.errors import DataError
from solver.roadgraph import RoadConditions

log = logging.getLogger(__name__)

#: The deepest water a flood layer may state. Deeper is refused as a mistake (a unit error,
#: a no-data value such as 9999 or 1e308): river floods on the North China Plain stand a few
#: metres deep, and any road is closed long before this.
MAX_FLOOD_DEPTH_M = 30.0
#: Water of unknown depth is treated as this deep: it closes every road vehicle's route.
#: Deeper than any depth a layer may state, so it is never mistaken for one; messages say
#: "unknown depth" (:func:`water_text`), never this number.
UNKNOWN_DEPTH_M = 99.0
#: How many overlapping pairs a warning names before it only counts them.
_NAMED_OVERLAPS = 5
#: A point barrier closes edges within this distance; farther than the limit is an error.
BARRIER_TOLERANCE_M = 50.0
BARRIER_LIMIT_M = 500.0


def prepare_flood(
    gdf: gpd.GeoDataFrame,
    *,
    source: str = "flood",
    default_depth_m: float | None = None,
    repair: bool = True,
) -> gpd.GeoDataFrame:
    """Check a WGS84 flood layer: polygons only, finite depths in [0, 30] m, shapes repaired.

    A self-intersecting or otherwise invalid polygon is repaired with
    :func:`shapely.make_valid`, and a feature with no area (a sliver, or one whose repair
    leaves none) is left out; each with a warning naming the feature. With ``repair=False``
    (a polygon someone just drew or uploaded: they can fix it) it is refused instead, naming
    the feature, field ``geometry`` and where it crosses itself. A layer with no area at all
    is refused. Features that overlap are kept (the deeper
    water counts where they do), with one warning naming them.

    A feature without its own depth takes ``default_depth_m`` (the depth its scenario entry
    gives); without that, its depth is unknown, which closes roads to every vehicle
    (``depth_known = False``; :func:`water_text` says so, never a number). Non-finite,
    negative or absurd depths (over :data:`MAX_FLOOD_DEPTH_M`) are refused.
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
        if not repair:
            raise _invalid_polygon(reason, source, ids[i])
        fixed = shapely.make_valid(geoms[i])
        polys = shapely.get_parts(fixed)
        polys = [p for p in polys if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
        if not polys:  # nothing with area left: a sliver, left out below
            geoms[i] = shapely.Polygon()
            continue
        geoms[i] = shapely.union_all(polys)
        log.warning("%s: feature '%s': invalid polygon (%s) repaired", source, ids[i], reason)
    out = out.set_geometry(geoms, crs=out.crs)
    depth = _depths(out, ids, source)
    if default_depth_m is not None:
        _check_depth(float(default_depth_m), source, None, "depth_m")
        depth = np.where(np.isnan(depth), float(default_depth_m), depth)
    out["depth_known"] = np.isfinite(depth)
    out["depth_m"] = np.where(np.isfinite(depth), depth, UNKNOWN_DEPTH_M)
    sliver = shapely.area(out.geometry.to_numpy()) <= 0
    if sliver.all():
        raise DataError(
            "no flood polygon has any area",
            source=source,
            field="geometry",
            problem_zh="洪水范围面积为零",
        )
    for i in map(int, np.flatnonzero(sliver)):
        log.warning("%s: feature '%s': polygon has no area (a sliver): left out", source, ids[i])
    out = out[~sliver].reset_index(drop=True)
    _warn_overlaps(out, source)
    return out


def _invalid_polygon(reason: str, source: str, record: str) -> DataError:
    """The refusal of an invalid polygon (GEOS's ``reason``: "Self-intersection[x y]")."""
    crossing = reason.startswith(("Self-intersection", "Ring Self-intersection"))
    where = reason[reason.find("[") :] if "[" in reason else ""
    return DataError(
        f"invalid polygon ({reason}): its edges must not cross"
        if crossing
        else f"invalid polygon ({reason})",
        source=source,
        record=record,
        field="geometry",
        problem_zh=f"洪水范围的边相互交叉(自相交){where},请重新绘制"
        if crossing
        else f"洪水范围几何无效({reason})",
    )


def _depths(out: gpd.GeoDataFrame, ids: list[str], source: str) -> NDArray[np.float64]:
    """Each feature's stated depth (NaN where it states none), checked."""
    depth_col = next((c for c in ("depth_m", "depth", "水深") if c in out.columns), None)
    if depth_col is None:
        return np.full(len(out), np.nan)
    values = out[depth_col]
    if "depth_known" in out.columns:  # prepared before: unknown stays unknown
        values = values.where(out["depth_known"].astype(bool))
    depth = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    stated = values.notna().to_numpy()
    text_bad = stated & np.isnan(depth)
    if text_bad.any():
        i = int(np.argmax(text_bad))
        raise DataError(
            f"not a number: {values.iloc[i]!r}",
            source=source,
            record=ids[i],
            field=depth_col,
            problem_zh="水深不是数值",
        )
    for i in map(int, np.flatnonzero(stated)):
        _check_depth(float(depth[i]), source, ids[i], depth_col)
    return np.asarray(depth, dtype=np.float64)


def _check_depth(d: float, source: str, record: str | None, field: str) -> None:
    if not np.isfinite(d):
        raise DataError(
            f"must be a finite number of metres, got {d}",
            source=source,
            record=record,
            field=field,
            problem_zh="水深须为有限数值",
        )
    if d < 0:
        raise DataError(
            f"must be >= 0, got {d}",
            source=source,
            record=record,
            field=field,
            problem_zh="水深不能为负",
        )
    if d > MAX_FLOOD_DEPTH_M:
        raise DataError(
            f"{d:g} m is not a plausible flood depth (at most {MAX_FLOOD_DEPTH_M:g} m); "
            "check the unit or a no-data value",
            source=source,
            record=record,
            field=field,
            problem_zh=f"水深 {d:g} 米不合理(上限 {MAX_FLOOD_DEPTH_M:g} 米),请检查单位或无效值",
        )


def _warn_overlaps(flood: gpd.GeoDataFrame, source: str) -> None:
    geoms = flood.geometry.to_numpy()
    if len(geoms) < 2:
        return
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="overlaps")
    pairs = [(int(i), int(j)) for i, j in zip(a, b, strict=True) if i < j]
    if not pairs:
        return
    ids = flood["id"].astype(str).tolist()
    named = ", ".join(f"'{ids[i]}'/'{ids[j]}'" for i, j in pairs[:_NAMED_OVERLAPS])
    more = f" and {len(pairs) - _NAMED_OVERLAPS} more" if len(pairs) > _NAMED_OVERLAPS else ""
    log.warning(
        "%s: features overlap (%s%s): the deeper water counts where they do", source, named, more
    )


def water_text(depth_m: float) -> str:
    """How a message names water ``depth_m`` deep: metres, or "of unknown depth"."""
    if depth_m >= UNKNOWN_DEPTH_M:
        return "water of unknown depth"
    return f"{depth_m:.1f} m of water"


def read_flood(
    path: str | os.PathLike[str],
    *,
    crs: str | None = None,
    layer: str | None = None,
    default_depth_m: float | None = None,
    limits: ReadLimits = LOCAL,
    repair: bool = True,
) -> gpd.GeoDataFrame:
    """Read and check a flood layer (GeoJSON, GeoPackage, Shapefile); see :func:`prepare_flood`."""
    return prepare_flood(
        read_layer(path, layer, crs=crs, limits=limits),
        source=str(path),
        default_depth_m=default_depth_m,
        repair=repair,
    )


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

"""Road networks from line layers: topology, classes, speeds and lengths.

A :class:`RoadNetwork` pairs the pure :class:`solver.roadgraph.RoadGraph` with the edge
GeoDataFrame it came from (same order), so results can be drawn and closures named.
Topology comes from line end points: lines that end within ``tolerance_m`` of each other
share a node. Lines are expected to be split at junctions, as road datasets and OSM ways
split by :mod:`geodata.osm` are; lines crossing without a shared end point (a bridge over a
road) are not connected.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from solver.defaults import ROAD_CLASSES, RoadClass
from solver.errors import DataError
from solver.roadgraph import RoadGraph
from solver.traveltime import adjacency
from solver.units import kmh_to_mps

#: OSM highway values and Chinese names accepted as road classes.
CLASS_ALIASES: dict[str, RoadClass] = {
    "motorway": RoadClass.EXPRESSWAY,
    "motorway_link": RoadClass.EXPRESSWAY,
    "trunk": RoadClass.NATIONAL,
    "trunk_link": RoadClass.NATIONAL,
    "primary": RoadClass.NATIONAL,
    "primary_link": RoadClass.NATIONAL,
    "secondary": RoadClass.PROVINCIAL,
    "secondary_link": RoadClass.PROVINCIAL,
    "tertiary": RoadClass.COUNTY,
    "tertiary_link": RoadClass.COUNTY,
    "unclassified": RoadClass.TOWNSHIP,
    "residential": RoadClass.TOWNSHIP,
    "service": RoadClass.TOWNSHIP,
    "track": RoadClass.TOWNSHIP,
    "living_street": RoadClass.TOWNSHIP,
    "road": RoadClass.TOWNSHIP,
    "高速": RoadClass.EXPRESSWAY,
    "高速公路": RoadClass.EXPRESSWAY,
    "国道": RoadClass.NATIONAL,
    "省道": RoadClass.PROVINCIAL,
    "县道": RoadClass.COUNTY,
    "乡道": RoadClass.TOWNSHIP,
    "村道": RoadClass.TOWNSHIP,
    "乡村道路": RoadClass.TOWNSHIP,
}


def parse_road_class(
    value: object, *, source: str | None = None, record: str | None = None
) -> RoadClass:
    """A road class from our names, OSM ``highway`` values or Chinese names."""
    text = str(value).strip().lower()
    if text in RoadClass.__members__.values() or text in {c.value for c in RoadClass}:
        return RoadClass(text)
    if text in CLASS_ALIASES:
        return CLASS_ALIASES[text]
    raise DataError(
        f"unknown road class {value!r}; use one of "
        f"{', '.join(c.value for c in RoadClass)} (or OSM highway values)",
        source=source,
        record=record,
        field="road_class",
        problem_zh=f"未知道路等级 {value!r}",
    )


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS84 UTM zone containing (lon, lat), for metric work."""
    zone = int((lon + 180.0) // 6.0) + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A road graph with its edge table (row ``e`` is graph edge ``e``)."""

    graph: RoadGraph
    edges: gpd.GeoDataFrame

    def __post_init__(self) -> None:
        if len(self.edges) != self.graph.n_edges:
            raise DataError("edge table and graph differ in size", field="edges")

    @cached_property
    def metric_crs(self) -> CRS:
        """A UTM zone around the network's centre."""
        return utm_crs(float(np.mean(self.graph.node_lon)), float(np.mean(self.graph.node_lat)))

    @cached_property
    def edges_metric(self) -> gpd.GeoSeries:
        """Edge geometries in :attr:`metric_crs` (metres)."""
        return self.edges.geometry.to_crs(self.metric_crs)

    @cached_property
    def node_xy(self) -> NDArray[np.float64]:
        """Node coordinates in :attr:`metric_crs`."""
        pts = gpd.GeoSeries(
            gpd.points_from_xy(self.graph.node_lon, self.graph.node_lat), crs=4326
        ).to_crs(self.metric_crs)
        return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])

    @cached_property
    def main_component(self) -> NDArray[np.bool_]:
        """True for nodes in the largest connected component of the dry, open network."""
        seconds = self.graph.length_m / kmh_to_mps(self.graph.speed_kmh)
        n_comp, labels = connected_components(
            adjacency(self.graph, np.maximum(seconds, 1e-3)), directed=True, connection="weak"
        )
        if n_comp <= 1:
            return np.ones(self.graph.n_nodes, dtype=bool)
        sizes = np.bincount(labels)
        return np.asarray(labels == int(np.argmax(sizes)))

    @cached_property
    def node_tree(self) -> tuple[cKDTree, NDArray[np.int64]]:
        """KD-tree over main-component nodes, and the node index of each tree point."""
        idx = np.flatnonzero(self.main_component)
        return cKDTree(self.node_xy[idx]), idx

    def edge_index(self, edge_id: str) -> int:
        """Position of the edge with ``edge_id``; DataError when unknown."""
        hits = np.flatnonzero(self.edges["id"].to_numpy() == edge_id)
        if len(hits) == 0:
            raise DataError(f"unknown road {edge_id!r}", field="road", problem_zh="道路不存在")
        return int(hits[0])

    def counts_by_class(self) -> dict[str, int]:
        """Number of edges per road class."""
        return {str(k): int(v) for k, v in self.edges["road_class"].value_counts().items()}


def _bool_column(values: pd.Series) -> NDArray[np.bool_]:
    truthy = {"1", "true", "yes", "y", "t", "是"}
    return np.array([str(v).strip().lower() in truthy for v in values.fillna(False)], dtype=bool)


def roads_from_lines(
    lines: gpd.GeoDataFrame,
    *,
    source: str = "roads",
    tolerance_m: float = 1.0,
) -> RoadNetwork:
    """Build a road network from a WGS84 line layer.

    Columns used: ``road_class`` (our classes, OSM highway values or Chinese names) and/or
    ``speed_kmh``; optional ``id``, ``name``, ``length_m`` (else measured), ``oneway``,
    ``bridge``, ``provenance``. Raises :class:`DataError` naming the record and field.
    """
    if lines.empty:
        raise DataError("has no roads", source=source, problem_zh="没有道路")
    gdf = lines.explode(index_parts=False).reset_index(drop=True)
    types = set(gdf.geom_type.unique())
    if not types <= {"LineString"}:
        raise DataError(
            f"road geometries must be lines, found {sorted(types)}",
            source=source,
            field="geometry",
            problem_zh="道路几何须为线",
        )
    ids = (
        gdf["id"].astype(str).to_numpy()
        if "id" in gdf.columns
        else np.array([f"e{i}" for i in range(len(gdf))])
    )
    if "road_class" not in gdf.columns and "speed_kmh" not in gdf.columns:
        raise DataError(
            "needs a road_class or a speed_kmh column",
            source=source,
            field="road_class",
            problem_zh="缺少道路等级或速度列",
        )
    classes = [
        parse_road_class(v if pd.notna(v) else "township", source=source, record=ids[i])
        for i, v in enumerate(
            gdf["road_class"] if "road_class" in gdf.columns else ["township"] * len(gdf)
        )
    ]
    speed = np.array([ROAD_CLASSES[c].speed_kmh for c in classes])
    if "speed_kmh" in gdf.columns:
        given = pd.to_numeric(gdf["speed_kmh"], errors="coerce").to_numpy(dtype=float)
        bad = np.isfinite(given) & (given <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(
                f"must be > 0, got {given[i]}",
                source=source,
                record=ids[i],
                field="speed_kmh",
                problem_zh="速度须大于0",
            )
        speed = np.where(np.isfinite(given), given, speed)
    utm = utm_crs(*np.asarray(gdf.geometry.union_all().centroid.coords[0]))
    metric = gdf.geometry.to_crs(utm)
    length = metric.length.to_numpy()
    if "length_m" in gdf.columns:
        given = pd.to_numeric(gdf["length_m"], errors="coerce").to_numpy(dtype=float)
        if (np.isfinite(given) & (given < 0)).any():
            i = int(np.argmax(np.isfinite(given) & (given < 0)))
            raise DataError("must be >= 0", source=source, record=ids[i], field="length_m")
        length = np.where(np.isfinite(given), given, length)
    first = shapely.get_point(metric.to_numpy(), 0)
    last = shapely.get_point(metric.to_numpy(), -1)
    ends = np.vstack([shapely.get_coordinates(first), shapely.get_coordinates(last)])
    keys = np.round(ends / tolerance_m).astype(np.int64)
    _, first_idx, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    m = len(gdf)
    ll_ends = np.vstack(
        [
            shapely.get_coordinates(shapely.get_point(gdf.geometry.to_numpy(), 0)),
            shapely.get_coordinates(shapely.get_point(gdf.geometry.to_numpy(), -1)),
        ]
    )
    node_ll = ll_ends[first_idx]
    oneway = _bool_column(gdf["oneway"]) if "oneway" in gdf.columns else np.zeros(m, dtype=bool)
    graph = RoadGraph(
        node_ll[:, 0],
        node_ll[:, 1],
        inverse[:m].astype(np.int32),
        inverse[m:].astype(np.int32),
        length,
        speed,
        oneway,
    )
    table = gpd.GeoDataFrame(
        {
            "id": ids,
            "name": gdf["name"].fillna("").astype(str).to_numpy() if "name" in gdf.columns else "",
            "road_class": [c.value for c in classes],
            "speed_kmh": speed,
            "length_m": length,
            "oneway": oneway,
            "bridge": _bool_column(gdf["bridge"]) if "bridge" in gdf.columns else False,
            "provenance": (
                gdf["provenance"].astype(str).to_numpy() if "provenance" in gdf.columns else "real"
            ),
        },
        geometry=gdf.geometry.to_numpy(),
        crs=4326,
    )
    # Keep the layer's other attributes (bridge names, ref numbers...) for closures by name.
    known = set(table.columns) | {"geometry", "speed_kmh", "length_m"}
    for col in gdf.columns:
        if col not in known:
            table[col] = gdf[col].to_numpy()
    dup = pd.Series(ids).duplicated()
    if dup.any():
        raise DataError(
            "duplicate road id",
            source=source,
            record=str(ids[int(np.argmax(dup))]),
            field="id",
            problem_zh="道路编号重复",
        )
    return RoadNetwork(graph, table)

"""Siting inputs from an area: candidate sites, exclusions, and the candidate x point matrix.

Candidates are the existing depots (fixed open), township seats and major road junctions
(generated), and/or a user's file. Candidates inside an exclusion layer (historical flood
zones: 建标121 requires sites above the historical flood level) or inside the scenario's
flood are dropped, each with its reason. The matrix is in hours by road for one vehicle
class, computed with the same engine as every other matrix.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.area import Area
from geodata.flood import depth_at, prepare_flood
from geodata.io import read_layer
from geodata.matrix import Hazards, no_hazards
from geodata.snap import snap
from solver.defaults import RoadClass
from solver.errors import DataError
from solver.network import Point, PointKind
from solver.siting import SitingProblem
from solver.traveltime import UNREACHABLE, travel_seconds
from solver.units import seconds_to_hours

MAJOR = {RoadClass.EXPRESSWAY.value, RoadClass.NATIONAL.value, RoadClass.PROVINCIAL.value}
SOURCES = ("existing", "township_seats", "junctions")


@dataclass(frozen=True, eq=False)
class SitingInput:
    """A siting problem with the candidate and point tables behind it."""

    problem: SitingProblem
    candidates: gpd.GeoDataFrame
    points: gpd.GeoDataFrame
    excluded: gpd.GeoDataFrame


def generated_candidates(area: Area, sources: Sequence[str] = SOURCES) -> gpd.GeoDataFrame:
    """Existing depots, township seats and major road junctions as candidate sites."""
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise DataError(
            f"unknown candidate source(s) {sorted(unknown)}; use {', '.join(SOURCES)}",
            field="candidates",
        )
    rows: list[dict[str, object]] = []
    if "existing" in sources:
        for d in area.network.depots:
            rows.append(
                {
                    "id": d.id,
                    "name": d.name,
                    "kind": "existing",
                    "tier": d.tier.value,
                    "existing": True,
                    "lon": d.lon,
                    "lat": d.lat,
                }
            )
    if "township_seats" in sources:
        for p in area.network.points:
            if p.kind is PointKind.TOWNSHIP_SEAT:
                rows.append(
                    {
                        "id": f"C-{p.id}",
                        "name": p.name,
                        "kind": "township_seat",
                        "tier": None,
                        "existing": False,
                        "lon": p.lon,
                        "lat": p.lat,
                    }
                )
    if "junctions" in sources:
        edges = area.roads.edges
        g = area.roads.graph
        major = edges["road_class"].isin(list(MAJOR)).to_numpy()
        degree = np.bincount(np.concatenate([g.edge_u, g.edge_v]), minlength=g.n_nodes)
        on_major = np.zeros(g.n_nodes, bool)
        on_major[g.edge_u[major]] = True
        on_major[g.edge_v[major]] = True
        taken = {
            (round(float(r["lon"]), 5), round(float(r["lat"]), 5))  # type: ignore[arg-type]
            for r in rows
        }
        for n in np.flatnonzero(on_major & (degree >= 3)):
            key = (round(float(g.node_lon[n]), 5), round(float(g.node_lat[n]), 5))
            if key in taken:
                continue  # a township seat already stands at this junction
            taken.add(key)
            rows.append(
                {
                    "id": f"J-{n}",
                    "name": f"路口 junction {n}",
                    "kind": "junction",
                    "tier": None,
                    "existing": False,
                    "lon": key[0],
                    "lat": key[1],
                }
            )
    if not rows:
        raise DataError("no candidate sites", field="candidates", problem_zh="没有候选站址")
    df = pd.DataFrame(rows)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)


def candidates_from_file(
    path: str | os.PathLike[str], *, crs: str | None = None
) -> gpd.GeoDataFrame:
    """Candidate sites from a point file with an ``id`` column (``name`` optional)."""
    gdf = read_layer(path, crs=crs)
    source = str(path)
    if "id" not in gdf.columns:
        raise DataError("missing column 'id'", source=source, field="id", problem_zh="缺少列 'id'")
    ids = gdf["id"].astype(str).str.strip()
    dup = ids[ids.duplicated()]
    if len(dup):
        raise DataError(
            f"duplicate candidate id {dup.iloc[0]!r}",
            source=source,
            record=dup.iloc[0],
            field="id",
            problem_zh="候选站址编号重复",
        )
    xy = np.round(shapely.get_coordinates(gdf.geometry.to_numpy()), 6)
    same = pd.DataFrame(xy).duplicated()
    if same.any():
        i = int(np.argmax(same.to_numpy()))
        raise DataError(
            "two candidates stand at the same place",
            source=source,
            record=ids.iloc[i],
            field="geometry",
            problem_zh="两个候选站址位置重复",
        )
    out = gpd.GeoDataFrame(
        {
            "id": ids.to_numpy(),
            "name": gdf.get("name", ids).astype(str).to_numpy(),
            "kind": "file",
            "tier": gdf.get("tier", pd.Series([None] * len(gdf))).to_numpy(),
            "existing": False,
            "lon": xy[:, 0],
            "lat": xy[:, 1],
        },
        geometry=gdf.geometry.to_numpy(),
        crs=4326,
    )
    return out


def exclude(
    candidates: gpd.GeoDataFrame,
    zones: Sequence[gpd.GeoDataFrame | str | os.PathLike[str]],
    *,
    hazards: Hazards | None = None,
    crs: str | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Split candidates into kept and excluded (with ``reason``); existing depots are kept."""
    reason = pd.Series([""] * len(candidates), index=candidates.index, dtype=object)
    lon, lat = candidates["lon"].to_numpy(), candidates["lat"].to_numpy()
    for z in zones:
        frame = (
            prepare_flood(z, source="exclusion")
            if isinstance(z, gpd.GeoDataFrame)
            else prepare_flood(read_layer(z, crs=crs), source=str(z))
        )
        inside = depth_at(lon, lat, frame) > 0
        reason[inside & (reason == "")] = "inside an exclusion zone (historical flood level)"
    if hazards is not None and hazards.flood is not None:
        wet = hazards.depth_at(lon, lat) > 0
        reason[wet & (reason == "")] = "inside the scenario's flood"
    drop = (reason != "") & ~candidates["existing"].to_numpy(dtype=bool)
    excluded = candidates[drop].copy()
    excluded["reason"] = reason[drop].to_numpy()
    return candidates[~drop].reset_index(drop=True), excluded.reset_index(drop=True)


def _township_totals(pts: list[Point]) -> list[Point]:
    """Each township's people at its seat (points without a seat keep their own place)."""
    seats = {(p.county, p.township): p for p in pts if p.kind is PointKind.TOWNSHIP_SEAT}
    totals: dict[str, int] = {}
    out: dict[str, Point] = {}
    for p in pts:
        seat = seats.get((p.county, p.township), p)
        totals[seat.id] = totals.get(seat.id, 0) + p.population
        out[seat.id] = seat
    return [dataclasses.replace(seat, population=totals[pid]) for pid, seat in out.items()]


def siting_input(
    area: Area,
    candidates: gpd.GeoDataFrame,
    *,
    hazards: Hazards | None = None,
    vehicle: str = "medium",
    excluded: gpd.GeoDataFrame | None = None,
    by_township: bool = False,
) -> SitingInput:
    """Hours from every candidate to every populated point (shelters left out).

    With ``by_township`` the people of each township are put at its seat: far fewer
    demand points, for models (capacitated coverage) whose size grows with the pairs.
    """
    if candidates.empty:
        raise DataError(
            "no candidate sites left", field="candidates", problem_zh="没有可用的候选站址"
        )
    hz = hazards or no_hazards(area)
    vclass = area.network.vehicle_class(vehicle)
    pts = [p for p in area.network.points if p.kind is not PointKind.SHELTER]
    if by_township:
        pts = _township_totals(pts)
    pidx = {p.id: k for k, p in enumerate(area.network.points)}
    psnap = area.point_snap
    p_nodes = psnap.node[[pidx[p.id] for p in pts]]
    p_access = psnap.access_s[[pidx[p.id] for p in pts]].copy()
    c_snap = snap(
        area.roads,
        candidates["lon"],
        candidates["lat"],
        list(candidates["id"].astype(str)),
        max_m=area.max_snap_m,
        source="candidates",
    )
    c_access = c_snap.access_s.copy()
    if hz.flood is not None:
        c_access[hz.depth_at(candidates["lon"], candidates["lat"]) >= vclass.fording_depth_m] = (
            np.inf
        )
        p_access[
            hz.depth_at([p.lon for p in pts], [p.lat for p in pts]) >= vclass.fording_depth_m
        ] = np.inf
    seconds = travel_seconds(
        area.roads.graph,
        c_snap.node,
        p_nodes,
        vehicle=vclass,
        conditions=hz.conditions,
        origin_access_s=c_access,
        target_access_s=p_access,
    )
    hours = np.where(seconds < UNREACHABLE, seconds_to_hours(seconds), np.inf)
    problem = SitingProblem(
        hours,
        np.array([p.population for p in pts], float),
        candidates["existing"].to_numpy(dtype=bool),
        tuple(candidates["id"].astype(str)),
        tuple(p.id for p in pts),
    )
    points = gpd.GeoDataFrame(
        {
            "id": [p.id for p in pts],
            "name": [p.name for p in pts],
            "county": [p.county for p in pts],
            "population": [p.population for p in pts],
        },
        geometry=gpd.points_from_xy([p.lon for p in pts], [p.lat for p in pts]),
        crs=4326,
    )
    empty = candidates.iloc[0:0].assign(reason=pd.Series(dtype=object))
    return SitingInput(
        problem,
        candidates.reset_index(drop=True),
        points,
        excluded if excluded is not None else empty,
    )

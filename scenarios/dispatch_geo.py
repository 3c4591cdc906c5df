"""Where the vehicles of a plan drive: one line per leg on the flooded road network.

Each leg (depot or stop to the next stop, and the last stop back to the depot) is traced
along the quickest road path for its vehicle class under the situation's floods and
closures, the same cost the plan was made with. Legs flown or sailed from a staging point
are straight lines. Distances are added to the plan document (``distance_km`` per route
and in the KPIs), and each stop gets ``roads``: the named roads driven to it, the route
description on the dispatch sheets. A leg no longer possible on the roads (a re-plan's
closures after it was driven) is drawn straight, ``on_roads`` false.

Road geometry is node to node: an edge's interior vertices are not drawn (the bundled
roads are straight between junctions anyway).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import geopandas as gpd
import numpy as np
from shapely.geometry import LineString

from scenarios.apply import Situation
from scenarios.dispatch_shuttle import haversine_km
from scenarios.places import coords, road_access
from solver.traveltime import path_nodes, shortest_paths


def _legs(route: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(from place, to place, stop or None for the way home) in driving order."""
    out: list[tuple[str, str, dict[str, Any] | None]] = []
    here = route.get("start") or route["depot"]
    trip = None
    for s in route["stops"]:
        if trip is not None and s["trip"] != trip:
            out.append((here, route["depot"], None))
            here = route["depot"]
        out.append((here, s["point"], s))
        here, trip = s["point"], s["trip"]
    if route["stops"] and not route.get("open_end"):
        out.append((here, route["depot"], None))
    return out


def route_lines(situation: Situation, doc: dict[str, Any]) -> gpd.GeoDataFrame:
    """Legs of every route as lines (WGS84), and ``distance_km`` filled in ``doc``."""
    graph = situation.area.roads.graph
    legs = [(r, *leg) for r in doc["routes"] for leg in _legs(r)]
    number = {id(r): k for k, r in enumerate(doc["routes"])}
    places = sorted({p for _, a, b, _ in legs for p in (a, b)})
    nodes, _ = road_access(situation, places) if places else (np.array([], int), None)
    node_of = dict(zip(places, (int(n) for n in nodes), strict=True))
    length = _edge_lengths(graph)
    names = _edge_names(situation)
    rows: list[dict[str, Any]] = []
    for cls in sorted({r["vehicle_class"] for r, *_ in legs}):
        mine = [leg for leg in legs if leg[0]["vehicle_class"] == cls]
        origins = sorted({node_of[a] for _, a, _, _ in mine})
        pred = shortest_paths(
            graph,
            origins,
            vehicle=situation.network.vehicle_class(cls),
            conditions=situation.hazards.conditions,
        )
        row_of = {n: k for k, n in enumerate(origins)}
        for route, a, b, stop in mine:
            path = path_nodes(pred, row_of[node_of[a]], node_of[b])
            on_roads = path[0] == node_of[a]
            if not on_roads:
                path = [node_of[a], node_of[b]]  # not on the roads now: drawn straight
            km = sum(length.get((u, v), 0.0) for u, v in pairwise(path))
            if not on_roads:
                km = 1000 * haversine_km(coords(situation, a), coords(situation, b))
            roads = _road_names(path, names)
            if stop is not None:
                stop["roads"] = roads  # the route description on the dispatch sheets
            xy = [(graph.node_lon[n], graph.node_lat[n]) for n in path]
            xy = [coords(situation, a), *xy, coords(situation, b)]
            rows.append(
                {
                    "route": number[id(route)],
                    "vehicle": route["vehicle"],
                    "vehicle_class": cls,
                    "depot": route["depot"],
                    "trip": stop["trip"] if stop else None,
                    "from": a,
                    "to": b,
                    "leg": "delivery" if stop else "return",
                    "mode": "road",
                    "leave_h": stop["leave_h"] if stop else None,
                    "arrive_h": stop["arrive_h"] if stop else None,
                    "distance_km": round(km / 1000, 2),
                    "on_roads": on_roads,
                    "roads": " → ".join(roads),
                    "geometry": LineString(xy),
                }
            )
            if stop and stop.get("transfer"):
                t = stop["transfer"]
                ends = [coords(situation, b), coords(situation, t["to"])]
                rows.append(
                    {
                        **rows[-1],
                        "from": b,
                        "to": t["to"],
                        "leg": "transfer",
                        "mode": t["mode"],
                        "leave_h": t["start_h"],
                        "arrive_h": t["arrive_h"],
                        "distance_km": round(haversine_km(ends[0], ends[1]), 2),
                        "on_roads": False,
                        "roads": "",
                        "geometry": LineString(ends),
                    }
                )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326) if rows else _empty()
    _fill_distances(doc, frame)
    return frame


def _edge_lengths(graph: Any) -> dict[tuple[int, int], float]:
    """Shortest edge length (m) between each pair of adjacent nodes, both ways."""
    out: dict[tuple[int, int], float] = {}
    for u, v, m in zip(
        graph.edge_u.tolist(), graph.edge_v.tolist(), graph.length_m.tolist(), strict=True
    ):
        for key in ((u, v), (v, u)):
            if m < out.get(key, np.inf):
                out[key] = m
    return out


def _edge_names(situation: Situation) -> dict[tuple[int, int], str]:
    """Road name (or bridge name) of the edge between two adjacent nodes, both ways."""
    graph = situation.area.roads.graph
    edges = situation.area.roads.edges
    name = edges["name"].fillna("").astype(str).tolist() if "name" in edges else []
    out: dict[tuple[int, int], str] = {}
    for k, (u, v) in enumerate(zip(graph.edge_u.tolist(), graph.edge_v.tolist(), strict=True)):
        if k < len(name) and name[k]:
            out.setdefault((u, v), name[k])
            out.setdefault((v, u), name[k])
    return out


def _road_names(path: list[int], names: dict[tuple[int, int], str]) -> list[str]:
    """The named roads along ``path``, in driving order, each once per stretch."""
    out: list[str] = []
    for u, v in pairwise(path):
        n = names.get((u, v))
        if n and (not out or out[-1] != n):
            out.append(n)
    return out


def _empty() -> gpd.GeoDataFrame:
    cols = ["route", "vehicle", "vehicle_class", "depot", "trip", "from", "to", "leg", "mode"]
    return gpd.GeoDataFrame(
        {c: [] for c in [*cols, "leave_h", "arrive_h", "distance_km", "on_roads", "roads"]},
        geometry=gpd.GeoSeries([], crs=4326),
    )


def _fill_distances(doc: dict[str, Any], frame: gpd.GeoDataFrame) -> None:
    road = frame[frame["mode"] == "road"] if len(frame) else frame
    per = road.groupby("route")["distance_km"].sum().to_dict() if len(road) else {}
    for k, r in enumerate(doc["routes"]):
        r["distance_km"] = round(float(per.get(k, 0.0)), 2)
    doc["kpis"]["distance_km"] = round(sum(r["distance_km"] for r in doc["routes"]), 1)

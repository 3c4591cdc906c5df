"""Where the vehicles of a plan drive: one line per leg on the flooded road network.

Each leg (depot or stop to the next stop, and the last stop back to the depot) is traced
along the quickest road path for its vehicle class under the situation's floods and
closures, the same cost the plan was made with. Legs flown or sailed from a staging point
are straight lines. Distances are added to the plan (``distance_km`` per route and in the
KPIs), and each stop gets ``roads``: the named roads driven to it, the route
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
from scenarios.plan import Plan, Route
from solver.traveltime import path_nodes, shortest_paths

Leg = tuple[int, str, str, int | None]


def _legs(k: int, route: Route) -> list[Leg]:
    """(route, from place, to place, stop index or None for the way home) in driving order."""
    out: list[Leg] = []
    here = route.start or route.depot
    trip = None
    for n, s in enumerate(route.stops):
        if trip is not None and s.trip != trip:
            out.append((k, here, route.depot, None))
            here = route.depot
        out.append((k, here, s.point, n))
        here, trip = s.point, s.trip
    if route.stops and not route.open_end:
        out.append((k, here, route.depot, None))
    return out


def route_lines(situation: Situation, plan: Plan) -> tuple[gpd.GeoDataFrame, Plan]:
    """Legs of every route as lines (WGS84), and the plan with its distances and roads.

    The plan returned has ``distance_km`` per route and in its KPIs, and each stop's
    ``roads``.
    """
    graph = situation.area.roads.graph
    routes = plan.routes
    legs = [leg for k, r in enumerate(routes) for leg in _legs(k, r)]
    places = sorted({p for _, a, b, _ in legs for p in (a, b)})
    nodes, _ = road_access(situation, places) if places else (np.array([], int), None)
    node_of = dict(zip(places, (int(n) for n in nodes), strict=True))
    length = _edge_lengths(graph)
    names = _edge_names(situation)
    rows: list[dict[str, Any]] = []
    roads_of: dict[tuple[int, int], tuple[str, ...]] = {}
    for cls in sorted({routes[k].vehicle_class for k, *_ in legs}):
        mine = [leg for leg in legs if routes[leg[0]].vehicle_class == cls]
        origins = sorted({node_of[a] for _, a, _, _ in mine})
        pred = shortest_paths(
            graph,
            origins,
            vehicle=situation.network.vehicle_class(cls),
            conditions=situation.hazards.conditions,
        )
        row_of = {n: k for k, n in enumerate(origins)}
        for k, a, b, n in mine:
            route = routes[k]
            stop = None if n is None else route.stops[n]
            path = path_nodes(pred, row_of[node_of[a]], node_of[b])
            on_roads = path[0] == node_of[a]
            if not on_roads:
                path = [node_of[a], node_of[b]]  # not on the roads now: drawn straight
            km = sum(length.get((u, v), 0.0) for u, v in pairwise(path))
            if not on_roads:
                km = 1000 * haversine_km(coords(situation, a), coords(situation, b))
            roads = _road_names(path, names)
            if n is not None:
                roads_of[k, n] = tuple(roads)  # the route description on the dispatch sheets
            xy = [(graph.node_lon[v], graph.node_lat[v]) for v in path]
            xy = [coords(situation, a), *xy, coords(situation, b)]
            rows.append(
                {
                    "route": k,
                    "vehicle": route.vehicle,
                    "vehicle_class": cls,
                    "depot": route.depot,
                    "trip": stop.trip if stop else None,
                    "from": a,
                    "to": b,
                    "leg": "delivery" if stop else "return",
                    "mode": "road",
                    "leave_h": stop.leave_h if stop else None,
                    "arrive_h": stop.arrive_h if stop else None,
                    "distance_km": round(km / 1000, 2),
                    "on_roads": on_roads,
                    "roads": " → ".join(roads),
                    "geometry": LineString(xy),
                }
            )
            if stop is not None and stop.transfer is not None:
                t = stop.transfer
                ends = [coords(situation, b), coords(situation, t.to)]
                rows.append(
                    {
                        **rows[-1],
                        "from": b,
                        "to": t.to,
                        "leg": "transfer",
                        "mode": t.mode,
                        "leave_h": t.start_h,
                        "arrive_h": t.arrive_h,
                        "distance_km": round(haversine_km(ends[0], ends[1]), 2),
                        "on_roads": False,
                        "roads": "",
                        "geometry": LineString(ends),
                    }
                )
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326) if rows else _empty()
    return frame, _with_distances(plan, frame, roads_of)


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


def _with_distances(
    plan: Plan, frame: gpd.GeoDataFrame, roads_of: dict[tuple[int, int], tuple[str, ...]]
) -> Plan:
    road = frame[frame["mode"] == "road"] if len(frame) else frame
    per = road.groupby("route")["distance_km"].sum().to_dict() if len(road) else {}
    routes = tuple(
        r.model_copy(
            update={
                "distance_km": round(float(per.get(k, 0.0)), 2),
                "stops": tuple(
                    s.model_copy(update={"roads": roads_of[k, n]}) if (k, n) in roads_of else s
                    for n, s in enumerate(r.stops)
                ),
            }
        )
        for k, r in enumerate(plan.routes)
    )
    total = round(sum(r.distance_km or 0.0 for r in routes), 1)
    return plan.model_copy(
        update={"routes": routes, "kpis": plan.kpis.model_copy(update={"distance_km": total})}
    )

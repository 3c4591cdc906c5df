"""Travel times on the road graph: per vehicle class, flood-aware, many-to-many.

Edge times come from the dry truck speed, the vehicle's speed factor and cap, and the depth
of water on the edge (:func:`flood_speed_ratio`). Shortest paths for many origins at once
use :func:`scipy.sparse.csgraph.dijkstra` on a CSR matrix built once per call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from solver.errors import DataError
from solver.fleet import Mode, VehicleClass
from solver.roadgraph import FloatArray, RoadConditions, RoadGraph
from solver.units import kmh_to_mps, seconds_to_hours

#: Marks an origin-target pair with no open route. It is the largest int32, so it sorts
#: after every real time; writers print it as an empty cell, never as a number.
UNREACHABLE = np.iinfo(np.int32).max

#: Coefficients of Pregnolato et al. (2017), v(w) = a w^2 + b w + c km/h, w in mm ("pregnolato").
_PREG_A, _PREG_B, _PREG_C = 0.0009, -0.5529, 86.9448
#: The depth (mm) at which Pregnolato's car becomes immobile.
_PREG_STOP_MM = 300.0
#: Edge times below this many seconds are raised to it: csgraph drops explicit zeros.
_MIN_EDGE_S = 1e-3


def flood_speed_ratio(depth_m: ArrayLike, fording_depth_m: float) -> FloatArray:
    """Fraction of the dry speed a vehicle keeps in water ``depth_m`` deep.

    Pregnolato's depth-disruption curve is fitted for cars that stop at 0.3 m; a vehicle
    that fords ``fording_depth_m`` is assumed to follow the same curve scaled to its own
    depth, so the ratio is ``v(w * 0.3 / fording) / v(0)``. The ratio is 1 when dry,
    decreasing in depth, and 0 at or beyond the fording depth (the road is closed to it).

    References
    ----------
    Pregnolato, M., Ford, A., Wilkinson, S. M., Dawson, R. J. (2017). The impact of flooding
    on road transport: a depth-disruption function. Transp. Res. D 55, 67-81.
    """
    depth = np.asarray(depth_m, dtype=np.float64)
    if fording_depth_m <= 0:
        return np.where(depth > 0, 0.0, 1.0)
    w_mm = np.clip(depth * 1000.0 * (_PREG_STOP_MM / 1000.0) / fording_depth_m, 0, _PREG_STOP_MM)
    speed = _PREG_A * w_mm**2 + _PREG_B * w_mm + _PREG_C
    ratio = np.clip(speed / _PREG_C, 0.0, 1.0)
    return np.where(depth >= fording_depth_m, 0.0, np.where(depth > 0, ratio, 1.0))


def edge_seconds(
    graph: RoadGraph, vehicle: VehicleClass, conditions: RoadConditions | None = None
) -> FloatArray:
    """Seconds to drive each edge; ``inf`` where the edge is closed to ``vehicle``."""
    if vehicle.mode is not Mode.ROAD:
        raise DataError(
            f"vehicle class {vehicle.id!r} does not drive on roads",
            field="vehicle",
            problem_zh="该车型不走道路",
        )
    if conditions is None:
        conditions = RoadConditions.dry(graph.n_edges)
    if conditions.n_edges != graph.n_edges:
        raise DataError(
            f"conditions describe {conditions.n_edges} edges, graph has {graph.n_edges}",
            field="conditions",
        )
    speed = kmh_to_mps(np.minimum(graph.speed_kmh * vehicle.speed_factor, vehicle.max_speed_kmh))
    dry_s = graph.length_m / speed
    ratio = flood_speed_ratio(conditions.depth_m, vehicle.fording_depth_m)
    f = conditions.flooded_fraction
    # Where the ratio is 0 the edge is closed below; 0 is only a finite placeholder.
    wet_s = np.where(ratio > 0, dry_s / np.where(ratio > 0, ratio, 1.0), 0.0)
    seconds = dry_s * (1.0 - f) + wet_s * f
    # A flooded edge at or beyond fording depth is closed whatever share of it is wet.
    closed = conditions.closed | ((f > 0) & (ratio == 0.0))
    return np.where(closed, np.inf, np.maximum(seconds, _MIN_EDGE_S))


def adjacency(graph: RoadGraph, seconds: FloatArray) -> csr_array:
    """Directed CSR matrix of edge seconds; closed edges left out, parallel edges at their min."""
    ok = np.isfinite(seconds) & (graph.edge_u != graph.edge_v)
    u, v, w, one = graph.edge_u[ok], graph.edge_v[ok], seconds[ok], graph.oneway[ok]
    rows = np.concatenate([u, v[~one]]).astype(np.int64)
    cols = np.concatenate([v, u[~one]]).astype(np.int64)
    data = np.concatenate([w, w[~one]])
    # csr_array would sum duplicate entries; keep the fastest of parallel edges instead.
    order = np.lexsort((data, cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    keep = np.ones(len(rows), dtype=bool)
    keep[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    n = graph.n_nodes
    return csr_array((data[keep], (rows[keep], cols[keep])), shape=(n, n))


def place_access_s(access_s: ArrayLike, depth_m: ArrayLike, vehicle: VehicleClass) -> FloatArray:
    """Access seconds of places for ``vehicle``: ``inf`` where it stands in water too deep.

    A place standing in water at or above the vehicle's fording depth can be neither reached
    nor left by it; this is the one rule for flooded places, used by every matrix.
    """
    acc = np.asarray(access_s, dtype=float)
    depth = np.asarray(depth_m, dtype=float)
    out: FloatArray = np.where(depth >= vehicle.fording_depth_m, np.inf, acc)
    return out


def travel_seconds(
    graph: RoadGraph,
    origins: ArrayLike,
    targets: ArrayLike,
    *,
    vehicle: VehicleClass,
    conditions: RoadConditions | None = None,
    origin_access_s: ArrayLike | None = None,
    target_access_s: ArrayLike | None = None,
    limit_s: float = np.inf,
    chunk: int = 8,
) -> NDArray[np.int32]:
    """Integer seconds from each origin node to each target node for ``vehicle``.

    Parameters
    ----------
    origins, targets
        Node indices; repeats are fine (each distinct origin is searched once).
    origin_access_s, target_access_s
        Seconds (>= 0, ``inf`` for "cannot get there") added for the leg between a place and
        the node it snaps to.
    limit_s
        Stop each search beyond this many seconds; farther pairs are :data:`UNREACHABLE`.
    chunk
        Origins searched per csgraph call. Working memory is about two ``chunk x n_nodes``
        float64 arrays besides the result; 8 measured fastest on a 1 M-node graph.

    Returns
    -------
    numpy.ndarray
        ``int32`` array of shape ``(len(origins), len(targets))``, rounded to the nearest
        second; :data:`UNREACHABLE` where no open route exists.
    """
    o = np.asarray(origins, dtype=np.int64).ravel()
    t = np.asarray(targets, dtype=np.int64).ravel()
    if chunk < 1:
        raise DataError(f"must be >= 1, got {chunk}", field="chunk")
    for name, idx in (("origins", o), ("targets", t)):
        if idx.size and (idx.min() < 0 or idx.max() >= graph.n_nodes):
            raise DataError(f"{name} contain a node index outside the graph", field=name)
    a_o = _access(origin_access_s, len(o), "origin_access_s")
    a_t = _access(target_access_s, len(t), "target_access_s")
    out = np.empty((len(o), len(t)), dtype=np.int32)
    if len(o) == 0 or len(t) == 0:
        return out
    matrix = adjacency(graph, edge_seconds(graph, vehicle, conditions))
    unique_o, inverse = np.unique(o, return_inverse=True)
    all_targets = len(t) == graph.n_nodes and bool((t == np.arange(graph.n_nodes)).all())
    limit = float(limit_s)
    for start in range(0, len(unique_o), chunk):
        block = unique_o[start : start + chunk]
        dist = np.atleast_2d(dijkstra(matrix, directed=True, indices=block, limit=limit))
        if not all_targets:
            dist = dist[:, t]
        if a_t is not None:
            dist += a_t[None, :]
        rows = np.flatnonzero((inverse >= start) & (inverse < start + len(block)))
        sub = dist[inverse[rows] - start]
        del dist
        if a_o is not None:
            sub += a_o[rows, None]
        reach = np.isfinite(sub) & (sub <= limit)
        np.rint(sub, out=sub, where=reach)
        np.minimum(sub, UNREACHABLE - 1, out=sub, where=reach)
        sub[~reach] = UNREACHABLE
        out[rows] = sub
    return out


def _access(values: ArrayLike | None, n: int, name: str) -> NDArray[np.float64] | None:
    if values is None:
        return None
    a = np.asarray(values, dtype=np.float64).ravel()
    if a.shape != (n,):
        raise DataError(f"has {a.size} entries, expected {n}", field=name)
    if np.isnan(a).any() or (a < 0).any():
        raise DataError("access seconds must be >= 0 (or inf)", field=name)
    return None if not a.any() else a


@dataclass(frozen=True, slots=True, eq=False)
class TravelTimeMatrix:
    """Seconds from named origins to named targets for one vehicle class."""

    origin_ids: tuple[str, ...]
    target_ids: tuple[str, ...]
    seconds: NDArray[np.int32]
    vehicle_class: str

    def __post_init__(self) -> None:
        if self.seconds.shape != (len(self.origin_ids), len(self.target_ids)):
            raise DataError("matrix shape does not match its ids", field="seconds")
        self.seconds.setflags(write=False)

    @property
    def reachable(self) -> NDArray[np.bool_]:
        """True where an open route exists."""
        return np.asarray(self.seconds != UNREACHABLE, dtype=np.bool_)

    def hours(self) -> NDArray[np.float64]:
        """Hours as floats, NaN where unreachable."""
        return np.where(self.reachable, seconds_to_hours(self.seconds), np.nan)


def shortest_paths(
    graph: RoadGraph,
    origins: ArrayLike,
    *,
    vehicle: VehicleClass,
    conditions: RoadConditions | None = None,
) -> NDArray[np.int32]:
    """Predecessor rows (one per origin) for reading back the roads of shortest paths."""
    matrix = adjacency(graph, edge_seconds(graph, vehicle, conditions))
    o = np.asarray(origins, dtype=np.int64).ravel()
    _, pred = dijkstra(matrix, directed=True, indices=o, return_predecessors=True)
    return np.atleast_2d(pred).astype(np.int32)


def path_nodes(predecessors: NDArray[np.int32], origin_row: int, target: int) -> list[int]:
    """Nodes from the row's origin to ``target``.

    Just ``[target]`` if it is the origin or unreachable (the caller knows which).
    """
    row = predecessors[origin_row]
    out = [int(target)]
    node = int(target)
    while row[node] >= 0:
        node = int(row[node])
        out.append(node)
    if len(out) == 1 and row[target] < 0:
        # Either the origin itself or unreachable: the caller knows which.
        return out
    return out[::-1]

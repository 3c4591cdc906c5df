"""Which roads the flood puts between the depots and a place it cuts off or makes late.

One rule, used by every report that names a road behind a shortfall: take the fastest route
on dry roads from the depots to the place (each depot from the time its trucks can leave).
If that dry route would get there by the deadline and the flooded roads do not, the roads to
blame are the edges of the dry route that the flood (or a barrier) closes or slows, closed
ones first, then by the delay they add. Otherwise no road is to blame: the place is too far
even on dry roads, stands in water itself, or has no road to it at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import dijkstra

from solver.errors import DataError
from solver.fleet import VehicleClass
from solver.roadgraph import RoadConditions, RoadGraph
from solver.traveltime import adjacency, edge_seconds

#: Offsets below this are raised to it: csgraph drops explicit zeros.
_MIN_S = 1e-3


@dataclass(frozen=True, slots=True)
class RoadBlame:
    """The roads behind one place's shortfall (empty when no road is to blame).

    ``edges`` are graph edge indices, closed ones first (in route order), then slowed ones by
    the seconds they add; ``closed[k]`` says whether ``edges[k]`` is closed. ``dry_s`` and
    ``wet_s`` are the earliest arrivals (seconds, ``inf`` when none) on dry and on the given
    roads.
    """

    edges: tuple[int, ...]
    closed: tuple[bool, ...]
    dry_s: float
    wet_s: float


def _from_origins(
    graph: RoadGraph,
    seconds: NDArray[np.float64],
    nodes: NDArray[np.int64],
    offset: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """Earliest arrival at every node from any origin (leaving at its offset), predecessors.

    The origins hang off one extra node (index ``n_nodes``) by edges as long as their offsets.
    """
    n = graph.n_nodes
    base = coo_array(adjacency(graph, seconds))
    ok = np.isfinite(offset)
    start = np.full(n, np.inf)
    np.minimum.at(start, nodes[ok], np.maximum(offset[ok], _MIN_S))
    hang = np.flatnonzero(np.isfinite(start))
    rows = np.concatenate([base.row, np.full(len(hang), n)])
    cols = np.concatenate([base.col, hang])
    data = np.concatenate([base.data, start[hang]])
    m = csr_array((data, (rows, cols)), shape=(n + 1, n + 1))
    dist, pred = dijkstra(m, directed=True, indices=n, return_predecessors=True)
    return np.asarray(dist[:n]), np.asarray(pred[:n], dtype=np.int32)


def _edge_of(graph: RoadGraph, seconds: NDArray[np.float64]) -> dict[tuple[int, int], int]:
    """For each directed node pair, the fastest edge that drives it (as ``adjacency`` keeps)."""
    best: dict[tuple[int, int], int] = {}
    order = np.argsort(seconds, kind="stable")[::-1]  # slowest first, fastest written last
    u, v, one = graph.edge_u, graph.edge_v, graph.oneway
    for e in order.tolist():
        if not np.isfinite(seconds[e]):
            continue
        best[(int(u[e]), int(v[e]))] = e
        if not one[e]:
            best[(int(v[e]), int(u[e]))] = e
    return best


def blame_roads(
    graph: RoadGraph,
    vehicle: VehicleClass,
    conditions: RoadConditions,
    origins: ArrayLike,
    origin_offset_s: ArrayLike,
    targets: ArrayLike,
    target_access_s: ArrayLike,
    deadline_s: ArrayLike,
) -> tuple[RoadBlame, ...]:
    """The roads to blame for each target (see the module's rule), one search per condition.

    Parameters
    ----------
    origins, origin_offset_s
        Depot nodes and the seconds from the clock's zero until their trucks reach that node
        (``inf`` for a depot that cannot send this vehicle).
    targets, target_access_s
        Place nodes and the seconds from the node to the place under the given conditions
        (``inf`` where the place stands in water too deep for the vehicle).
    deadline_s
        Per target, the latest arrival that would still serve it (``inf``: any arrival).
    """
    o = np.asarray(origins, dtype=np.int64).ravel()
    off = np.asarray(origin_offset_s, dtype=np.float64).ravel()
    t = np.asarray(targets, dtype=np.int64).ravel()
    acc = np.asarray(target_access_s, dtype=np.float64).ravel()
    due = np.broadcast_to(np.asarray(deadline_s, dtype=np.float64), t.shape)
    if off.shape != o.shape or acc.shape != t.shape:
        raise DataError("offsets and access must match origins and targets", field="origins")
    for name, idx in (("origins", o), ("targets", t)):
        if idx.size and (idx.min() < 0 or idx.max() >= graph.n_nodes):
            raise DataError(f"{name} contain a node index outside the graph", field=name)
    if np.isnan(off).any() or (off < 0).any() or np.isnan(acc).any() or (acc < 0).any():
        raise DataError("offsets and access seconds must be >= 0 (or inf)", field="origins")
    dry = edge_seconds(graph, vehicle)
    wet = edge_seconds(graph, vehicle, conditions)
    if not len(t):
        return ()
    d_dist, d_pred = _from_origins(graph, dry, o, off)
    w_dist, _ = _from_origins(graph, wet, o, off)
    edge_of: dict[tuple[int, int], int] | None = None
    out = []
    for k in range(len(t)):
        node = int(t[k])
        dry_at = float(d_dist[node] + acc[k]) if np.isfinite(acc[k]) else np.inf
        wet_at = float(w_dist[node] + acc[k])
        # The place's own water: no road opened would let this vehicle reach it.
        blamed = np.isfinite(acc[k]) and dry_at <= due[k]
        blamed = blamed and (wet_at > due[k] or not np.isfinite(wet_at))
        if not blamed:
            out.append(RoadBlame((), (), dry_at, wet_at))
            continue
        edge_of = edge_of if edge_of is not None else _edge_of(graph, dry)
        path = []
        while 0 <= d_pred[node] < graph.n_nodes:  # up to the origin (its predecessor: the hub)
            prev = int(d_pred[node])
            path.append(edge_of[(prev, node)])
            node = prev
        path.reverse()
        hit = [e for e in path if wet[e] > dry[e] + 1e-9]
        hit.sort(key=lambda e: (np.isfinite(wet[e]), -(wet[e] - dry[e])))
        out.append(
            RoadBlame(tuple(hit), tuple(not np.isfinite(wet[e]) for e in hit), dry_at, wet_at)
        )
    return tuple(out)

"""The road graph as arrays, and the conditions (floods, barriers) laid over it.

A :class:`RoadGraph` is index-based and read-only: node coordinates and, per edge, its end
nodes, length, dry truck speed and whether it is one-way. Geometry stays in ``geodata``;
this module sees only numbers. :class:`RoadConditions` says, per edge, whether it is closed
by a barrier and how deep the water on it is; it is combined, never mutated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from solver.errors import DataError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int32]
BoolArray = NDArray[np.bool_]


def _frozen(a: NDArray[np.generic], dtype: type) -> NDArray[np.generic]:
    out: NDArray[np.generic] = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class RoadGraph:
    """Nodes with WGS84 coordinates and edges with length (m) and dry truck speed (km/h).

    Two-way edges are stored once; ``oneway[e]`` restricts edge ``e`` to ``u -> v``.
    """

    node_lon: FloatArray
    node_lat: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    length_m: FloatArray
    speed_kmh: FloatArray
    oneway: BoolArray

    def __post_init__(self) -> None:
        n = len(self.node_lon)
        m = len(self.edge_u)
        if len(self.node_lat) != n:
            raise DataError("node_lon and node_lat differ in length", field="nodes")
        for name in ("edge_v", "length_m", "speed_kmh", "oneway"):
            if len(getattr(self, name)) != m:
                raise DataError(
                    f"{name} has {len(getattr(self, name))} entries, expected {m}", field=name
                )
        object.__setattr__(self, "node_lon", _frozen(self.node_lon, np.float64))
        object.__setattr__(self, "node_lat", _frozen(self.node_lat, np.float64))
        object.__setattr__(self, "edge_u", _frozen(self.edge_u, np.int32))
        object.__setattr__(self, "edge_v", _frozen(self.edge_v, np.int32))
        object.__setattr__(self, "length_m", _frozen(self.length_m, np.float64))
        object.__setattr__(self, "speed_kmh", _frozen(self.speed_kmh, np.float64))
        object.__setattr__(self, "oneway", _frozen(self.oneway, np.bool_))
        if m and (
            self.edge_u.min() < 0
            or self.edge_v.min() < 0
            or self.edge_u.max() >= n
            or self.edge_v.max() >= n
        ):
            raise DataError("edge end node out of range", field="edge_u/edge_v")
        bad = ~(np.isfinite(self.length_m) & (self.length_m >= 0))
        if bad.any():
            raise DataError(
                f"edge {int(np.argmax(bad))}: length must be >= 0",
                field="length_m",
                problem_zh="道路长度不能为负",
            )
        bad = ~(np.isfinite(self.speed_kmh) & (self.speed_kmh > 0))
        if bad.any():
            raise DataError(
                f"edge {int(np.argmax(bad))}: speed must be > 0",
                field="speed_kmh",
                problem_zh="道路速度须大于0",
            )

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_lon)

    @property
    def n_edges(self) -> int:
        """Number of edges (a two-way road counts once)."""
        return len(self.edge_u)


@dataclass(frozen=True, slots=True, eq=False)
class RoadConditions:
    """Per-edge state of the roads: closed by a barrier, and flood depth over a fraction.

    ``depth_m[e]`` is the deepest water on edge ``e`` and ``flooded_fraction[e]`` the share
    of its length under water. Whether water closes an edge depends on the vehicle's fording
    depth, so it is decided when travel times are computed.
    """

    closed: BoolArray
    depth_m: FloatArray
    flooded_fraction: FloatArray

    def __post_init__(self) -> None:
        m = len(self.closed)
        if len(self.depth_m) != m or len(self.flooded_fraction) != m:
            raise DataError("condition arrays differ in length", field="conditions")
        object.__setattr__(self, "closed", _frozen(self.closed, np.bool_))
        object.__setattr__(self, "depth_m", _frozen(self.depth_m, np.float64))
        object.__setattr__(
            self, "flooded_fraction", _frozen(np.clip(self.flooded_fraction, 0.0, 1.0), np.float64)
        )
        if (self.depth_m < 0).any() or not np.isfinite(self.depth_m).all():
            raise DataError(
                "flood depth must be finite and >= 0", field="depth_m", problem_zh="水深须为非负数"
            )

    @classmethod
    def dry(cls, n_edges: int) -> RoadConditions:
        """All roads open and dry."""
        return cls(np.zeros(n_edges, bool), np.zeros(n_edges), np.zeros(n_edges))

    @property
    def n_edges(self) -> int:
        """Number of edges these conditions describe."""
        return len(self.closed)

    def combine(self, other: RoadConditions) -> RoadConditions:
        """Both sets of conditions at once: closed if either closes, deepest water, widest flood."""
        if other.n_edges != self.n_edges:
            raise DataError("conditions are for different graphs", field="conditions")
        return RoadConditions(
            self.closed | other.closed,
            np.maximum(self.depth_m, other.depth_m),
            np.maximum(self.flooded_fraction, other.flooded_fraction),
        )

    def close(self, edges: NDArray[np.integer] | list[int]) -> RoadConditions:
        """These conditions with ``edges`` closed too."""
        closed = self.closed.copy()
        closed[np.asarray(edges, dtype=np.int64)] = True
        return RoadConditions(closed, self.depth_m, self.flooded_fraction)

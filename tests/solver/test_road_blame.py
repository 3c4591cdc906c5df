import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.errors import DataError
from solver.fleet import DEFAULT_VEHICLE_CLASSES
from solver.road_blame import blame_roads
from solver.roadgraph import RoadConditions, RoadGraph
from solver.traveltime import UNREACHABLE, travel_seconds

MEDIUM = next(c for c in DEFAULT_VEHICLE_CLASSES if c.id == "medium")
INF = np.inf


def two_routes() -> RoadGraph:
    """Depot 0 to place 3: a short route 0-1-3 (edges 0, 1), a long one 0-2-3 (edges 2, 3)."""
    return RoadGraph(
        np.array([115.0, 115.1, 115.1, 115.2]),
        np.array([37.0, 37.05, 36.95, 37.0]),
        np.array([0, 1, 0, 2]),
        np.array([1, 3, 2, 3]),
        np.array([5_000.0, 5_000.0, 40_000.0, 40_000.0]),
        np.full(4, 36.0),
        np.zeros(4, bool),
    )


def closed(n: int, edges: list[int]) -> RoadConditions:
    return RoadConditions.dry(n).close(edges)


def test_closed_edge_on_the_dry_route_is_blamed_when_the_detour_is_too_late():
    """Closing edge 1 forces an 80 km detour; with a 1-hour deadline edge 1 is named."""
    g = two_routes()
    (b,) = blame_roads(g, MEDIUM, closed(4, [1]), [0], [0.0], [3], [0.0], [3600.0])
    assert b.edges == (1,)
    assert b.closed == (True,)
    assert b.dry_s < 3600 < b.wet_s


def test_no_road_is_blamed_when_the_detour_still_arrives_in_time():
    """With a deadline the detour meets, the closure is not behind any shortfall."""
    g = two_routes()
    (b,) = blame_roads(g, MEDIUM, closed(4, [1]), [0], [0.0], [3], [0.0], [10 * 3600.0])
    assert b.edges == ()
    assert np.isfinite(b.wet_s)


def test_cut_off_place_names_every_closed_edge_of_the_dry_route():
    """Both routes closed: the place is cut off, and the dry route's closed edge is named."""
    g = two_routes()
    (b,) = blame_roads(g, MEDIUM, closed(4, [1, 3]), [0], [0.0], [3], [0.0], [INF])
    assert b.edges == (1,)
    assert b.wet_s == INF


def test_too_far_even_on_dry_roads_blames_no_road():
    """A deadline the dry route misses: the flood is not the reason, no road is named."""
    g = two_routes()
    (b,) = blame_roads(g, MEDIUM, closed(4, [1, 3]), [0], [7200.0], [3], [0.0], [3600.0])
    assert b.edges == ()


def test_place_standing_in_water_blames_no_road():
    """Infinite access (the place itself is under water): opening roads would not help."""
    g = two_routes()
    (b,) = blame_roads(g, MEDIUM, closed(4, [1]), [0], [0.0], [3], [INF], [INF])
    assert b.edges == ()


def test_flooded_edge_is_named_as_slowed_after_closed_ones():
    """A shallow flood on edge 0 slows it; a barrier on edge 1 closes it: closed first."""
    g = two_routes()
    cond = RoadConditions(
        np.array([False, True, False, False]), np.array([0.2, 0, 0, 0]), np.array([1.0, 0, 0, 0])
    )
    (b,) = blame_roads(g, MEDIUM, cond, [0], [0.0], [3], [0.0], [3600.0])
    assert b.edges == (1, 0)
    assert b.closed == (True, False)


def test_the_depot_that_leaves_first_on_dry_roads_is_the_route_taken():
    """Two depots: the one ready earlier gives the dry route, so its road is the one named."""
    g = two_routes()
    # Depot at node 2 ready at once; depot at node 0 ready after 5 hours.
    (b,) = blame_roads(g, MEDIUM, closed(4, [1, 3]), [0, 2], [5 * 3600.0, 0.0], [3], [0.0], [INF])
    assert b.edges == (3,)


def test_bad_offsets_refused():
    """Negative offsets are refused with the field named."""
    with pytest.raises(DataError, match="offsets"):
        blame_roads(two_routes(), MEDIUM, closed(4, []), [0], [-1.0], [3], [0.0], [INF])


@st.composite
def graph_and_closures(draw):
    n = draw(st.integers(2, 9))
    m = draw(st.integers(1, 3 * n))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    length = draw(st.lists(st.floats(10.0, 50_000.0), min_size=m, max_size=m))
    g = RoadGraph(
        np.linspace(115, 116, n),
        np.linspace(37, 38, n),
        np.array(u),
        np.array(v),
        np.array(length),
        np.full(m, 36.0),
        np.zeros(m, bool),
    )
    shut = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    target = draw(st.integers(0, n - 1))
    return g, [e for e in range(m) if shut[e]], target


@settings(max_examples=60, deadline=None)
@given(graph_and_closures())
def test_reopening_the_blamed_roads_reconnects_the_place(case):
    """Whenever roads are named for a cut-off place, opening just them reaches it again."""
    g, shut, target = case
    cond = closed(g.n_edges, shut)
    (b,) = blame_roads(g, MEDIUM, cond, [0], [0.0], [target], [0.0], [INF])
    dry = travel_seconds(g, [0], [target], vehicle=MEDIUM)[0, 0]
    wet = travel_seconds(g, [0], [target], vehicle=MEDIUM, conditions=cond)[0, 0]
    blamed = (dry != UNREACHABLE) and (wet == UNREACHABLE)
    assert bool(b.edges) == blamed
    if b.edges:
        assert set(b.edges) <= set(shut)
        rest = closed(g.n_edges, sorted(set(shut) - set(b.edges)))
        assert travel_seconds(g, [0], [target], vehicle=MEDIUM, conditions=rest)[0, 0] == dry

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.errors import DataError
from solver.fleet import DEFAULT_VEHICLE_CLASSES
from solver.roadgraph import RoadConditions, RoadGraph
from solver.traveltime import UNREACHABLE, edge_seconds, flood_speed_ratio, travel_seconds

MEDIUM = next(c for c in DEFAULT_VEHICLE_CLASSES if c.id == "medium")
HEAVY = next(c for c in DEFAULT_VEHICLE_CLASSES if c.id == "heavy")


def line_graph(lengths, speeds=None, oneway=None):
    n = len(lengths) + 1
    m = len(lengths)
    return RoadGraph(
        np.linspace(115, 116, n),
        np.full(n, 37.0),
        np.arange(m),
        np.arange(1, m + 1),
        np.asarray(lengths, float),
        np.asarray(speeds if speeds is not None else [36.0] * m, float),
        np.asarray(oneway if oneway is not None else [False] * m),
    )


@st.composite
def graphs(draw, max_nodes=12):
    n = draw(st.integers(2, max_nodes))
    m = draw(st.integers(1, 3 * n))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    length = draw(st.lists(st.floats(1.0, 50_000.0), min_size=m, max_size=m))
    speed = draw(st.lists(st.sampled_from([25.0, 35.0, 45.0, 55.0, 75.0]), min_size=m, max_size=m))
    oneway = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    return RoadGraph(
        np.linspace(115, 116, n),
        np.linspace(37, 38, n),
        np.array(u),
        np.array(v),
        np.array(length),
        np.array(speed),
        np.array(oneway),
    )


@st.composite
def graph_and_conditions(draw):
    g = draw(graphs())
    m = g.n_edges
    closed = np.array(draw(st.lists(st.booleans(), min_size=m, max_size=m)))
    depth = np.array(draw(st.lists(st.floats(0.0, 2.0), min_size=m, max_size=m)))
    frac = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=m, max_size=m)))
    return g, RoadConditions(closed, depth, frac)


def test_speed_ratio_is_one_when_dry_and_zero_at_fording_depth():
    """Dry roads keep full speed; water at the fording depth stops the vehicle."""
    assert flood_speed_ratio(0.0, 0.6) == 1.0
    assert flood_speed_ratio(0.6, 0.6) == 0.0
    assert flood_speed_ratio(0.9, 0.6) == 0.0
    assert 0.0 < flood_speed_ratio(0.3, 0.6) < 1.0


def test_speed_ratio_matches_pregnolato_for_a_car_like_vehicle():
    """A vehicle fording 0.3 m follows Pregnolato's curve: 150 mm gives v(150)/v(0)."""
    v = lambda w: 0.0009 * w**2 - 0.5529 * w + 86.9448  # noqa: E731
    assert flood_speed_ratio(0.15, 0.3) == pytest.approx(v(150) / v(0))


@given(st.floats(0, 3), st.floats(0, 3), st.floats(0.05, 1.5))
def test_speed_ratio_never_rises_with_depth(d1, d2, ford):
    """Deeper water never lets a vehicle go faster."""
    lo, hi = sorted((d1, d2))
    assert flood_speed_ratio(hi, ford) <= flood_speed_ratio(lo, ford)


def test_line_graph_times_add_up():
    """Two 1 km edges at 36 km/h (x0.95 for the medium truck) take 2000/9.5 s."""
    g = line_graph([1000.0, 1000.0])
    t = travel_seconds(g, [0], [0, 1, 2], vehicle=MEDIUM)
    assert t.tolist() == [[0, round(1000 / 9.5), round(2000 / 9.5)]]


def test_oneway_edge_cannot_be_driven_backwards():
    """A one-way edge u->v gives no route v->u."""
    g = line_graph([1000.0], oneway=[True])
    t = travel_seconds(g, [0, 1], [0, 1], vehicle=MEDIUM)
    assert t[0, 1] < UNREACHABLE and t[1, 0] == UNREACHABLE


def test_parallel_edges_use_the_faster_one():
    """Of two parallel roads the faster decides the time (csgraph would sum them)."""
    g = RoadGraph(
        np.array([115.0, 115.1]),
        np.array([37.0, 37.0]),
        np.array([0, 0]),
        np.array([1, 1]),
        np.array([1000.0, 1000.0]),
        np.array([10.0, 50.0]),
        np.array([False, False]),
    )
    t = travel_seconds(g, [0], [1], vehicle=HEAVY)
    assert t[0, 0] == round(1000 / (50 * 0.85 / 3.6))


def test_access_seconds_are_added_and_inf_access_is_unreachable():
    """Access legs add to the road time; an infinite one makes the pair unreachable."""
    g = line_graph([1000.0])
    base = travel_seconds(g, [0], [1], vehicle=MEDIUM)[0, 0]
    t = travel_seconds(
        g, [0, 0], [1], vehicle=MEDIUM, origin_access_s=[10.0, np.inf], target_access_s=[5.0]
    )
    assert t[0, 0] == base + 15 and t[1, 0] == UNREACHABLE


def test_limit_marks_far_targets_unreachable():
    """With a limit, targets beyond it come back unreachable."""
    g = line_graph([1000.0, 1000.0])
    t = travel_seconds(g, [0], [1, 2], vehicle=MEDIUM, limit_s=150)
    assert t[0, 0] < UNREACHABLE and t[0, 1] == UNREACHABLE


def test_partly_flooded_edge_is_slower_and_deep_water_closes_it():
    """Half an edge under 0.3 m slows a medium truck; 0.6 m closes it; the heavy truck fords."""
    g = line_graph([1000.0])
    dry = edge_seconds(g, MEDIUM)[0]
    wet = RoadConditions(np.array([False]), np.array([0.3]), np.array([0.5]))
    assert edge_seconds(g, MEDIUM, wet)[0] > dry
    deep = RoadConditions(np.array([False]), np.array([0.6]), np.array([0.1]))
    assert np.isinf(edge_seconds(g, MEDIUM, deep)[0])
    assert np.isfinite(edge_seconds(g, HEAVY, deep)[0])


def test_origin_outside_graph_is_refused():
    """A node index outside the graph is a data error, not a crash."""
    with pytest.raises(DataError, match="origins"):
        travel_seconds(line_graph([10.0]), [5], [0], vehicle=MEDIUM)


def test_boat_class_is_refused_on_roads():
    """Boats and helicopters do not get road matrices."""
    boat = next(c for c in DEFAULT_VEHICLE_CLASSES if c.id == "boat")
    with pytest.raises(DataError, match="does not drive on roads"):
        edge_seconds(line_graph([10.0]), boat)


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_matches_networkx_on_random_graphs(g):
    """csgraph times equal an independent networkx Dijkstra on the same edge weights."""
    w = edge_seconds(g, MEDIUM)
    h = nx.DiGraph()
    h.add_nodes_from(range(g.n_nodes))
    for u, v, s, one in zip(g.edge_u, g.edge_v, w, g.oneway, strict=True):
        for a, b in ((u, v),) if one else ((u, v), (v, u)):
            if a != b and (not h.has_edge(a, b) or h[a][b]["w"] > s):
                h.add_edge(int(a), int(b), w=float(s))
    nodes = np.arange(g.n_nodes)
    ours = travel_seconds(g, nodes, nodes, vehicle=MEDIUM)
    for s in nodes:
        dist = nx.single_source_dijkstra_path_length(h, int(s), weight="w")
        expect = [round(dist[t]) if t in dist else UNREACHABLE for t in nodes]
        assert np.abs(ours[s].astype(np.int64) - np.array(expect)).max() <= 1


@settings(max_examples=80, deadline=None)
@given(graph_and_conditions())
def test_closing_or_flooding_roads_never_shortens_a_travel_time(gc):
    """Any closures and floods leave every travel time equal or longer (or unreachable)."""
    g, cond = gc
    nodes = np.arange(g.n_nodes)
    for vehicle in (MEDIUM, HEAVY):
        before = travel_seconds(g, nodes, nodes, vehicle=vehicle)
        after = travel_seconds(g, nodes, nodes, vehicle=vehicle, conditions=cond)
        assert (after >= before).all()


@settings(max_examples=40, deadline=None)
@given(graph_and_conditions(), st.data())
def test_adding_a_closure_to_existing_conditions_never_shortens(gc, data):
    """Closing one more road on top of a flood never shortens any time."""
    g, cond = gc
    e = data.draw(st.integers(0, g.n_edges - 1))
    nodes = np.arange(g.n_nodes)
    before = travel_seconds(g, nodes, nodes, vehicle=MEDIUM, conditions=cond)
    after = travel_seconds(g, nodes, nodes, vehicle=MEDIUM, conditions=cond.close([e]))
    assert (after >= before).all()


def test_chunking_does_not_change_results():
    """Searching origins in chunks of 1 gives the same matrix as one call."""
    rng = np.random.default_rng(3)
    n = 40
    u, v = rng.integers(0, n, 120), rng.integers(0, n, 120)
    g = RoadGraph(
        np.zeros(n),
        np.zeros(n),
        u,
        v,
        rng.uniform(100, 5000, 120),
        np.full(120, 40.0),
        rng.random(120) < 0.2,
    )
    o = rng.integers(0, n, 25)
    assert (
        travel_seconds(g, o, np.arange(n), vehicle=MEDIUM, chunk=1)
        == travel_seconds(g, o, np.arange(n), vehicle=MEDIUM, chunk=64)
    ).all()


@pytest.mark.parametrize("chunk", [0, -1])
def test_non_positive_chunk_refused(chunk):
    """A chunk below 1 is refused instead of returning an unfilled matrix."""
    with pytest.raises(DataError, match="chunk"):
        travel_seconds(line_graph([10.0]), [0], [1], vehicle=MEDIUM, chunk=chunk)


@pytest.mark.parametrize("bad", [-5.0, np.nan])
def test_negative_or_nan_access_refused(bad):
    """Access seconds must be >= 0 (inf allowed): negative or NaN is a data error."""
    with pytest.raises(DataError, match="access seconds"):
        travel_seconds(line_graph([10.0]), [0], [1], vehicle=MEDIUM, origin_access_s=[bad])


def test_all_nodes_as_targets_matches_explicit_subset():
    """Asking for every node (the no-copy path) agrees with asking for them in another order."""
    g = line_graph([100.0, 200.0, 300.0])
    full = travel_seconds(g, [0, 2], np.arange(4), vehicle=MEDIUM)
    rev = travel_seconds(g, [0, 2], np.arange(4)[::-1], vehicle=MEDIUM)
    assert (full == rev[:, ::-1]).all()

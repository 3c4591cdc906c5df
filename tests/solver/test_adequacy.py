"""The relief check's bound: no plan that obeys the rules meets more people by a target."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.adequacy import CheckProblem, DemandPoint, Reason, SupplyPoint, check
from solver.catalogue import DEFAULT_CATALOGUE, Catalogue, Item, NeedGroup
from solver.errors import DataError
from solver.fleet import FleetClass
from solver.loading import Dock, DockTrip, play_dock
from solver.met import Arrival, share_met

#: One tonne, one cubic metre per kit: trucks carry kits by weight.
KIT = Catalogue((Item("kit", "包", "kit", "piece", 1000.0, 1.0, NeedGroup.FOOD, 1.0),))
TWO = Catalogue(
    (
        Item("food", "食", "food", "box", 1000.0, 0.5, NeedGroup.FOOD, 1.0),
        Item("bed", "床", "bed", "piece", 500.0, 1.0, NeedGroup.SHELTER, 1.0),
    )
)


def supply(sid, stock, *, start=1.0, bays=1, rate=4.0, dock=0.0, trucks=50, payload_t=100.0):
    """A depot with ``trucks`` trucks of ``payload_t`` t (volume never binds)."""
    stock = stock if isinstance(stock, dict) else {"kit": stock}
    return SupplyPoint(
        sid,
        stock,
        Dock(sid, ((start, 1000.0),), bays, rate, dock),
        (FleetClass("truck", trucks, payload_t * 1000.0, 1e6),) if trucks else (),
    )


def demand(did, people, ready=0.0, handover=0.5, need=None, **kw):
    return DemandPoint(did, people, need or {"kit": people}, ready, handover, **kw)


def problem(demands, supplies, travel, targets=(10.0, 12.0), catalogue=KIT, back=None):
    t = np.array(travel, dtype=float)[None, :, :]
    b = t if back is None else np.array(back, dtype=float)[None, :, :]
    return CheckProblem(
        tuple(demands), tuple(supplies), catalogue, ("truck",), t, t, b, targets_h=targets
    )


def test_stock_limits_people_met_and_names_the_item():
    """12 kits for 15 people: 12 met, the short place's reason is a kit shortfall of 3."""
    res = check(problem([demand("P1", 10), demand("P2", 5)], [supply("A", 12)], [[2.0, 6.0]]))
    assert res.target(10.0).people_met == pytest.approx(12.0, abs=1e-6)
    assert res.bound
    short = [p for p in res.points if p.met_by_target[10.0] < p.people - 1e-6]
    assert short and all(p.findings[10.0].reason is Reason.STOCK_SHORTFALL for p in short)
    assert short[0].findings[10.0].item == "kit"
    assert res.never_met == {"stock_shortfall": sum(p.people for p in short)}


def test_one_bay_loads_one_truckload_at_a_time_with_dock_time():
    """One 1 t/h bay from 1 h, 0.5 h dock per truckload, 2 h away, 0.5 h handover: by 10 h
    the bay has 6.5 h to load; one truckload of 6 t fits (0.5 + 6 h), two of 3 t do not."""
    res = check(problem([demand("P", 20)], [supply("A", 100, rate=1.0, dock=0.5)], [[2.0]]))
    assert res.target(10.0).people_met == pytest.approx(6.0, abs=1e-6)
    assert res.points[0].findings[10.0].reason is Reason.DISPATCH_CAPACITY


def test_a_lone_truck_makes_its_trips_one_after_another():
    """One 2 t truck, 1 h each way, loading 1 h per truckload (2 t/h), 0.5 h unload: trips
    arrive at 3, 6.5 and 10 h (leaving at 1+1, 4.5+1 ...), so by 10 h + 0.5 h handover the
    bound allows 2 t at 3 h, 2 at 6.5 h and 2 more whose arrival is <= 9.5 h: 6 kits at most
    minus the last trip's lateness; fractional trips may only make the most of the time."""
    d = demand("P", 20)
    one = check(problem([d], [supply("A", 100, rate=2.0, trucks=1, payload_t=2.0)], [[1.0]]))
    many = check(problem([d], [supply("A", 100, rate=2.0, bays=5, payload_t=2.0)], [[1.0]]))
    assert one.target(10.0).people_met < many.target(10.0).people_met - 1.0
    assert one.points[0].findings[10.0].reason is Reason.FLEET_CAPACITY


def test_unreachable_point_is_reported_not_dropped():
    """A point no depot can reach stays in the result with reason 'unreachable'."""
    res = check(
        problem([demand("P1", 10), demand("CUT", 7)], [supply("A", 100)], [[1.0, math.inf]])
    )
    cut = next(p for p in res.points if p.id == "CUT")
    assert cut.hours_to_met is None and cut.met_by_target[10.0] == 0
    assert cut.findings[10.0].reason is Reason.UNREACHABLE
    assert res.target(10.0).people_total == 17


def test_too_far_for_the_first_target_in_time_for_the_second():
    """A point 9 h away: start 1 h + 9 h + 0.5 h handover is past 10 h; 12 h is reachable."""
    res = check(problem([demand("P", 5)], [supply("A", 100)], [[9.0]]))
    p = res.points[0]
    assert p.findings[10.0].reason is Reason.TOO_FAR
    assert p.status(12.0) == "met"
    assert p.hours_to_met == 12.0


def test_evacuation_late():
    """People who reach the shelter at 11 h cannot have their needs met by 10 h."""
    res = check(problem([demand("S", 5, ready=11.0)], [supply("A", 100)], [[1.0]]))
    assert res.points[0].findings[10.0].reason is Reason.EVACUATION_LATE


def test_opening_hours_delay_loading():
    """A depot open 8-20 h, 0.5 h away with 0.5 h handover, loads from 8 h: by 10 h a bay
    (2 t/h, no dock time) has 1 h; by 12 h, 3 h."""
    s = SupplyPoint(
        "E",
        {"kit": 100},
        Dock("E", ((8.0, 20.0),), 1, 2.0, 0.0),
        (FleetClass("truck", 9, 1e5, 1e6),),
    )
    res = check(problem([demand("P", 50)], [s], [[0.5]]))
    assert res.target(10.0).people_met == pytest.approx(2.0, abs=1e-6)
    assert res.target(12.0).people_met == pytest.approx(6.0, abs=1e-6)


def test_a_depot_without_trucks_sends_nothing():
    """Stock without a truck to carry it counts for nobody."""
    res = check(problem([demand("P", 5)], [supply("A", 100, trucks=0)], [[1.0]]))
    assert res.target(10.0).people_met == pytest.approx(0.0)


def test_what_binds_is_measured():
    """Bays binding: the limits put the shortfall down to loading and name the depot."""
    res = check(problem([demand("P", 40)], [supply("A", 100, rate=1.0)], [[1.0]]))
    kpi = res.target(10.0)
    assert kpi.binding == "loading"
    assert kpi.limits["loading"] == pytest.approx(40 - kpi.people_met, rel=1e-6)
    assert kpi.pinches and kpi.pinches[0].depot == "A" and kpi.pinches[0].family == "loading"


def test_same_input_same_answer():
    """Two runs on the same problem give identical answers."""
    demands = [demand(f"P{i}", 5 + i) for i in range(5)]
    supplies = [supply("A", 20, rate=2.0), supply("B", 15, rate=3.0)]
    travel = np.arange(10, dtype=float).reshape(2, 5) / 3 + 1
    a = check(problem(demands, supplies, travel))
    b = check(problem(demands, supplies, travel))
    assert a.shipments == b.shipments and a.targets == b.targets


def test_zero_or_negative_targets_refused():
    """A target of 0 hours is refused, naming the field."""
    with pytest.raises(DataError, match="positive hours") as info:
        problem([demand("P", 1)], [supply("A", 1)], [[1.0]], targets=(0.0,))
    assert info.value.field == "targets"


def test_travel_arrays_are_checked():
    """Negative or NaN travel hours are refused naming the array."""
    with pytest.raises(DataError) as info:
        problem([demand("P", 1)], [supply("A", 1)], [[-1.0]])
    assert info.value.field == "arrive_h"


def test_indoor_shelter_needs_no_tent_in_default_catalogue():
    """The default catalogue's quotas give 1/3 tent per person and 3 waters per day."""
    need = DEFAULT_CATALOGUE.needs(30, 24)
    assert need["tent"] == 10 and need["water"] == 90


# --- the bound against every plan of tiny cases ----------------------------------------------


def best_plan(case, target):
    """The most people met by ``target`` over every plan of up to two trips (exhaustive).

    A trip is a truck, one or two stops in order and what it unloads at each; each depot
    loads its trips in plan order (:func:`solver.loading.play_dock`), legs use the place
    travel times, unloading takes ``unload`` hours; "met" is :func:`solver.met.share_met`.
    """
    dock, trucks, cap, demands, pos, unload = case
    n_d = len(demands)
    loads_at = []
    for d in demands:
        opts = [
            (qf, qb)
            for qf in range(d.need.get("food", 0) + 1)
            for qb in range(d.need.get("bed", 0) + 1)
            if qf + qb > 0
        ]
        loads_at.append(opts)
    stops = [[p] for p in range(n_d)] + [list(o) for o in itertools.permutations(range(n_d), 2)]
    trips = []
    for v in range(trucks):
        for route in stops:
            for loads in itertools.product(*(loads_at[p] for p in route)):
                tonnes = sum(qf * 1.0 + qb * 0.5 for qf, qb in loads)
                if tonnes <= cap + 1e-9:
                    trips.append((v, route, loads, tonnes))

    def hours(a, b):
        return abs(pos[a] - pos[b]) + (0.1 if a != b else 0.0)

    best = 0.0
    for n in range(3):
        for plan in itertools.product(trips, repeat=n):
            arrivals = [[] for _ in demands]

            def drive(k, depart, plan=plan, arrivals=arrivals):
                _, route, loads, _ = plan[k]
                t, here = depart, -1
                for p, (qf, qb) in zip(route, loads, strict=True):
                    t += hours(here, p)
                    arrivals[p] += [Arrival("food", qf, t), Arrival("bed", qb, t)]
                    t += unload
                    here = p
                return t + hours(here, -1)

            play_dock(
                dock,
                [DockTrip(f"v{v}", tonnes) for v, _, _, tonnes in plan],
                {f"v{v}": dock.start_h for v in range(trucks)},
                drive,
            )
            met = sum(
                d.people * share_met(d.need, arrivals[p], d.ready_h, d.handover_h, target)
                for p, d in enumerate(demands)
            )
            best = max(best, met)
    return best


@st.composite
def tiny_worlds(draw):
    bays = draw(st.integers(1, 2))
    dock = Dock(
        "A",
        ((draw(st.sampled_from([0.0, 1.0])), 100.0),),
        bays,
        1.0,
        draw(st.sampled_from([0.0, 0.5])),
    )
    trucks = draw(st.integers(1, 2))
    cap = float(draw(st.sampled_from([1.0, 1.5, 2.0])))
    n_d = draw(st.integers(1, 2))
    demands = []
    for p in range(n_d):
        need = {"food": draw(st.integers(0, 1)), "bed": draw(st.integers(0, 2))}
        if not any(need.values()):
            need["food"] = 1
        demands.append(
            DemandPoint(
                f"P{p}",
                draw(st.integers(1, 9)),
                {k: v for k, v in need.items() if v},
                float(draw(st.sampled_from([0.0, 2.0]))),
                float(draw(st.sampled_from([0.0, 0.5]))),
            )
        )
    pos = {-1: 0.0}
    for p in range(n_d):
        pos[p] = float(draw(st.sampled_from([0.5, 1.0, 2.0])))
    unload = float(draw(st.sampled_from([0.0, 0.5])))
    return dock, trucks, cap, demands, pos, unload


def bound_of(case, target):
    dock, trucks, cap, demands, pos, unload = case
    stock = {"food": 9, "bed": 9}
    sup = SupplyPoint("A", stock, dock, (FleetClass("truck", trucks, cap * 1000.0, 1e6),))
    travel = np.array([[abs(pos[p] - pos[-1]) + 0.1 for p in range(len(demands))]])
    prob = CheckProblem(
        tuple(demands),
        (sup,),
        TWO,
        ("truck",),
        travel[None],
        travel[None],
        travel[None],
        targets_h=(target,),
        unload_h=unload,
    )
    return check(prob).target(target).people_met


@settings(max_examples=25, deadline=None)
@given(tiny_worlds(), st.sampled_from([3.0, 4.0, 5.0]))
def test_no_plan_beats_the_bound(case, target):
    """Exhaustively over tiny cases (one depot, up to two trucks, bays, places and trips,
    one- or two-stop trips): the best plan never meets more people than the bound."""
    assert best_plan(case, target) <= bound_of(case, target) + 1e-4


# --- invariants ------------------------------------------------------------------------------


@st.composite
def random_problems(draw):
    n_s, n_d = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    supplies = [
        supply(
            f"S{s}",
            int(rng.integers(0, 30)),
            start=float(rng.uniform(1, 3)),
            rate=float(rng.uniform(0.5, 5)),
            bays=int(rng.integers(1, 3)),
            dock=float(rng.choice([0.0, 0.25])),
            trucks=int(rng.integers(1, 4)),
            payload_t=float(rng.choice([2.0, 6.0])),
        )
        for s in range(n_s)
    ]
    demands = [
        demand(f"P{p}", int(rng.integers(1, 25)), ready=float(rng.uniform(0, 4)))
        for p in range(n_d)
    ]
    travel = rng.uniform(0.2, 9, size=(n_s, n_d))
    travel[rng.random((n_s, n_d)) < 0.15] = np.inf
    return demands, supplies, travel


@settings(max_examples=30, deadline=None)
@given(random_problems(), st.integers(0, 2), st.integers(1, 20))
def test_more_stock_never_lowers_the_bound(case, which, extra):
    """Adding stock to any depot never lowers the people met by either target."""
    demands, supplies, travel = case
    which %= len(supplies)
    before = check(problem(demands, supplies, travel))
    more = list(supplies)
    s = more[which]
    more[which] = SupplyPoint(s.id, {"kit": s.stock["kit"] + extra}, s.dock, s.fleet)
    after = check(problem(demands, more, travel))
    for t in (10.0, 12.0):
        assert after.target(t).people_met >= before.target(t).people_met - 1e-4


@settings(max_examples=30, deadline=None)
@given(random_problems(), st.floats(0.0, 5.0), st.data())
def test_a_closed_road_never_raises_the_bound(case, delay, data):
    """Slowing or cutting a depot-place link never raises the people met by either target."""
    demands, supplies, travel = case
    s = data.draw(st.integers(0, len(supplies) - 1))
    p = data.draw(st.integers(0, len(demands) - 1))
    slower = travel.copy()
    slower[s, p] = slower[s, p] + delay if delay < 4.9 else np.inf
    before = check(problem(demands, supplies, travel))
    after = check(problem(demands, supplies, slower))
    for t in (10.0, 12.0):
        assert after.target(t).people_met <= before.target(t).people_met + 1e-4


@settings(max_examples=25, deadline=None)
@given(random_problems())
def test_every_demand_is_met_or_explained(case):
    """Each place is met by each target or carries a reason; none is left out; the bound at
    each target is at least what its own solution meets per place."""
    demands, supplies, travel = case
    res = check(problem(demands, supplies, travel))
    assert [p.id for p in res.points] == [d.id for d in demands]
    for p in res.points:
        for t in (10.0, 12.0):
            assert p.met_by_target[t] >= p.people - 1e-6 or t in p.findings
    for t in (10.0, 12.0):
        kpi = res.target(t)
        assert kpi.people_met <= sum(p.met_by_target[t] for p in res.points) + 1e-4
        assert kpi.people_met <= kpi.people_total + 1e-9

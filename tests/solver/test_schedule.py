"""Dispatch as scheduling: plans keep the rules, account for every unit, stay under the bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.adequacy import CheckProblem, DemandPoint, SupplyPoint, check
from solver.errors import DataError
from solver.fleet import FleetClass
from solver.loading import Dock
from solver.schedule import (
    Need,
    Order,
    Part,
    ScheduleParams,
    ScheduleProblem,
    Truck,
    greedy,
    people_met,
    play,
    solve_schedule,
    specs_of,
    value_greedy,
)
from tests.solver.test_adequacy import TWO


def world(seed: int, n_s: int = 2, n_d: int = 3, trucks: int = 2):
    """A random small world as both a scheduling problem and a check problem.

    Places lie on a line (so travel times keep the triangle inequality); one truck class;
    food (1 t, 0.5 m3) and beds (0.5 t, 1 m3); every depot's stock is split into orders
    for the nearest demands, in units of one kit.
    """
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0.0, 4.0, n_s + n_d)
    secs = np.round(np.abs(pos[:, None] - pos[None, :]) * 3600 + 360).astype(np.int64)
    np.fill_diagonal(secs, 0)
    docks = tuple(
        Dock(
            f"S{s}",
            ((float(rng.uniform(0.5, 2.0)), 200.0),),
            int(rng.integers(1, 3)),
            float(rng.uniform(1.0, 3.0)),
            float(rng.choice([0.0, 0.25])),
        )
        for s in range(n_s)
    )
    cap_t = float(rng.choice([2.0, 4.0]))
    truck_list = tuple(
        Truck(f"S{s}/t{k}", s, 0, int(cap_t * 1000), 100_000, docks[s].start_h, 40.0, 4)
        for s in range(n_s)
        for k in range(trucks)
    )
    needs = []
    demands = []
    for p in range(n_d):
        people = int(rng.integers(2, 12))
        need = {"food": people, "bed": people}
        ready = float(rng.uniform(0.0, 3.0))
        handover = float(rng.choice([0.5, 1.0]))
        needs.append(Need(people, need, ready, handover))
        demands.append(DemandPoint(f"P{p}", people, need, ready, handover))
    stock = [{"food": int(rng.integers(0, 20)), "bed": int(rng.integers(0, 20))} for _ in docks]
    orders = []
    left = [dict(s) for s in stock]
    for p, n in enumerate(needs):
        for s in np.argsort(np.abs(pos[:n_s] - pos[n_s + p])):
            take = {i: min(left[s][i], int(n.need[i])) for i in n.need}
            if not any(take.values()):
                continue
            for i in take:
                left[s][i] -= take[i]
            units = max(take.values())
            chunks = []
            for u in range(units):
                items = {i: 1 for i, q in take.items() if u < q}
                chunks.append((Part(p, items),))
            kg = [sum(1000 if i == "food" else 500 for i in ch[0].items) for ch in chunks]
            orders.append(Order(int(s), n_s + p, tuple(chunks), tuple(kg), tuple(500 for _ in kg)))
            break
    targets = (6.0, 8.0)
    sched = ScheduleProblem(
        docks,
        tuple(range(n_s)),
        truck_list,
        tuple(orders),
        tuple(needs),
        targets,
        (secs,),
        unload_h=0.5,
    )
    hours = secs / 3600.0
    arrive = hours[:n_s, n_s:][None]
    back = hours[n_s:, :n_s].T[None]
    supplies = tuple(
        SupplyPoint(
            f"S{s}",
            stock[s],
            docks[s],
            (FleetClass("truck", trucks, cap_t * 1000, 100.0),),
        )
        for s in range(n_s)
    )
    bound = CheckProblem(
        tuple(demands), supplies, TWO, ("truck",), arrive, arrive, back, targets_h=targets
    )
    return sched, bound


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 2), st.integers(1, 3))
def test_plans_keep_the_rules_and_account_for_every_unit(seed, n_s, trucks):
    """Every trip fits its truck, leaves once loaded, keeps the crew's shift and trip count;
    every unit of every order is carried once or listed as not carried."""
    prob, _ = world(seed, n_s=n_s, trucks=trucks)
    plan = solve_schedule(prob, ScheduleParams(2.0, seed=3))
    per_truck: dict[int, int] = {}
    carried = [0] * len(prob.orders)
    for tr in plan.trips:
        truck = prob.trucks[tr.truck]
        assert tr.kg(prob) <= truck.kg
        assert tr.litres(prob) <= truck.litres
        assert tr.depart_h >= tr.loaded_h - 1e-9 >= tr.start_h - 1e-9
        assert tr.start_h >= prob.docks[truck.depot].start_h - 1e-9
        assert tr.back_h is not None and tr.back_h <= truck.shift_end_h + 1e-9
        per_truck[tr.truck] = per_truck.get(tr.truck, 0) + 1
        carried[tr.order] += tr.units
    assert all(n <= prob.trucks[v].trips for v, n in per_truck.items())
    left = [0] * len(prob.orders)
    for j, _, n in plan.unplanned:
        left[j] += n
    assert [c + u for c, u in zip(carried, left, strict=True)] == [o.units for o in prob.orders]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_no_plan_made_here_beats_the_bound(seed):
    """The greedy, value-first and searched plans never meet more people than the check."""
    prob, bound = world(seed)
    res = check(bound)
    for specs in (greedy(prob), value_greedy(prob)):
        met = people_met(prob, play(prob, specs))
        for k, t in enumerate(prob.targets_h):
            assert met[k] <= res.target(t).people_met + 1e-4
    plan = solve_schedule(prob, ScheduleParams(2.0, seed=1))
    for k, t in enumerate(prob.targets_h):
        assert plan.people_met[k] <= res.target(t).people_met + 1e-4


def test_a_plan_is_its_own_replay():
    """Playing a plan's trips again, in its loading order, gives the same times."""
    prob, _ = world(7)
    plan = solve_schedule(prob, ScheduleParams(2.0, seed=1))
    again = play(prob, specs_of(plan.trips))
    key = [(t.order, t.first, t.units, t.truck, round(t.arrive_h, 9)) for t in plan.trips]
    assert sorted(key) == sorted(
        (t.order, t.first, t.units, t.truck, round(t.arrive_h, 9)) for t in again
    )


def test_same_seed_same_plan():
    """The default engine is seeded: two runs give the same trips."""
    prob, _ = world(11, n_s=2, n_d=4, trucks=3)
    a = solve_schedule(prob, ScheduleParams(3.0, seed=5))
    b = solve_schedule(prob, ScheduleParams(3.0, seed=5))
    assert a.trips == b.trips and a.people_met == b.people_met


def test_value_first_beats_deadline_first_when_a_load_is_worth_more():
    """Two demands share one truck: the one with more people is served first by value."""
    dock = Dock("S", ((0.0, 100.0),), 1, 4.0, 0.0)
    secs = np.array([[0, 3600, 3600], [3600, 0, 7200], [3600, 7200, 0]], dtype=np.int64)
    needs = (Need(2, {"food": 1}, 0.0, 0.5), Need(50, {"food": 1}, 0.0, 0.5))
    orders = tuple(Order(0, 1 + p, ((Part(p, {"food": 1}),),), (1000,), (500,)) for p in range(2))
    prob = ScheduleProblem(
        (dock,), (0,), (Truck("t", 0, 0, 1000, 10_000, 0.0),), orders, needs, (3.0,), (secs,)
    )
    met = people_met(prob, play(prob, value_greedy(prob)))
    assert met[0] == pytest.approx(50.0)


def test_unknown_engine_is_refused():
    """An engine name that does not exist names the field."""
    with pytest.raises(DataError) as info:
        ScheduleParams(engine="magic")
    assert info.value.field == "engine"


@pytest.mark.parametrize("engine", [greedy, value_greedy])
@pytest.mark.parametrize(
    ("targets", "shift_end", "met"),
    [
        # Too late for 3 h: cut to the 4 t that reach 8 h, not a full 10 t arriving at 13 h.
        ((3.0, 8.0), 20.0, (0.0, 4.0)),
        # A full load reaches 30 h but would be back after the shift (14.5 h > 9 h): cut to
        # the 4 t that let the truck be back by 9 h (loaded 6 h, there 7 h, back 8.5 h).
        ((3.0, 30.0), 9.0, (0.0, 4.0)),
    ],
)
def test_a_late_trip_is_cut_to_the_next_target_and_the_shift(engine, targets, shift_end, met):
    """A truck free at 2 h (bay 1 t/h, 1 h each way, 0.5 h unloading, one trip): its load is
    what still counts, not a full truckload that misses both."""
    dock = Dock("S", ((0.0, 100.0),), 1, 1.0, 0.0)
    secs = np.array([[0, 3600], [3600, 0]], dtype=np.int64)
    needs = (Need(10, {"food": 10}, 0.0, 0.5),)
    chunks = tuple((Part(0, {"food": 1}),) for _ in range(10))
    orders = (Order(0, 1, chunks, (1000.0,) * 10, (100.0,) * 10),)
    truck = Truck("t", 0, 0, 10_000, 100_000, 2.0, shift_end_h=shift_end, trips=1)
    prob = ScheduleProblem((dock,), (0,), (truck,), orders, needs, targets, (secs,))
    trips = play(prob, engine(prob))
    assert [t.units for t in trips] == [4]
    assert people_met(prob, trips) == pytest.approx(met)

"""Shelter placement (solver/shelter_placement.py): capacity, overflow, optimality."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from solver.errors import DataError
from solver.shelter_placement import OVERFLOW_COST_S, PlacementProblem, place_people
from solver.traveltime import UNREACHABLE

X = UNREACHABLE


def test_people_go_to_the_nearest_shelter_with_room():
    """The near shelter fills first; the rest of its origin goes to the far one."""
    res = place_people(PlacementProblem([30, 10], [25, 100], [[100, 900], [200, 300]]))
    # Moving origin 1 to shelter 1 (+100 s each) frees room for origin 0 (saving 800 s each).
    assert res.flows.tolist() == [[25, 5], [0, 10]]
    assert res.unplaced.tolist() == [0, 0]
    assert res.objective == 25 * 100 + 5 * 900 + 10 * 300
    assert res.status == "optimal" and res.bound == res.objective and res.gap == 0.0
    assert res.full.tolist() == [True, False]


def test_people_without_room_are_unplaced_and_counted():
    """40 people, 25 places: 15 are unplaced at the overflow cost."""
    res = place_people(PlacementProblem([40], [25], [[60]]))
    assert res.flows.tolist() == [[25]] and res.unplaced.tolist() == [15]
    assert res.objective == 25 * 60 + 15 * OVERFLOW_COST_S
    assert res.placed == 25


def test_unreachable_shelters_are_never_used():
    """An origin cut off from the only free shelter stays unplaced, though room is left."""
    res = place_people(PlacementProblem([5, 5], [100], [[X], [10]]))
    assert res.flows.tolist() == [[0], [5]] and res.unplaced.tolist() == [5, 0]
    assert res.full.tolist() == [False]


def test_no_shelters_leaves_everyone_unplaced():
    """With no shelters at all every person is reported unplaced."""
    res = place_people(PlacementProblem([3, 4], np.zeros(0, int), np.zeros((2, 0), int)))
    assert res.unplaced.tolist() == [3, 4] and res.flows.shape == (2, 0)


@pytest.mark.parametrize(
    ("people", "room", "seconds", "field"),
    [
        ([-1], [5], [[1]], "people"),
        ([1.5], [5], [[1]], "people"),
        ([1], [np.nan], [[1]], "room"),
        ([1], [5], [[1, 2]], "seconds"),
        ([1], [5], [1], "seconds"),
        ([1], [5], [[-3]], "seconds"),
    ],
)
def test_bad_input_names_its_field(people, room, seconds, field):
    """Negative, fractional, non-finite or misshapen input is refused, naming the field."""
    with pytest.raises(DataError) as err:
        PlacementProblem(people, room, seconds)
    assert err.value.field == field and err.value.message_zh


def test_result_arrays_are_read_only():
    """Neither the problem's nor the result's arrays can be changed after the fact."""
    prob = PlacementProblem([1], [1], [[1]])
    res = place_people(prob)
    for arr in (prob.people, prob.seconds, res.flows, res.unplaced, res.full):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0


@st.composite
def problems(draw):
    n_o, n_s = draw(st.integers(1, 5)), draw(st.integers(0, 4))
    people = draw(st.lists(st.integers(0, 30), min_size=n_o, max_size=n_o))
    room = draw(st.lists(st.integers(0, 40), min_size=n_s, max_size=n_s))
    cell = st.one_of(st.integers(0, 50_000), st.just(int(X)))
    seconds = draw(st.lists(st.lists(cell, min_size=n_s, max_size=n_s), min_size=n_o, max_size=n_o))
    return PlacementProblem(people, room, np.array(seconds, dtype=np.int64).reshape(n_o, n_s))


def _lp_optimum(prob):
    """The transportation LP's optimum (integral, so equal to the flow's), by SciPy."""
    n_o, n_s = prob.seconds.shape
    cost = np.where(prob.reachable, prob.seconds, 0).astype(float)
    c = np.concatenate([cost.ravel(), np.full(n_o, float(OVERFLOW_COST_S))])
    a_eq = np.zeros((n_o, n_o * n_s + n_o))
    a_ub = np.zeros((n_s, n_o * n_s + n_o))
    for i in range(n_o):
        a_eq[i, i * n_s : (i + 1) * n_s] = 1
        a_eq[i, n_o * n_s + i] = 1
        for k in range(n_s):
            a_ub[k, i * n_s + k] = 1
    ub = [(0, None if r else 0) for r in prob.reachable.ravel()] + [(0, None)] * n_o
    res = linprog(
        c,
        A_ub=a_ub if n_s else None,
        b_ub=prob.room if n_s else None,
        A_eq=a_eq,
        b_eq=prob.people,
        bounds=ub,
    )
    return res.fun


@settings(max_examples=80, deadline=None)
@given(problems())
def test_capacity_holds_and_everyone_is_placed_or_reported(prob):
    """No shelter takes more than its room, no one travels an unreachable pair, every
    person is placed or reported unplaced, nobody is unplaced while a reachable shelter has
    room, and the cost is the transportation LP's optimum."""
    res = place_people(prob)
    assert (res.flows.sum(axis=0) <= prob.room).all()
    assert (res.flows[~prob.reachable] == 0).all()
    assert (res.flows.sum(axis=1) + res.unplaced == prob.people).all()
    assert (res.flows >= 0).all() and (res.unplaced >= 0).all()
    for i in np.flatnonzero(res.unplaced):
        assert res.full[prob.reachable[i]].all()
    travel = int((res.flows * np.where(prob.reachable, prob.seconds, 0)).sum())
    assert res.objective == travel + OVERFLOW_COST_S * int(res.unplaced.sum())
    assert res.objective == pytest.approx(_lp_optimum(prob), rel=1e-9, abs=1e-6)


def test_same_input_same_answer():
    """Ties are broken the same way on every run."""
    prob = PlacementProblem([10, 10], [10, 10], [[5, 5], [5, 5]])
    a, b = place_people(prob), place_people(prob)
    assert a.flows.tolist() == b.flows.tolist()

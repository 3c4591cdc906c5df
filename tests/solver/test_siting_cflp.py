"""Capacitated facility location (solver/location_cflp.py) against enumeration."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from solver.errors import DataError
from solver.location_cflp import CflpProblem, cflp


def _transport(prob, opened, single):
    """Cheapest service of every customer from ``opened`` (LP, or enumeration if single)."""
    n = prob.cost.shape[1]
    cap = prob.capacity[list(opened)]
    cost = prob.cost[list(opened)]
    if single:
        best = np.inf
        for assign in itertools.product(range(len(opened)), repeat=n):
            load = np.bincount(assign, weights=prob.demand, minlength=len(opened))
            if (load <= cap + 1e-9).all():
                best = min(best, sum(cost[a, i] for i, a in enumerate(assign)))
        return best
    k = len(opened)
    a_eq = np.zeros((n, k * n))
    a_ub = np.zeros((k, k * n))
    for j in range(k):
        for i in range(n):
            a_eq[i, j * n + i] = 1
            a_ub[j, j * n + i] = prob.demand[i]
    res = linprog(cost.ravel(), A_ub=a_ub, b_ub=cap, A_eq=a_eq, b_eq=np.ones(n), bounds=(0, 1))
    return res.fun if res.status == 0 else np.inf


@st.composite
def instances(draw):
    m, n = draw(st.integers(2, 4)), draw(st.integers(2, 5))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    demand = rng.integers(1, 10, n).astype(float)
    capacity = rng.integers(5, 25, m).astype(float)
    if capacity.sum() < demand.sum():
        capacity[0] += demand.sum()
    return CflpProblem(
        rng.integers(0, 50, m).astype(float), capacity, demand, rng.uniform(1, 40, (m, n))
    )


@settings(max_examples=30, deadline=None)
@given(instances(), st.booleans())
def test_cflp_matches_enumeration(prob, single):
    """The optimum equals the best over every set of open facilities (single- or
    multi-source), or the model says why no plan exists."""
    m = len(prob.capacity)
    best = np.inf
    for r in range(1, m + 1):
        for opened in itertools.combinations(range(m), r):
            total = prob.fixed_cost[list(opened)].sum() + _transport(prob, opened, single)
            best = min(best, total)
    try:
        res = cflp(prob, single_source=single)
    except DataError as err:
        assert single and np.isinf(best) and err.field in ("demand", "capacity")
        return
    assert res.status == "optimal" and res.objective == pytest.approx(best, rel=1e-6)
    served = res.shares.sum(axis=0)
    assert np.allclose(served, 1, atol=1e-6)
    load = res.shares @ prob.demand
    assert (load <= prob.capacity * res.open_mask + 1e-6).all()
    if single:
        assert np.allclose(res.shares, np.round(res.shares), atol=1e-6)


def test_capacity_short_is_named():
    """Total capacity below the demand is an honest infeasibility naming capacity."""
    with pytest.raises(DataError, match="infeasible") as info:
        CflpProblem(np.ones(2), np.array([3.0, 4.0]), np.array([5.0, 5.0]), np.ones((2, 2)))
    assert info.value.field == "capacity" and info.value.problem_zh


def test_size_options_pick_one_class_per_site():
    """With two size options per site the cheaper adequate one is built."""
    prob = CflpProblem(
        np.array([[10.0, 30.0], [10.0, 30.0]]),
        np.array([[5.0, 20.0], [5.0, 20.0]]),
        np.array([6.0, 6.0]),
        np.array([[1.0, 1.0], [50.0, 50.0]]),
    )
    res = cflp(prob)
    assert res.status == "optimal" and res.option.tolist() == [1, -1]
    assert res.objective == pytest.approx(32.0)

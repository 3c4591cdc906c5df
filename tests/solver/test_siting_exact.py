"""The exact p-median machinery: heuristics, Lagrangian bound, reduction, tree, incumbents."""

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.mip import Backend, MipParams
from solver.siting import SitingProblem, lscp, mclp, pcenter, pmedian, settle
from solver.siting_branch import branch_and_bound
from solver.siting_heuristics import (
    mclp_heuristic,
    pmedian_cost,
    pmedian_heuristic,
    pmedian_interchange,
)
from solver.siting_lagrange import reduce, subgradient
from solver.siting_pmedian import solve_pmedian


def brute_median(cost, fixed, p):
    """The least total cost over every choice of p free sites."""
    free = np.flatnonzero(~fixed)
    best = np.inf
    for combo in itertools.combinations(free, p):
        mask = fixed.copy()
        mask[list(combo)] = True
        best = min(best, pmedian_cost(cost, mask))
    return best


@st.composite
def median_instances(draw):
    n_c = draw(st.integers(3, 9))
    n_p = draw(st.integers(2, 14))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    xy_c, xy_p = rng.uniform(0, 10, (n_c, 2)), rng.uniform(0, 10, (n_p, 2))
    cost = np.hypot(*(xy_c[:, None, :] - xy_p[None, :, :]).transpose(2, 0, 1))
    if draw(st.booleans()):
        cost = np.round(cost * 3)  # whole numbers: the bound is rounded up
    cost *= rng.integers(1, 5, n_p)[None, :]
    fixed = np.zeros(n_c, bool)
    if draw(st.booleans()):
        fixed[0] = True
    p = draw(st.integers(1, n_c - int(fixed.sum()) - 1))
    return cost, fixed, p


@settings(max_examples=30, deadline=None)
@given(median_instances(), st.sampled_from(["auto", "tree", "mip"]))
def test_exact_pmedian_matches_enumeration(inst, method):
    """Every method proves the optimum that enumeration finds; the bound meets it."""
    cost, fixed, p = inst
    ans = solve_pmedian(cost, fixed, p, params=MipParams(Backend.HIGHS, 30), method=method)
    assert ans.status == "optimal"
    assert ans.objective == pytest.approx(brute_median(cost, fixed, p), abs=1e-6)
    assert ans.bound == pytest.approx(ans.objective, abs=1e-6)
    assert int((ans.open_mask & ~fixed).sum()) == p and ans.open_mask[fixed].all()


@settings(max_examples=40, deadline=None)
@given(median_instances())
def test_lagrangian_bound_never_exceeds_the_optimum(inst):
    """L(u) is a lower bound, and a reduction at the optimum's value keeps an optimum."""
    cost, fixed, p = inst
    opt = brute_median(cost, fixed, p)
    heur = pmedian_heuristic(cost, fixed, p)
    lag = subgradient(cost, fixed, p, heur, max_iter=300)
    assert lag.bound <= opt + 1e-6
    assert lag.upper >= opt - 1e-6
    red = reduce(cost, fixed, p, lag.u, opt + 1e-6)
    free = np.flatnonzero(~fixed & ~red.closed)
    best = np.inf
    for combo in itertools.combinations(free, p):
        mask = fixed.copy()
        mask[list(combo)] = True
        if (mask[red.open_]).all():
            best = min(best, pmedian_cost(cost, mask))
    assert best == pytest.approx(opt, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(median_instances())
def test_interchange_never_worsens_and_keeps_p(inst):
    """A swap is taken only when it pays; the number of open sites is kept."""
    cost, fixed, p = inst
    rng = np.random.default_rng(0)
    start = fixed.copy()
    start[rng.choice(np.flatnonzero(~fixed), p, replace=False)] = True
    out = pmedian_interchange(cost, fixed, start)
    assert out.sum() == start.sum() and out[fixed].all()
    assert pmedian_cost(cost, out) <= pmedian_cost(cost, start) + 1e-9


def test_tree_stopped_early_reports_incumbent_and_a_valid_bound():
    """With no time the tree still returns its incumbent and a bound below the optimum."""
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 100, (40, 2))
    cost = np.round(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    fixed = np.zeros(40, bool)
    heur = pmedian_heuristic(cost, fixed, 3)
    lag = subgradient(cost, fixed, 3, heur, granularity=1.0, max_iter=50)
    tree = branch_and_bound(
        cost,
        fixed,
        3,
        lag.open_mask,
        lag.upper,
        lag.u,
        lag.bound,
        granularity=1.0,
        deadline=time.perf_counter() - 1,
    )
    opt = solve_pmedian(cost, fixed, 3, params=MipParams(Backend.HIGHS, 60))
    assert opt.status == "optimal"
    assert tree.upper >= opt.objective - 1e-9 and tree.bound <= opt.objective + 1e-9
    assert tree.open_mask.sum() == 3


def test_pmedian_at_a_tiny_time_limit_still_returns_sites():
    """A time limit too short to prove anything still gives p sites, a bound and a gap."""
    rng = np.random.default_rng(1)
    hours = rng.uniform(0.1, 3, (120, 300))
    prob = SitingProblem(
        hours,
        rng.integers(1, 100, 300).astype(float),
        np.zeros(120, bool),
        tuple(map(str, range(120))),
        tuple(map(str, range(300))),
    )
    s = pmedian(prob, 6, params=MipParams(Backend.HIGHS, 0.01))
    assert len(s.opened) == 6 and s.status in ("optimal", "feasible")
    assert s.bound <= s.objective + 1e-9
    assert s.status == "optimal" or s.gap > 0


def test_settle_keeps_the_incumbent_when_the_mip_has_nothing():
    """A MIP that stopped with no solution gives way to the heuristic and the trivial bound."""
    from solver.mip import MipResult

    empty = MipResult("not_solved", np.nan, np.nan, np.full(3, np.nan), 1.0, "scip")
    out = settle(
        empty,
        maximize=True,
        incumbent=np.array([1.0, 0, 1]),
        incumbent_objective=7.0,
        fallback_bound=10.0,
    )
    assert out.status == "feasible" and out.objective == 7.0 and out.bound == 10.0
    assert out.gap == pytest.approx(3 / 7)


@pytest.mark.parametrize("backend", [Backend.SCIP, Backend.HIGHS, Backend.CP_SAT])
def test_mclp_always_has_sites_even_at_a_tiny_time_limit(backend):
    """Maximal coverage with 1 ms returns p sites covering at least the greedy answer."""
    rng = np.random.default_rng(2)
    hours = rng.uniform(0, 2, (60, 400))
    prob = SitingProblem(
        hours,
        rng.integers(1, 50, 400).astype(float),
        np.zeros(60, bool),
        tuple(map(str, range(60))),
        tuple(map(str, range(400))),
    )
    s = mclp(prob, 0.3, 5, params=MipParams(backend, 0.001))
    assert 1 <= len(s.opened) <= 5 and s.objective > 0
    assert s.status in ("optimal", "feasible") and s.bound >= s.objective - 1e-9


def test_mclp_heuristic_is_feasible_and_not_worse_than_greedy_alone():
    """Greedy + swap opens at most p sites and never covers fewer people than p = 0."""
    from scipy.sparse import csr_matrix

    rng = np.random.default_rng(4)
    cover = csr_matrix(rng.random((30, 200)) < 0.08)
    w = rng.integers(1, 20, 200).astype(float)
    mask = mclp_heuristic(cover, w, np.zeros(30, bool), 4)
    assert mask.sum() <= 4
    covered = np.asarray(cover[np.flatnonzero(mask)].sum(axis=0)).ravel() > 0
    assert w[covered].sum() > 0


def test_pcenter_radius_matches_enumeration():
    """The p-center radius equals the best over every choice of sites."""
    rng = np.random.default_rng(5)
    hours = rng.uniform(0, 5, (9, 25))
    prob = SitingProblem(
        hours,
        np.ones(25),
        np.zeros(9, bool),
        tuple(map(str, range(9))),
        tuple(map(str, range(25))),
    )
    s = pcenter(prob, 3)
    best = min(hours[list(c)].min(axis=0).max() for c in itertools.combinations(range(9), 3))
    assert s.status == "optimal" and s.objective == pytest.approx(best)


def test_lscp_at_a_tiny_time_limit_returns_the_greedy_cover():
    """Set covering with no time still covers every coverable point."""
    rng = np.random.default_rng(6)
    hours = rng.uniform(0, 2, (50, 300))
    prob = SitingProblem(
        hours,
        np.ones(300),
        np.zeros(50, bool),
        tuple(map(str, range(50))),
        tuple(map(str, range(300))),
    )
    s = lscp(prob, 0.4, params=MipParams(Backend.SCIP, 0.001))
    assert prob.covered(s.open_mask, 0.4).all()
    assert s.bound <= s.objective + 1e-9


def _random_problem(n_c, n_p, seed, existing=2):
    rng = np.random.default_rng(seed)
    hours = rng.uniform(0, 3, (n_c, n_p))
    ex = np.zeros(n_c, bool)
    ex[:existing] = True
    return SitingProblem(
        hours,
        rng.integers(1, 200, n_p).astype(float),
        ex,
        tuple(map(str, range(n_c))),
        tuple(map(str, range(n_p))),
    )


def test_extended_models_keep_an_incumbent_at_a_tiny_time_limit():
    """Capacitated, tiered and robust siting return feasible sites, a bound and a gap
    even when the MIP gets 1 ms."""
    from solver.siting_extended import SizeOption, TierSpec, capacitated, robust, tiered

    prob = _random_problem(40, 300, 7)
    tiny = MipParams(Backend.SCIP, 0.001)
    opts = (SizeOption("s", "小", 3000, 100, 1.0), SizeOption("l", "大", 9000, 500, 4.0))
    cap = capacitated(
        prob, 0.5, options=opts, existing_capacity=np.full(40, 2000.0), p=4, params=tiny
    )
    assert 1 <= len(cap.opened) <= 4 and cap.status in ("optimal", "feasible")
    assert cap.detail["people_served"] > 0 and cap.bound >= cap.objective - 1e-6
    tiers = (TierSpec("township", 0.3, 3), TierSpec("county", 0.8, 1))
    t = tiered(prob, tiers, existing_tier=["county", "township"] + [None] * 38, params=tiny)
    assert sorted(t.detail["tier"].values()) == ["county", "township", "township", "township"]
    assert t.bound >= t.objective - 1e-6
    wet_h = prob.hours.copy()
    wet_h[2:10] = np.inf
    wet = SitingProblem(wet_h, prob.weights, prob.existing, prob.candidate_ids, prob.point_ids)
    r = robust([prob, wet], 0.4, 3, params=tiny)
    assert len(r.opened) == 3 and r.status in ("optimal", "feasible")
    assert r.bound >= r.objective - 1e-9


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 4))
def test_capacitated_incumbent_respects_capacity(seed, p):
    """The greedy plan serves nobody beyond reach or a site's capacity, each point once."""
    from solver.siting_incumbents import capacitated_greedy

    prob = _random_problem(12, 40, seed)
    reach = prob.hours <= 1.0
    cj, pi = np.nonzero(reach)
    caps = np.array([300.0, 900.0])
    cap_ex = np.full(12, 150.0)
    y, a = capacitated_greedy(
        reach,
        prob.weights,
        prob.existing,
        cap_ex,
        prob.new,
        caps,
        np.array([1.0, 3.0]),
        (cj, pi),
        p=p,
        budget=None,
    )
    y = y.reshape(len(prob.new), 2)
    assert y.sum() <= p and (y.sum(axis=1) <= 1).all()
    served = np.bincount(pi, weights=a, minlength=40)
    assert (served <= 1 + 1e-9).all() and (a >= -1e-12).all()
    load = np.bincount(cj, weights=a * prob.weights[pi], minlength=12)
    limit = cap_ex * prob.existing
    limit[prob.new] = y @ caps
    assert (load <= limit + 1e-6).all()

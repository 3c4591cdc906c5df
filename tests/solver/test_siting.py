import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solver.errors import DataError
from solver.mip import Backend, MipParams
from solver.siting import SitingProblem, lscp, mclp, pcenter, pmedian
from solver.siting_extended import SizeOption, TierSpec, capacitated, robust, tiered


def line(cands, pts, weights=None, existing=()):
    """Candidates and points on a line; hours = distance / 10."""
    cands, pts = np.asarray(cands, float), np.asarray(pts, float)
    hours = np.abs(cands[:, None] - pts[None, :]) / 10.0
    ex = np.zeros(len(cands), bool)
    ex[list(existing)] = True
    w = np.ones(len(pts)) if weights is None else np.asarray(weights, float)
    return SitingProblem(
        hours,
        w,
        ex,
        tuple(f"c{i}" for i in range(len(cands))),
        tuple(f"p{i}" for i in range(len(pts))),
    )


def brute(problem, p, score):
    """Best score over every choice of p new candidates."""
    best = None
    for combo in itertools.combinations(problem.new, p):
        mask = problem.existing.copy()
        mask[list(combo)] = True
        val = score(mask)
        best = val if best is None else max(best, val)
    return best


def test_mclp_hand_case():
    """Points at 0..40, candidates at 0, 20, 40, radius 0.5 h (5 km): one site at 20 covers 3."""
    prob = line([0, 20, 40], [0, 15, 20, 25, 40])
    s = mclp(prob, 0.5, 1)
    assert s.status == "optimal" and s.objective == 3 and s.opened == (1,)
    assert s.coverage_before == 0 and s.coverage_after == pytest.approx(0.6)


def test_existing_depots_stay_open_and_count():
    """An existing depot at 0 covers point 0; the new site adds the best of the rest."""
    prob = line([0, 20, 40], [0, 15, 20, 25, 40], existing=[0])
    s = mclp(prob, 0.5, 1)
    assert s.open_mask[0] and s.opened == (1,)
    assert s.objective == 4 and s.coverage_before == pytest.approx(0.2)


def test_lscp_reports_uncoverable_points():
    """A point 30 km from every candidate cannot be covered within 0.5 h: listed, infeasible."""
    prob = line([0, 20], [0, 20, 50])
    s = lscp(prob, 0.5)
    assert s.status == "infeasible" and s.uncoverable == (2,)
    assert set(s.opened) == {0, 1}


def test_pmedian_hand_case():
    """Two clusters: p=2 opens one site in each; the weighted distance is the sum of offsets."""
    prob = line([0, 1, 10, 11], [0, 1, 10, 11], weights=[1, 1, 1, 1])
    s = pmedian(prob, 2)
    assert s.status == "optimal"
    assert s.objective == pytest.approx(0.2)  # two points 1 km (0.1 h) from their site
    assert s.bound == pytest.approx(s.objective)


def test_pcenter_hand_case():
    """Points at 0, 10, 20, 30 with candidates everywhere: p=2 gives a 0.5 h worst case."""
    prob = line([0, 5, 10, 15, 20, 25, 30], [0, 10, 20, 30])
    s = pcenter(prob, 2)
    assert s.objective == pytest.approx(0.5) and len(s.opened) == 2


@pytest.mark.parametrize(
    "fn", [lambda pr: mclp(pr, 0.5, 9), lambda pr: pmedian(pr, 9), lambda pr: pcenter(pr, 9)]
)
def test_p_larger_than_candidates(fn):
    """p above the number of candidates is refused, naming p."""
    with pytest.raises(DataError, match="exceeds") as info:
        fn(line([0, 20], [0, 10]))
    assert info.value.field == "p"


def test_nonpositive_target():
    """A zero time standard is refused."""
    with pytest.raises(DataError, match="positive hours"):
        mclp(line([0, 20], [0, 10]), 0.0, 1)


def test_duplicate_and_missing_candidates():
    """Duplicate candidate ids and an empty candidate set are refused."""
    with pytest.raises(DataError, match="duplicate candidate"):
        SitingProblem(np.zeros((2, 1)), np.ones(1), np.zeros(2, bool), ("a", "a"), ("p",))
    with pytest.raises(DataError, match="no candidate"):
        SitingProblem(np.zeros((0, 1)), np.ones(1), np.zeros(0, bool), (), ("p",))


def test_target_where_nothing_can_be_covered():
    """A standard so tight that nothing is covered gives zero coverage, not an error."""
    s = mclp(line([0, 20], [5, 15]), 0.01, 1)
    assert s.status == "optimal" and s.objective == 0 and s.coverage_after == 0


@st.composite
def random_problems(draw):
    n_c = draw(st.integers(2, 6))
    n_p = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 9999)))
    hours = rng.uniform(0, 2, (n_c, n_p))
    hours[rng.random((n_c, n_p)) < 0.1] = np.inf
    w = rng.integers(1, 100, n_p).astype(float)
    ex = np.zeros(n_c, bool)
    ex[0] = draw(st.booleans())
    return SitingProblem(
        hours, w, ex, tuple(f"c{i}" for i in range(n_c)), tuple(f"p{i}" for i in range(n_p))
    )


@settings(max_examples=40, deadline=None)
@given(random_problems(), st.floats(0.2, 1.5), st.data())
def test_mclp_matches_brute_force(prob, cutoff, data):
    """The MCLP optimum equals enumeration of every choice of p sites."""
    p = data.draw(st.integers(0, len(prob.new)))
    s = mclp(prob, cutoff, p)
    best = brute(prob, p, lambda m: float(prob.weights[prob.covered(m, cutoff)].sum()))
    assert s.objective == pytest.approx(best, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(random_problems(), st.data())
def test_pmedian_matches_brute_force(prob, data):
    """The p-median optimum equals enumeration; a point no open site reaches costs the
    model's penalty (10 x the longest time + 1 h) and is reported unserved."""
    p = data.draw(st.integers(1 if not prob.existing.any() else 0, len(prob.new)))
    s = pmedian(prob, p)
    ok = np.isfinite(prob.hours).any(axis=0)
    penalty = s.detail["unserved_penalty_h"]

    def cost(mask):
        d = np.where(mask[:, None], prob.hours, np.inf).min(axis=0)[ok]
        return -float(prob.weights[ok] @ np.where(np.isfinite(d), d, penalty))

    assert s.objective == pytest.approx(-brute(prob, p, cost), abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(random_problems(), st.floats(0.2, 1.5), st.integers(0, 3))
def test_adding_a_candidate_never_lowers_mclp(prob, cutoff, p):
    """One more candidate site can only keep or raise the maximal coverage."""
    p = min(p, len(prob.new))
    before = mclp(prob, cutoff, p).objective
    extra = np.vstack([prob.hours, np.random.default_rng(1).uniform(0, 2, prob.hours.shape[1])])
    bigger = SitingProblem(
        extra,
        prob.weights,
        np.append(prob.existing, False),
        (*prob.candidate_ids, "new"),
        prob.point_ids,
    )
    assert mclp(bigger, cutoff, p).objective >= before - 1e-6


def test_same_input_same_answer():
    """Solving twice gives the same sites."""
    rng = np.random.default_rng(5)
    prob = SitingProblem(
        rng.uniform(0, 2, (30, 80)),
        rng.integers(1, 50, 80).astype(float),
        np.zeros(30, bool),
        tuple(map(str, range(30))),
        tuple(map(str, range(80))),
    )
    assert mclp(prob, 0.6, 4).opened == mclp(prob, 0.6, 4).opened
    assert pmedian(prob, 4).opened == pmedian(prob, 4).opened


@pytest.mark.parametrize("backend", [Backend.SCIP, Backend.HIGHS, Backend.CP_SAT])
def test_backends_agree_on_mclp(backend):
    """SCIP, HiGHS and CP-SAT find the same MCLP optimum."""
    prob = line([0, 10, 20, 30, 40], [0, 5, 12, 18, 26, 33, 40], weights=[5, 1, 3, 2, 4, 1, 2])
    assert mclp(prob, 0.5, 2, params=MipParams(backend)).objective == 11


def test_capacitated_picks_the_class_that_serves_most():
    """A 400-person class at 10 serves b, c, d; the 120-capacity depot at 0 serves a and 20 of b."""
    prob = line([0, 10, 20], [0, 5, 10, 15, 20], weights=[100] * 5, existing=[0])
    opts = (SizeOption("small", "小", 150, 100, 1.0), SizeOption("big", "大", 400, 500, 5.0))
    s = capacitated(prob, 0.5, options=opts, existing_capacity=np.array([120.0, 0, 0]), p=1)
    assert s.detail["size_class"] == {1: "big"}
    assert s.detail["people_served"] == pytest.approx(400)
    assert s.coverage_before == pytest.approx(120 / 500)


def test_capacitated_budget_prefers_the_affordable_class():
    """With a budget of 2, only the small class can be built."""
    prob = line([0, 10, 20], [0, 5, 10, 15, 20], weights=[100] * 5, existing=[0])
    opts = (SizeOption("small", "小", 150, 100, 1.0), SizeOption("big", "大", 400, 500, 5.0))
    s = capacitated(prob, 0.5, options=opts, existing_capacity=np.array([120.0, 0, 0]), budget=2.0)
    assert set(s.detail["size_class"].values()) == {"small"}
    assert s.detail["cost"] <= 2.0


def test_tiered_higher_tier_serves_lower():
    """A new county depot also does the township job within the township standard."""
    prob = line([0, 10, 20], [0, 5, 10, 15, 20], weights=[100] * 5, existing=[0])
    s = tiered(
        prob,
        (TierSpec("township", 0.5, 1), TierSpec("county", 1.0, 1)),
        existing_tier=["township", None, None],
    )
    per = s.detail["per_tier"]
    assert per["township"]["coverage_after"] == 1.0 and per["county"]["coverage_after"] == 1.0
    assert sorted(s.detail["tier"].values()) == ["county", "township"]


def test_robust_worst_case_avoids_the_site_a_flood_cuts_off():
    """If a flood cuts site 1 off, the worst-case choice is site 2."""
    dry = line([0, 10, 20], [0, 5, 10, 15, 20], existing=[0])
    wet_h = dry.hours.copy()
    wet_h[1, :] = np.inf
    wet = SitingProblem(wet_h, dry.weights, dry.existing, dry.candidate_ids, dry.point_ids)
    s = robust([dry, wet], 0.5, 1, mode="worst")
    # The depot at 0 covers 0 and 5; site 2 adds 15 and 20 in both scenarios.
    assert s.opened == (2,) and s.objective == pytest.approx(0.8)
    assert s.detail["worst_after"] == pytest.approx(0.8)
    e = robust([dry, wet], 0.5, 1, mode="expected")
    assert e.objective >= s.objective - 1e-9

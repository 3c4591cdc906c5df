"""Siting beyond the textbook models: capacitated, multi-tier and flood-robust.

Capacitated coverage chooses a 建标121 size class per new site; multi-tier siting places
township stations, county depots and the municipal depot jointly; robust siting keeps
coverage up across several flood scenarios.

References
----------
建标121-2009《救灾物资储备库建设标准》 (size classes; see solver/defaults.py and docs/domain.md).
Li, Zhang, et al. (2019). Hierarchical supplement location-allocation for disaster supply
warehouses in Beijing-Tianjin-Hebei. Geomatics, Natural Hazards and Risk 10 (three tiers).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix

from solver.defaults import SIZE_CLASSES, SizeClass
from solver.errors import DataError
from solver.mip import MipParams, solve_mip
from solver.siting import SCIP, Siting, SitingProblem, _check_cutoff, _check_p, _result, settle
from solver.siting_incumbents import capacitated_greedy, robust_greedy, tiered_greedy

#: Building cost per m2 of a depot ("depot-cost-assumed"): a planning placeholder, not a
#: quoted price; pass real costs where known.
COST_PER_M2 = 3000.0
#: Floor area given to a township reserve point, whose class has none in the standard.
POINT_AREA_M2 = 100.0


@dataclass(frozen=True, slots=True)
class SizeOption:
    """A size class a new site may be built to: people its stock serves, area, cost."""

    id: str
    name_zh: str
    capacity_people: int
    area_m2: float
    cost: float

    @classmethod
    def from_class(cls, size: SizeClass, cost_per_m2: float = COST_PER_M2) -> SizeOption:
        """The upper end of a 建标121 class: its most people and largest building."""
        area = float(size.area_max_m2) if size.area_max_m2 else POINT_AREA_M2
        return cls(size.id, size.name_zh, size.people_max, area, area * cost_per_m2)


#: The classes a county or city would build: township point, county depot, city depot.
DEFAULT_OPTIONS: tuple[SizeOption, ...] = tuple(
    SizeOption.from_class(c) for c in SIZE_CLASSES if c.id in ("point", "county", "city")
)


def capacitated(
    problem: SitingProblem,
    cutoff_h: float,
    *,
    options: Sequence[SizeOption] = DEFAULT_OPTIONS,
    existing_capacity: NDArray[np.float64] | None = None,
    p: int | None = None,
    budget: float | None = None,
    params: MipParams = SCIP,
) -> Siting:
    """New sites, each of one size class, maximising people served within ``cutoff_h``.

    A site serves at most its class's people (existing depots: ``existing_capacity``, by
    default their own stock's people); a point may be split between sites. The number of new
    sites (``p``) and/or their total cost (``budget``) is limited; among equal coverage the
    cheaper plan wins.
    """
    _check_cutoff(cutoff_h)
    if p is None and budget is None:
        raise DataError("give p (new sites) or a budget", field="p", problem_zh="需给出数量或预算")
    if p is not None:
        _check_p(problem, p)
    if budget is not None and not (budget >= 0):
        raise DataError(f"must be >= 0, got {budget}", field="budget")
    if not options:
        raise DataError("no size classes to choose from", field="options")
    n_c, n_p = problem.hours.shape
    cap_exist = np.zeros(n_c) if existing_capacity is None else np.asarray(existing_capacity, float)
    new = problem.new
    n_o = len(options)
    reach = problem.hours <= cutoff_h + 1e-9
    cj, pi = np.nonzero(reach)
    n_a = len(cj)
    n_y = len(new) * n_o
    # Columns: y (new site x option) | a (assignment share of point pi to site cj).
    y_of = {int(j): k for k, j in enumerate(new)}
    entries: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]] = []
    row = 0
    # One class per new site.
    entries.append((np.repeat(np.arange(len(new)), n_o), np.arange(n_y), np.ones(n_y)))
    rows_lb = [np.full(len(new), -np.inf)]
    rows_ub = [np.ones(len(new))]
    row += len(new)
    # A point is served at most once.
    entries.append((row + pi, n_y + np.arange(n_a), np.ones(n_a)))
    rows_lb.append(np.full(n_p, -np.inf))
    rows_ub.append(np.ones(n_p))
    row += n_p
    # Capacity: people assigned to a site <= its class's (or existing) capacity.
    w = problem.weights.astype(float)
    entries.append((row + cj, n_y + np.arange(n_a), w[pi]))
    is_new = np.array([int(j) in y_of for j in cj], dtype=bool)
    caps = np.array([o.capacity_people for o in options], float)
    entries.append((row + np.repeat(new, n_o), np.arange(n_y), -np.tile(caps, len(new))))
    rows_lb.append(np.full(n_c, -np.inf))
    rows_ub.append(np.where(problem.existing, cap_exist, 0.0))
    row += n_c
    # A new site serves only if built: a_ij <= sum_c y_jc (tightens the relaxation).
    sel = np.flatnonzero(is_new)
    if len(sel):
        link_rows = row + np.arange(len(sel))
        site = np.array([y_of[int(cj[s])] for s in sel])
        entries.append((link_rows, n_y + sel, np.ones(len(sel))))
        entries.append(
            (
                np.repeat(link_rows, n_o),
                (site[:, None] * n_o + np.arange(n_o)).ravel(),
                -np.ones(len(sel) * n_o),
            )
        )
        rows_lb.append(np.full(len(sel), -np.inf))
        rows_ub.append(np.zeros(len(sel)))
        row += len(sel)
    if p is not None:
        entries.append((np.full(n_y, row), np.arange(n_y), np.ones(n_y)))
        rows_lb.append(np.array([-np.inf]))
        rows_ub.append(np.array([float(p)]))
        row += 1
    costs = np.tile([o.cost for o in options], len(new))
    if budget is not None:
        entries.append((np.full(n_y, row), np.arange(n_y), costs))
        rows_lb.append(np.array([-np.inf]))
        rows_ub.append(np.array([float(budget)]))
        row += 1
    matrix = coo_matrix(
        (
            np.concatenate([e[2] for e in entries]),
            (np.concatenate([e[0] for e in entries]), np.concatenate([e[1] for e in entries])),
        ),
        shape=(row, n_y + n_a),
    ).tocsr()
    # Cheaper plans break ties: the cost weight is below one person per whole budget.
    scale = 0.5 / max(float(costs.sum()), 1.0)
    objective = np.concatenate([-costs * scale, w[pi]])
    y0, a0 = capacitated_greedy(
        reach,
        w,
        problem.existing,
        cap_exist,
        new,
        caps,
        np.array([o.cost for o in options], float),
        (cj, pi),
        p=p,
        budget=budget,
    )
    start = np.concatenate([y0, a0])
    res = solve_mip(
        objective,
        matrix,
        np.concatenate(rows_lb),
        np.concatenate(rows_ub),
        lb=np.zeros(n_y + n_a),
        ub=np.ones(n_y + n_a),
        integer=np.concatenate([np.ones(n_y, bool), np.zeros(n_a, bool)]),
        maximize=True,
        params=params,
        hint=start,
    )
    res = settle(
        res,
        maximize=True,
        incumbent=start,
        incumbent_objective=float(objective @ start),
        fallback_bound=float(w.sum()),
    )
    built = (np.nan_to_num(res.values[:n_y]) > 0.5).reshape(len(new), n_o)
    open_mask = problem.existing.copy()
    open_mask[new[built.any(axis=1)]] = True
    served = np.zeros(n_p)
    if res.has_solution:
        np.add.at(served, pi, res.values[n_y:])
    size_class = {
        int(new[k]): options[int(np.argmax(built[k]))].id for k in np.flatnonzero(built.any(axis=1))
    }
    people = float(w @ np.clip(served, 0, 1))
    cost = float(
        sum(options[int(np.argmax(built[k]))].cost for k in np.flatnonzero(built.any(axis=1)))
    )
    out = _result(
        problem,
        "capacitated",
        res,
        open_mask,
        cutoff_h,
        size_class=size_class,
        people_served=people,
        cost=cost,
        options=[o.id for o in options],
    )
    # Coverage here is the share of people served within capacity, before and after.
    before = _served_by_existing(problem, reach, cap_exist)
    return dataclasses.replace(
        out, coverage_before=before / max(w.sum(), 1e-9), coverage_after=people / max(w.sum(), 1e-9)
    )


def _served_by_existing(
    problem: SitingProblem, reach: NDArray[np.bool_], capacity: NDArray[np.float64]
) -> float:
    """People the existing depots alone can serve within reach and capacity (a max flow)."""
    from ortools.graph.python import max_flow

    ex = np.flatnonzero(problem.existing & (capacity > 0))
    if len(ex) == 0:
        return 0.0
    w = np.round(problem.weights).astype(np.int64)
    flow = max_flow.SimpleMaxFlow()
    n_c, n_p = problem.hours.shape
    src, sink = n_c + n_p, n_c + n_p + 1
    for j in ex:
        flow.add_arc_with_capacity(src, int(j), int(capacity[j]))
        for i in np.flatnonzero(reach[j]):
            flow.add_arc_with_capacity(int(j), n_c + int(i), int(w[i]))
    for i in np.flatnonzero(reach[ex].any(axis=0)):
        flow.add_arc_with_capacity(n_c + int(i), sink, int(w[i]))
    if flow.solve(src, sink) != flow.OPTIMAL:
        return 0.0
    return float(flow.optimal_flow())


@dataclass(frozen=True, slots=True)
class TierSpec:
    """One tier of the network: its time standard, how many new sites, its weight."""

    tier: str
    cutoff_h: float
    p: int
    weight: float = 1.0


#: Township stations, county depots, the municipal depot: hours of travel each tier should
#: reach its people in ("tier-standards-assumed"; no Chinese standard found; overridable).
DEFAULT_TIERS: tuple[TierSpec, ...] = (
    TierSpec("township", 0.5, 3),
    TierSpec("county", 1.0, 1),
    TierSpec("municipal", 2.0, 0),
)


def tiered(
    problem: SitingProblem,
    tiers: Sequence[TierSpec] = DEFAULT_TIERS,
    *,
    existing_tier: Sequence[str | None] | None = None,
    params: MipParams = SCIP,
) -> Siting:
    """Site township stations, county depots and the municipal depot jointly.

    Each point should be within each tier's standard of a site of that tier or a higher
    one (a county depot also does a township station's job nearby). New sites per tier are
    fixed by ``p``; a candidate hosts at most one tier. The objective is the weighted sum,
    over tiers, of people within their tier's standard.
    """
    order = [t.tier for t in tiers]
    if len(set(order)) != len(order):
        raise DataError("a tier is listed twice", field="tiers")
    for t in tiers:
        _check_cutoff(t.cutoff_h)
        if t.p < 0:
            raise DataError(f"tier {t.tier}: p must be >= 0", field="tiers.p")
    if sum(t.p for t in tiers) > len(problem.new):
        raise DataError(
            f"{sum(t.p for t in tiers)} new sites exceed the {len(problem.new)} candidates",
            field="p",
            problem_zh="新建数量超过候选站址数",
        )
    n_c, n_p = problem.hours.shape
    ex_tier = list(existing_tier) if existing_tier is not None else [None] * n_c
    rank = {t.tier: k for k, t in enumerate(tiers)}  # later in the list = higher tier
    new = problem.new
    n_t = len(tiers)
    n_y = len(new) * n_t
    w = problem.weights.astype(float)
    entries: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]] = []
    lbs: list[NDArray[np.float64]] = []
    ubs: list[NDArray[np.float64]] = []
    objective: list[NDArray[np.float64]] = [np.zeros(n_y)]
    z_cols = n_y
    row = 0
    done_by_tier: list[NDArray[np.bool_]] = []
    reach_by_tier = []
    pts_by_tier = []
    for k, t in enumerate(tiers):
        reach = problem.hours <= t.cutoff_h + 1e-9
        reach_by_tier.append(reach)
        serving_existing = (
            np.array(
                [ex_tier[j] is not None and rank.get(str(ex_tier[j]), -1) >= k for j in range(n_c)],
                bool,
            )
            & problem.existing
        )
        done = (
            reach[serving_existing].any(axis=0) if serving_existing.any() else np.zeros(n_p, bool)
        )
        done_by_tier.append(np.asarray(done, bool))
        pts = np.flatnonzero(~done & reach[new].any(axis=0))
        pts_by_tier.append(pts)
        jj, ii = np.nonzero(reach[np.ix_(new, pts)])
        # z_{i,t} <= sum over new sites j reaching i, tiers t' >= t, of y_{j,t'}
        higher = np.arange(k, n_t)
        r = row + np.repeat(ii, len(higher))
        c = np.repeat(jj, len(higher)) * n_t + np.tile(higher, len(jj))
        entries.append((r, c, -np.ones(len(r))))
        entries.append((row + np.arange(len(pts)), z_cols + np.arange(len(pts)), np.ones(len(pts))))
        lbs.append(np.full(len(pts), -np.inf))
        ubs.append(np.zeros(len(pts)))
        objective.append(t.weight * w[pts])
        row += len(pts)
        z_cols += len(pts)
    # One tier per site; p new sites per tier.
    entries.append((row + np.repeat(np.arange(len(new)), n_t), np.arange(n_y), np.ones(n_y)))
    lbs.append(np.full(len(new), -np.inf))
    ubs.append(np.ones(len(new)))
    row += len(new)
    for k, t in enumerate(tiers):
        entries.append((np.full(len(new), row), np.arange(len(new)) * n_t + k, np.ones(len(new))))
        lbs.append(np.array([float(t.p)]))
        ubs.append(np.array([float(t.p)]))
        row += 1
    n_var = z_cols
    matrix = coo_matrix(
        (
            np.concatenate([e[2] for e in entries]),
            (np.concatenate([e[0] for e in entries]), np.concatenate([e[1] for e in entries])),
        ),
        shape=(row, n_var),
    ).tocsr()
    offset = float(sum(t.weight * w[d].sum() for t, d in zip(tiers, done_by_tier, strict=True)))
    y0 = tiered_greedy(
        reach_by_tier, [t.weight for t in tiers], [t.p for t in tiers], w, done_by_tier, new
    ).reshape(len(new), n_t)
    z0 = [
        reach_by_tier[k][np.ix_(new[y0[:, k:].any(axis=1)], pts_by_tier[k])].any(axis=0)
        for k in range(n_t)
    ]
    start = np.concatenate([y0.ravel(), *[z.astype(float) for z in z0]])
    obj = np.concatenate(objective)
    res = solve_mip(
        obj,
        matrix,
        np.concatenate(lbs),
        np.concatenate(ubs),
        lb=np.zeros(n_var),
        ub=np.ones(n_var),
        integer=np.concatenate([np.ones(n_y, bool), np.zeros(n_var - n_y, bool)]),
        maximize=True,
        params=params,
        offset=offset,
        hint=start,
    )
    res = settle(
        res,
        maximize=True,
        incumbent=start,
        incumbent_objective=float(obj @ start) + offset,
        fallback_bound=offset + float(obj.sum()),
    )
    built = (np.nan_to_num(res.values[:n_y]) > 0.5).reshape(len(new), n_t)
    open_mask = problem.existing.copy()
    open_mask[new[built.any(axis=1)]] = True
    tier_of = {
        int(new[k]): tiers[int(np.argmax(built[k]))].tier for k in np.flatnonzero(built.any(axis=1))
    }
    per_tier = {}
    for k, t in enumerate(tiers):
        hosts = np.array(
            [
                (tier_of.get(j) is not None and rank[tier_of[j]] >= k)
                or (
                    problem.existing[j]
                    and ex_tier[j] is not None
                    and rank.get(str(ex_tier[j]), -1) >= k
                )
                for j in range(n_c)
            ]
        )
        before_hosts = np.array(
            [
                problem.existing[j]
                and ex_tier[j] is not None
                and rank.get(str(ex_tier[j]), -1) >= k
                for j in range(n_c)
            ]
        )
        per_tier[t.tier] = {
            "cutoff_h": t.cutoff_h,
            "new_sites": sum(1 for v in tier_of.values() if v == t.tier),
            "coverage_before": problem.share(problem.covered(before_hosts, t.cutoff_h)),
            "coverage_after": problem.share(problem.covered(hosts, t.cutoff_h)),
        }
    first = tiers[0].cutoff_h
    return _result(problem, "tiered", res, open_mask, first, tier=tier_of, per_tier=per_tier)


def robust(
    scenarios: Sequence[SitingProblem],
    cutoff_h: float,
    p: int,
    *,
    mode: str = "worst",
    probabilities: Sequence[float] | None = None,
    params: MipParams = SCIP,
) -> Siting:
    """``p`` new sites that keep coverage within ``cutoff_h`` high across flood scenarios.

    ``mode="worst"`` maximises the lowest covered share over the scenarios; ``"expected"``
    maximises the probability-weighted mean share. Each scenario is the same candidates and
    points with its own (flooded) hours.
    """
    if not scenarios:
        raise DataError("no scenarios", field="scenarios", problem_zh="没有情景")
    if mode not in ("worst", "expected"):
        raise DataError(f"mode must be 'worst' or 'expected', got {mode!r}", field="mode")
    _check_cutoff(cutoff_h)
    base = scenarios[0]
    _check_p(base, p)
    for s in scenarios[1:]:
        if s.hours.shape != base.hours.shape or s.candidate_ids != base.candidate_ids:
            raise DataError("scenarios must share candidates and points", field="scenarios")
    n_s = len(scenarios)
    prob = np.full(n_s, 1.0 / n_s) if probabilities is None else np.asarray(probabilities, float)
    if len(prob) != n_s or (prob < 0).any() or not math.isclose(prob.sum(), 1.0, rel_tol=1e-6):
        raise DataError(
            "probabilities must be >= 0, one per scenario, and sum to 1", field="probabilities"
        )
    new = base.new
    n_y = len(new)
    w = base.weights.astype(float)
    total = max(w.sum(), 1e-12)
    entries: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]] = []
    lbs: list[NDArray[np.float64]] = []
    ubs: list[NDArray[np.float64]] = []
    col = n_y + 1  # y | W | z per scenario
    row = 0
    share_rows: list[tuple[NDArray[np.int64], NDArray[np.float64], float]] = []
    reaches: list[NDArray[np.bool_]] = []
    dones: list[NDArray[np.bool_]] = []
    pts_by: list[NDArray[np.int64]] = []
    for sc in scenarios:
        reach = sc.hours <= cutoff_h + 1e-9
        done = reach[sc.existing].any(axis=0) if sc.existing.any() else np.zeros(len(w), bool)
        pts = np.flatnonzero(~done & reach[new].any(axis=0))
        reaches.append(reach)
        dones.append(np.asarray(done, bool))
        pts_by.append(pts)
        jj, ii = np.nonzero(reach[np.ix_(new, pts)])
        entries.append((row + ii, jj, -np.ones(len(ii))))
        entries.append((row + np.arange(len(pts)), col + np.arange(len(pts)), np.ones(len(pts))))
        lbs.append(np.full(len(pts), -np.inf))
        ubs.append(np.zeros(len(pts)))
        row += len(pts)
        share_rows.append((col + np.arange(len(pts)), w[pts] / total, float(w[done].sum()) / total))
        col += len(pts)
    n_var = col
    objective = np.zeros(n_var)
    if mode == "worst":
        # W <= share_s for every scenario.
        for cols, coef, const in share_rows:
            entries.append(
                (
                    np.full(len(cols) + 1, row),
                    np.concatenate([[n_y], cols]),
                    np.concatenate([[1.0], -coef]),
                )
            )
            lbs.append(np.array([-np.inf]))
            ubs.append(np.array([const]))
            row += 1
        objective[n_y] = 1.0
        offset = 0.0
    else:
        offset = 0.0
        for pr, (cols, coef, const) in zip(prob, share_rows, strict=True):
            objective[cols] += pr * coef
            offset += pr * const
    entries.append((np.full(n_y, row), np.arange(n_y), np.ones(n_y)))
    lbs.append(np.array([float(p)]))
    ubs.append(np.array([float(p)]))
    row += 1
    matrix = coo_matrix(
        (
            np.concatenate([e[2] for e in entries]),
            (np.concatenate([e[0] for e in entries]), np.concatenate([e[1] for e in entries])),
        ),
        shape=(row, n_var),
    ).tocsr()
    ub = np.ones(n_var)
    integer = np.zeros(n_var, bool)
    integer[:n_y] = True
    chosen = robust_greedy(reaches, w, dones, new, p, prob, mode)
    start = np.zeros(n_var)
    start[:n_y] = chosen
    shares = []
    for (cols, coef, const), r, pts in zip(share_rows, reaches, pts_by, strict=True):
        z = r[np.ix_(new[chosen], pts)].any(axis=0).astype(float)
        start[cols] = z
        shares.append(const + float(coef @ z))
    start[n_y] = min(shares)
    res = solve_mip(
        objective,
        matrix,
        np.concatenate(lbs),
        np.concatenate(ubs),
        lb=np.zeros(n_var),
        ub=ub,
        integer=integer,
        maximize=True,
        params=params,
        offset=offset,
        hint=start,
    )
    res = settle(
        res,
        maximize=True,
        incumbent=start,
        incumbent_objective=float(objective @ start) + offset,
        fallback_bound=1.0,
    )
    open_mask = base.existing.copy()
    if res.has_solution:
        open_mask[new[res.values[:n_y] > 0.5]] = True
    per_scenario = [
        {
            "coverage_before": sc.share(sc.covered(sc.existing, cutoff_h)),
            "coverage_after": sc.share(sc.covered(open_mask, cutoff_h)),
        }
        for sc in scenarios
    ]
    out = _result(base, f"robust-{mode}", res, open_mask, cutoff_h, p=p, per_scenario=per_scenario)
    worst_before = min(s["coverage_before"] for s in per_scenario)
    worst_after = min(s["coverage_after"] for s in per_scenario)
    out.detail.update(worst_before=worst_before, worst_after=worst_after)
    return out

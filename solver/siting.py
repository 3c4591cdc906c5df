"""Depot siting on matrices: set covering, maximal coverage, p-median, p-center.

Every model takes a :class:`SitingProblem` — hours from each candidate site to each point,
the people at each point, which candidates are existing depots (fixed open) — and returns a
:class:`Siting` with status, objective, bound, gap, the new sites and coverage before/after.
Capacitated, multi-tier and robust siting live in :mod:`solver.siting_extended`.

References
----------
Toregas, C., Swain, R., ReVelle, C., Bergman, L. (1971). The location of emergency service
facilities. Oper. Res. 19(6) (set covering).
Church, R., ReVelle, C. (1974). The maximal covering location problem. PRS 32.
Elloumi, S. (2010). A tighter formulation of the p-median problem. J. Comb. Optim. 19
(the radius formulation used for p-median, here with chained level constraints).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix

from solver.errors import DataError
from solver.mip import Backend, MipParams, MipResult, solve_mip

FloatArray = NDArray[np.float64]
#: Default solver settings (frozen, so safe as defaults): SCIP proves the covering models
#: at once; HiGHS is faster on the p-median radius formulation (benchmarks/README.md).
SCIP = MipParams(Backend.SCIP)
HIGHS = MipParams(Backend.HIGHS)


@dataclass(frozen=True, slots=True, eq=False)
class SitingProblem:
    """Candidates x points in hours (``inf`` = cannot reach), people per point.

    ``existing[j]`` marks candidate ``j`` as an existing depot: always open, never counted
    as a new site. ``open_cost`` prices a new site (set covering minimises its sum).
    """

    hours: FloatArray
    weights: FloatArray
    existing: NDArray[np.bool_]
    candidate_ids: tuple[str, ...]
    point_ids: tuple[str, ...]
    open_cost: FloatArray | None = None

    def __post_init__(self) -> None:
        n_c, n_p = self.hours.shape
        if len(self.candidate_ids) != n_c or len(self.point_ids) != n_p:
            raise DataError("ids do not match the matrix", field="hours")
        if len(self.weights) != n_p or len(self.existing) != n_c:
            raise DataError("weights/existing do not match the matrix", field="weights")
        if n_c == 0:
            raise DataError(
                "there are no candidate sites", field="candidates", problem_zh="没有候选站址"
            )
        dups = sorted(k for k, n in Counter(self.candidate_ids).items() if n > 1)
        if dups:
            raise DataError(
                f"duplicate candidate id(s): {', '.join(dups[:5])}",
                field="candidates",
                record=dups[0],
                problem_zh="候选站址编号重复",
            )
        if (np.asarray(self.weights) < 0).any():
            raise DataError("weights must be >= 0", field="weights", problem_zh="人口不能为负")
        if np.isnan(self.hours).any() or (self.hours < 0).any():
            raise DataError("hours must be >= 0 (inf for unreachable)", field="hours")

    @property
    def cost(self) -> FloatArray:
        """Opening cost per candidate (1 each unless given)."""
        return np.ones(len(self.candidate_ids)) if self.open_cost is None else self.open_cost

    @property
    def new(self) -> NDArray[np.int64]:
        """Indices of candidates that are not existing depots."""
        return np.flatnonzero(~self.existing)

    def covered(self, open_mask: NDArray[np.bool_], cutoff_h: float) -> NDArray[np.bool_]:
        """Points within ``cutoff_h`` of an open site."""
        if not open_mask.any():
            return np.zeros(self.hours.shape[1], dtype=bool)
        return np.asarray((self.hours[open_mask] <= cutoff_h + 1e-9).any(axis=0))

    def share(self, mask: NDArray[np.bool_]) -> float:
        """People-weighted share of ``mask``."""
        total = float(np.sum(self.weights))
        return float(np.sum(self.weights[mask]) / total) if total > 0 else 1.0

    def nearest(self, open_mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        """For each point, the open candidate it reaches first (-1 if none)."""
        if not open_mask.any():
            return np.full(self.hours.shape[1], -1)
        sub = np.where(open_mask[:, None], self.hours, np.inf)
        best = np.argmin(sub, axis=0)
        return np.where(np.isfinite(sub[best, np.arange(sub.shape[1])]), best, -1)


@dataclass(frozen=True, slots=True, eq=False)
class Siting:
    """A siting answer: which new sites, how well they cover, and how sure the solver is."""

    model: str
    status: str
    objective: float
    bound: float
    gap: float
    opened: tuple[int, ...]
    open_mask: NDArray[np.bool_]
    assignment: NDArray[np.int64]
    coverage_before: float
    coverage_after: float
    cutoff_h: float | None
    seconds: float
    backend: str
    uncoverable: tuple[int, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


def _check_p(problem: SitingProblem, p: int) -> None:
    if not isinstance(p, int | np.integer) or p < 0:
        raise DataError(
            f"p must be a whole number >= 0, got {p!r}",
            field="p",
            problem_zh="新建站址数量须为非负整数",
        )
    if p > len(problem.new):
        raise DataError(
            f"p = {p} exceeds the {len(problem.new)} candidate sites",
            field="p",
            problem_zh=f"新建数量 {p} 超过候选站址数 {len(problem.new)}",
        )


def _check_cutoff(cutoff_h: float) -> None:
    if not (math.isfinite(cutoff_h) and cutoff_h > 0):
        raise DataError(
            f"the time standard must be positive hours, got {cutoff_h!r}",
            field="target",
            problem_zh="时限须为正的小时数",
        )


def _result(
    problem: SitingProblem,
    model: str,
    res: MipResult,
    open_mask: NDArray[np.bool_],
    cutoff_h: float | None,
    **detail: Any,
) -> Siting:
    before = problem.existing
    if cutoff_h is not None:
        cov_before = problem.share(problem.covered(before, cutoff_h))
        cov_after = problem.share(problem.covered(open_mask, cutoff_h))
    else:
        cov_before = cov_after = math.nan
    opened = tuple(int(j) for j in np.flatnonzero(open_mask & ~problem.existing))
    return Siting(
        model,
        res.status,
        res.objective,
        res.bound,
        res.gap,
        opened,
        open_mask,
        problem.nearest(open_mask),
        cov_before,
        cov_after,
        cutoff_h,
        res.seconds,
        res.backend,
        tuple(detail.pop("uncoverable", ())),
        detail,
    )


def _open_from(
    problem: SitingProblem, cols: NDArray[np.int64], values: FloatArray
) -> NDArray[np.bool_]:
    mask = problem.existing.copy()
    if values.size and np.isfinite(values).all():
        mask[cols[values > 0.5]] = True
    return mask


def _rows(
    entries: list[tuple[NDArray[np.int64], NDArray[np.int64], FloatArray]], n_rows: int, n_cols: int
) -> coo_matrix:
    if not entries:
        return coo_matrix((n_rows, n_cols))
    r = np.concatenate([e[0] for e in entries])
    c = np.concatenate([e[1] for e in entries])
    v = np.concatenate([e[2] for e in entries])
    return coo_matrix((v, (r, c)), shape=(n_rows, n_cols))


# ------------------------------------------------------------------------------------------
# Set covering
# ------------------------------------------------------------------------------------------


def lscp(problem: SitingProblem, cutoff_h: float, *, params: MipParams = SCIP) -> Siting:
    """The cheapest set of new sites that covers every point within ``cutoff_h``.

    Points no candidate can cover are listed in ``uncoverable`` and the status is
    ``infeasible``; the sites returned then cover every other point.
    """
    _check_cutoff(cutoff_h)
    reach = problem.hours <= cutoff_h + 1e-9
    done = (
        reach[problem.existing].any(axis=0)
        if problem.existing.any()
        else np.zeros(reach.shape[1], bool)
    )
    new = problem.new
    need = ~done & reach[new].any(axis=0)
    uncoverable = np.flatnonzero(~done & ~reach.any(axis=0))
    pts = np.flatnonzero(need)
    j, i = np.nonzero(reach[np.ix_(new, pts)])
    matrix = _rows([(i, j, np.ones(len(i)))], len(pts), len(new)).tocsr()
    res = solve_mip(
        problem.cost[new],
        matrix,
        np.ones(len(pts)),
        np.full(len(pts), np.inf),
        lb=np.zeros(len(new)),
        ub=np.ones(len(new)),
        integer=np.ones(len(new), bool),
        maximize=False,
        params=params,
    )
    open_mask = _open_from(problem, new, res.values)
    out = _result(problem, "lscp", res, open_mask, cutoff_h, uncoverable=uncoverable)
    if len(uncoverable) and out.status == "optimal":
        return _replace_status(out, "infeasible")
    return out


def _replace_status(s: Siting, status: str) -> Siting:
    return Siting(
        s.model,
        status,
        s.objective,
        s.bound,
        s.gap,
        s.opened,
        s.open_mask,
        s.assignment,
        s.coverage_before,
        s.coverage_after,
        s.cutoff_h,
        s.seconds,
        s.backend,
        s.uncoverable,
        s.detail,
    )


# ------------------------------------------------------------------------------------------
# Maximal coverage
# ------------------------------------------------------------------------------------------


def mclp(problem: SitingProblem, cutoff_h: float, p: int, *, params: MipParams = SCIP) -> Siting:
    """``p`` new sites that cover the most people within ``cutoff_h`` (existing sites kept).

    The objective is the people covered by all open sites, existing ones included.
    """
    _check_cutoff(cutoff_h)
    _check_p(problem, p)
    reach = problem.hours <= cutoff_h + 1e-9
    done = (
        reach[problem.existing].any(axis=0)
        if problem.existing.any()
        else np.zeros(reach.shape[1], bool)
    )
    new = problem.new
    pts = np.flatnonzero(~done & reach[new].any(axis=0))
    n_y, n_z = len(new), len(pts)
    j, i = np.nonzero(reach[np.ix_(new, pts)])
    # z_i - sum_{j covers i} y_j <= 0 ; sum y <= p (a site that adds nothing is not opened)
    matrix = _rows(
        [
            (np.arange(n_z), n_y + np.arange(n_z), np.ones(n_z)),
            (i, j, -np.ones(len(i))),
            (np.full(n_y, n_z), np.arange(n_y), np.ones(n_y)),
        ],
        n_z + 1,
        n_y + n_z,
    ).tocsr()
    # Each site costs a little less than the smallest weight can gain, so the optimum
    # coverage is kept and no site that adds nothing is opened.
    positive = problem.weights[problem.weights > 0]
    eps = 1e-3 * (float(positive.min()) if len(positive) else 1.0) / max(p, 1)
    objective = np.concatenate([np.full(n_y, -eps), problem.weights[pts].astype(float)])
    offset = float(problem.weights[done].sum())
    res = solve_mip(
        objective,
        matrix,
        np.concatenate([np.full(n_z, -np.inf), [0.0]]),
        np.concatenate([np.zeros(n_z), [p]]),
        lb=np.zeros(n_y + n_z),
        ub=np.ones(n_y + n_z),
        integer=np.concatenate([np.ones(n_y, bool), np.zeros(n_z, bool)]),
        maximize=True,
        params=params,
        offset=offset,
    )
    open_mask = _open_from(problem, new, res.values[:n_y])
    # Report people covered, without the site costs; the bound loses at most p * eps.
    covered = float(problem.weights[problem.covered(open_mask, cutoff_h)].sum())
    bound = res.bound + eps * p if math.isfinite(res.bound) else res.bound
    if res.status == "optimal":
        bound = covered
    res = MipResult(
        res.status,
        covered if res.has_solution else res.objective,
        bound,
        res.values,
        res.seconds,
        res.backend,
    )
    return _result(problem, "mclp", res, open_mask, cutoff_h, p=p)


# ------------------------------------------------------------------------------------------
# p-median
# ------------------------------------------------------------------------------------------


def pmedian(problem: SitingProblem, p: int, *, params: MipParams = HIGHS) -> Siting:
    """``p`` new sites minimising people-weighted hours to the nearest open site.

    Radius formulation: for each point and each distinct distance level, ``z`` is 1 when no
    open site lies within that level; its chained constraints have one nonzero per
    candidate-point pair, against n^2 in the classic assignment form, with the same LP bound.
    Points no candidate reaches are left out and listed in ``uncoverable``.
    """
    _check_p(problem, p)
    n_c, n_p = problem.hours.shape
    fixed = problem.existing
    total_open = p + int(fixed.sum())
    if total_open == 0:
        raise DataError("p = 0 with no existing depot leaves nothing open", field="p")
    w = problem.weights.astype(float)
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[FloatArray] = []
    row_lb: list[float] = []
    z_cost: list[float] = []
    offset = 0.0
    r = 0
    uncoverable = []
    z_point: list[int] = []
    z_level: list[float] = []
    finite = problem.hours[np.isfinite(problem.hours)]
    # A point no open site reaches costs this many hours (reported as unserved).
    penalty_h = 10.0 * float(finite.max()) + 1.0 if finite.size else 1.0
    for i in range(n_p):
        d = problem.hours[:, i]
        ok = np.isfinite(d)
        if not ok.any():
            uncoverable.append(i)
            continue
        levels, inv = np.unique(d[ok], return_inverse=True)
        cand = np.flatnonzero(ok)
        if ok.all():
            # With total_open sites open, one lies among any n - total_open + 1 candidates:
            # the levels beyond that rank are never needed.
            k_max = min(len(levels), max(1, n_c - total_open + 1))
            steps = list(levels[1:k_max])
        else:
            # Not every candidate reaches this point: it may be left unserved, at a penalty.
            k_max = len(levels) + 1
            steps = [*levels[1:], penalty_h]
        offset += w[i] * levels[0]
        for k in range(1, k_max):
            js = cand[inv == k - 1]
            z = n_c + len(z_cost)
            rows += [np.full(len(js) + 1, r)]
            cols += [np.concatenate([js, [z]])]
            vals += [np.ones(len(js) + 1)]
            if k > 1:
                rows.append(np.array([r]))
                cols.append(np.array([z - 1]))
                vals.append(np.array([-1.0]))
                row_lb.append(0.0)
            else:
                row_lb.append(1.0)
            prev = levels[k - 1]
            z_cost.append(w[i] * (steps[k - 1] - prev))
            z_point.append(i)
            z_level.append(prev)
            r += 1
    n_z = len(z_cost)
    rows.append(np.full(n_c, r))
    cols.append(np.arange(n_c))
    vals.append(np.ones(n_c))
    matrix = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(r + 1, n_c + n_z),
    ).tocsr()
    # Start the solver from a greedy + interchange solution.
    start = pmedian_heuristic(problem, p)
    nearest = np.where(start[:, None], problem.hours, np.inf).min(axis=0)
    z_hint = (
        (nearest[np.array(z_point, dtype=np.int64)] > np.array(z_level) + 1e-12).astype(float)
        if n_z
        else np.zeros(0)
    )
    hint = np.concatenate([start.astype(float), z_hint])
    lb = np.concatenate([fixed.astype(float), np.zeros(n_z)])
    res = solve_mip(
        np.concatenate([np.zeros(n_c), z_cost]),
        matrix,
        np.array([*row_lb, total_open], float),
        np.concatenate([np.full(r, np.inf), [total_open]]),
        lb=lb,
        ub=np.ones(n_c + n_z),
        integer=np.concatenate([np.ones(n_c, bool), np.zeros(n_z, bool)]),
        maximize=False,
        params=params,
        offset=offset,
        hint=hint,
    )
    open_mask = _open_from(problem, np.arange(n_c), res.values[:n_c])
    reach = np.where(open_mask[:, None], problem.hours, np.inf).min(axis=0)
    unserved = [int(i) for i in np.flatnonzero(~np.isfinite(reach)) if i not in set(uncoverable)]
    return _result(
        problem,
        "pmedian",
        res,
        open_mask,
        None,
        p=p,
        uncoverable=uncoverable,
        unserved=unserved,
        unserved_penalty_h=penalty_h,
    )


# ------------------------------------------------------------------------------------------
# p-center
# ------------------------------------------------------------------------------------------


def pcenter(problem: SitingProblem, p: int, *, params: MipParams = SCIP) -> Siting:
    """``p`` new sites minimising the longest time from any point to its nearest open site.

    Binary search over the distinct times: the answer is the smallest radius at which set
    covering needs at most ``p`` new sites. The objective is proven optimal: the next
    smaller radius needs more than ``p``.
    """
    _check_p(problem, p)
    reach_any = np.isfinite(problem.hours).any(axis=0)
    uncoverable = np.flatnonzero(~reach_any)
    pts = np.flatnonzero(reach_any)
    sub = SitingProblem(
        problem.hours[:, pts],
        problem.weights[pts],
        problem.existing,
        problem.candidate_ids,
        tuple(problem.point_ids[i] for i in pts),
    )
    radii = np.unique(sub.hours[np.isfinite(sub.hours)])
    unit = MipParams(params.backend, params.time_limit_s, params.threads)
    lo, hi = 0, len(radii) - 1
    best: Siting | None = None
    seconds = 0.0
    solves = 0
    while lo <= hi:
        mid = (lo + hi) // 2
        s = lscp(sub, float(radii[mid]) if radii[mid] > 0 else 1e-9, params=unit)
        seconds += s.seconds
        solves += 1
        if s.status in ("optimal",) and len(s.opened) <= p:
            best, hi = s, mid - 1
        else:
            lo = mid + 1
    if best is None:
        raise DataError("no radius lets p sites cover every reachable point", field="p")
    open_mask = best.open_mask.copy()
    radius = (
        float(np.max(np.min(np.where(open_mask[:, None], problem.hours[:, pts], np.inf), axis=0)))
        if len(pts)
        else 0.0
    )
    res = MipResult("optimal", radius, radius, np.zeros(0), seconds, params.backend.value)
    return _result(
        problem, "pcenter", res, open_mask, radius, p=p, lscp_solves=solves, uncoverable=uncoverable
    )


def pmedian_heuristic(problem: SitingProblem, p: int, *, max_rounds: int = 50) -> NDArray[np.bool_]:
    """A good p-median solution in milliseconds: greedy addition, then vertex substitution.

    Used as the exact solver's starting point (Teitz and Bart, 1968).
    """
    hours = np.where(np.isfinite(problem.hours), problem.hours, 1e6)
    w = problem.weights.astype(float)
    open_mask = problem.existing.copy()
    best_d = hours[open_mask].min(axis=0) if open_mask.any() else np.full(hours.shape[1], 1e7)
    for _ in range(p):
        gains = (np.maximum(best_d[None, :] - hours, 0.0) * w[None, :]).sum(axis=1)
        gains[open_mask] = -1.0
        j = int(np.argmax(gains))
        open_mask[j] = True
        best_d = np.minimum(best_d, hours[j])

    def cost(mask: NDArray[np.bool_]) -> float:
        return float(w @ hours[mask].min(axis=0))

    current = cost(open_mask)
    for _ in range(max_rounds):
        improved = False
        for j_out in np.flatnonzero(open_mask & ~problem.existing):
            base = open_mask.copy()
            base[j_out] = False
            rest = hours[base].min(axis=0) if base.any() else np.full(hours.shape[1], 1e7)
            cand = np.flatnonzero(~base)
            totals = (np.minimum(rest[None, :], hours[cand]) * w[None, :]).sum(axis=1)
            k = int(np.argmin(totals))
            if totals[k] < current - 1e-9:
                base[cand[k]] = True
                open_mask, current, improved = base, float(totals[k]), True
        if not improved:
            break
    return open_mask

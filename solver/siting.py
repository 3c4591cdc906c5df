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

import dataclasses
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csc_matrix, csr_matrix

from solver.errors import DataError
from solver.mip import Backend, MipParams, MipResult, solve_mip
from solver.siting_heuristics import mclp_heuristic, pcenter_heuristic
from solver.siting_pmedian import solve_pmedian

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


def settle(
    res: MipResult,
    *,
    maximize: bool,
    incumbent: FloatArray,
    incumbent_objective: float,
    fallback_bound: float,
) -> MipResult:
    """The better of the MIP's answer and a heuristic incumbent, with the best bound known.

    A MIP stopped by its time limit with no solution (or a worse one) gives way to the
    incumbent; its bound is kept when it has one, else ``fallback_bound`` (a trivial bound).
    The status is then ``feasible`` unless the bound meets the objective.
    """
    better = res.has_solution and (
        res.objective >= incumbent_objective - 1e-9
        if maximize
        else res.objective <= incumbent_objective + 1e-9
    )
    if res.status == "optimal" and better:
        return res
    if res.status == "infeasible":
        return res
    bound = res.bound if math.isfinite(res.bound) else fallback_bound
    if res.status == "optimal":  # proven, but the heuristic's tie-break is not worse
        bound = res.objective
    obj, values = (res.objective, res.values) if better else (incumbent_objective, incumbent)
    bound = min(bound, fallback_bound) if maximize else max(bound, fallback_bound)
    proven = abs(bound - obj) <= 1e-9 * max(1.0, abs(obj))
    return MipResult(
        "optimal" if proven else "feasible",
        obj,
        obj if proven else bound,
        values,
        res.seconds,
        res.backend,
    )


def _covering_matrix(reach: NDArray[np.bool_]) -> csr_matrix:
    return csr_matrix(reach.astype(np.float64))


# ------------------------------------------------------------------------------------------
# Set covering
# ------------------------------------------------------------------------------------------


def lscp(problem: SitingProblem, cutoff_h: float, *, params: MipParams = SCIP) -> Siting:
    """The cheapest set of new sites that covers every point within ``cutoff_h``.

    Points no candidate can cover are listed in ``uncoverable`` and the status is
    ``infeasible``; the sites returned then cover every other point. A greedy cover (most
    points per unit cost) is the incumbent handed to the solver.
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
    sub = reach[np.ix_(new, pts)]
    cost = problem.cost[new]
    greedy = _greedy_cover(sub, cost)
    res = _cover_mip(sub, cost, greedy, params)
    res = settle(
        res,
        maximize=False,
        incumbent=greedy.astype(float),
        incumbent_objective=float(cost[greedy].sum()),
        fallback_bound=float(cost.min()) if len(pts) and len(cost) else 0.0,
    )
    open_mask = _open_from(problem, new, res.values)
    out = _result(problem, "lscp", res, open_mask, cutoff_h, uncoverable=uncoverable)
    if len(uncoverable) and out.status == "optimal":
        return _replace_status(out, "infeasible")
    return out


def _cover_mip(
    reach: NDArray[np.bool_], cost: FloatArray, start: NDArray[np.bool_], params: MipParams
) -> MipResult:
    """Set covering: the cheapest sites (rows of ``reach``) covering every column."""
    j, i = np.nonzero(reach)
    n_sites, n_pts = reach.shape
    matrix = _rows([(i, j, np.ones(len(i)))], n_pts, n_sites).tocsr()
    return solve_mip(
        cost,
        matrix,
        np.ones(n_pts),
        np.full(n_pts, np.inf),
        lb=np.zeros(n_sites),
        ub=np.ones(n_sites),
        integer=np.ones(n_sites, bool),
        maximize=False,
        params=params,
        hint=start.astype(float),
    )


def _greedy_cover(reach: NDArray[np.bool_], cost: FloatArray) -> NDArray[np.bool_]:
    """Chvátal's greedy: the site covering most uncovered points per unit cost, repeated."""
    chosen = np.zeros(reach.shape[0], bool)
    left = np.ones(reach.shape[1], bool)
    matrix = _covering_matrix(reach)
    while left.any():
        counts = matrix @ left.astype(float)
        counts[chosen] = 0
        if counts.max() <= 0:
            break
        j = int(np.argmax(counts / np.maximum(cost, 1e-12)))
        chosen[j] = True
        left &= ~reach[j]
    return chosen


def _replace_status(s: Siting, status: str) -> Siting:
    return dataclasses.replace(s, status=status)


# ------------------------------------------------------------------------------------------
# Maximal coverage
# ------------------------------------------------------------------------------------------


def mclp(problem: SitingProblem, cutoff_h: float, p: int, *, params: MipParams = HIGHS) -> Siting:
    """``p`` new sites that cover the most people within ``cutoff_h`` (existing sites kept).

    The objective is the people covered by all open sites, existing ones included. Points
    with the same covering sites are merged (their people added) before the MIP; greedy +
    swap gives the incumbent.
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
    pts = np.flatnonzero(~done & reach[new].any(axis=0) & (problem.weights > 0))
    offset = float(problem.weights[done].sum())
    sub = _covering_matrix(reach[np.ix_(new, pts)])
    groups, gw = _merge_columns(sub.tocsc(), problem.weights[pts].astype(float))
    n_y, n_z = len(new), groups.shape[1]
    heur = mclp_heuristic(groups, gw, np.zeros(n_y, bool), min(p, n_y), deadline=None)
    heur_z = (groups[np.flatnonzero(heur)].sum(axis=0) > 0).A1 if heur.any() else np.zeros(n_z)
    heur_value = offset + float(gw @ heur_z)
    trivial = offset + float(gw.sum())
    gc = groups.tocoo()
    # z_g - sum_{j covers g} y_j <= 0 ; sum y <= p
    matrix = _rows(
        [
            (np.arange(n_z), n_y + np.arange(n_z), np.ones(n_z)),
            (gc.col, gc.row, -np.ones(gc.nnz)),
            (np.full(n_y, n_z), np.arange(n_y), np.ones(n_y)),
        ],
        n_z + 1,
        n_y + n_z,
    ).tocsr()
    hint = np.concatenate([heur.astype(float), heur_z.astype(float)])
    res = solve_mip(
        np.concatenate([np.zeros(n_y), gw]),
        matrix,
        np.concatenate([np.full(n_z, -np.inf), [0.0]]),
        np.concatenate([np.zeros(n_z), [p]]),
        lb=np.zeros(n_y + n_z),
        ub=np.ones(n_y + n_z),
        integer=np.concatenate([np.ones(n_y, bool), np.zeros(n_z, bool)]),
        maximize=True,
        params=params,
        offset=offset,
        hint=hint,
    )
    res = settle(
        res, maximize=True, incumbent=hint, incumbent_objective=heur_value, fallback_bound=trivial
    )
    y = res.values[:n_y]
    # Open only sites that add people: a site covering nothing new is left closed.
    keep = _useful(groups, gw, y > 0.5)
    open_mask = _open_from(problem, new, keep.astype(float))
    covered = float(problem.weights[problem.covered(open_mask, cutoff_h)].sum())
    res = MipResult(
        res.status, covered, max(res.bound, covered), res.values, res.seconds, res.backend
    )
    if res.status == "optimal":
        res = MipResult("optimal", covered, covered, res.values, res.seconds, res.backend)
    return _result(problem, "mclp", res, open_mask, cutoff_h, p=p, merged_points=int(n_z))


def _merge_columns(matrix: csc_matrix, weights: FloatArray) -> tuple[csr_matrix, FloatArray]:
    """Merge columns with the same nonzero rows, adding their weights."""
    matrix = csc_matrix(matrix)
    matrix.sort_indices()
    keys: dict[bytes, int] = {}
    group = np.empty(matrix.shape[1], np.int64)
    for c in range(matrix.shape[1]):
        key = matrix.indices[matrix.indptr[c] : matrix.indptr[c + 1]].tobytes()
        group[c] = keys.setdefault(key, len(keys))
    first = np.unique(group, return_index=True)[1]
    merged = matrix[:, first].tocsr()
    return merged, np.bincount(group, weights=weights, minlength=len(first)).astype(np.float64)


def _useful(
    groups: csr_matrix, weights: FloatArray, chosen: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Drop chosen sites that cover nobody the other chosen sites miss."""
    keep = chosen.copy()
    for j in np.flatnonzero(chosen)[::-1]:
        rest = keep.copy()
        rest[j] = False
        before = (groups[np.flatnonzero(keep)].sum(axis=0) > 0).A1
        after = (groups[np.flatnonzero(rest)].sum(axis=0) > 0).A1 if rest.any() else 0 * before
        if float(weights @ before) - float(weights @ after) <= 0:
            keep = rest
    return keep


# ------------------------------------------------------------------------------------------
# p-median
# ------------------------------------------------------------------------------------------


def pmedian(problem: SitingProblem, p: int, *, params: MipParams = HIGHS) -> Siting:
    """``p`` new sites minimising people-weighted hours to the nearest open site.

    Exact by :func:`solver.siting_pmedian.solve_pmedian` (heuristic, Lagrangian bound,
    reduction, radius formulation). A point that some candidate reaches but no open site
    does costs a penalty (10 x the longest time + 1 h) and is reported ``unserved``; points
    no candidate reaches are left out and listed in ``uncoverable``.
    """
    _check_p(problem, p)
    fixed = problem.existing
    if p + int(fixed.sum()) == 0:
        raise DataError(
            "p = 0 with no existing depot leaves nothing open",
            field="p",
            problem_zh="新建数量为 0 且没有现有储备库,无站点可用",
        )
    finite = problem.hours[np.isfinite(problem.hours)]
    penalty_h = 10.0 * float(finite.max()) + 1.0 if finite.size else 1.0
    reachable = np.isfinite(problem.hours).any(axis=0)
    uncoverable = np.flatnonzero(~reachable)
    pts = np.flatnonzero(reachable & (problem.weights > 0))
    hours = np.where(np.isfinite(problem.hours[:, pts]), problem.hours[:, pts], penalty_h)
    cost = hours * problem.weights[pts].astype(float)[None, :]
    ans = solve_pmedian(cost, fixed.copy(), p, params=params)
    res = MipResult(ans.status, ans.objective, ans.bound, np.zeros(0), ans.seconds, ans.backend)
    open_mask = ans.open_mask
    reach = np.where(open_mask[:, None], problem.hours, np.inf).min(axis=0)
    unserved = [int(i) for i in np.flatnonzero(~np.isfinite(reach) & reachable)]
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
        stages=ans.stages,
    )


# ------------------------------------------------------------------------------------------
# p-center
# ------------------------------------------------------------------------------------------


def pcenter(problem: SitingProblem, p: int, *, params: MipParams = SCIP) -> Siting:
    """``p`` new sites minimising the longest time from any point to its nearest open site.

    A farthest-first + swap heuristic gives the incumbent radius; a binary search over the
    distinct times below it asks set covering whether ``p`` new sites reach every point
    (a greedy cover answers "yes" without a MIP). The answer is proven optimal when the
    next smaller radius needs more than ``p``; at the time limit it is the best radius
    found with the largest radius shown to need more than ``p`` as its bound.
    """
    _check_p(problem, p)
    tic = time.perf_counter()
    deadline = tic + params.time_limit_s
    reach_any = np.isfinite(problem.hours).any(axis=0)
    uncoverable = np.flatnonzero(~reach_any)
    pts = np.flatnonzero(reach_any)
    hours = problem.hours[:, pts]
    if p + int(problem.existing.sum()) == 0:
        raise DataError(
            "p = 0 with no existing depot leaves nothing open",
            field="p",
            problem_zh="新建数量为 0 且没有现有储备库,无站点可用",
        )
    best_mask = pcenter_heuristic(np.where(np.isfinite(hours), hours, 1e12), problem.existing, p)
    best = _radius(hours, best_mask)
    radii = np.unique(hours[np.isfinite(hours)])
    radii = radii[radii < best]
    lo, hi = 0, len(radii) - 1  # every radius above hi is feasible; below lo infeasible
    solves = 0
    backend = "heuristic"
    timed_out = False
    new = problem.new
    while lo <= hi:
        left = deadline - time.perf_counter()
        if left <= 0.05:
            timed_out = True
            break
        mid = (lo + hi) // 2
        r = float(radii[mid])
        verdict, mask = _covers_with(problem, hours, new, r, p, MipParams(params.backend, left))
        solves += verdict != "greedy"
        if verdict in ("greedy", "yes"):
            assert mask is not None
            best_mask, best = mask, _radius(hours, mask)
            hi = int(np.searchsorted(radii, best)) - 1
            backend = params.backend.value if verdict == "yes" else backend
        elif verdict == "no":
            lo = mid + 1
        else:
            timed_out = True
            break
    bound = float(radii[lo]) if timed_out and lo < len(radii) else best
    if not len(pts):
        best = bound = 0.0
    res = MipResult(
        "optimal" if not timed_out else "feasible",
        best,
        bound,
        np.zeros(0),
        time.perf_counter() - tic,
        backend,
    )
    return _result(
        problem,
        "pcenter",
        res,
        best_mask,
        best,
        p=p,
        lscp_solves=solves,
        uncoverable=uncoverable,
    )


def _radius(hours: FloatArray, mask: NDArray[np.bool_]) -> float:
    if not hours.shape[1]:
        return 0.0
    return float(np.min(np.where(mask[:, None], hours, np.inf), axis=0).max())


def _covers_with(
    problem: SitingProblem,
    hours: FloatArray,
    new: NDArray[np.int64],
    radius: float,
    p: int,
    params: MipParams,
) -> tuple[str, NDArray[np.bool_] | None]:
    """Whether ``p`` new sites (with the existing ones) reach every point within ``radius``.

    ``greedy``/``yes`` with the sites, ``no``, or ``unknown`` at the time limit.
    """
    reach = hours <= radius + 1e-9
    done = reach[problem.existing].any(axis=0) if problem.existing.any() else None
    need = ~done if done is not None else np.ones(hours.shape[1], bool)
    sub = reach[np.ix_(new, np.flatnonzero(need))]
    if not sub.any(axis=0).all():
        return "no", None
    cost = np.ones(len(new))
    greedy = _greedy_cover(sub, cost)
    if greedy.sum() <= p:
        mask = problem.existing.copy()
        mask[new[greedy]] = True
        return "greedy", mask
    res = _cover_mip(sub, cost, greedy, params)
    if res.has_solution and res.objective <= p + 1e-9:
        mask = problem.existing.copy()
        mask[new[res.values > 0.5]] = True
        return "yes", mask
    if res.status == "optimal" or (math.isfinite(res.bound) and res.bound > p + 1e-6):
        return "no", None
    if res.status == "infeasible":
        return "no", None
    return "unknown", None

"""Exact p-median on a cost matrix: heuristic, Lagrangian bound, reduction, radius MIP.

1. Greedy + fast interchange gives the incumbent (milliseconds).
2. Subgradient optimisation of the Lagrangian bound; each relaxed answer is also priced
   and polished, so the incumbent usually reaches the optimum here.
3. If the bound has not closed the gap, the bound fixes sites open or closed and caps each
   client's radius; the radius (covering) formulation on what is left goes to the MIP
   solver with the remaining time.

At any stop the answer is the best solution found with the best bound proven.

References
----------
García, S., Labbé, M., Marín, A. (2011). Solving large p-median problems with a radius
formulation. INFORMS J. Comput. 23(4).
Elloumi, S. (2010). A tighter formulation of the p-median problem. J. Comb. Optim. 19.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix

from solver.mip import MipParams, MipResult, solve_mip
from solver.siting_branch import branch_and_bound
from solver.siting_heuristics import pmedian_cost, pmedian_heuristic, pmedian_ils
from solver.siting_lagrange import Reduction, reduce, subgradient

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
#: Up to this many distance levels per client (after reduction) the radius MIP proves
#: faster than the Lagrangian tree (pmed1-30 measured: MIP < 1 s at <= 12 levels, 6-280 s
#: at 24-42 levels where the tree takes 1-9 s).
LEVELS_FOR_MIP = 16.0
#: The tree branches on open sites: beyond this many it is deep and the MIP, whose LP is
#: nearly integral at large p, does better (pmed30, p = 200: tree open after 300 s).
P_FOR_TREE = 30
#: Below this many seconds left, the tree (which stops on time) is used instead of the MIP.
MIN_MIP_SECONDS = 10.0


@dataclass(frozen=True, slots=True, eq=False)
class MedianAnswer:
    """Open sites with their cost, the best bound, and how each stage went."""

    open_mask: BoolArray
    objective: float
    bound: float
    status: str
    seconds: float
    backend: str
    stages: dict[str, Any] = field(default_factory=dict)


def _granularity(cost: FloatArray) -> float:
    """1 when every cost is a whole number (then a bound above UB - 1 proves UB), else 0."""
    if np.abs(cost).max(initial=0.0) < 2**50 and np.array_equal(cost, np.round(cost)):
        return 1.0
    return 0.0


def solve_pmedian(
    cost: FloatArray,
    fixed: BoolArray,
    p: int,
    *,
    params: MipParams,
    method: str = "auto",
) -> MedianAnswer:
    """Open ``p`` sites besides ``fixed`` minimising ``sum_i min_open cost[j, i]``.

    ``cost`` must be finite (price unreachable pairs with a penalty first). ``method``
    closes a gap left at the root: ``"tree"`` (Lagrangian branch and bound), ``"mip"``
    (the reduced radius formulation on ``params.backend``) or ``"auto"``: the MIP when
    the reduction leaves few distance levels per client (large p: pmed20 in 0.5 s
    against 60 s in the tree), the tree when it leaves many (small p: pmed16 in 1.5 s
    against 28 s for the MIP); see benchmarks/README.md.
    """
    if method not in ("auto", "tree", "mip"):
        raise ValueError(f"method must be 'auto', 'tree' or 'mip', got {method!r}")
    tic = time.perf_counter()
    deadline = tic + params.time_limit_s
    n_p = cost.shape[1]
    stages: dict[str, Any] = {}
    free = np.flatnonzero(~fixed)
    if p >= len(free) or n_p == 0:
        mask = fixed.copy()
        mask[free[:p]] = True
        value = pmedian_cost(cost, mask) if mask.any() and n_p else 0.0
        return MedianAnswer(mask, value, value, "optimal", time.perf_counter() - tic, "none")
    heur = pmedian_heuristic(cost, fixed, p, deadline=tic + 0.3 * params.time_limit_s)
    # A short iterated local search: a better incumbent makes the reduction far stronger.
    budget = min(0.1 * params.time_limit_s, max(1.0, 2e-6 * cost.size))
    heur = pmedian_ils(cost, fixed, heur, deadline=time.perf_counter() + budget)
    stages["heuristic"] = {"objective": pmedian_cost(cost, heur), "seconds": _since(tic)}
    gran = _granularity(cost)
    lag = subgradient(
        cost, fixed, p, heur, granularity=gran, deadline=tic + 0.6 * params.time_limit_s
    )
    stages["lagrange"] = {
        "bound": lag.bound,
        "objective": lag.upper,
        "iterations": lag.iterations,
        "seconds": lag.seconds,
    }
    best, upper = lag.open_mask, lag.upper
    bound = _ceil(lag.bound, gran)
    if bound >= upper - 1e-9 * max(1.0, abs(upper)):
        return MedianAnswer(best, upper, upper, "optimal", _since(tic), "lagrange", stages)
    # Keep only what can still beat the incumbent.
    slack = 1e-9 * max(1.0, abs(upper))
    threshold = upper - gran + slack if gran else upper + slack
    red = reduce(cost, fixed, p, lag.u, threshold)
    stages["reduction"] = {
        "fixed_open": int((red.open_ & ~fixed).sum()),
        "closed": int(red.closed.sum()),
        "mean_levels_kept": None,
    }
    if not np.isfinite(red.radius).all() or red.open_.sum() > p + fixed.sum():
        # Some client has no site that could still beat the incumbent: it is optimal.
        return MedianAnswer(best, upper, upper, "optimal", _since(tic), "lagrange", stages)
    remaining = deadline - time.perf_counter()
    if remaining <= 0.05:
        return MedianAnswer(best, upper, bound, "feasible", _since(tic), "lagrange", stages)
    levels = _levels_kept(cost, red)
    stages["reduction"]["mean_levels_kept"] = levels
    many = levels > LEVELS_FOR_MIP and p <= P_FOR_TREE
    # HiGHS may overrun a short time limit by seconds in presolve (pmed30 at 5 s: 13 s);
    # the tree stops on time, so it takes short remainders.
    short = remaining < MIN_MIP_SECONDS
    if method == "tree" or (method == "auto" and (many or short)):
        tree = branch_and_bound(
            cost,
            fixed,
            p,
            best,
            upper,
            lag.u,
            lag.bound,
            granularity=gran,
            deadline=deadline,
            closed=red.closed,
            forced=red.open_,
        )
        stages["tree"] = {"nodes": tree.nodes, "seconds": tree.seconds, "bound": tree.bound}
        proven = max(bound, _ceil(tree.bound, gran))
        done = tree.proven or proven >= tree.upper - 1e-9 * max(1.0, abs(tree.upper))
        return MedianAnswer(
            tree.open_mask,
            tree.upper,
            tree.upper if done else min(proven, tree.upper),
            "optimal" if done else "feasible",
            _since(tic),
            "lagrange-tree",
            stages,
        )
    res, found, _ = _radius_mip(
        cost, fixed, p, red, MipParams(params.backend, remaining, params.threads)
    )
    stages["mip"] = {"status": res.status, "seconds": res.seconds, "bound": res.bound}
    if res.status == "infeasible":
        # Nothing left can beat the incumbent: it is optimal.
        return MedianAnswer(best, upper, upper, "optimal", _since(tic), res.backend, stages)
    if res.has_solution and found is not None:
        value = pmedian_cost(cost, found)
        if value < upper:
            best, upper = found, value
    mip_bound = res.bound if math.isfinite(res.bound) else -math.inf
    if res.status == "optimal":
        mip_bound = res.objective
    proven = max(bound, min(upper, _ceil(mip_bound, gran)))
    status = "optimal" if proven >= upper - 1e-9 * max(1.0, abs(upper)) else "feasible"
    if status == "optimal":
        proven = upper
    return MedianAnswer(best, upper, proven, status, _since(tic), res.backend, stages)


def _levels_kept(cost: FloatArray, red: Reduction) -> float:
    """Mean number of distinct cost levels per client that the reduction keeps."""
    keep = (~red.closed)[:, None] & (cost <= red.radius[None, :])
    col = np.sort(np.where(keep, cost, np.inf), axis=0)
    with np.errstate(invalid="ignore"):  # inf - inf where a client's levels ran out
        distinct = (np.diff(col, axis=0) > 0) & np.isfinite(col[1:])
    return float((distinct.sum() + keep.any(axis=0).sum()) / max(cost.shape[1], 1))


def _since(tic: float) -> float:
    return time.perf_counter() - tic


def _ceil(bound: float, gran: float) -> float:
    if gran and math.isfinite(bound):
        return float(math.ceil(bound - 1e-6))
    return bound


def _radius_mip(
    cost: FloatArray,
    fixed: BoolArray,
    p: int,
    red: Reduction,
    params: MipParams,
) -> tuple[MipResult, BoolArray | None, float]:
    """The radius formulation on the sites and levels the reduction left.

    For client ``i`` with distinct costs ``D_1 < ... < D_K`` up to its radius, ``z_k`` is 1
    when no open site costs ``<= D_k``; chained rows ``z_k >= z_{k-1} - sum_{c_ij = D_k} y_j``
    need one nonzero per client-site pair, and the last row says some site within the
    radius is open.
    """
    n_c, n_p = cost.shape
    usable = ~red.closed
    jj, ii = np.nonzero(usable[:, None] & (cost <= red.radius[None, :]))
    c = cost[jj, ii]
    order = np.lexsort((c, ii))
    jj, ii, c = jj[order], ii[order], c[order]
    new_client = np.r_[True, ii[1:] != ii[:-1]]
    new_level = new_client | np.r_[True, c[1:] != c[:-1]]
    row_of_pair = np.cumsum(new_level) - 1
    r = int(row_of_pair[-1]) + 1 if len(row_of_pair) else 0
    level_cost = c[new_level]
    first = new_client[new_level]
    last = np.r_[first[1:], True]
    has_z = ~last
    z_of_row = np.cumsum(has_z) - 1
    z_rows = np.flatnonzero(has_z)
    z_cost = level_cost[z_rows + 1] - level_cost[z_rows]
    prev_rows = np.flatnonzero(~first)
    rows = [row_of_pair, z_rows, prev_rows]
    cols = [jj, n_c + z_of_row[z_rows], n_c + z_of_row[prev_rows - 1]]
    vals = [np.ones(len(jj)), np.ones(len(z_rows)), -np.ones(len(prev_rows))]
    row_lb = first.astype(float)
    offset = float(level_cost[first].sum())
    kept = r
    n_z = len(z_cost)
    total = p + int(fixed.sum())
    rows.append(np.full(n_c, r))
    cols.append(np.arange(n_c))
    vals.append(np.ones(n_c))
    matrix = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(r + 1, n_c + n_z),
    ).tocsr()
    lb = np.concatenate([red.open_.astype(float), np.zeros(n_z)])
    ub = np.concatenate([usable.astype(float), np.ones(n_z)])
    res = solve_mip(
        np.concatenate([np.zeros(n_c), z_cost]),
        matrix,
        np.append(row_lb, float(total)),
        np.concatenate([np.full(r, np.inf), [total]]),
        lb=lb,
        ub=ub,
        integer=np.concatenate([np.ones(n_c, bool), np.zeros(n_z, bool)]),
        maximize=False,
        params=params,
        offset=offset,
    )
    mask = (res.values[:n_c] > 0.5) if res.has_solution else None
    return res, mask, kept / max(n_p, 1)

"""Fast first answers for the siting models: greedy addition, then swaps that pay.

Every exact siting model starts from one of these, so that whatever happens to the MIP
afterwards (a time limit, a stalled back end) the planner gets a feasible set of sites with
a bound beside it. All work on dense matrices in numpy and take milliseconds to a few
seconds at province scale.

References
----------
Teitz, M., Bart, P. (1968). Heuristic methods for estimating the generalized vertex median
of a weighted graph. Oper. Res. 16(5) (vertex substitution).
Whitaker, R. (1983). A fast algorithm for the greedy interchange for large-scale clustering
and median location problems. INFOR 21(2) (fast interchange).
Resende, M., Werneck, R. (2007). A fast swap-based local search procedure for location
problems. Ann. Oper. Res. 150 (the gain/loss/extra decomposition used below).
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


# ------------------------------------------------------------------------------------------
# p-median: cost[j, i] = cost of serving client i from candidate j (finite)
# ------------------------------------------------------------------------------------------


def _two_nearest(
    cost: FloatArray, open_mask: BoolArray
) -> tuple[FloatArray, NDArray[np.int64], FloatArray]:
    """Per client: the cheapest open cost, which site gives it, and the second cheapest."""
    idx = np.flatnonzero(open_mask)
    sub = cost[idx]
    n = cost.shape[1]
    if len(idx) == 1:
        return sub[0].copy(), np.full(n, idx[0]), np.full(n, np.inf)
    part = np.argpartition(sub, 1, axis=0)[:2]
    first = np.take_along_axis(sub, part, axis=0)
    swap = first[1] < first[0]
    a1 = np.where(swap, part[1], part[0])
    d1 = np.minimum(first[0], first[1])
    d2 = np.maximum(first[0], first[1])
    return d1, idx[a1], d2


def pmedian_greedy(cost: FloatArray, fixed: BoolArray, p: int) -> BoolArray:
    """Add, one at a time, the site that lowers the total cost most."""
    open_mask = fixed.copy()
    n_p = cost.shape[1]
    best = cost[open_mask].min(axis=0) if open_mask.any() else np.full(n_p, np.inf)
    for _ in range(p):
        if np.isfinite(best).all():
            totals = np.minimum(best[None, :], cost).sum(axis=1)
        else:  # the first site: plain column sums
            totals = cost.sum(axis=1)
        totals[open_mask] = np.inf
        j = int(np.argmin(totals))
        open_mask[j] = True
        best = np.minimum(best, cost[j])
    return open_mask


def pmedian_interchange(
    cost: FloatArray,
    fixed: BoolArray,
    open_mask: BoolArray,
    *,
    deadline: float | None = None,
    max_swaps: int = 100_000,
) -> BoolArray:
    """Best-improvement swaps (one site out, one in) until none pays.

    Each round prices every swap at once in O(candidates x clients): the gain of adding a
    site, the loss of removing one, and the "extra" that corrects for clients of the removed
    site that the added one would take.
    """
    open_mask = open_mask.copy()
    n_c = cost.shape[0]
    removable = open_mask & ~fixed
    if not removable.any() or open_mask.all() or open_mask.sum() < 2:
        return open_mask
    for _ in range(max_swaps):
        if deadline is not None and time.perf_counter() > deadline:
            break
        d1, a1, d2 = _two_nearest(cost, open_mask)
        gain = np.maximum(d1[None, :] - cost, 0.0).sum(axis=1)
        gain[open_mask] = -np.inf
        loss = np.bincount(a1, weights=np.where(np.isfinite(d2), d2 - d1, 1e300), minlength=n_c)
        outs = np.flatnonzero(open_mask & ~fixed)
        order = np.argsort(a1, kind="stable")
        groups = a1[order]
        cols = []
        for r in outs:
            lo, hi = np.searchsorted(groups, [r, r + 1])
            sel = order[lo:hi]
            if len(sel) == 0:
                cols.append(np.zeros(n_c))
                continue
            d2s = d2[sel]
            d1s = d1[sel]
            capped = np.where(np.isfinite(d2s), d2s, 1e300)
            cols.append(
                np.maximum(capped[None, :] - np.maximum(cost[:, sel], d1s[None, :]), 0.0).sum(
                    axis=1
                )
            )
        extra = np.stack(cols, axis=1)
        profit = gain[:, None] - loss[outs][None, :] + extra
        k = int(np.argmax(profit))
        c_in, r_pos = divmod(k, len(outs))
        scale = max(float(d1.sum()), 1.0)
        if not profit.flat[k] > 1e-12 * scale:
            break
        open_mask[c_in] = True
        open_mask[outs[r_pos]] = False
    return open_mask


def pmedian_heuristic(
    cost: FloatArray, fixed: BoolArray, p: int, *, deadline: float | None = None
) -> BoolArray:
    """Greedy addition then fast interchange: a good p-median answer in well under a second."""
    return pmedian_interchange(cost, fixed, pmedian_greedy(cost, fixed, p), deadline=deadline)


def pmedian_cost(cost: FloatArray, open_mask: BoolArray) -> float:
    """Total cost of serving every client from its cheapest open site."""
    return float(cost[open_mask].min(axis=0).sum())


# ------------------------------------------------------------------------------------------
# Maximal coverage: cover[j, i] = candidate j covers point i
# ------------------------------------------------------------------------------------------


def mclp_heuristic(
    cover: csr_matrix,
    weights: FloatArray,
    fixed: BoolArray,
    p: int,
    *,
    deadline: float | None = None,
    max_swaps: int = 10_000,
) -> BoolArray:
    """Greedy by people newly covered, then swaps (one site out, one in) that cover more.

    ``cover`` is a sparse 0/1 candidates x points matrix; ``fixed`` sites are always open
    and are not counted against ``p``.
    """
    cover = csr_matrix(cover, dtype=np.float64)
    cover_t = cover.T.tocsr()
    n_c, n_p = cover.shape
    open_mask = fixed.copy()
    times = np.asarray(cover[np.flatnonzero(fixed)].sum(axis=0)).ravel() if fixed.any() else None
    count = np.zeros(n_p) if times is None else times
    w = weights.astype(float)
    for _ in range(p):
        gains = cover @ np.where(count == 0, w, 0.0)
        gains[open_mask] = -1.0
        j = int(np.argmax(gains))
        if gains[j] < 0:
            break
        open_mask[j] = True
        count = count + cover[j].toarray().ravel()
    for _ in range(max_swaps):
        if deadline is not None and time.perf_counter() > deadline:
            break
        outs = np.flatnonzero(open_mask & ~fixed)
        if len(outs) == 0:
            break
        # Gain of adding j: people covered by nobody now that j covers.
        gain = cover @ np.where(count == 0, w, 0.0)
        gain[open_mask] = -np.inf
        only = np.where(count == 1, w, 0.0)
        best = (0.0, -1, -1)
        # Loss of removing r: people only r covers; extra: those the added site also covers.
        for r in outs:
            row = cover.indices[cover.indptr[r] : cover.indptr[r + 1]]
            sole = row[count[row] == 1]
            loss = float(only[sole].sum())
            extra = np.asarray(cover_t[sole].T @ w[sole]).ravel() if len(sole) else np.zeros(n_c)
            profit = gain - loss + extra
            k = int(np.argmax(profit))
            if profit[k] > best[0] + 1e-9:
                best = (float(profit[k]), k, int(r))
        if best[1] < 0:
            break
        _, j_in, r_out = best
        open_mask[j_in] = True
        open_mask[r_out] = False
        count = count + cover[j_in].toarray().ravel() - cover[r_out].toarray().ravel()
    return open_mask


# ------------------------------------------------------------------------------------------
# p-center: hours[j, i]
# ------------------------------------------------------------------------------------------


def pcenter_heuristic(hours: FloatArray, fixed: BoolArray, p: int) -> BoolArray:
    """Farthest-first: open the site closest to the worst-served point, then improve by swaps."""
    n_p = hours.shape[1]
    open_mask = fixed.copy()
    best = hours[open_mask].min(axis=0) if open_mask.any() else np.full(n_p, np.inf)
    for _ in range(p):
        if np.isinf(best).all():
            # The first site: the one whose worst point is nearest.
            radius = hours.max(axis=1)
        else:
            radius = np.minimum(best[None, :], hours).max(axis=1)
        radius[open_mask] = np.inf
        j = int(np.argmin(radius))
        open_mask[j] = True
        best = np.minimum(best, hours[j])
    current = float(best.max())
    improved = True
    while improved:
        improved = False
        for r in np.flatnonzero(open_mask & ~fixed):
            base = open_mask.copy()
            base[r] = False
            rest = hours[base].min(axis=0) if base.any() else np.full(n_p, np.inf)
            radius = np.minimum(rest[None, :], hours).max(axis=1)
            radius[base] = np.inf
            j = int(np.argmin(radius))
            if radius[j] < current - 1e-12:
                base[j] = True
                open_mask, current, improved = base, float(radius[j]), True
                break
    return open_mask


def pmedian_ils(
    cost: FloatArray,
    fixed: BoolArray,
    start: BoolArray,
    *,
    deadline: float,
    seed: int = 0,
    max_rounds: int = 10_000,
    patience: int = 200,
) -> BoolArray:
    """Iterated local search from ``start`` until the deadline.

    Kick the best answer with 1-3 random swaps, re-polish by interchange, keep it if it is
    better; stop after ``patience`` kicks in a row that did not pay. Seeded: the same
    input gives the same answer unless the deadline cuts the search short.
    """
    rng = np.random.default_rng(seed)
    best = start.copy()
    best_value = pmedian_cost(cost, best)
    stall = 0
    for _ in range(max_rounds):
        if time.perf_counter() > deadline or stall >= patience:
            break
        stall += 1
        outs = np.flatnonzero(best & ~fixed)
        ins = np.flatnonzero(~best)
        if not len(outs) or not len(ins):
            break
        trial = best.copy()
        k = int(rng.integers(1, min(3, len(outs), len(ins)) + 1))
        trial[rng.choice(outs, k, replace=False)] = False
        trial[rng.choice(ins, k, replace=False)] = True
        trial = pmedian_interchange(cost, fixed, trial, deadline=deadline)
        value = pmedian_cost(cost, trial)
        if value < best_value - 1e-9 * max(1.0, abs(best_value)):
            best, best_value, stall = trial, value, 0
    return best

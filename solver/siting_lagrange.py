"""Lagrangian bounds for the p-median, and the reductions they allow.

Relaxing "every client is served once" with multipliers ``u`` leaves a problem solved by
sorting: site ``j`` is worth ``rho_j = sum_i min(0, c_ij - u_i)`` and the ``p`` most negative
free sites open. Its value ``L(u)`` is a lower bound for every ``u`` and, at the best ``u``,
equals the LP bound. Subgradient steps (Held, Wolfe, Crowder) find a good ``u`` in
``O(candidates x clients)`` per step; along the way each relaxed answer is priced as a
real one, which often improves the incumbent.

With an incumbent ``UB`` and the best ``u``, a site whose forced opening (or closing)
raises the bound above ``UB`` is closed (or opened) for good, and a client-site pair whose
forced assignment does likewise is never used: every client then lies within a radius
``R_i`` of an open site in any solution that can still improve on the incumbent.

References
----------
Beasley, J. E. (1993). Lagrangean heuristics for location problems. EJOR 65.
Held, M., Wolfe, P., Crowder, H. (1974). Validation of subgradient optimization. Math.
Program. 6.
García, S., Labbé, M., Marín, A. (2011). Solving large p-median problems with a radius
formulation. INFORMS J. Comput. 23(4) (reductions from bounds on the radius form).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from solver.siting_heuristics import pmedian_cost, pmedian_interchange

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class LagrangeResult:
    """Best bound found, its multipliers, and the best solution seen along the way."""

    bound: float
    u: FloatArray
    upper: float
    open_mask: BoolArray
    iterations: int
    seconds: float


def _relaxed(
    cost: FloatArray, u: FloatArray, fixed: BoolArray, p: int
) -> tuple[float, FloatArray, BoolArray]:
    """``L(u)``, the site values ``rho`` and the relaxed choice of open sites."""
    rho = np.minimum(cost - u[None, :], 0.0).sum(axis=1)
    free = np.flatnonzero(~fixed)
    chosen = fixed.copy()
    if p > 0:
        pick = free[np.argpartition(rho[free], p - 1)[:p]] if p < len(free) else free
        chosen[pick] = True
    return float(u.sum() + rho[chosen].sum()), rho, chosen


def subgradient(
    cost: FloatArray,
    fixed: BoolArray,
    p: int,
    incumbent: BoolArray | None,
    *,
    upper: float | None = None,
    u0: FloatArray | None = None,
    granularity: float = 0.0,
    deadline: float | None = None,
    max_iter: int = 3000,
    step: float = 2.0,
    patience: int = 30,
    polish: bool = True,
) -> LagrangeResult:
    """Maximise ``L(u)`` by subgradient steps; improve the incumbent on the way.

    Starts from ``u0`` (default: each client's cost in the incumbent). Stops when the
    bound closes the gap (within ``granularity``: 1 when every cost is a whole number, so
    a bound above ``UB - 1`` proves the incumbent), when the step has shrunk to nothing,
    or at the deadline. ``polish`` runs the interchange on promising relaxed answers.
    """
    tic = time.perf_counter()
    best_open = incumbent.copy() if incumbent is not None else fixed.copy()
    if upper is None:
        if incumbent is None:
            raise ValueError("give an incumbent or its value")
        upper = pmedian_cost(cost, best_open)
    if u0 is None:
        if incumbent is None:
            raise ValueError("give an incumbent or a starting u")
        u0 = cost[best_open].min(axis=0)  # each client's incumbent cost
    u = u0.copy()
    found = False
    best_bound, best_u = -np.inf, u.copy()
    lam, stale = step, 0
    seen: set[bytes] = set()
    it = 0
    while it < max_iter:
        it += 1
        bound, _, chosen = _relaxed(cost, u, fixed, p)
        if bound > best_bound + 1e-12 * max(1.0, abs(bound)):
            best_bound, best_u, stale = bound, u.copy(), 0
        else:
            stale += 1
            if stale >= patience:
                lam, stale = lam / 2.0, 0
        key = np.packbits(chosen).tobytes()
        if key not in seen:
            seen.add(key)
            sites = chosen
            value = pmedian_cost(cost, sites)
            if polish and value < upper * 1.02 and len(seen) <= 200:
                sites = pmedian_interchange(cost, fixed, sites, deadline=deadline)
                value = pmedian_cost(cost, sites)
            if value < upper - 1e-9 * max(1.0, abs(upper)):
                upper, best_open, found = value, sites, True
        if _closed(best_bound, upper, granularity):
            break
        if lam < 1e-4 or (deadline is not None and time.perf_counter() > deadline):
            break
        served = (cost[chosen] < u[None, :]).sum(axis=0)
        g = 1.0 - served
        norm = float(g @ g)
        if norm == 0:
            break  # the relaxed answer is feasible and so optimal
        u = u + lam * max(upper - bound, 1e-9 * max(1.0, abs(upper))) / norm * g
    return LagrangeResult(
        best_bound,
        best_u,
        upper,
        best_open if (found or incumbent is not None) else np.zeros(0, bool),
        it,
        time.perf_counter() - tic,
    )


def _closed(bound: float, upper: float, granularity: float) -> bool:
    if granularity > 0:
        return bound > upper - granularity + 1e-9 * max(1.0, abs(upper))
    return bound >= upper - 1e-9 * max(1.0, abs(upper))


@dataclass(frozen=True, slots=True, eq=False)
class Reduction:
    """Sites fixed open or closed, and each client's largest useful cost ``radius``."""

    open_: BoolArray
    closed: BoolArray
    radius: FloatArray


def reduce(
    cost: FloatArray,
    fixed: BoolArray,
    p: int,
    u: FloatArray,
    threshold: float,
) -> Reduction:
    """Fix sites and cap each client's cost with the bound at ``u``.

    Anything whose forced use raises the Lagrangian bound above ``threshold`` is dropped:
    with ``threshold`` just above the incumbent every optimal solution survives; with it
    just below the incumbent every solution that improves on it does.
    """
    bound, rho, chosen = _relaxed(cost, u, fixed, p)
    free = ~fixed
    free_rho = np.sort(rho[free])
    n_free = len(free_rho)
    rho_p = free_rho[p - 1] if 0 < p <= n_free else -np.inf
    rho_next = free_rho[p] if p < n_free else np.inf
    open_ = fixed.copy()
    closed = np.zeros_like(fixed)
    extra = np.zeros(len(rho))
    out = free & ~chosen
    extra[out] = np.maximum(rho[out] - rho_p, 0.0)
    if p > 0:
        closed[out] = bound + extra[out] > threshold
    inside = free & chosen
    open_[inside] = bound - rho[inside] + rho_next > threshold
    # Client-site pairs: forcing i onto j adds max(0, c_ij - u_i) and j's opening cost.
    pair_lb = bound + np.maximum(cost - u[None, :], 0.0) + extra[:, None]
    usable = (pair_lb <= threshold) & ~closed[:, None]
    radius = np.where(usable, cost, -np.inf).max(axis=0)
    if open_.any():
        radius = np.minimum(radius, cost[open_].min(axis=0))
    return Reduction(open_, closed, radius)

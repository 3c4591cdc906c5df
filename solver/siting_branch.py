"""Lagrangian branch and bound for the p-median, for when the root bound leaves a gap.

Depth first over "site j open / closed"; each node re-optimises the Lagrangian bound from
its parent's multipliers (a few dozen subgradient steps on the sites still allowed), is
pruned when the bound reaches the incumbent, and fixes further sites with the same
reduced-cost tests as the root. Every relaxed answer is priced as a real one, so the
incumbent can improve anywhere in the tree. The answer at a stop is the incumbent and the
smallest bound of the nodes left open.

References
----------
Beasley, J. E. (1993). Lagrangean heuristics for location problems. EJOR 65.
Christofides, N., Beasley, J. E. (1982). A tree search algorithm for the p-median
problem. EJOR 10.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from solver.siting_lagrange import _closed, _relaxed, subgradient

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class TreeResult:
    """Best solution, the bound proven over the whole tree, and whether it closed."""

    open_mask: BoolArray
    upper: float
    bound: float
    proven: bool
    nodes: int
    seconds: float


@dataclass(slots=True)
class _Node:
    closed: BoolArray
    forced: BoolArray
    u: FloatArray
    bound: float


def branch_and_bound(
    cost: FloatArray,
    fixed: BoolArray,
    p: int,
    incumbent: BoolArray,
    upper: float,
    u: FloatArray,
    root_bound: float,
    *,
    granularity: float,
    deadline: float,
    closed: BoolArray | None = None,
    forced: BoolArray | None = None,
    steps: int = 120,
) -> TreeResult:
    """Search the tree below the root (``closed``/``forced`` from the root reduction)."""
    tic = time.perf_counter()
    n_c = cost.shape[0]
    best, nodes = incumbent.copy(), 0
    root = _Node(
        np.zeros(n_c, bool) if closed is None else closed.copy(),
        fixed.copy() if forced is None else (forced | fixed),
        u.copy(),
        root_bound,
    )
    stack = [root]
    while stack:
        if time.perf_counter() > deadline:
            break
        node = stack.pop()
        if _closed(node.bound, upper, granularity):
            continue
        nodes += 1
        rows = np.flatnonzero(~node.closed)
        p_left = p - int((node.forced & ~fixed).sum())
        if p_left < 0 or len(rows) < p_left + int(node.forced.sum()):
            continue
        sub = cost[rows]
        sub_fixed = node.forced[rows]
        lag = subgradient(
            sub,
            sub_fixed,
            p_left,
            None,
            upper=upper,
            u0=node.u,
            granularity=granularity,
            deadline=deadline,
            max_iter=steps,
            step=0.5,
            patience=8,
            polish=False,
        )
        if lag.open_mask.size:
            best = np.zeros(n_c, bool)
            best[rows[lag.open_mask]] = True
            upper = lag.upper
        bound = max(lag.bound, node.bound)
        if _closed(bound, upper, granularity):
            continue
        slack = 1e-9 * max(1.0, abs(upper))
        threshold = upper - granularity + slack if granularity else upper + slack
        value, rho, chosen = _relaxed(sub, lag.u, sub_fixed, p_left)
        free = ~sub_fixed
        order = np.sort(rho[free])
        rho_p = order[p_left - 1] if p_left > 0 else -np.inf
        rho_next = order[p_left] if p_left < len(order) else np.inf
        closed_now = node.closed.copy()
        forced_now = node.forced.copy()
        out = free & ~chosen
        if p_left > 0:
            closed_now[rows[out & (value + rho - rho_p > threshold)]] = True
        inside = free & chosen
        forced_now[rows[inside & (value - rho + rho_next > threshold)]] = True
        if int((forced_now & ~fixed).sum()) > p:
            continue
        # Branch on the chosen free site the relaxation likes most (most negative rho).
        cands = np.flatnonzero(inside & ~forced_now[rows])
        if len(cands) == 0:
            # Every chosen site is forced: solve the node again with them fixed (a leaf
            # when nothing changed: its relaxed answer has been priced already).
            if (forced_now != node.forced).any():
                stack.append(_Node(closed_now, forced_now, lag.u, bound))
            continue
        j = rows[cands[np.argmin(rho[cands])]]
        off = closed_now.copy()
        off[j] = True
        on = forced_now.copy()
        on[j] = True
        stack.append(_Node(off, forced_now, lag.u, bound))
        stack.append(_Node(closed_now, on, lag.u, bound))
    open_bounds = [n.bound for n in stack]
    proven = not stack
    bound = upper if proven else min([upper, *open_bounds])
    return TreeResult(best, upper, bound, proven, nodes, time.perf_counter() - tic)

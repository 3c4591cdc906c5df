"""Greedy first answers for capacitated, multi-tier and robust siting.

Each returns a full feasible assignment of the model's MIP variables, so the model can
hand it to the solver as a hint and keep it when the solver stops with nothing better.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


def capacitated_greedy(
    reach: BoolArray,
    weights: FloatArray,
    existing: BoolArray,
    existing_capacity: FloatArray,
    new: IntArray,
    capacities: FloatArray,
    costs: FloatArray,
    pairs: tuple[IntArray, IntArray],
    *,
    p: int | None,
    budget: float | None,
) -> tuple[FloatArray, FloatArray]:
    """Build (site, class) by people it would newly serve, filling capacity nearest-first.

    Returns ``y`` (new site x class, 0/1, flattened) and ``a`` (the share of point ``pi``
    served by site ``cj`` for every reachable pair of ``pairs``): feasible for the model.
    """
    cj, pi = pairs
    n_p = reach.shape[1]
    n_o = len(capacities)
    left = np.ones(n_p)  # share of each point not yet served
    share = np.zeros(len(cj))
    pair_of = {(int(j), int(i)): k for k, (j, i) in enumerate(zip(cj, pi, strict=True))}

    def fill(site: int, cap: float) -> None:
        for i in np.flatnonzero(reach[site] & (left > 1e-12)).tolist():
            if cap <= 1e-9:
                break
            take = min(left[i], cap / weights[i]) if weights[i] > 0 else left[i]
            share[pair_of[(site, i)]] += take
            left[i] -= take
            cap -= take * weights[i]

    for site in np.flatnonzero(existing).tolist():
        fill(site, float(existing_capacity[site]))
    y = np.zeros((len(new), n_o))
    spent, built = 0.0, 0
    while p is None or built < p:
        open_w = reach[new] @ (weights * left)
        best, best_gain = None, 0.0
        for k in range(n_o):
            gains = np.minimum(open_w, capacities[k])
            gains[y.any(axis=1)] = 0.0
            if budget is not None:
                gains[spent + costs[k] > budget + 1e-9] = 0.0
            # The most people newly served; among equal gains the cheaper class.
            j = int(np.argmax(gains - 1e-9 * costs[k]))
            if gains[j] > best_gain + 1e-9:
                best, best_gain = (j, k), float(gains[j])
        if best is None:
            break
        j, k = best
        y[j, k] = 1.0
        spent += costs[k]
        built += 1
        fill(int(new[j]), float(capacities[k]))
    return y.ravel(), share


def tiered_greedy(
    reaches: Sequence[BoolArray],
    tier_weights: Sequence[float],
    tier_p: Sequence[int],
    weights: FloatArray,
    done: Sequence[BoolArray],
    new: IntArray,
) -> FloatArray:
    """Fill the tiers from the highest: each new site serves its tier and those below.

    Returns ``y`` (new site x tier, 0/1, flattened) with exactly ``tier_p[t]`` sites of
    tier ``t`` and at most one tier per site.
    """
    n_t = len(reaches)
    cov = [d.copy() for d in done]
    y = np.zeros((len(new), n_t))
    for k in reversed(range(n_t)):
        for _ in range(tier_p[k]):
            gain = np.zeros(len(new))
            for t in range(k + 1):
                gain += tier_weights[t] * (reaches[t][new] @ (weights * ~cov[t]))
            gain[y.any(axis=1)] = -np.inf
            j = int(np.argmax(gain))
            y[j, k] = 1.0
            for t in range(k + 1):
                cov[t] |= reaches[t][new[j]]
    return y.ravel()


def robust_greedy(
    reaches: Sequence[BoolArray],
    weights: FloatArray,
    done: Sequence[BoolArray],
    new: IntArray,
    p: int,
    probabilities: FloatArray,
    mode: str,
) -> BoolArray:
    """``p`` new sites, each raising the worst (or expected) covered share the most."""
    total = max(float(weights.sum()), 1e-12)
    cov = [d.copy() for d in done]
    chosen = np.zeros(len(new), bool)
    for _ in range(p):
        shares = np.array([weights[c].sum() / total for c in cov])
        gains = np.stack(
            [(r[new] @ (weights * ~c)) / total for r, c in zip(reaches, cov, strict=True)]
        )
        after = shares[:, None] + gains
        score = after.min(axis=0) if mode == "worst" else probabilities @ after
        score = score + 1e-9 * gains.sum(axis=0)  # ties: the more people overall
        score[chosen] = -np.inf
        j = int(np.argmax(score))
        chosen[j] = True
        for t, r in enumerate(reaches):
            cov[t] |= r[new[j]]
    return chosen

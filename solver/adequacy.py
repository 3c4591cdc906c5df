"""The network-adequacy check: an upper bound on the people whose needs are met in time.

Given depots with stock, loading bays and trucks, places with people and their needs per
item, and travel hours per vehicle class, a linear programme (:mod:`solver.check_lp`)
relaxes every dispatch plan that obeys the rules of :mod:`solver.loading` and
:mod:`solver.met`: no such plan meets more people by a target than the check reports. Each
target is its own LP (the most people by 12 h may need another plan than the most by 10 h);
the targets are solved side by side on the machine's cores.

What binds is read from the LP's dual values: the people each family of rules (stock,
loading bays, trucks) accounts for, the rules that pinch most (which depot's bays or trucks,
by when), and, per place, why it falls short. :mod:`solver.check_explain` turns the
solutions into per-place outcomes, KPIs and reasons.

References
----------
Balcik, B., Beamon, B. M. (2008). Facility location in humanitarian relief. IJLRA 11(2).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from solver.check_explain import TargetSolution, explain, pinches_of
from solver.check_lp import (
    EPS,
    NO_RELAX,
    LPSolution,
    Relax,
    candidates,
    solve_target,
    trip_cols,
)
from solver.check_types import (
    CheckProblem,
    CheckResult,
    DemandPoint,
    Finding,
    ItemBalance,
    PointOutcome,
    Reason,
    Shipment,
    SupplyPoint,
    TargetKPI,
    TripShare,
)

__all__ = [
    "CheckProblem",
    "CheckResult",
    "DemandPoint",
    "Finding",
    "ItemBalance",
    "PointOutcome",
    "Reason",
    "Shipment",
    "SupplyPoint",
    "TargetKPI",
    "TripShare",
    "check",
    "solve_at",
]


def _subproblem(
    prob: CheckProblem, s_idx: NDArray[np.int64], d_idx: NDArray[np.int64]
) -> CheckProblem:
    pick = np.ix_(np.arange(len(prob.classes)), s_idx, d_idx)
    return dataclasses.replace(
        prob,
        supplies=tuple(prob.supplies[i] for i in s_idx),
        demands=tuple(prob.demands[i] for i in d_idx),
        arrive_h=prob.arrive_h[pick],
        out_h=prob.out_h[pick],
        back_h=prob.back_h[pick],
    )


def _groups(
    prob: CheckProblem, target: float, relax: Relax, pairs: NDArray[np.bool_] | None
) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Depots and demands linked by candidate trips (connected components)."""
    tc = trip_cols(prob, target, relax, pairs)
    n_s, n_d = len(prob.supplies), len(prob.demands)
    if len(tc) == 0:
        return []
    n = n_s + n_d
    graph = coo_array((np.ones(len(tc)), (tc.s, n_s + tc.p)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    linked = np.zeros(n, dtype=bool)
    linked[tc.s] = True
    linked[n_s + tc.p] = True
    out = []
    for lab in np.unique(label[linked]):
        members = np.flatnonzero((label == lab) & linked)
        out.append((members[members < n_s], members[members >= n_s] - n_s))
    return out


def pruned(prob: CheckProblem) -> bool:
    """True when depots are pruned per demand (the answer is then not a bound)."""
    return prob.max_depots_per_point is not None and prob.max_depots_per_point < len(prob.supplies)


def solve_at(
    prob: CheckProblem,
    target: float,
    relax: Relax = NO_RELAX,
    *,
    kits: bool = False,
    floor: Mapping[tuple[str, str], float] | None = None,
) -> TargetSolution:
    """The LP at ``target``, group by group, gathered over the whole problem.

    ``kits``: ship whole person-kits (dispatch's allocation; not the bound); ``floor``: at
    least so many person-kits per (depot, demand) (see :func:`solver.check_lp.build_model`).
    """
    pairs = candidates(prob) if pruned(prob) else None
    items = prob.catalogue.ids
    share = np.zeros(len(prob.demands))
    for j, d in enumerate(prob.demands):
        if d.people == 0 or not d.need:
            share[j] = 1.0  # nobody to serve, or nothing they need
    shipments: list[Shipment] = []
    trips: list[TripShare] = []
    people = float(sum(d.people for d, s in zip(prob.demands, share, strict=True) if s >= 1.0))
    stats: dict[str, float] = {}
    solvers: list[str] = []
    pinch: list[tuple[float, str, str, str]] = []
    servable = np.zeros(len(prob.demands), dtype=bool)
    for s_idx, d_idx in _groups(prob, target, relax, pairs):
        sub = _subproblem(prob, s_idx, d_idx)
        sub_pairs = pairs[np.ix_(s_idx, d_idx)] if pairs is not None else None
        sol = solve_target(sub, target, relax, sub_pairs, kits=kits, floor=floor)
        for key, value in sol.stats.items():
            stats[key] = stats.get(key, 0.0) + value
        servable[d_idx[np.unique(sol.model.trips.p)]] = True
        # Demands needing nothing are counted above; the LP also counts them in its optimum.
        trivial = np.array([(d.people == 0 or not d.need) for d in sub.demands], dtype=bool)
        people += float(sol.people) - float(
            sum(d.people for d, t in zip(sub.demands, trivial, strict=True) if t)
        )
        share[d_idx] = np.where(trivial, 1.0, np.clip(sol.f, 0.0, 1.0))
        shipments += _shipments(sub, sol, items, target)
        trips += _trips(sub, sol, target)
        solvers.extend(sol.solvers)
        pinch += pinches_of(sub, sol)
    return TargetSolution(
        target,
        float(people),
        share,
        servable,
        tuple(shipments),
        tuple(trips),
        tuple(sorted(pinch, key=lambda r: -r[0])),
        stats,
        tuple(solvers),
    )


def _shipments(
    sub: CheckProblem, sol: LPSolution, items: tuple[str, ...], target: float
) -> list[Shipment]:
    m = sol.model
    x, y = sol.x, sol.y
    # Per pair, the latest loading deadline among the trips it uses (its "loaded by").
    loaded_by = np.full(len(m.pair_s), -np.inf)
    used = y > EPS
    np.maximum.at(loaded_by, m.trip_pair[used], m.trips.load_by[used])
    out = []
    coef = m.coef.tocsr()
    for j in np.flatnonzero(x > 0):
        q = int(m.x_pair[j])
        dem = sub.demands[int(m.pair_p[q])]
        arrive_by = target - dem.handover_h
        row = coef[j]
        for i, per in zip(row.indices, row.data, strict=True):
            if per * x[j] <= EPS:
                continue
            out.append(
                Shipment(
                    sub.supplies[int(m.pair_s[q])].id,
                    dem.id,
                    items[int(i)],
                    float(per * x[j]),
                    float(loaded_by[q]) if np.isfinite(loaded_by[q]) else arrive_by,
                    arrive_by,
                    target,
                )
            )
    return out


def _trips(sub: CheckProblem, sol: LPSolution, target: float) -> list[TripShare]:
    tc = sol.model.trips
    y, z, w = sol.y, sol.z, sol.w
    return [
        TripShare(
            sub.supplies[int(tc.s[t])].id,
            sub.classes[int(tc.c[t])],
            sub.demands[int(tc.p[t])].id,
            target,
            float(y[t]),
            float(z[t]),
            float(w[t]),
            float(tc.load_by[t]),
            float(tc.arrive_by[t]),
        )
        for t in np.flatnonzero(y > EPS)
    ]


def check(problem: CheckProblem, *, workers: int = 2) -> CheckResult:
    """The bound at every target, per-place outcomes and what binds (module docstring).

    Points and depots that share no candidate trip are independent; each such group is
    solved as its own LP (the sum of the optima is the optimum of the whole). The targets are
    solved on ``workers`` threads (the LP solvers release the interpreter while they work).
    """
    t0 = time.perf_counter()
    targets = sorted(set(map(float, problem.targets_h)))
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        solved = list(pool.map(lambda t: solve_at(problem, t), targets))
    result = explain(problem, solved)
    stats: dict[str, float] = {}
    for sol in solved:
        for key, value in sol.stats.items():
            stats[f"{key}_{sol.target:g}h"] = value
    stats["total_s"] = time.perf_counter() - t0
    stats["depots_per_point"] = float(problem.max_depots_per_point or len(problem.supplies))
    return dataclasses.replace(
        result,
        stats=stats,
        bound=not pruned(problem),
        solvers=tuple(sorted({s for sol in solved for s in sol.solvers})),
    )

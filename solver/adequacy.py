"""The network-adequacy check: when are people's basic needs met, and if late, why.

Given depots with stock, points with people and their needs per item, and depot-to-point
travel hours, a linear programme (OR-Tools GLOP, :mod:`solver.check_lp`) allocates stock to
points so that the most people have all their needs met by the first target (10 h), then by
each later target (12 h) without giving up the earlier optimum.

Each unit of stock is used once. Depot loading is a single queue per depot that works only
in opening hours at ``loading_t_per_h``: a shipment counted at a target must finish loading
by ``target - handover - travel``; for divisible loads with deadlines on one machine,
earliest-deadline-first is optimal, so the cumulative tonnage due by each deadline must fit
the depot's loading capacity by then (deadlines rounded down to ``loading_step_h``, which
keeps the plan feasible). An optional fleet bound adds, per depot, that tonne-hours and
m3-hours of round trips fit the depot's trucks' payload and volume over the time available.

The plan's shipments are then loaded at each depot in deadline order
(:mod:`solver.check_plan`), which gives departure and arrival times; what is still unmet
after the last target is served greedily, earliest arrival first, so every point gets an
estimated time to needs met (an upper bound; the figures at the targets are optimal).
:mod:`solver.check_explain` turns the timed plan into per-point outcomes, KPIs and the
binding reason of every late point.

References
----------
Balcik, B., Beamon, B. M. (2008). Facility location in humanitarian relief. IJLRA 11(2).
Horn, W. A. (1974). Some simple scheduling algorithms. NRLQ 21 (EDF for deadlines).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from solver.check_explain import explain
from solver.check_lp import ShipmentVars, shipment_vars, solve_targets
from solver.check_plan import ProblemArrays, complete, schedule
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
    "check",
]


def check(
    problem: CheckProblem, *, fleet_aware: bool = False, initial_depots_per_point: int | None = None
) -> CheckResult:
    """Run the adequacy check; see the module docstring for the model.

    Points and depots that share no candidate shipment are independent; each such group is
    solved as its own LP (the sum of the optima is the optimum of the whole), which keeps
    province-scale checks tractable without changing the answer.

    Parameters
    ----------
    problem
        Demands, supplies, travel hours and parameters.
    fleet_aware
        Also bound shipments by each depot's trucks (round trips x payload and volume).
    initial_depots_per_point
        With a number, column generation starts from each point's nearest depots and adds
        any other shipment that can improve the plan (this changes speed and memory, not the
        answer); with None every candidate shipment is in the LP from the start.
    """
    t0 = time.perf_counter()
    prob = problem
    data = ProblemArrays.of(prob)
    full = shipment_vars(prob, np.array(prob.grid), data.need, data.stock)
    groups = _independent_groups(len(prob.supplies), len(prob.demands), full)
    shipments: list[Shipment] = []
    used = np.zeros_like(data.stock)
    queue = np.array([s.start_h for s in prob.supplies])
    stats = dict.fromkeys(("columns", "rows", "lp_solves", "build_s", "solve_s"), 0.0)
    for s_idx, d_idx in groups:
        sub = dataclasses.replace(
            prob,
            supplies=tuple(prob.supplies[i] for i in s_idx),
            demands=tuple(prob.demands[i] for i in d_idx),
            travel_h=prob.travel_h[np.ix_(s_idx, d_idx)],
        )
        x, v, model, part = solve_targets(sub, fleet_aware, initial_depots_per_point)
        for key, value in part.items():
            stats[key] = stats.get(key, 0.0) + value
        sh, q = schedule(sub, v, x, model.weight_t)
        shipments += sh
        queue[s_idx] = q
        np.add.at(used, (s_idx[v.d], v.i), x)
    late = complete(prob, data, shipments, used.copy(), queue)
    result = explain(prob, data, used, shipments + late)
    stats.update(
        {
            "groups": float(len(groups)),
            "depots_per_point": float(prob.max_depots_per_point or len(prob.supplies)),
            "total_s": time.perf_counter() - t0,
        }
    )
    return CheckResult(
        status="optimal",
        targets=result["targets"],
        points=result["points"],
        shipments=tuple(shipments + late),
        everyone_met_h=result["everyone"],
        never_met=result["never"],
        items=result["items"],
        fleet_aware=fleet_aware,
        stats=stats,
    )


def _independent_groups(
    n_s: int, n_d: int, v: ShipmentVars
) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Groups of depots and points linked by candidate shipments (connected components)."""
    if len(v.d) == 0:
        return []
    n = n_s + n_d
    graph = coo_array((np.ones(len(v.d)), (v.d, n_s + v.p)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    linked = np.zeros(n, dtype=bool)
    linked[v.d] = True
    linked[n_s + v.p] = True
    out = []
    for lab in np.unique(label[linked]):
        members = np.flatnonzero((label == lab) & linked)
        out.append((members[members < n_s], members[members >= n_s] - n_s))
    return out

"""From LP values to a timed plan: EDF loading at each depot, then greedy completion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from solver.check_lp import EPS, ShipmentVars
from solver.check_types import CheckProblem, Shipment


@dataclass(frozen=True)
class ProblemArrays:
    """Need, stock and unit weights of a whole problem, as arrays."""

    need: NDArray[np.float64]
    stock: NDArray[np.float64]
    weight_t: NDArray[np.float64]

    @classmethod
    def of(cls, prob: CheckProblem) -> ProblemArrays:
        """Arrays of ``prob``."""
        items = prob.catalogue.ids
        need = np.array([[d.need.get(i, 0) for i in items] for d in prob.demands], dtype=float)
        stock = np.array([[s.stock.get(i, 0) for i in items] for s in prob.supplies], dtype=float)
        weight = np.array([prob.catalogue.get(i).unit_weight_kg / 1000.0 for i in items])
        return cls(
            need.reshape(len(prob.demands), len(items)),
            stock.reshape(len(prob.supplies), len(items)),
            weight,
        )


def schedule(
    prob: CheckProblem, v: ShipmentVars, x: NDArray[np.float64], weight_t: NDArray[np.float64]
) -> tuple[list[Shipment], NDArray[np.float64]]:
    """Load each depot's shipments earliest deadline first.

    Returns the shipments with departure and arrival times, and when each depot's loading
    queue is free again.
    """
    items = prob.catalogue.ids
    out: list[Shipment] = []
    queue = np.array([s.start_h for s in prob.supplies])
    used = np.flatnonzero(x > 0)
    for s in np.unique(v.d[used]):
        sup = prob.supplies[int(s)]
        mine = used[v.d[used] == s]
        mine = mine[np.lexsort((mine, v.deadline[mine]))]
        clock = sup.start_h
        for j in mine:
            clock = sup.finish_h(clock, float(weight_t[v.i[j]] * x[j]))
            arrive = clock + float(prob.travel_h[s, v.p[j]])
            out.append(
                Shipment(
                    sup.id,
                    prob.demands[int(v.p[j])].id,
                    items[int(v.i[j])],
                    float(x[j]),
                    clock,
                    arrive,
                )
            )
        queue[s] = clock
    return out, queue


def complete(
    prob: CheckProblem,
    model: ProblemArrays,
    planned: list[Shipment],
    used: NDArray[np.float64],
    queue: NDArray[np.float64],
) -> list[Shipment]:
    """Serve what the targets' plan leaves unmet, greedily, after the last target.

    Needs are taken point by point (largest first); each item comes from the depots that can
    land it earliest given their loading queues, honouring tier preferences. This gives
    every point an estimated time to needs met without a larger LP; the figures at the
    targets are the LP's optimum, the times after them an upper bound of what is possible.
    """
    items = prob.catalogue.ids
    index = {d.id: j for j, d in enumerate(prob.demands)}
    got = np.zeros_like(model.need)
    for sh in planned:
        got[index[sh.demand], items.index(sh.item)] += sh.quantity
    left_need = np.maximum(model.need - got, 0.0)
    left_stock = np.maximum(model.stock - used, 0.0)
    penalty_t = np.array([prob.tier_penalty.get(s.tier, 0.0) for s in prob.supplies])
    # What the greedy adds lands after the last target, so the figures at the targets stay
    # the LP's (the greedy can find slack the LP's 15-minute loading grid left, and counting
    # it would make the figures depend on a heuristic: a closed road could then raise them).
    after = max(map(float, prob.targets_h), default=0.0)
    out: list[Shipment] = []
    order = np.argsort(-np.array([d.people for d in prob.demands]), kind="stable")
    for j in order:
        if left_need[j].sum() <= EPS or prob.demands[j].people == 0:
            continue
        travel = prob.travel_h[:, j]
        for ii in np.flatnonzero(left_need[j] > EPS):
            while left_need[j, ii] > EPS:
                ok = (left_stock[:, ii] > EPS) & np.isfinite(travel) & np.isfinite(queue)
                if not ok.any():
                    break
                eta = np.where(ok, queue + travel + penalty_t, np.inf)
                s = int(np.argmin(eta))
                qty = float(min(left_need[j, ii], left_stock[s, ii]))
                sup = prob.supplies[s]
                done = sup.finish_h(float(queue[s]), qty * model.weight_t[ii])
                queue[s] = done
                left_stock[s, ii] -= qty
                left_need[j, ii] -= qty
                out.append(
                    Shipment(
                        sup.id,
                        prob.demands[j].id,
                        items[int(ii)],
                        qty,
                        done,
                        max(done + float(travel[s]), after),
                    )
                )
    return out

"""What the plan achieves at each point and target, and why a point is late."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from solver.catalogue import NeedGroup
from solver.check_lp import EPS
from solver.check_plan import ProblemArrays
from solver.check_types import (
    CheckProblem,
    DemandPoint,
    Finding,
    ItemBalance,
    PointOutcome,
    Reason,
    Shipment,
    TargetKPI,
)


def met_time(arrivals: list[tuple[float, float]], need: float) -> float | None:
    """When cumulative arrivals first reach ``need`` (None if never)."""
    if need <= EPS:
        return 0.0
    total = 0.0
    for t, q in sorted(arrivals):
        total += q
        if total >= need * (1 - 1e-7) - EPS:
            return t
    return None


def explain(
    prob: CheckProblem,
    model: ProblemArrays,
    used_stock: NDArray[np.float64],
    shipments: list[Shipment],
) -> dict[str, Any]:
    """Per-point outcomes and reasons, per-target KPIs, item balance of a timed plan."""
    cat = prob.catalogue
    items = cat.ids
    need, stock = model.need, model.stock
    targets = sorted(set(map(float, prob.targets_h)))
    index = {d.id: j for j, d in enumerate(prob.demands)}
    arrivals: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for sh in shipments:
        arrivals.setdefault((index[sh.demand], items.index(sh.item)), []).append(
            (sh.arrive_h, sh.quantity)
        )
    starts = np.array([s.start_h for s in prob.supplies])

    points: list[PointOutcome] = []
    never: dict[str, int] = {}
    for j, dem in enumerate(prob.demands):
        item_times: dict[str, float | None] = {}
        for ii, item in enumerate(items):
            if need[j, ii] > 0:
                item_times[item] = met_time(arrivals.get((j, ii), []), need[j, ii])

        def done(ts: list[float | None], dem: DemandPoint = dem) -> float | None:
            if any(t is None for t in ts):
                return None
            last = max([0.0, *[t for t in ts if t is not None]])
            return max(dem.ready_h, last) + dem.handover_h

        met_h = done(list(item_times.values())) if dem.people > 0 else 0.0
        groups = {
            g.value: done([item_times[i.id] for i in cat.in_group(g) if i.id in item_times])
            for g in NeedGroup
        }
        met_by: dict[float, float] = {}
        findings: dict[float, Finding] = {}
        for target in targets:
            frac = fraction_by(dem, need[j], items, arrivals, j, target)
            met_by[target] = frac * dem.people
            if frac < 1 - 1e-6 and dem.people > 0:
                findings[target] = reason_for(
                    prob, j, target, need[j], stock, used_stock, starts, arrivals
                )
        if met_h is None and dem.people > 0:
            reason = reason_for(
                prob, j, math.inf, need[j], stock, used_stock, starts, arrivals
            ).reason.value
            never[reason] = never.get(reason, 0) + dem.people
        points.append(
            PointOutcome(
                dem.id,
                dem.name,
                dem.county,
                dem.people,
                met_h,
                groups,
                met_by,
                findings,
                dem.overflow,
            )
        )

    kpis: list[TargetKPI] = []
    total = sum(d.people for d in prob.demands)
    for target in targets:
        by_county: dict[str, tuple[int, float]] = {}
        for pt in points:
            tot, met = by_county.get(pt.county, (0, 0.0))
            by_county[pt.county] = (tot + pt.people, met + pt.met_by_target[target])
        by_group = {
            g: sum(pt.people for pt in points if is_met_by(pt.group_hours[g], target))
            for g in (ng.value for ng in NeedGroup)
        }
        reasons = [pt.findings[target].reason for pt in points if target in pt.findings]
        binding = binding_of(reasons)
        kpis.append(
            TargetKPI(
                target,
                total,
                sum(pt.met_by_target[target] for pt in points),
                by_county,
                {g: float(n) for g, n in by_group.items()},
                binding,
            )
        )
    times = [pt.hours_to_met for pt in points if pt.people > 0]
    known = [t for t in times if t is not None]
    everyone = (max(known) if known else 0.0) if len(known) == len(times) else None
    shipped = dict.fromkeys(items, 0.0)
    for sh in shipments:
        shipped[sh.item] += sh.quantity
    balance = tuple(
        ItemBalance(item, int(need[:, ii].sum()), int(stock[:, ii].sum()), shipped[item])
        for ii, item in enumerate(items)
    )
    return {
        "targets": tuple(kpis),
        "points": tuple(points),
        "everyone": everyone,
        "never": never,
        "items": balance,
    }


def is_met_by(hours: float | None, target: float) -> bool:
    """True when ``hours`` is known and not after ``target``."""
    return hours is not None and hours <= target + 1e-9


def fraction_by(
    dem: DemandPoint,
    need: NDArray[np.float64],
    items: tuple[str, ...],
    arrivals: dict[tuple[int, int], list[tuple[float, float]]],
    j: int,
    target: float,
) -> float:
    """Share of a point's people whose every need has arrived and been handed out by target."""
    if dem.people == 0:
        return 1.0
    if dem.ready_h + dem.handover_h > target + 1e-9:
        return 0.0
    frac = 1.0
    for ii in np.flatnonzero(need > 0):
        got = sum(
            q for t, q in arrivals.get((j, int(ii)), []) if t + dem.handover_h <= target + 1e-6
        )
        frac = min(frac, got / need[ii])
    return float(min(max(frac, 0.0), 1.0))


def binding_of(reasons: list[Reason]) -> str:
    """What limits the people met by a target: none, stock, or time (travel and loading)."""
    if not reasons:
        return "none"
    if Reason.STOCK_SHORTFALL in reasons:
        return "stock"
    return "time"


def reason_for(
    prob: CheckProblem,
    j: int,
    target: float,
    need: NDArray[np.float64],
    stock: NDArray[np.float64],
    used: NDArray[np.float64],
    starts: NDArray[np.float64],
    arrivals: dict[tuple[int, int], list[tuple[float, float]]],
) -> Finding:
    """The binding reason point ``j`` is not fully met by ``target``."""
    dem = prob.demands[j]
    travel = prob.travel_h[:, j]
    if dem.overflow:
        return Finding(Reason.SHELTER_OVER_CAPACITY)
    if not np.isfinite(travel).any():
        return Finding(Reason.UNREACHABLE)
    if dem.ready_h + dem.handover_h > target:
        return Finding(Reason.EVACUATION_LATE)
    # Supplies that could deliver something in time if they had the stock and no queue.
    in_time = starts + travel + dem.handover_h <= target + 1e-9
    if not in_time.any():
        return Finding(Reason.TOO_FAR)
    items = prob.catalogue.ids
    reachable = np.isfinite(travel)
    rank = {Reason.STOCK_SHORTFALL: 0, Reason.UNREACHABLE: 1, Reason.TOO_FAR: 2}
    worst: Finding | None = None
    for ii in np.flatnonzero(need > 0):
        got = sum(
            q for t, q in arrivals.get((j, int(ii)), []) if t + dem.handover_h <= target + 1e-6
        )
        short = need[ii] - got
        if short <= need[ii] * 1e-6 + EPS:
            continue
        left = stock[:, ii] - used[:, ii]
        has = left > EPS
        if left.sum() < short - EPS:
            finding = Finding(Reason.STOCK_SHORTFALL, items[int(ii)], float(short))
        elif not (has & reachable).any():
            # The stock exists, but only where the flood cuts this place off from it.
            finding = Finding(Reason.UNREACHABLE, items[int(ii)], float(short))
        elif not (has & in_time).any():
            finding = Finding(Reason.TOO_FAR, items[int(ii)], float(short))
        else:
            continue
        if worst is None or (rank[finding.reason], -finding.quantity) < (
            rank[worst.reason],
            -worst.quantity,
        ):
            worst = finding
    if worst is not None:
        return worst
    # Depots that could deliver in time have the stock: their loading queues (or, under the
    # fleet bound, their trucks) are what stops them. The report tells the two apart by
    # comparing the plans with and without the fleet bound.
    return Finding(Reason.DISPATCH_CAPACITY)

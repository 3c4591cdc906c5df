"""From the bound's solutions to per-place outcomes, KPIs and the reasons places fall short."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from solver.catalogue import NeedGroup
from solver.check_lp import Family, LPSolution
from solver.check_types import (
    CheckProblem,
    CheckResult,
    DemandPoint,
    Finding,
    ItemBalance,
    Pinch,
    PointOutcome,
    Reason,
    Shipment,
    TargetKPI,
    TripShare,
)
from solver.met import Arrival, share_met

#: A row pinches when its dual value is at least this (people per unit of the rule).
PINCH = 1e-6
#: The reason a pinching rule names for a place it serves.
FAMILY_REASON = {
    "stock": Reason.STOCK_SHORTFALL,
    "loading": Reason.DISPATCH_CAPACITY,
    "fleet": Reason.FLEET_CAPACITY,
}
_FAMILY_NAME = {Family.STOCK: "stock", Family.BAYS: "loading", Family.TRUCKS: "fleet"}


@dataclass(frozen=True)
class TargetSolution:
    """The bound at one target, gathered over the problem's independent groups."""

    target: float
    #: the optimum: people met by the target (a bound on every plan)
    people: float
    #: share met per demand in the optimum's allocation
    share: NDArray[np.float64]
    #: demands some truck can serve in time
    servable: NDArray[np.bool_]
    shipments: tuple[Shipment, ...]
    trips: tuple[TripShare, ...]
    #: the rules that pinch, most first: (people per unit, family, depot, item or time)
    pinches: tuple[tuple[float, str, str, str], ...]
    stats: dict[str, float]
    solvers: tuple[str, ...]

    def depots_for(self, demand: str) -> set[str]:
        """Depots whose trucks serve ``demand`` in the optimum's allocation."""
        return {t.supply for t in self.trips if t.demand == demand}


def pinches_of(sub: CheckProblem, sol: LPSolution) -> list[tuple[float, str, str, str]]:
    """The stock, bay and truck rules with a positive dual value in a group's solution.

    Each is (people the bound would gain per unit more of it, family, depot id, what: the
    item for stock, the deadline hour for bays and trucks).
    """
    m = sol.model
    items = sub.catalogue.ids
    out = []
    row_stock = 0
    for r in np.flatnonzero(np.abs(sol.duals) >= PINCH):
        fam = Family(int(m.family[r]))
        if fam not in _FAMILY_NAME or m.depot[r] < 0:
            continue
        depot = sub.supplies[int(m.depot[r])].id
        if fam is Family.STOCK:
            row_stock = int(r - np.flatnonzero(m.family == Family.STOCK)[0])
            what = items[row_stock % len(items)]
        else:
            what = f"{m.when[r]:g}"
        out.append((float(abs(sol.duals[r])), _FAMILY_NAME[fam], depot, what))
    return out


def _arrivals(prob: CheckProblem, shipments: Sequence[Shipment]) -> list[list[Arrival]]:
    index = {d.id: j for j, d in enumerate(prob.demands)}
    out: list[list[Arrival]] = [[] for _ in prob.demands]
    for sh in shipments:
        out[index[sh.demand]].append(Arrival(sh.item, sh.quantity, sh.arrive_h))
    return out


def _share(dem: DemandPoint, got: list[Arrival], t: float, items: list[str]) -> float:
    if dem.people == 0:
        return 1.0
    return share_met(dem.need, got, dem.ready_h, dem.handover_h, t, items=items)


def limits_of(prob: CheckProblem, sol: TargetSolution) -> dict[str, float]:
    """People not met by the target, put down to what stops them.

    Places no truck serves in time are put down to the roads and the clock (``roads``),
    people without a shelter place to ``shelters``; the rest is shared between stock,
    loading bays and trucks in proportion to the dual value of their rules.
    """
    short = np.array([d.people * (1.0 - s) for d, s in zip(prob.demands, sol.share, strict=True)])
    overflow = np.array([d.overflow for d in prob.demands], dtype=bool)
    out = {"shelters": float(short[overflow].sum())}
    out["roads"] = float(short[~overflow & ~sol.servable].sum())
    rest = float(short[~overflow & sol.servable].sum())
    weight = {"stock": 0.0, "loading": 0.0, "fleet": 0.0}
    for value, family, _, _ in sol.pinches:
        weight[family] += value
    total = sum(weight.values())
    for family, w in weight.items():
        out[family] = rest * w / total if total > 0 else 0.0
    if total <= 0 and rest > 0:
        out["roads"] += rest
    return out


def binding_of(limits: dict[str, float]) -> str:
    """The family that accounts for most people not met (``none`` when all are met)."""
    family, people = max(limits.items(), key=lambda kv: (kv[1], kv[0]), default=("none", 0.0))
    return family if people > 0.5 else "none"


def explain(prob: CheckProblem, solved: Sequence[TargetSolution]) -> CheckResult:
    """Per-place outcomes and reasons, per-target KPIs (the bound) and the item balance."""
    cat = prob.catalogue
    items = cat.ids
    targets = [s.target for s in solved]
    arrivals = {s.target: _arrivals(prob, s.shipments) for s in solved}
    reachable: NDArray[np.bool_] = np.asarray(np.isfinite(prob.travel_h).any(axis=0), dtype=bool)
    total_stock = {i: sum(s.stock.get(i, 0) for s in prob.supplies) for i in items}
    total_need = {i: sum(float(d.need.get(i, 0)) for d in prob.demands) for i in items}
    groups = {g.value: [i.id for i in cat.in_group(g)] for g in NeedGroup}

    points: list[PointOutcome] = []
    never: dict[str, int] = {}
    for j, dem in enumerate(prob.demands):
        met_by = {s.target: dem.people * float(s.share[j]) for s in solved}
        full = [s.target for s in solved if s.share[j] >= 1.0 - 1e-6]
        group_hours = {
            g: next(
                (
                    s.target
                    for s in solved
                    if _share(dem, arrivals[s.target][j], s.target, its) >= 1.0 - 1e-6
                ),
                None,
            )
            for g, its in groups.items()
        }
        findings: dict[float, Finding] = {}
        for s in solved:
            if dem.people > 0 and s.share[j] < 1.0 - 1e-6:
                findings[s.target] = _reason(
                    prob, j, s, bool(reachable[j]), total_stock, total_need
                )
        if dem.people > 0 and not full:
            why = findings[targets[-1]].reason.value
            never[why] = never.get(why, 0) + dem.people
        points.append(
            PointOutcome(
                dem.id,
                dem.name,
                dem.county,
                dem.people,
                full[0] if full else None,
                group_hours,
                met_by,
                findings,
                dem.overflow,
            )
        )

    kpis: list[TargetKPI] = []
    total = sum(d.people for d in prob.demands)
    for s in solved:
        by_county: dict[str, tuple[int, float]] = {}
        for pt in points:
            n, m = by_county.get(pt.county, (0, 0.0))
            by_county[pt.county] = (n + pt.people, m + pt.met_by_target[s.target])
        by_group = {
            g: sum(
                d.people * _share(d, arrivals[s.target][j], s.target, its)
                for j, d in enumerate(prob.demands)
            )
            for g, its in groups.items()
        }
        limits = limits_of(prob, s)
        kpis.append(
            TargetKPI(
                s.target,
                total,
                min(float(s.people), float(total)),
                by_county,
                by_group,
                binding_of(limits),
                limits,
                tuple(Pinch(*p) for p in s.pinches[:8]),
            )
        )
    full_times = [pt.hours_to_met for pt in points if pt.people > 0]
    everyone = (
        max([0.0, *[t for t in full_times if t is not None]])
        if all(t is not None for t in full_times)
        else None
    )
    first = solved[0] if solved else None
    shipped = dict.fromkeys(items, 0.0)
    for sh in first.shipments if first else ():
        shipped[sh.item] += sh.quantity
    balance = tuple(
        ItemBalance(item, round(total_need[item]), int(total_stock[item]), shipped[item])
        for item in items
    )
    return CheckResult(
        status="optimal",
        targets=tuple(kpis),
        points=tuple(points),
        shipments=tuple(sh for s in solved for sh in s.shipments),
        trips=tuple(t for s in solved for t in s.trips),
        everyone_met_h=everyone,
        never_met=never,
        items=balance,
        stats={},
    )


def _reason(
    prob: CheckProblem,
    j: int,
    sol: TargetSolution,
    reachable: bool,
    total_stock: dict[str, int],
    total_need: dict[str, float],
) -> Finding:
    """Why demand ``j`` falls short of the target of ``sol``."""
    dem = prob.demands[j]
    t = sol.target
    if dem.overflow:
        return Finding(Reason.SHELTER_OVER_CAPACITY)
    if not reachable:
        return Finding(Reason.UNREACHABLE)
    if dem.ready_h + dem.handover_h > t + 1e-9:
        return Finding(Reason.EVACUATION_LATE)
    if not sol.servable[j]:
        return Finding(Reason.TOO_FAR)
    short = [
        (i, total_need[i] - total_stock[i])
        for i in dem.need
        if dem.need[i] > 0 and total_stock[i] < total_need[i] - 1e-6
    ]
    if short:
        item, qty = max(short, key=lambda iq: iq[1])
        return Finding(Reason.STOCK_SHORTFALL, item, float(qty))
    # The pinching rule at the depots that serve it, else the most pinching rule anywhere.
    mine = sol.depots_for(dem.id)
    ranked = [p for p in sol.pinches if p[2] in mine] or list(sol.pinches)
    if not ranked:
        return Finding(Reason.TOO_FAR)
    _, family, _, what = ranked[0]
    if family == "stock":
        return Finding(Reason.STOCK_SHORTFALL, what, 0.0)
    return Finding(FAMILY_REASON[family])

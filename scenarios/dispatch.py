"""Flood dispatch: which truck loads what where and when, and when the goods arrive.

``plan_dispatch`` turns a situation into a timed plan, by the rules the relief check's bound
relaxes (:mod:`solver.loading`, :mod:`solver.met`), so the two figures can be read together:

1. the check's bound at the first target allocates stock and trips (which depot sends what
   to which demand, with which truck class); what it leaves for the second target is
   allocated by the bound's LP on the rest; what is still needed after that comes from the
   nearest depots that hold it (to arrive after the targets);
2. the allocation becomes truckloads (:mod:`scenarios.dispatch_build`): whole units, sized
   for their truck class, through a staging point and on by boat or helicopter where no
   truck of the depot gets through;
3. the scheduler (:func:`solver.schedule.solve_schedule`) decides each truckload's truck and
   loading start together: the most people met by the first target, then the next, every
   truck's trips one after another within its crew's shift, no depot loading more at once
   than it has bays; the plan is played by the loading rule and its figures are the
   played ones.

Everything not delivered is listed with its reason. :mod:`scenarios.redispatch` re-plans a
stored plan at an hour after roads close, people are added or depots are lost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from scenarios.apply import Situation
from scenarios.check import CheckReport, run_check
from scenarios.dispatch_build import Built, Order, VehicleState, build
from scenarios.dispatch_doc import plan_document
from scenarios.dispatch_request import SHIFT_H, TRIPS, DispatchRequest, Progress
from scenarios.dispatch_shuttle import haversine_km
from scenarios.places import coords
from scenarios.plan import DemandRef, Plan, RedispatchInfo, Stop, Unserved, UnservedReason
from solver.adequacy import solve_at
from solver.check_types import DemandPoint, Reason, Shipment
from solver.errors import DataError
from solver.loading import Dock
from solver.schedule import Schedule, solve_schedule

__all__ = ["SHIFT_H", "TRIPS", "DispatchPlan", "DispatchRequest", "plan_dispatch"]


@dataclass(frozen=True)
class DispatchPlan:
    """A dispatch plan, the schedule behind it, its situation and relief check."""

    plan: Plan
    schedule: Schedule | None = None
    situation: Situation | None = None
    report: CheckReport | None = None

    @cached_property
    def doc(self) -> dict[str, Any]:
        """The plan as its ``plan.json`` document (for writing it out)."""
        return self.plan.to_json()


# ------------------------------------------------------------------------------------------
# Allocation
# ------------------------------------------------------------------------------------------


def whole_units(
    situation: Situation,
    shipments: Sequence[Shipment],
    need: dict[str, dict[str, float]],
    left: dict[str, dict[str, int]],
) -> dict[tuple[str, str], dict[str, int]]:
    """The bound's (fractional) shipments in whole units: (depot, demand) -> items.

    Per demand and item the total is the shipped amount rounded (never above the need);
    each depot gets its whole part and the remaining units go to the largest fractions,
    never beyond what the depot has ``left`` (which is reduced by what is taken).
    """
    frac: dict[tuple[str, str], dict[str, float]] = {}
    for sh in shipments:
        got = frac.setdefault((sh.demand, sh.item), {})
        got[sh.supply] = got.get(sh.supply, 0.0) + sh.quantity
    out: dict[tuple[str, str], dict[str, int]] = {}
    for (demand, item), by_depot in sorted(frac.items()):
        total = min(
            math.floor(need[demand].get(item, 0) + 1e-9),
            math.floor(sum(by_depot.values()) + 0.5),
        )
        whole = {
            dep: min(math.floor(q + 1e-9), left[dep].get(item, 0)) for dep, q in by_depot.items()
        }
        # Never more than the total: trim the smallest fractions' depots first.
        for dep in sorted(by_depot, key=lambda d: (by_depot[d], d)):
            over = sum(whole.values()) - total
            if over <= 0:
                break
            whole[dep] -= min(over, whole[dep])
        extra = total - sum(whole.values())
        for dep in sorted(by_depot, key=lambda d: (-(by_depot[d] - whole[d]), d)):
            if extra <= 0:
                break
            if left[dep].get(item, 0) > whole[dep]:
                whole[dep] += 1
                extra -= 1
        for dep, q in whole.items():
            if q > 0:
                left[dep][item] = left[dep].get(item, 0) - q
                need[demand][item] = need[demand].get(item, 0) - q
                out.setdefault((dep, demand), {})[item] = q
    return out


def take_nearest(
    situation: Situation,
    left: dict[str, dict[str, int]],
    demand: str,
    place: str,
    item: str,
    quantity: int,
) -> tuple[dict[str, int], int]:
    """Take ``quantity`` of ``item`` from the nearest depots still holding it.

    Nearest is straight-line. Returns what each depot gives and what none could.
    """
    here = coords(situation, place)
    got: dict[str, int] = {}
    need = quantity
    for near in sorted(
        situation.network.depots, key=lambda d: (haversine_km((d.lon, d.lat), here), d.id)
    ):
        if need <= 0:
            break
        take = min(need, left.get(near.id, {}).get(item, 0))
        if take > 0:
            got[near.id] = take
            left[near.id][item] -= take
            need -= take
    del demand
    return got, max(0, need)


def allocate(
    situation: Situation, report: CheckReport, targets: Sequence[float]
) -> tuple[list[Order], list[Unserved]]:
    """Orders for every need the stock can cover, and what it cannot (with why).

    The bound's LP, restricted to truckloads of whole person-kits (every item in the demand's
    proportion: a real truckload, where the bound may spread items over many part-trips),
    allocates for the first target, then for the second keeping the first target's goods
    (whose trips use the same trucks and bays). After that: nearest depots.
    """
    prob = report.problem
    demands = {d.id: d for d in prob.demands}
    need = {d.id: {i: float(q) for i, q in d.need.items()} for d in prob.demands}
    left = {d.id: {i: int(q) for i, q in d.stock.items()} for d in situation.network.depots}
    per: dict[tuple[str, str, float | None], dict[str, int]] = {}
    hints: dict[tuple[str, str, float | None], tuple[str, float]] = {}
    floor: dict[tuple[str, str], float] = {}
    before: dict[tuple[str, str, str], float] = {}
    for n, target in enumerate(sorted(targets)[:2]):
        # The second target's LP keeps the first one's goods (their trips count there too)
        # and adds what else fits by then.
        sol = solve_at(prob, target, kits=True, floor=floor if n else None)
        shipments: list[Shipment] = []
        for sh in sol.shipments:
            key = (sh.supply, sh.demand, sh.item)
            more = sh.quantity - before.get(key, 0.0)
            if more > 1e-6:
                shipments.append(replace(sh, quantity=more))
            before[key] = before.get(key, 0.0) + max(0.0, more)
            d = demands[sh.demand]
            per_person = d.need.get(sh.item, 0) / max(1, d.people)
            if per_person > 0:
                pair = (sh.supply, sh.demand)
                floor[pair] = max(floor.get(pair, 0.0), before[key] / per_person)
        hint: dict[tuple[str, str], tuple[str, float]] = {}
        for t in sol.trips:
            key2 = (t.supply, t.demand)
            old = hint.get(key2)
            hint[key2] = (t.cls if old is None else old[0], (old[1] if old else 0.0) + t.trips)
        for (dep, dem), units in whole_units(situation, shipments, need, left).items():
            mine = per.setdefault((dep, dem, target), {})
            for i, q in units.items():
                mine[i] = mine.get(i, 0) + q
            if (dep, dem) in hint:
                hints[dep, dem, target] = hint[dep, dem]
    # What is still needed: from the nearest depots, to arrive after the targets.
    unserved: list[Unserved] = []
    for d in prob.demands:
        for item, still in sorted(need[d.id].items()):
            short = math.floor(still + 1e-9)
            if short <= 0:
                continue
            given, missing = take_nearest(situation, left, d.id, d.place, item, short)
            for dep, g in given.items():
                extra = per.setdefault((dep, d.id, None), {})
                extra[item] = extra.get(item, 0) + g
            if missing > 0:
                unserved.append(
                    Unserved(
                        point=d.place,
                        demand=DemandRef.of(d),
                        item=item,
                        quantity=missing,
                        reason=_why_short(report, d),
                    )
                )
    # One order per depot, place and target: demands at the same place ride together.
    grouped: dict[tuple[str, str, float | None], list[tuple[DemandRef, dict[str, int]]]] = {}
    trips: dict[tuple[str, str, float | None], float] = {}
    cls_of: dict[tuple[str, str, float | None], str | None] = {}
    for (dep, dem, by), items in sorted(
        per.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 1e9)
    ):
        place = demands[dem].place
        group = (dep, place, by)
        grouped.setdefault(group, []).append((DemandRef.of(demands[dem]), items))
        cls, n_trips = hints.get((dep, dem, by), (None, 0.0))
        trips[group] = trips.get(group, 0.0) + n_trips
        if cls_of.get(group) is None:
            cls_of[group] = cls
    orders = [
        Order(dep, place, tuple(parts), by, cls_of.get((dep, place, by)), trips[dep, place, by])
        for (dep, place, by), parts in grouped.items()
    ]
    return orders, unserved


def _why_short(report: CheckReport, demand: DemandPoint) -> UnservedReason:
    """The unserved reason for need no depot's stock covers."""
    pt = next((p for p in report.result.points if p.id == demand.id), None)
    if pt is not None:
        for f in pt.findings.values():
            if f.reason is Reason.UNREACHABLE:
                return UnservedReason.CUT_OFF
            if f.reason is Reason.SHELTER_OVER_CAPACITY:
                return UnservedReason.OVER_CAPACITY
    return UnservedReason.NO_STOCK


# ------------------------------------------------------------------------------------------
# Planning
# ------------------------------------------------------------------------------------------


def plan_dispatch(
    situation: Situation,
    request: DispatchRequest | None = None,
    *,
    folder: Path | None = None,
    progress: Progress | None = None,
    report: CheckReport | None = None,
) -> DispatchPlan:
    """Plan who carries what, where and when, for ``situation``.

    ``folder`` is where the scenario's relative files live (kept in the plan so that a
    re-plan can rebuild the situation); ``progress`` gets (stage, fraction); ``report`` is
    the relief check of ``situation`` if already made.
    """
    req = request or DispatchRequest()
    known = {p.id for p in situation.network.points}
    for pid in req.receiving:
        if pid not in known:
            raise DataError(
                f"unknown point {pid!r}", field=f"receiving.{pid}", problem_zh="未知地点"
            )
    say = progress or (lambda stage, frac: None)
    say("check", 0.0)
    report = report or run_check(situation, targets_h=req.targets_h)
    targets = tuple(sorted(req.targets_h or situation.scenario.targets_h))
    say("allocation", 0.3)
    orders, unplaced = allocate(situation, report, targets)
    return make_plan(situation, req, report, orders, unplaced, progress=say, folder=folder)


def make_plan(
    situation: Situation,
    req: DispatchRequest,
    report: CheckReport,
    orders: Sequence[Order],
    unplaced: Sequence[Unserved],
    *,
    progress: Progress,
    states: dict[str, VehicleState] | None = None,
    only: set[str] | None = None,
    not_before_h: float = 0.0,
    committed: Sequence[Stop] = (),
    docks: dict[str, Dock] | None = None,
    folder: Path | None = None,
    redispatch: RedispatchInfo | None = None,
) -> DispatchPlan:
    """Schedule ``orders`` and make the plan (``folder``: where the scenario's files live)."""
    tic = time.perf_counter()
    targets = tuple(sorted(req.targets_h or situation.scenario.targets_h))
    built: Built = build(
        situation,
        report,
        orders,
        trips=req.trips,
        shift_h=req.shift_h,
        load_share=req.load_share,
        receiving=req.receiving,
        hard_deadline=req.hard_deadline,
        targets_h=targets,
        states=states,
        only=only,
        docks=docks,
        not_before_h=not_before_h,
    )
    progress("scheduling", 0.4)
    schedule = solve_schedule(built.problem, req.params())
    progress("document", 0.9)
    plan = plan_document(
        situation,
        req,
        built=built,
        schedule=schedule,
        report=report,
        unserved=list(unplaced) + built.unserved,
        committed=list(committed),
        folder=folder or Path("."),
        seconds=time.perf_counter() - tic,
        redispatch=redispatch,
    )
    return DispatchPlan(plan, schedule, situation, report)

"""What "met" means, in one place: the check's bound, plans, drills and their scores use it.

People at a place have their basic needs met by hour ``t`` in the share that the goods
handed out by then cover: for each item they need, what has arrived at least the handover
time before ``t`` (and not before the people are there, plus the handover) divided by the
need, and the least of these over the items. A place whose goods have all arrived is met at
``max(ready, last arrival) + handover``. "People met by t" is the people times that share,
summed over places; a need group (衣食住医) is met in the share its own items cover, so the
people with all needs met never outnumber those with any one group met. People-hours late
after a target are the people not yet met, integrated from the target to a horizon.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Quantities within this of the need count as the need (rounding of fractional plans).
TOL = 1e-6


@dataclass(frozen=True, slots=True)
class Arrival:
    """Goods of one item reaching a place's people at ``at_h`` (hours after the report)."""

    item: str
    quantity: float
    at_h: float


def _by_item(arrivals: Iterable[Arrival]) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for a in arrivals:
        out.setdefault(a.item, []).append((a.at_h, a.quantity))
    return out


def share_met(
    need: Mapping[str, float],
    arrivals: Iterable[Arrival],
    ready_h: float,
    handover_h: float,
    t: float,
    *,
    items: Sequence[str] | None = None,
) -> float:
    """Share (0-1) of a place's people whose needs (of ``items``, default all) are met by ``t``."""
    wanted = [i for i in (items if items is not None else need) if need.get(i, 0) > 0]
    if not wanted:
        return 1.0
    if ready_h + handover_h > t + 1e-9:
        return 0.0
    got = _by_item(arrivals)
    share = 1.0
    for item in wanted:
        have = sum(q for at, q in got.get(item, ()) if at + handover_h <= t + 1e-9)
        share = min(share, have / need[item])
    return 1.0 if share >= 1.0 - TOL else max(0.0, share)


def met_h(
    need: Mapping[str, float],
    arrivals: Iterable[Arrival],
    ready_h: float,
    handover_h: float,
    *,
    items: Sequence[str] | None = None,
) -> float | None:
    """When the place's needs (of ``items``) are wholly met; None if never."""
    wanted = [i for i in (items if items is not None else need) if need.get(i, 0) > 0]
    got = _by_item(arrivals)
    last = 0.0
    for item in wanted:
        total = 0.0
        when: float | None = None
        for at, q in sorted(got.get(item, ())):
            total += q
            if total >= need[item] - TOL * max(1.0, need[item]):
                when = at
                break
        if when is None:
            return None
        last = max(last, when)
    return max(ready_h, last) + handover_h


def share_curve(
    need: Mapping[str, float],
    arrivals: Sequence[Arrival],
    ready_h: float,
    handover_h: float,
) -> list[tuple[float, float]]:
    """The share met as a step function: (hour, share from that hour on), increasing."""
    times = sorted({max(ready_h, a.at_h) + handover_h for a in arrivals})
    out: list[tuple[float, float]] = []
    for t in times:
        s = share_met(need, arrivals, ready_h, handover_h, t)
        if not out or s > out[-1][1] + 1e-12:
            out.append((t, s))
    return out


def people_hours_late(
    people: float, curve: Sequence[tuple[float, float]], after_h: float, until_h: float
) -> float:
    """People not yet met, integrated over hours from ``after_h`` to ``until_h``."""
    if until_h <= after_h or people <= 0:
        return 0.0
    total = 0.0
    share, t = 0.0, after_h
    for at, s in curve:
        if at <= after_h:
            share = s
            continue
        end = min(at, until_h)
        if end > t:
            total += (1.0 - share) * (end - t)
            t = end
        share = s
        if at >= until_h:
            break
    if t < until_h:
        total += (1.0 - share) * (until_h - t)
    return people * total


def is_met(hours: float | None, target: float) -> bool:
    """True when ``hours`` is known and not after ``target``."""
    return hours is not None and hours <= target + 1e-9 and math.isfinite(hours)

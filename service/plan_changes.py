"""What a re-dispatch changed: people met by each target, and the vehicles whose work changed.

Both inputs are dispatch plan documents (``plan.json``, :mod:`scenarios.dispatch_doc`); the
new one is a re-plan (:func:`scenarios.redispatch.redispatch`), whose ``committed`` stops
(trips already under way at the hour) belong to its vehicles as much as its ``routes`` do.

A vehicle's work is the list of its stops in driving order. It changed

* ``new``: it has stops only in the new plan; ``dropped``: only in the old one;
* ``stops``: it goes to other places, or in another order;
* ``path``: the same places, by other roads (a closure on its way);
* ``times``: the same places and roads, but an arrival moved by more than :data:`MOVED_H`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

#: An arrival moved by more than this (hours, 3 minutes) counts as a changed schedule.
MOVED_H = 0.05

Change = Literal["new", "dropped", "stops", "path", "times"]


@dataclass(frozen=True)
class TargetChange:
    """People met by one target hour, in the old plan and in the new one."""

    hours: float
    people_before: int
    met_before: int
    people_after: int
    met_after: int


@dataclass(frozen=True)
class VehicleChange:
    """One vehicle whose work changed, with the places it visits before and after."""

    vehicle: str
    change: Change
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class PlanChanges:
    """The difference between a plan and its re-plan."""

    at_h: float
    closures: int
    people_added: int
    depots_lost: tuple[str, ...]
    stuck_vehicles: tuple[str, ...]
    vehicles_lost_with_depot: tuple[str, ...]
    targets: tuple[TargetChange, ...]
    vehicles: tuple[VehicleChange, ...]
    #: Vehicles with stops in either plan whose work did not change.
    unchanged: int


def _stops(doc: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Each vehicle's stops (routed and committed) in driving order."""
    out: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for route in doc.get("routes") or []:
        out[str(route["vehicle"])].extend(route.get("stops") or [])
    for stop in doc.get("committed") or []:
        out[str(stop["vehicle"])].append(stop)
    for stops in out.values():
        stops.sort(key=lambda s: (float(s.get("leave_h", 0.0)), float(s.get("arrive_h", 0.0))))
    return {v: s for v, s in out.items() if s}


def _change(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> Change | None:
    if not new:
        return "dropped"
    if not old:
        return "new"
    if [s["point"] for s in old] != [s["point"] for s in new]:
        return "stops"
    if [list(s.get("roads") or []) for s in old] != [list(s.get("roads") or []) for s in new]:
        return "path"
    moved = (
        abs(float(a["arrive_h"]) - float(b["arrive_h"])) > MOVED_H
        for a, b in zip(old, new, strict=True)
    )
    return "times" if any(moved) else None


def _targets(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterable[TargetChange]:
    before = {float(t["hours"]): t for t in old.get("kpis", {}).get("targets") or []}
    for t in new.get("kpis", {}).get("targets") or []:
        b = before.get(float(t["hours"]))
        if b is None:
            continue
        yield TargetChange(
            hours=float(t["hours"]),
            people_before=int(b["people_total"]),
            met_before=int(b["people_met"]),
            people_after=int(t["people_total"]),
            met_after=int(t["people_met"]),
        )


def plan_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> PlanChanges:
    """What changed from the plan ``old`` to its re-plan ``new``."""
    was, now = _stops(old), _stops(new)
    vehicles = []
    for v in sorted(set(was) | set(now)):
        a, b = was.get(v, []), now.get(v, [])
        kind = _change(a, b)
        if kind is not None:
            places = (tuple(str(s["point"]) for s in a), tuple(str(s["point"]) for s in b))
            vehicles.append(VehicleChange(v, kind, *places))
    info = new.get("redispatch") or {}
    return PlanChanges(
        at_h=float(info.get("at_h", 0.0)),
        closures=len(info.get("closures") or []),
        people_added=sum(int(a.get("people") or 0) for a in info.get("added_affected") or []),
        depots_lost=tuple(info.get("depots_lost") or ()),
        stuck_vehicles=tuple(info.get("stuck_vehicles") or ()),
        vehicles_lost_with_depot=tuple(info.get("vehicles_lost_with_depot") or ()),
        targets=tuple(_targets(old, new)),
        vehicles=tuple(vehicles),
        unchanged=len(set(was) | set(now)) - len(vehicles),
    )

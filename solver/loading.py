"""The depot loading rule, in one place for every caller.

The relief check's bound, dispatch plans, re-dispatch, exercises and drills all load trucks
by this rule; nothing else models a depot's loading.

* A depot starts loading once it is alerted and open (:func:`solver.timeline.depot_start_h`)
  and loads only in its daily opening hours (work pauses while it is closed).
* It has ``bays`` loading bays. A depot's data give its loading rate over all bays
  (``Depot.loading_t_per_h``); it has ``round(rate / bay rate)`` bays (at least one) that
  share that rate, so no load goes on faster than one bay ("houston-unload": 2.5 t/h).
* Goods leave as **truckloads**: each truckload is loaded onto its truck at one bay, which
  takes the dock time (positioning, paperwork, securing; "dock-turnaround-assumed") plus its
  tonnes at the bay's rate. The truck is at the bay the whole time and leaves when loaded.
* A depot loads its truckloads in the order of its loading list (出库单): a truckload starts
  once its truck is back at the depot, a bay is free and the truckload before it in the list
  has started, on the bay that is free first. With the list in the order of a feasible
  schedule's start times, every truckload starts no later than in that schedule (by
  induction over the list), which is why a plan's times can be replayed by this rule.

References
----------
Graham, R. L. (1966). Bounds for certain multiprocessing anomalies. Bell System Technical
Journal 45(9) (list scheduling on identical machines).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from solver.errors import DataError
from solver.network import Depot
from solver.timeline import (
    BAY_T_PER_H,
    DOCK_H,
    TimelineParams,
    check_loading_rule,
    depot_start_h,
    open_windows,
    work_finish_h,
)

#: How far ahead a depot's opening hours are listed (a week covers any plan's horizon).
WINDOW_HORIZON_H = 24.0 * 7


@dataclass(frozen=True, slots=True)
class LoadingRule:
    """The loading defaults every depot shares unless its own data say otherwise."""

    bay_t_per_h: float = BAY_T_PER_H
    dock_h: float = DOCK_H

    def __post_init__(self) -> None:
        check_loading_rule(self.bay_t_per_h, self.dock_h)

    @classmethod
    def of(cls, params: TimelineParams) -> LoadingRule:
        """The rule of a scenario's clock (its overrides of the bay rate and dock time)."""
        return cls(params.bay_t_per_h, params.dock_h)

    def bays(self, depot_t_per_h: float) -> int:
        """Bays of a depot that loads ``depot_t_per_h`` over all its bays."""
        return max(1, round(depot_t_per_h / self.bay_t_per_h))


@dataclass(frozen=True, slots=True)
class Dock:
    """One depot's loading: open windows (hours after the report), bays, rate per bay, dock.

    ``windows`` start when the depot can first load (alerted and open).
    """

    depot: str
    windows: tuple[tuple[float, float], ...]
    bays: int
    bay_t_per_h: float
    dock_h: float
    #: In a re-plan: when each bay is free of the truckload loading on it (empty: all free).
    busy_until: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.bays < 1:
            raise DataError("a depot needs at least one bay", record=self.depot, field="bays")
        if not (self.bay_t_per_h > 0):
            raise DataError("must be > 0", record=self.depot, field="bay_t_per_h")

    @property
    def start_h(self) -> float:
        """When loading can first start (inf if never within the horizon)."""
        return self.windows[0][0] if self.windows else math.inf

    def bays_free(self) -> list[float]:
        """When each bay can first take a truckload."""
        busy = list(self.busy_until) + [0.0] * (self.bays - len(self.busy_until))
        return [max(self.start_h, b) for b in busy[: self.bays]]

    def load_h(self, tonnes: float) -> float:
        """Bay hours one truckload of ``tonnes`` takes: dock time plus loading."""
        return self.dock_h + tonnes / self.bay_t_per_h

    def finish_h(self, start_h: float, tonnes: float) -> float:
        """When a truckload started at ``start_h`` is loaded (work pauses while closed)."""
        return work_finish_h(self.windows, start_h, self.load_h(tonnes))

    def first_open_h(self, t: float) -> float:
        """The first moment at or after ``t`` at which the depot is open."""
        for a, b in self.windows:
            if b > t:
                return max(a, t)
        return math.inf

    def open_h(self, until_h: float) -> float:
        """Open hours from the first window to ``until_h``."""
        return sum(max(0.0, min(b, until_h) - a) for a, b in self.windows if a < until_h)

    def bay_hours(self, until_h: float) -> float:
        """Bay hours available from the start to ``until_h`` (every bay, open hours only)."""
        return self.bays * self.open_h(until_h)

    def max_tonnes(self, until_h: float) -> float:
        """The most one truckload can hold and still be loaded by ``until_h``."""
        return max(0.0, self.open_h(until_h) - self.dock_h) * self.bay_t_per_h


def dock_of(
    depot: Depot,
    response_start_h: float,
    report_clock_h: float,
    rule: LoadingRule | None = None,
    *,
    not_before_h: float = 0.0,
) -> Dock:
    """The loading of ``depot`` after a report at ``report_clock_h`` (time of day).

    The depot's rate over all bays is kept: its bays share it.
    """
    rule = rule or LoadingRule()
    begin = max(depot_start_h(depot, response_start_h, report_clock_h), not_before_h)
    windows: tuple[tuple[float, float], ...] = ()
    if math.isfinite(begin):
        windows = tuple(open_windows(depot, report_clock_h, begin, begin + WINDOW_HORIZON_H))
    bays = rule.bays(depot.loading_t_per_h)
    return Dock(depot.id, windows, bays, depot.loading_t_per_h / bays, rule.dock_h)


# ------------------------------------------------------------------------------------------
# Playing a loading list
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DockTrip:
    """One truckload on a depot's loading list.

    ``not_before_h``: it may not start earlier (the order was given then). ``loaded_h``: it is
    already on its truck (a re-plan), so it needs no bay and leaves once the truck can.
    ``cancel_h``: cancelled then; the bay work done until that hour stays spent.
    """

    truck: str
    tonnes: float
    not_before_h: float = 0.0
    loaded_h: float | None = None
    cancel_h: float | None = None


@dataclass(frozen=True, slots=True)
class DockSlot:
    """When a truckload was loaded (bay None: it was on its truck already) and left."""

    bay: int | None
    start_h: float
    loaded_h: float
    depart_h: float


#: ``drive(k, depart_h)`` drives trip ``k`` of the list from its departure and returns when
#: its truck is back at the depot, or None if it will not be back (lost, stuck).
Drive = Callable[[int, float], float | None]


def play_dock(
    dock: Dock,
    trips: Sequence[DockTrip],
    truck_free_h: Mapping[str, float],
    drive: Drive,
) -> list[DockSlot | None]:
    """Load and send ``trips`` in list order by the rule of the module docstring.

    ``truck_free_h``: when each truck is first at the depot and free (a truck missing from
    it, or out of service after ``drive`` returned None, is not loaded: its slot is None).
    Cancelled trips and trips never loaded get None too.
    """
    bay_free = dock.bays_free()
    free = dict(truck_free_h)
    last_start = dock.start_h
    out: list[DockSlot | None] = []
    for k, trip in enumerate(trips):
        if trip.truck not in free:
            out.append(None)
            continue
        ready = max(free[trip.truck], trip.not_before_h)
        if trip.loaded_h is not None:
            if trip.cancel_h is not None:
                out.append(None)
                continue
            depart = max(ready, trip.loaded_h)
            slot = DockSlot(None, trip.loaded_h, trip.loaded_h, depart)
        else:
            bay = min(range(dock.bays), key=lambda b: (bay_free[b], b))
            start = dock.first_open_h(max(ready, bay_free[bay], last_start))
            if not math.isfinite(start):
                out.append(None)
                continue
            if trip.cancel_h is not None:
                if trip.cancel_h > start:
                    bay_free[bay] = min(dock.finish_h(start, trip.tonnes), trip.cancel_h)
                    last_start = start
                out.append(None)
                continue
            loaded = dock.finish_h(start, trip.tonnes)
            if not math.isfinite(loaded):
                out.append(None)
                continue
            bay_free[bay] = loaded
            last_start = start
            slot = DockSlot(bay, start, loaded, loaded)
        out.append(slot)
        back = drive(k, slot.depart_h)
        if back is None:
            del free[trip.truck]
        else:
            free[trip.truck] = back
    return out

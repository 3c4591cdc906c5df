"""Dispatch as scheduling: which truck carries how much of which order, loaded when.

A :class:`ScheduleProblem` holds depots (their loading, :mod:`solver.loading`), trucks,
orders (goods from a depot for one place, for one or more demands there, cut into equal
*units* of whole goods) and the demands with their needs and targets. :func:`solve_schedule`
decides, for every truck, its trips in order: which order each trip serves, how many units it
carries (so how long it loads) and when it starts loading, together, so that the most people
are met by the first target, then by the next (:mod:`solver.met`). Every truck makes its
trips one after another within its crew's shift and trip count; no depot loads more trucks at
once than it has bays, nor while it is closed.

1. Greedy list schedules give a plan at once: earliest deadline first (the most urgent
   order, on the truck that gets it there soonest, each trip as full as its deadline
   allows) and value first (the trip that meets the most people per hour of bay and truck
   time); the better is kept.
2. ``grasp`` (the default) repeats the value-first schedule with seeded random picks among
   the best few candidates, one run per second of the time limit (same seed, same plan,
   on any machine).
3. ``cp-sat``: per truck and trip slot, the order it serves and its units; a loading
   interval of variable length on the depot's bays (a cumulative resource, closed hours
   blocked); per demand and target the share met is bounded by what of each item arrives
   in time; warm-started from the greedy plan. On the bundled scenarios it has not beaten
   the value-first greedy (benchmarks/README.md, family ``dispatch``).

Whatever the solver returns, the plan is *played* by the loading rule of
:mod:`solver.loading`: each depot's trips in the order of their loading starts. Played this
way every trip starts no later than the solver had it, so the plan's figures are the played
ones. At any time limit the best plan found is returned (the greedy one at worst), with the
solver's status, objective and bound.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from solver.errors import DataError
from solver.loading import Dock, DockTrip, play_dock
from solver.met import Arrival, share_met
from solver.units import hours_to_seconds, seconds_to_hours

#: Travel between places no truck of a class can drive (cut by the flood), in seconds.
FORBIDDEN = 10**9
#: Share met in thousandths in the CP-SAT model.
SCALE = 1000
#: The engines of :func:`solve_schedule`.
ENGINES = ("grasp", "greedy", "cp-sat")
#: In a GRASP run, the share of steps that take the best candidate (else one of the top 5).
GRASP_GREEDINESS = 0.7
#: CP-SAT's deterministic time per second of the time limit, measured on the bundled
#: Hengshui dispatch problems on this project's 2-core machines (benchmarks/README.md).
DET_PER_SECOND = 0.08


@dataclass(frozen=True, slots=True)
class Truck:
    """A road vehicle: its depot, class (row of the travel matrices), limits and hours."""

    id: str
    depot: int
    cls: int
    kg: int
    litres: int
    free_h: float
    shift_end_h: float = math.inf
    trips: int = 4


@dataclass(frozen=True, slots=True)
class Part:
    """Goods for one demand."""

    demand: int
    items: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Order:
    """Goods from a depot for one place, cut into ``len(chunks)`` units of whole goods.

    Each unit (chunk) carries a near-equal share of every demand's goods, so a trip of
    ``n`` units counts the same towards each. ``extra_h``: hours from the truck's stop to the
    people (a boat or helicopter leg from a staging point). ``truck``/``loaded_h``: in a
    re-plan, the goods are on that truck already, loaded by that hour (no bay needed).
    ``window``: the place receives goods only between these hours.
    """

    depot: int
    place: int
    chunks: tuple[tuple[Part, ...], ...]
    chunk_kg: tuple[float, ...]
    chunk_litres: tuple[float, ...]
    extra_h: float = 0.0
    truck: int | None = None
    loaded_h: float | None = None
    not_before_h: float = 0.0
    window: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not self.chunks or len(self.chunk_kg) != len(self.chunks):
            raise DataError("an order needs chunks with their weights", field="chunks")
        if len(self.chunk_litres) != len(self.chunks):
            raise DataError("an order needs chunks with their volumes", field="chunk_litres")

    @property
    def units(self) -> int:
        """How many units the order is cut into."""
        return len(self.chunks)

    @property
    def demands(self) -> tuple[int, ...]:
        """The demands it serves."""
        return tuple(sorted({p.demand for ch in self.chunks for p in ch}))

    def total(self, demand: int, item: str) -> int:
        """Units of ``item`` for ``demand`` in the whole order."""
        return sum(
            int(p.items.get(item, 0)) for ch in self.chunks for p in ch if p.demand == demand
        )


@dataclass(frozen=True, slots=True)
class Need:
    """A demand: its people, their needs, when they are there and the handover time."""

    people: int
    need: Mapping[str, float]
    ready_h: float
    handover_h: float


@dataclass(frozen=True, eq=False)
class ScheduleProblem:
    """Everything the scheduler needs, as plain data (hours; travel seconds per class)."""

    docks: tuple[Dock, ...]
    depot_place: tuple[int, ...]
    trucks: tuple[Truck, ...]
    orders: tuple[Order, ...]
    needs: tuple[Need, ...]
    targets_h: tuple[float, ...]
    seconds: tuple[NDArray[np.int64], ...]
    unload_h: float = 0.5
    horizon_h: float = 48.0

    def __post_init__(self) -> None:
        if len(self.depot_place) != len(self.docks):
            raise DataError("one place per depot", field="depot_place")
        for k, o in enumerate(self.orders):
            if not (0 <= o.depot < len(self.docks)):
                raise DataError("unknown depot", record=str(k), field="depot")
            if o.truck is not None and not (0 <= o.truck < len(self.trucks)):
                raise DataError("unknown truck", record=str(k), field="truck")
            if any(not (0 <= q < len(self.needs)) for q in o.demands):
                raise DataError("unknown demand", record=str(k), field="chunks")
        for t in self.trucks:
            if not (0 <= t.cls < len(self.seconds)):
                raise DataError("unknown class", record=t.id, field="cls")
        if not self.targets_h or list(self.targets_h) != sorted(self.targets_h):
            raise DataError("targets must be given in time order", field="targets")

    def hours(self, truck: Truck, a: int, b: int) -> float | None:
        """Hours for ``truck`` from place ``a`` to ``b`` (None where cut)."""
        s = int(self.seconds[truck.cls][a, b])
        return None if s >= FORBIDDEN else seconds_to_hours(s)

    def cap_units(self, v: int, j: int) -> int:
        """The most units of order ``j`` truck ``v`` carries (0 if it may not carry it)."""
        o, t = self.orders[j], self.trucks[v]
        if o.truck is not None:
            return o.units if v == o.truck else 0
        kg = max(o.chunk_kg) if o.chunk_kg else 0
        litres = max(o.chunk_litres) if o.chunk_litres else 0
        by_kg = math.floor(t.kg / kg + 1e-9) if kg > 0 else o.units
        by_l = math.floor(t.litres / litres + 1e-9) if litres > 0 else o.units
        return int(min(o.units, by_kg, by_l))


@dataclass(frozen=True, slots=True)
class Trip:
    """A trip as played: its order and units, truck, bay and times (hours after the report).

    ``first``: the order's first unit it carries (units go in loading order). ``people_h``:
    when its goods reach the people (after any craft leg); ``back_h``: when the truck is back
    at its depot (None: it cannot get back).
    """

    order: int
    first: int
    units: int
    truck: int
    bay: int | None
    start_h: float
    loaded_h: float
    depart_h: float
    arrive_h: float
    people_h: float
    back_h: float | None

    def parts(self, problem: ScheduleProblem) -> list[Part]:
        """The goods the trip carries, per demand."""
        merged: dict[int, dict[str, int]] = {}
        for ch in problem.orders[self.order].chunks[self.first : self.first + self.units]:
            for p in ch:
                got = merged.setdefault(p.demand, {})
                for i, q in p.items.items():
                    got[i] = got.get(i, 0) + int(q)
        return [Part(q, items) for q, items in sorted(merged.items())]

    def kg(self, problem: ScheduleProblem) -> float:
        """Weight carried."""
        return sum(problem.orders[self.order].chunk_kg[self.first : self.first + self.units])

    def litres(self, problem: ScheduleProblem) -> float:
        """Volume carried."""
        return sum(problem.orders[self.order].chunk_litres[self.first : self.first + self.units])


@dataclass(frozen=True)
class Schedule:
    """A played plan, the units nobody carries, and how good the solver says it is.

    ``people_met`` is per target, from the played times. ``objective``/``bound`` are the
    CP-SAT model's (people met weighted by target); ``gap`` their relative difference.
    """

    trips: tuple[Trip, ...]
    #: (order, first unit, units) nobody carries
    unplanned: tuple[tuple[int, int, int], ...]
    people_met: tuple[float, ...]
    status: str
    engine: str
    objective: float
    bound: float
    seconds: float
    detail: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative gap between the solver's objective and its bound."""
        if not (self.bound > 0) or self.objective != self.objective:
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)


def check_engine(engine: str, time_limit_s: float) -> None:
    """Refuse an unknown engine or a time limit that is not a positive number of seconds."""
    if engine not in ENGINES:
        raise DataError(
            f"unknown engine {engine!r}; one of " + ", ".join(ENGINES),
            field="engine",
            problem_zh="未知求解方法(可选 " + "、".join(ENGINES) + ")",
        )
    if not (math.isfinite(time_limit_s) and time_limit_s > 0):
        raise DataError("must be > 0 seconds", field="time_limit", problem_zh="须大于0秒")


@dataclass(frozen=True, slots=True)
class ScheduleParams:
    """Time limit, seed and workers.

    ``deterministic``: CP-SAT stops on its deterministic clock (``time_limit_s`` x
    :data:`DET_PER_SECOND` of it) and interleaves its workers, so the same seed gives the
    same plan on any machine; the wall clock is then only a safety stop at three times the
    limit (a run stopped by it says so in ``Schedule.detail``).
    """

    time_limit_s: float = 30.0
    seed: int = 1
    workers: int = 2
    deterministic: bool = True
    engine: str = "grasp"

    def __post_init__(self) -> None:
        check_engine(self.engine, self.time_limit_s)
        if self.workers < 1:
            raise DataError("must be >= 1", field="workers")


# ------------------------------------------------------------------------------------------
# Who may carry what
# ------------------------------------------------------------------------------------------


def eligible(problem: ScheduleProblem) -> list[list[int]]:
    """Per order, the trucks that may carry it: its depot's, able to take a unit and go.

    A plan never sends an empty truck where it cannot get back from; goods on a truck
    already (a re-plan) keep that truck.
    """
    by_depot: dict[int, list[int]] = {}
    for v, t in enumerate(problem.trucks):
        by_depot.setdefault(t.depot, []).append(v)
    out = []
    for j, o in enumerate(problem.orders):
        here = problem.depot_place[o.depot]
        cands = [o.truck] if o.truck is not None else by_depot.get(o.depot, [])
        ok = []
        for v in cands:
            t = problem.trucks[v]
            if problem.cap_units(v, j) < 1 or problem.hours(t, here, o.place) is None:
                continue
            if o.truck is None and problem.hours(t, o.place, here) is None:
                continue
            ok.append(v)
        out.append(ok)
    return out


# ------------------------------------------------------------------------------------------
# Playing a plan by the loading rule
# ------------------------------------------------------------------------------------------

#: A trip to play: (order, truck, units).
Spec = tuple[int, int, int]


def play(problem: ScheduleProblem, specs: Sequence[Spec]) -> list[Trip]:
    """Play trips: each depot loads its own in the order given; units go in that order."""
    per_depot: dict[int, list[Spec]] = {}
    for spec in specs:
        per_depot.setdefault(problem.orders[spec[0]].depot, []).append(spec)
    next_unit = [0] * len(problem.orders)
    trips: list[Trip] = []
    for d, items in sorted(per_depot.items()):
        dock = problem.docks[d]
        here = problem.depot_place[d]
        free = {problem.trucks[v].id: problem.trucks[v].free_h for _, v, _ in items}
        timing: dict[int, tuple[float, float, float | None]] = {}
        firsts: list[int] = []
        for j, _, n in items:
            firsts.append(next_unit[j])
            next_unit[j] += n

        def drive(
            k: int,
            depart: float,
            items: list[Spec] = items,
            here: int = here,
            timing: dict[int, tuple[float, float, float | None]] = timing,
        ) -> float | None:
            j, v, _ = items[k]
            o, t = problem.orders[j], problem.trucks[v]
            out = problem.hours(t, here, o.place)
            if out is None:
                return None
            arrive = depart + out
            if o.window is not None:
                arrive = max(arrive, o.window[0])
            back_leg = problem.hours(t, o.place, here)
            back = None if back_leg is None else arrive + problem.unload_h + back_leg
            timing[k] = (arrive, arrive + o.extra_h, back)
            return back

        slots = play_dock(
            dock,
            [
                DockTrip(
                    problem.trucks[v].id,
                    sum(problem.orders[j].chunk_kg[f : f + n]) / 1000.0,
                    problem.orders[j].not_before_h,
                    problem.orders[j].loaded_h,
                )
                for (j, v, n), f in zip(items, firsts, strict=True)
            ],
            free,
            drive,
        )
        for k, ((j, v, n), slot) in enumerate(zip(items, slots, strict=True)):
            if slot is None or k not in timing:
                continue
            arrive, people, back = timing[k]
            trips.append(
                Trip(
                    j,
                    firsts[k],
                    n,
                    v,
                    slot.bay,
                    slot.start_h,
                    slot.loaded_h,
                    slot.depart_h,
                    arrive,
                    people,
                    back,
                )
            )
    return trips


def arrivals(problem: ScheduleProblem, trips: Sequence[Trip]) -> list[list[Arrival]]:
    """What reaches each demand, and when, in a played plan (receiving hours kept)."""
    out: list[list[Arrival]] = [[] for _ in problem.needs]
    for tr in trips:
        o = problem.orders[tr.order]
        if o.window is not None and tr.arrive_h > o.window[1] + 1e-9:
            continue  # too late to be received
        for part in tr.parts(problem):
            out[part.demand] += [Arrival(i, q, tr.people_h) for i, q in part.items.items()]
    return out


def people_met(problem: ScheduleProblem, trips: Sequence[Trip]) -> tuple[float, ...]:
    """People met by each target in a played plan (:mod:`solver.met`)."""
    got = arrivals(problem, trips)
    return tuple(
        sum(
            n.people * share_met(n.need, got[q], n.ready_h, n.handover_h, t)
            for q, n in enumerate(problem.needs)
        )
        for t in problem.targets_h
    )


def _valid(problem: ScheduleProblem, trips: Sequence[Trip]) -> set[int]:
    """Indices of trips that break a crew's rule: back after its shift, or trips over count."""
    count: dict[int, int] = {}
    bad = set()
    for k, tr in sorted(enumerate(trips), key=lambda kt: (kt[1].start_h, kt[0])):
        t = problem.trucks[tr.truck]
        n = count.get(tr.truck, 0)
        back = tr.back_h if tr.back_h is not None else tr.arrive_h + problem.unload_h
        if n >= t.trips or back > t.shift_end_h + 1e-9:
            bad.add(k)
            continue
        count[tr.truck] = n + 1
    return bad


def play_valid(problem: ScheduleProblem, specs: Sequence[Spec]) -> list[Trip]:
    """Play ``specs``, leaving out trips that break a crew's shift or trip count.

    The rest is played again: without the ones left out nothing starts later, so every kept
    trip still keeps the rules, and the plan's times are its own replay.
    """
    specs = list(specs)
    while True:
        trips = play(problem, specs)
        bad = _valid(problem, trips)
        if not bad:
            return trips
        drop = {(trips[k].order, trips[k].first) for k in bad}
        kept: list[Spec] = []
        unit = [0] * len(problem.orders)
        for j, v, n in specs:
            first = unit[j]
            unit[j] += n
            if (j, first) not in drop:
                kept.append((j, v, n))
        specs = kept


def specs_of(trips: Sequence[Trip]) -> list[Spec]:
    """The (order, truck, units) of played trips, in loading order."""
    return [
        (t.order, t.truck, t.units)
        for t in sorted(trips, key=lambda t: (t.start_h, t.order, t.first))
    ]


def unplanned(problem: ScheduleProblem, trips: Sequence[Trip]) -> list[tuple[int, int, int]]:
    """(order, first unit, units) that no trip carries."""
    carried = [0] * len(problem.orders)
    for t in trips:
        carried[t.order] += t.units
    out = []
    for j, o in enumerate(problem.orders):
        if carried[j] < o.units:
            out.append((j, carried[j], o.units - carried[j]))
    return out


# ------------------------------------------------------------------------------------------
# Greedy list schedule
# ------------------------------------------------------------------------------------------


def _deadline(problem: ScheduleProblem, j: int, k: int) -> float:
    """When order ``j``'s goods must reach its place for every demand to count at target k."""
    o = problem.orders[j]
    t = problem.targets_h[k]
    return min((t - problem.needs[q].handover_h - o.extra_h for q in o.demands), default=t)


def greedy(problem: ScheduleProblem, allowed: list[list[int]] | None = None) -> list[Spec]:
    """Most urgent order first, on the truck that gets it there soonest, as full as it can.

    A trip carries what :func:`_candidate` loads (a truckload, cut to what still arrives by
    the earliest target it can reach); what is left of the order waits for the next trip.
    The processing order is every depot's loading order, so playing the result reproduces
    its times.
    """
    allowed = allowed if allowed is not None else eligible(problem)
    st = _State(
        [d.bays_free() for d in problem.docks],
        [d.start_h for d in problem.docks],
        [t.free_h for t in problem.trucks],
        [0] * len(problem.trucks),
        [o.units for o in problem.orders],
        [],
    )
    specs: list[Spec] = []
    unit_kg = [max(o.chunk_kg) / 1000.0 for o in problem.orders]
    heap = [
        (_deadline(problem, j, 0), -sum(problem.needs[q].people for q in o.demands), j)
        for j, o in enumerate(problem.orders)
        if allowed[j]
    ]
    heapq.heapify(heap)
    while heap:
        key = heapq.heappop(heap)
        j = key[2]
        best: tuple[float, int, int, float, int, int] | None = None
        for v in allowed[j]:
            c = _candidate(problem, st, j, v, unit_kg[j])
            if c is None:
                continue
            start, arrive, bay, n, _ = c
            cand = (arrive, -n, problem.trucks[v].kg, start, bay, v)
            if best is None or cand[:3] < best[:3]:
                best = cand
        if best is None:
            continue
        arrive, neg_n, _, start, bay, v = best
        _take(problem, st, j, v, -neg_n, start, arrive, bay, unit_kg[j])
        specs.append((j, v, -neg_n))
        if st.left[j] > 0:
            heapq.heappush(heap, key)
    return specs


@dataclass
class _State:
    """A partial plan while it is built trip by trip: depots' bays, trucks, goods."""

    bay_free: list[list[float]]
    last_start: list[float]
    free: list[float]
    used: list[int]
    left: list[int]
    #: on-time quantities per target, demand and item
    got: list[list[dict[str, float]]]


def _candidate(
    problem: ScheduleProblem, st: _State, j: int, v: int, unit_kg: float
) -> tuple[float, float, int, int, float] | None:
    """(start, arrive, bay, units, back) of order ``j`` as truck ``v``'s next trip."""
    o = problem.orders[j]
    t = problem.trucks[v]
    if st.used[v] >= t.trips or st.left[j] <= 0:
        return None
    dock = problem.docks[o.depot]
    here = problem.depot_place[o.depot]
    out = problem.hours(t, here, o.place)
    if out is None:
        return None
    back_leg = problem.hours(t, o.place, here) or 0.0
    ready = max(st.free[v], o.not_before_h)
    cap = min(problem.cap_units(v, j), st.left[j])
    if o.loaded_h is not None:
        start = loaded = max(ready, o.loaded_h)
        bay, n = -1, cap
    else:
        bay = min(range(dock.bays), key=lambda b: (st.bay_free[o.depot][b], b))
        start = dock.first_open_h(max(ready, st.bay_free[o.depot][bay], st.last_start[o.depot]))
        if not math.isfinite(start):
            return None
        n = _units(problem, j, v, start, (out, back_leg), cap, unit_kg)
        loaded = dock.finish_h(start, n * unit_kg)
    if n < 1 or not math.isfinite(loaded):
        return None
    arrive = loaded + out
    if o.window is not None:
        arrive = max(arrive, o.window[0])
        if arrive > o.window[1]:
            return None
    back = arrive + problem.unload_h + back_leg
    if back > t.shift_end_h + 1e-9:
        return None
    return start, arrive, bay, n, back


def _units(
    problem: ScheduleProblem,
    j: int,
    v: int,
    start: float,
    legs: tuple[float, float],
    cap: int,
    kg: float,
) -> int:
    """Units of order ``j`` on truck ``v``'s trip loaded from ``start``; below 1: no trip.

    A full truckload (``cap``), cut to what still arrives by the earliest target the trip can
    reach (a late start aims at 12 h rather than sending a full load after it), and to what
    lets the truck be back by the end of its shift. ``legs``: hours out and back.
    """
    if kg <= 0:
        return cap
    dock = problem.docks[problem.orders[j].depot]
    out, back = legs

    def most(arrive_by_h: float, drive_h: float) -> int:
        hours = arrive_by_h - drive_h - start - dock.dock_h
        return math.floor(hours * dock.bay_t_per_h / kg + 1e-9)

    n = cap
    for k in range(len(problem.targets_h)):
        fits = most(_deadline(problem, j, k), out)
        if fits >= 1:
            n = min(cap, fits)
            break
    end = problem.trucks[v].shift_end_h
    return n if not math.isfinite(end) else min(n, most(end - problem.unload_h, out + back))


def _take(
    problem: ScheduleProblem,
    st: _State,
    j: int,
    v: int,
    n: int,
    start: float,
    arrive: float,
    bay: int,
    kg: float,
) -> None:
    """Book ``n`` units of order ``j`` on truck ``v`` (bay ``bay`` from ``start``) in ``st``."""
    o = problem.orders[j]
    t = problem.trucks[v]
    if o.loaded_h is None:
        st.bay_free[o.depot][bay] = problem.docks[o.depot].finish_h(start, n * kg)
        st.last_start[o.depot] = start
    back_leg = problem.hours(t, o.place, problem.depot_place[o.depot])
    st.free[v] = arrive + problem.unload_h + back_leg if back_leg is not None else math.inf
    st.used[v] += 1
    st.left[j] -= n


def value_greedy(
    problem: ScheduleProblem,
    allowed: list[list[int]] | None = None,
    *,
    rate: bool = False,
    pick: Callable[[list[tuple[float, float, int, int]]], int] | None = None,
) -> list[Spec]:
    """Trip by trip, the one that adds the most people met (the first target weighing most).

    Every candidate (order, truck) is timed as the next trip of its truck at its depot, as
    full as the truck, or as much as still arrives by the first target; its worth is the
    people it would add at each target, outright or per hour the truck is busy (``rate``).
    Ties go to the earlier arrival. ``pick`` chooses among the candidates ranked best first
    (default: the best); a randomised pick makes a GRASP. Each depot's trips are taken in
    loading order, so playing the result reproduces its times.
    """
    allowed = allowed if allowed is not None else eligible(problem)
    weights = _weights(problem)
    n_t = len(problem.targets_h)
    st = _State(
        [d.bays_free() for d in problem.docks],
        [d.start_h for d in problem.docks],
        [t.free_h for t in problem.trucks],
        [0] * len(problem.trucks),
        [o.units for o in problem.orders],
        [[dict.fromkeys(n.need, 0.0) for n in problem.needs] for _ in range(n_t)],
    )
    unit_kg = [max(o.chunk_kg) / 1000.0 for o in problem.orders]
    per_unit = [
        {(q, i): o.total(q, i) / o.units for q in o.demands for i in problem.needs[q].need}
        for o in problem.orders
    ]
    serving: dict[int, list[int]] = {}
    for j, o in enumerate(problem.orders):
        for q in o.demands:
            serving.setdefault(q, []).append(j)
    at_depot: dict[int, list[int]] = {}
    for j, o in enumerate(problem.orders):
        at_depot.setdefault(o.depot, []).append(j)

    def share(k: int, q: int, j: int = -1, n: int = 0) -> float:
        need = problem.needs[q].need
        s = 1.0
        for i, qty in need.items():
            if qty > 0:
                add = n * per_unit[j].get((q, i), 0.0) if j >= 0 else 0.0
                s = min(s, (st.got[k][q][i] + add) / qty)
        return s

    def evaluate(j: int, v: int) -> tuple[float, float, int, int, float, float] | None:
        c = _candidate(problem, st, j, v, unit_kg[j])
        if c is None:
            return None
        start, arrive, bay, n, back = c
        o = problem.orders[j]
        worth = 1e-3 * n  # delivered at all
        for k, target in enumerate(problem.targets_h):
            for q in o.demands:
                need = problem.needs[q]
                if arrive + o.extra_h + need.handover_h > target + 1e-9:
                    continue
                if need.ready_h + need.handover_h > target + 1e-9:
                    continue
                worth += weights[k] * need.people * (share(k, q, j, n) - share(k, q))
        score = worth / max(1e-3, back - start) if rate else worth
        return score, arrive, bay, n, start, back

    cache: dict[tuple[int, int], tuple[float, float, int, int, float, float] | None] = {
        (j, v): evaluate(j, v) for j in range(len(problem.orders)) for v in allowed[j]
    }
    specs: list[Spec] = []
    while True:
        ranked = sorted(
            ((c[0], -c[1], j, v) for (j, v), c in cache.items() if c is not None),
            reverse=True,
        )
        if not ranked:
            break
        _, _, j, v = ranked[pick(ranked[:5]) if pick else 0]
        c = cache[j, v]
        assert c is not None
        _, arrive, bay, n, start, _ = c
        o = problem.orders[j]
        _take(problem, st, j, v, n, start, arrive, bay, unit_kg[j])
        specs.append((j, v, n))
        for k, target in enumerate(problem.targets_h):
            for q in o.demands:
                need = problem.needs[q]
                if arrive + o.extra_h + need.handover_h <= target + 1e-9:
                    for i in need.need:
                        st.got[k][q][i] += n * per_unit[j].get((q, i), 0.0)
        # Re-time the depot's candidates; re-value those serving the same demands.
        touched = set(at_depot[o.depot])
        for q in o.demands:
            touched.update(serving.get(q, []))
        for jj in touched:
            for vv in allowed[jj]:
                cache[jj, vv] = evaluate(jj, vv)
    return specs


# ------------------------------------------------------------------------------------------
# CP-SAT
# ------------------------------------------------------------------------------------------


def _sec(h: float) -> int:
    return math.ceil(hours_to_seconds(h) - 1e-6)


def _weights(problem: ScheduleProblem) -> list[int]:
    """Objective weight per target: each earlier target counts 100 times the next."""
    n = len(problem.targets_h)
    return [100 ** (n - 1 - k) for k in range(n)]


@dataclass
class _Vars:
    """The CP-SAT model's decision variables, by truck and trip slot."""

    slots: list[tuple[int, int]]
    serve: dict[tuple[int, int], cp_model.IntVar]
    units: dict[tuple[int, int], cp_model.IntVar]
    start: list[cp_model.IntVar]
    used: list[cp_model.IntVar]


def _model(
    problem: ScheduleProblem,
    allowed: list[list[int]],
    hint: Sequence[Trip],
    fixed: Mapping[tuple[int, int, str], float] | None = None,
) -> tuple[cp_model.CpModel, _Vars]:
    """The CP-SAT model (see the module docstring).

    ``fixed``: on-time quantities other trips already bring, per (demand, target index,
    item), counted in each demand's share met.
    """
    fixed = fixed or {}
    m = cp_model.CpModel()
    horizon = _sec(problem.horizon_h)
    by_truck: dict[int, list[int]] = {}
    for j, vs in enumerate(allowed):
        for v in vs:
            by_truck.setdefault(v, []).append(j)
    slots: list[tuple[int, int]] = []
    serve: dict[tuple[int, int], cp_model.IntVar] = {}
    units: dict[tuple[int, int], cp_model.IntVar] = {}
    start: list[cp_model.IntVar] = []
    used: list[cp_model.IntVar] = []
    bay_iv: dict[int, list[cp_model.IntervalVar]] = {}
    delivered: dict[int, list[tuple[int, cp_model.IntVar, cp_model.IntVar]]] = {}
    on_time: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = {}
    weights = _weights(problem)
    for v, orders in sorted(by_truck.items()):
        t = problem.trucks[v]
        dock = problem.docks[t.depot]
        here = problem.depot_place[t.depot]
        prev_end: cp_model.IntVar | None = None
        prev_used: cp_model.IntVar | None = None
        for s in range(t.trips):
            k = len(slots)
            slots.append((v, s))
            st = m.new_int_var(
                _sec(t.free_h) if math.isfinite(t.free_h) else horizon, horizon, f"s{k}"
            )
            u = m.new_bool_var(f"u{k}")
            start.append(st)
            used.append(u)
            picks = []
            load_terms = []
            drive_out = []
            drive_round = []
            preloaded = []
            for j in orders:
                o = problem.orders[j]
                x = m.new_bool_var(f"x{k}_{j}")
                n = m.new_int_var(0, problem.cap_units(v, j), f"n{k}_{j}")
                m.add(n >= 1).only_enforce_if(x)
                m.add(n == 0).only_enforce_if(x.negated())
                serve[k, j] = x
                units[k, j] = n
                picks.append(x)
                out = problem.hours(t, here, o.place) or 0.0
                back = problem.hours(t, o.place, here) or 0.0
                if o.loaded_h is None:
                    per_unit = max(o.chunk_kg) / 1000.0 / dock.bay_t_per_h
                    load_terms.append(_sec(dock.dock_h) * x + _sec(per_unit) * n)
                    m.add(st >= _sec(max(dock.start_h, o.not_before_h))).only_enforce_if(x)
                else:
                    preloaded.append(x)
                    m.add(st >= _sec(max(o.loaded_h, o.not_before_h))).only_enforce_if(x)
                drive_out.append(_sec(out) * x)
                drive_round.append((_sec(out) + _sec(problem.unload_h) + _sec(back)) * x)
                delivered.setdefault(j, []).append((k, n, x))
            m.add(sum(picks) == u)
            size = m.new_int_var(0, horizon, f"l{k}")
            m.add(size == sum(load_terms) if load_terms else size == 0)
            end_load = m.new_int_var(0, 2 * horizon, f"e{k}")
            m.add(end_load == st + size)
            if load_terms and math.isfinite(dock.start_h):
                bay_used = m.new_bool_var(f"bu{k}")
                m.add(bay_used == u - sum(preloaded)) if preloaded else m.add(bay_used == u)
                bay_iv.setdefault(t.depot, []).append(
                    m.new_optional_interval_var(st, size, end_load, bay_used, f"b{k}")
                )
            arrive = m.new_int_var(0, 2 * horizon, f"a{k}")
            m.add(arrive == end_load + sum(drive_out))
            for j in orders:
                win = problem.orders[j].window
                if win is not None:
                    m.add(arrive >= _sec(win[0])).only_enforce_if(serve[k, j])
                    m.add(arrive <= int(hours_to_seconds(win[1]))).only_enforce_if(serve[k, j])
            back_at = m.new_int_var(0, 3 * horizon, f"r{k}")
            m.add(back_at == end_load + sum(drive_round))
            if math.isfinite(t.shift_end_h):
                m.add(back_at <= _sec(t.shift_end_h)).only_enforce_if(u)
            if prev_end is not None and prev_used is not None:
                m.add_implication(u, prev_used)
                m.add(st >= prev_end).only_enforce_if(u)
            prev_end, prev_used = back_at, u
            # On time for each demand and target: units count only if they arrive by then.
            for j in orders:
                o = problem.orders[j]
                for q in o.demands:
                    for kk, target in enumerate(problem.targets_h):
                        need = problem.needs[q]
                        if need.ready_h + need.handover_h > target + 1e-9:
                            continue
                        deadline = target - need.handover_h - o.extra_h
                        b = m.new_bool_var(f"o{k}_{j}_{q}_{kk}")
                        m.add(
                            arrive <= math.floor(hours_to_seconds(deadline) + 1e-6)
                        ).only_enforce_if(b)
                        m.add_implication(b, serve[k, j])
                        e = m.new_int_var(0, problem.cap_units(v, j), f"t{k}_{j}_{q}_{kk}")
                        m.add(e <= units[k, j])
                        m.add(e == 0).only_enforce_if(b.negated())
                        on_time.setdefault((q, kk), []).append((j, e))
    for d, ivs in bay_iv.items():
        dock = problem.docks[d]
        closed: list[tuple[float, float]] = []
        t0 = 0.0
        for lo, hi in dock.windows:
            if lo > t0:
                closed.append((t0, lo))
            t0 = hi
        closed.append((t0, max(t0, problem.horizon_h) + 1.0))
        blocks = [
            m.new_fixed_size_interval_var(_sec(lo), max(1, _sec(hi) - _sec(lo)), f"c{d}_{n}")
            for n, (lo, hi) in enumerate(closed)
            if hi > lo
        ]
        # Bays still loading at a re-plan's hour.
        busy = [
            m.new_fixed_size_interval_var(0, _sec(until), f"busy{d}_{n}")
            for n, until in enumerate(dock.busy_until)
            if until > 0
        ]
        m.add_cumulative(
            ivs + blocks + busy,
            [1] * len(ivs) + [dock.bays] * len(blocks) + [1] * len(busy),
            dock.bays,
        )
    for j, rows in delivered.items():
        m.add(sum(n for _, n, _ in rows) <= problem.orders[j].units)
    objective: list[Any] = []
    for q, need in enumerate(problem.needs):
        if need.people <= 0:
            continue
        for kk, target in enumerate(problem.targets_h):
            terms = on_time.get((q, kk), [])
            if need.ready_h + need.handover_h > target + 1e-9 or not terms:
                continue
            f = m.new_int_var(0, SCALE, f"f{q}_{kk}")
            for item, qty in need.need.items():
                if qty <= 0:
                    continue
                row = []
                for j, e in terms:
                    o = problem.orders[j]
                    total = o.total(q, item)
                    if total > 0:
                        # Units are near-equal shares: each carries total/units of the item.
                        row.append((total * SCALE * 1000 // o.units) * e)
                base = math.floor(fixed.get((q, kk, item), 0.0) * SCALE * 1000)
                m.add(sum(row) + base >= math.ceil(qty) * 1000 * f)
            objective.append(weights[kk] * need.people * f)
    # Everything delivered eventually: a small reward per unit carried.
    objective.append(sum(n for rows in delivered.values() for _, n, _ in rows))
    m.maximize(sum(objective))
    # Hint: the greedy plan, trip by trip in each truck's order.
    hinted: dict[tuple[int, int], tuple[int, int, float]] = {}
    per_truck: dict[int, list[Trip]] = {}
    for tr in hint:
        per_truck.setdefault(tr.truck, []).append(tr)
    index = {slot: k for k, slot in enumerate(slots)}
    for v, trs in per_truck.items():
        for s, tr in enumerate(sorted(trs, key=lambda t: t.start_h)):
            if (v, s) in index:
                hinted[v, s] = (tr.order, tr.units, tr.start_h)
    for k, (v, s) in enumerate(slots):
        h = hinted.get((v, s))
        m.add_hint(used[k], 1 if h else 0)
        for (kk, j), x in serve.items():
            if kk != k:
                continue
            on = h is not None and h[0] == j
            m.add_hint(x, 1 if on else 0)
            m.add_hint(units[kk, j], h[1] if on and h else 0)
    return m, _Vars(slots, serve, units, start, used)


def _score(met: Sequence[float]) -> tuple[float, ...]:
    return tuple(round(x, 6) for x in met)


def _best(
    problem: ScheduleProblem, runs: Sequence[tuple[str, Sequence[Spec]]]
) -> tuple[list[Trip], tuple[float, ...], str, dict[str, float]]:
    """Play each run; keep the one meeting most people by the first target, then the next."""
    best: tuple[list[Trip], tuple[float, ...], str] | None = None
    detail: dict[str, float] = {}
    for name, specs in runs:
        trips = play_valid(problem, specs)
        met = people_met(problem, trips)
        detail[f"{name}_first_target"] = met[0] if met else 0.0
        if best is None or _score(met) > _score(best[1]):
            best = (trips, met, name)
    assert best is not None
    return best[0], best[1], best[2], detail


def solve_schedule(problem: ScheduleProblem, params: ScheduleParams | None = None) -> Schedule:
    """The plan for ``problem`` by the engine of ``params``, played by the loading rule.

    ``greedy``: the deadline-first and the value-first list schedules, the better one.
    ``grasp`` (default): those, then the value-first one again with randomised picks (one
    run per second of the time limit, seeded: the same seed gives the same plan on any
    machine), the best of all. ``cp-sat``: the greedy plans, then CP-SAT from the better
    one. Whatever the engine, the plan kept is the best played one, never worse than the
    greedy plans.
    """
    params = params or ScheduleParams()
    tic = time.perf_counter()
    allowed = eligible(problem)
    runs: list[tuple[str, Sequence[Spec]]] = [
        ("deadline", greedy(problem, allowed)),
        ("value", value_greedy(problem, allowed)),
    ]
    best_trips, best_met, engine, detail = _best(problem, runs)
    detail["greedy_s"] = time.perf_counter() - tic
    status, objective, bound = "feasible", float("nan"), float("nan")
    if params.engine == "grasp" and problem.orders:
        rng = random.Random(params.seed)
        iterations = max(1, round(params.time_limit_s))
        done = 0
        for done in range(1, iterations + 1):

            def pick(ranked: list[tuple[float, float, int, int]], rng: random.Random = rng) -> int:
                return 0 if rng.random() < GRASP_GREEDINESS else rng.randrange(len(ranked))

            trips = play_valid(problem, value_greedy(problem, allowed, pick=pick))
            met = people_met(problem, trips)
            if _score(met) > _score(best_met):
                best_trips, best_met, engine = trips, met, f"grasp-{done}"
            if time.perf_counter() - tic > 3.0 * params.time_limit_s:
                detail["grasp_wall_stopped"] = 1.0
                break
        detail["grasp_runs"] = float(done)
    if params.engine == "cp-sat" and problem.orders and problem.trucks:
        model, var = _model(problem, allowed, best_trips)
        solver = cp_model.CpSolver()
        sp = solver.parameters
        sp.random_seed = params.seed
        sp.num_workers = params.workers
        if params.deterministic:
            sp.interleave_search = True
            sp.max_deterministic_time = params.time_limit_s * DET_PER_SECOND
            sp.max_time_in_seconds = 3.0 * params.time_limit_s
        else:
            sp.max_time_in_seconds = params.time_limit_s
        t_solve = time.perf_counter()
        code = solver.solve(model)
        detail["cpsat_s"] = time.perf_counter() - t_solve
        detail["cpsat_deterministic_time"] = float(solver.deterministic_time)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            objective = float(solver.objective_value)
            bound = float(solver.best_objective_bound)
            status = "optimal" if code == cp_model.OPTIMAL else "feasible"
            chosen = []
            for (k, j), x in var.serve.items():
                if solver.value(x):
                    v, _ = var.slots[k]
                    n = int(solver.value(var.units[k, j]))
                    if n > 0:
                        chosen.append((solver.value(var.start[k]), v, k, j, n))
            specs = [(j, v, n) for _, v, _, j, n in sorted(chosen)]
            trips = play_valid(problem, specs)
            met = people_met(problem, trips)
            detail["cpsat_first_target"] = met[0] if met else 0.0
            if _score(met) > _score(best_met):
                best_trips, best_met, engine = trips, met, "cp-sat"
        else:
            status = "no solution from cp-sat (heuristic plan kept)"
    return Schedule(
        tuple(sorted(best_trips, key=lambda t: (t.start_h, t.order, t.first))),
        tuple(unplanned(problem, best_trips)),
        best_met,
        status,
        engine,
        objective,
        bound,
        time.perf_counter() - tic,
        detail,
    )

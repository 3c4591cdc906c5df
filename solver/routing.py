"""Vehicle routing: the problem as plain integer data, and ``solve_routes`` over two engines.

A :class:`RoutingProblem` holds locations, one duration (and distance) matrix per vehicle
profile, jobs (deliveries with multi-dimensional loads, service times, time windows,
allowed vehicles, drop penalties) and vehicles (start and end location, capacities, shift,
number of trips with reloading at the depot). ``solve_routes`` runs OR-Tools routing
(:mod:`solver.routing_ortools`), PyVRP (:mod:`solver.routing_pyvrp`), or both at once on
the two cores and keeps the better plan ("portfolio", the default): duty officers need the
best plan within the minute, whichever library finds it.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from solver.errors import DataError

#: Travel between locations no vehicle of a profile can drive (cut by flood).
FORBIDDEN = 10**9


class Engine(StrEnum):
    """Which solver(s) to run."""

    ORTOOLS = "ortools"
    PYVRP = "pyvrp"
    PORTFOLIO = "portfolio"


@dataclass(frozen=True, slots=True)
class Job:
    """A delivery at a location.

    ``tw_early_s``/``tw_late_s`` is the hard window for arriving. ``targets`` are soft
    deadlines: (deadline_s, cost) pairs, ``cost`` paid when arriving after ``deadline_s``
    (step costs, so arriving by the 10 h target is worth its cost whole, and a delivery
    that cannot make it still counts towards the 12 h one). ``penalty`` is what leaving the
    job out costs (None: it must be served). ``allowed`` lists the vehicles that may serve
    it (None: any). ``release_s`` is when its goods are loaded and ready at the depot: the
    trip that carries it leaves no earlier.
    """

    id: str
    location: int
    load: tuple[int, ...]
    service_s: int = 0
    tw_early_s: int = 0
    tw_late_s: int = 10**8
    penalty: int | None = None
    allowed: tuple[int, ...] | None = None
    targets: tuple[tuple[int, int], ...] = ()
    release_s: int = 0

    def __post_init__(self) -> None:
        if any(q < 0 for q in self.load):
            raise DataError("load must be >= 0", record=self.id, field="load")
        if self.tw_late_s < self.tw_early_s:
            raise DataError(
                "deadline before the window opens",
                record=self.id,
                field="tw_late_s",
                problem_zh="截止时间早于开始时间",
            )
        if any(c < 0 for _, c in self.targets):
            raise DataError("target costs must be >= 0", record=self.id, field="targets")
        if list(self.targets) != sorted(self.targets):
            raise DataError("targets must be in time order", record=self.id, field="targets")

    def missed_cost(self, arrive_s: int) -> int:
        """Cost of the soft deadlines missed when arriving at ``arrive_s``."""
        return sum(c for d, c in self.targets if arrive_s > d)


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    """One vehicle: where it starts and ends, what it carries, when it works.

    ``trips`` > 1 lets it return to ``end`` to reload (``reload_s`` each time) and go out
    again. ``start_s`` is when it can leave (loaded); ``shift_end_s`` when it must be back.
    """

    id: str
    start: int
    end: int
    capacity: tuple[int, ...]
    profile: int = 0
    start_s: int = 0
    shift_end_s: int = 10**8
    trips: int = 1
    reload_s: int = 0
    fixed_cost: int = 0

    def __post_init__(self) -> None:
        if any(c < 0 for c in self.capacity) or not any(c > 0 for c in self.capacity):
            raise DataError(
                "a vehicle needs a positive capacity",
                record=self.id,
                field="capacity",
                problem_zh="车辆容量须大于0",
            )
        if self.trips < 1:
            raise DataError("trips must be >= 1", record=self.id, field="trips")


@dataclass(frozen=True, slots=True, eq=False)
class RoutingProblem:
    """Locations, matrices per profile, jobs, vehicles.

    Matrices are integer seconds (distances default to durations); unreachable pairs hold
    :data:`FORBIDDEN`.
    """

    durations: tuple[NDArray[np.int64], ...]
    jobs: tuple[Job, ...]
    vehicles: tuple[VehicleSpec, ...]
    distances: tuple[NDArray[np.int64], ...] | None = None
    objective: str = "duration"

    def __post_init__(self) -> None:
        n = self.durations[0].shape[0]
        for m in self.durations:
            if m.shape != (n, n):
                raise DataError("matrices must be square and alike", field="durations")
        dims = {len(j.load) for j in self.jobs} | {len(v.capacity) for v in self.vehicles}
        if len(dims) > 1:
            raise DataError("loads and capacities have different dimensions", field="load")
        for v in self.vehicles:
            if v.profile >= len(self.durations):
                raise DataError(f"unknown profile {v.profile}", record=v.id, field="profile")
            if not (0 <= v.start < n and 0 <= v.end < n):
                raise DataError("start/end outside the matrix", record=v.id, field="start")
        for j in self.jobs:
            if not 0 <= j.location < n:
                raise DataError("location outside the matrix", record=j.id, field="location")
            if j.allowed is not None and any(not 0 <= k < len(self.vehicles) for k in j.allowed):
                raise DataError("allowed vehicle out of range", record=j.id, field="allowed")
        if self.objective not in ("duration", "distance"):
            raise DataError("objective is duration or distance", field="objective")

    @property
    def n_dims(self) -> int:
        """Load dimensions (e.g. kilograms and litres)."""
        return len(self.vehicles[0].capacity) if self.vehicles else 0

    def cost_matrix(self, profile: int) -> NDArray[np.int64]:
        """The matrix the objective sums for ``profile``."""
        if self.objective == "distance" and self.distances is not None:
            return self.distances[profile]
        return self.durations[profile]


@dataclass(frozen=True, slots=True)
class Visit:
    """A job served: when the vehicle arrives and leaves, on which of its trips."""

    job: int
    arrive_s: int
    depart_s: int
    trip: int = 0


@dataclass(frozen=True, slots=True)
class Route:
    """One vehicle's day: visits in order, with departures and returns per trip."""

    vehicle: int
    visits: tuple[Visit, ...]
    start_s: int
    end_s: int
    cost: int


@dataclass(frozen=True, slots=True, eq=False)
class RoutingSolution:
    """Routes, the jobs left out, the objective, and which engine produced it."""

    routes: tuple[Route, ...]
    dropped: tuple[int, ...]
    objective: float
    engine: str
    status: str
    seconds: float
    detail: dict[str, float] = field(default_factory=dict)

    @property
    def cost(self) -> int:
        """Sum of route costs (travel by the problem's objective)."""
        return sum(r.cost for r in self.routes)


@dataclass(frozen=True, slots=True)
class RoutingParams:
    """Engine choice and limits.

    ``seed`` fixes the search trajectory; with ``solution_limit`` (OR-Tools: solutions
    accepted; PyVRP: iterations) a run is exactly repeatable, whereas a pure time limit
    stops wherever the clock says and may differ under machine load.
    """

    engine: Engine = Engine.PORTFOLIO
    time_limit_s: float = 30.0
    seed: int = 1
    solution_limit: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise DataError("must be > 0", field="time_limit")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise DataError("must be >= 1", field="solution_limit")


def evaluate(problem: RoutingProblem, routes: tuple[Route, ...]) -> float:
    """Travel cost plus missed soft deadlines and drop penalties (the common objective)."""
    served = {v.job for r in routes for v in r.visits}
    missed = sum(problem.jobs[v.job].missed_cost(v.arrive_s) for r in routes for v in r.visits)
    dropped = sum(j.penalty or 0 for k, j in enumerate(problem.jobs) if k not in served)
    fixed = sum(problem.vehicles[r.vehicle].fixed_cost for r in routes if r.visits)
    return float(sum(r.cost for r in routes) + missed + dropped + fixed)


def components(problem: RoutingProblem) -> list[tuple[list[int], list[int]]]:
    """Independent parts of ``problem``: (vehicles, jobs) groups no job links to another.

    Jobs restricted to one depot's vehicles make each depot a separate problem; solving the
    parts apart is exact and much faster. Jobs allowed no vehicle form a part of their own
    with no vehicles.
    """
    parent = list(range(len(problem.vehicles)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for j in problem.jobs:
        group = range(len(problem.vehicles)) if j.allowed is None else j.allowed
        first = None
        for k in group:
            if first is None:
                first = find(k)
            else:
                parent[find(k)] = first
    parts: dict[int, tuple[list[int], list[int]]] = {}
    for k in range(len(problem.vehicles)):
        parts.setdefault(find(k), ([], []))[0].append(k)
    orphans: list[int] = []
    for jn, j in enumerate(problem.jobs):
        group = range(len(problem.vehicles)) if j.allowed is None else j.allowed
        k0 = next(iter(group), None)
        if k0 is None:
            orphans.append(jn)
        else:
            parts[find(k0)][1].append(jn)
    out = [p for p in parts.values() if p[1]]
    if orphans:
        out.append(([], orphans))
    return out


def _subproblem(problem: RoutingProblem, vehicles: list[int], jobs: list[int]) -> RoutingProblem:
    index = {k: n for n, k in enumerate(vehicles)}
    sub_jobs = []
    for jn in jobs:
        j = problem.jobs[jn]
        allowed = None
        if j.allowed is not None and set(j.allowed) != set(vehicles):
            allowed = tuple(index[k] for k in j.allowed)
        sub_jobs.append(replace(j, allowed=allowed))
    return replace(
        problem,
        jobs=tuple(sub_jobs),
        vehicles=tuple(problem.vehicles[k] for k in vehicles),
    )


def solve_routes(
    problem: RoutingProblem, *, params: RoutingParams | None = None
) -> RoutingSolution:
    """Plan routes for ``problem``; see :class:`RoutingParams` for the engine choice.

    Independent parts (:func:`components`) are solved one after another, each with a share
    of the time limit in proportion to its jobs, and merged. The portfolio runs PyVRP over
    all parts in one forked process on the second core (its search loop holds the GIL)
    while OR-Tools works here, and keeps the better plan of each part. A part PyVRP cannot
    model (vehicles restricted per job) goes to OR-Tools, and the engine name says so.
    """
    params = params or RoutingParams()
    tic = time.perf_counter()
    parts = components(problem)
    if params.engine is Engine.PORTFOLIO and "fork" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as procs:
            other = procs.submit(_solve_parts, problem, parts, params, Engine.PYVRP)
            mine = _solve_parts(problem, parts, params, Engine.ORTOOLS)
            theirs = other.result()
        chosen = [_better(a, b) for a, b in zip(mine, theirs, strict=True)]
        engine_objectives = {
            "objective_ortools": sum(s.objective for s in mine),
            "objective_pyvrp": sum(s.objective for s in theirs),
        }
    else:
        engine = Engine.ORTOOLS if params.engine is Engine.PORTFOLIO else params.engine
        chosen = _solve_parts(problem, parts, params, engine)
        engine_objectives = {}
    routes: list[Route] = []
    dropped: list[int] = []
    engines: dict[str, int] = {}
    for (vehicles, jobs), sol in zip(parts, chosen, strict=True):
        engines[sol.engine] = engines.get(sol.engine, 0) + 1
        for r in sol.routes:
            visits = tuple(replace(v, job=jobs[v.job]) for v in r.visits)
            routes.append(replace(r, vehicle=vehicles[r.vehicle], visits=visits))
        dropped.extend(jobs[j] for j in sol.dropped)
    routes.sort(key=lambda r: r.vehicle)
    out = tuple(routes)
    statuses = {s.status for s in chosen}
    status = "infeasible" if "infeasible" in statuses else "feasible"
    name = "+".join(sorted(engines))
    if params.engine is Engine.PORTFOLIO:
        name = "portfolio:" + name
    detail = {"parts": float(len(parts)), **engine_objectives}
    for engine_name, n in engines.items():
        detail[f"parts_{engine_name}"] = float(n)
    return RoutingSolution(
        out,
        tuple(sorted(dropped)),
        evaluate(problem, out),
        name,
        status,
        time.perf_counter() - tic,
        detail,
    )


def _better(a: RoutingSolution, b: RoutingSolution) -> RoutingSolution:
    ok = [s for s in (a, b) if s.status in ("optimal", "feasible")] or [a, b]
    return min(ok, key=lambda s: (s.objective, s.engine))


def _solve_parts(
    problem: RoutingProblem,
    parts: list[tuple[list[int], list[int]]],
    params: RoutingParams,
    engine: Engine,
) -> list[RoutingSolution]:
    from solver.routing_ortools import solve_ortools
    from solver.routing_pyvrp import solve_pyvrp, supports

    n_jobs = max(1, len(problem.jobs))
    # Each part gets a floor of 0.05 s and the rest of the budget by its share of the jobs,
    # so the parts together keep to the time limit.
    floor = min(0.05, params.time_limit_s / max(1, len(parts)))
    spread = max(0.0, params.time_limit_s - floor * len(parts))
    out = []
    for vehicles, jobs in parts:
        # Always through _subproblem: it also drops "allowed" lists naming every vehicle of
        # the part, which PyVRP could not model otherwise.
        sub = _subproblem(problem, vehicles, jobs)
        share = replace(params, time_limit_s=floor + spread * len(jobs) / n_jobs)
        if not sub.vehicles:
            out.append(
                RoutingSolution(
                    (),
                    tuple(range(len(sub.jobs))),
                    float(sum(j.penalty or 0 for j in sub.jobs)),
                    "none",
                    "no vehicles",
                    0.0,
                )
            )
        elif engine is Engine.PYVRP and supports(sub):
            out.append(_retimed(sub, solve_pyvrp(sub, share)))
        else:
            out.append(_retimed(sub, solve_ortools(sub, share)))
    return out


def _retimed(problem: RoutingProblem, sol: RoutingSolution) -> RoutingSolution:
    """``sol`` with every route re-timed by :func:`retime` and its objective re-evaluated."""
    kept: list[Route] = []
    dropped = list(sol.dropped)
    for r in sol.routes:
        new, out = retime(problem, r)
        dropped += out
        if new.visits:
            kept.append(new)
    routes = tuple(kept)
    return replace(
        sol, routes=routes, dropped=tuple(sorted(dropped)), objective=evaluate(problem, routes)
    )


def retime(problem: RoutingProblem, route: Route) -> tuple[Route, list[int]]:
    """Re-time ``route`` as early as its rules allow, dropping visits that break them.

    Engines are trusted for the order of visits, not for every timing rule: OR-Tools models
    release times only approximately (a trip could leave before a later stop's goods are
    loaded). Each trip here leaves once its vehicle is back and reloaded and every load on
    it is ready; a load over the vehicle's capacity, a visit that then misses its hard window,
    or one that keeps the vehicle out past its shift, is dropped (and reported as not served).
    Costs are recomputed.
    """
    spec = problem.vehicles[route.vehicle]
    cost_m = problem.cost_matrix(spec.profile)
    trips: dict[int, list[int]] = {}
    for v in route.visits:
        trips.setdefault(v.trip, []).append(v.job)
    clock, here = spec.start_s, spec.start
    visits: list[Visit] = []
    dropped: list[int] = []
    cost, trip_no = 0, 0
    start_s: int | None = None
    end_s = spec.start_s
    for t in sorted(trips):
        todo = _fit(problem, spec, trips[t], dropped)
        while True:
            leave = max([clock] + [problem.jobs[j].release_s for j in todo])
            plan, out, back = _run_trip(problem, spec, todo, here, leave)
            if out:
                # Windows missed. If the load the trip waits for longest is to blame (the
                # trip keeps more without it), it goes; otherwise the missed visits go.
                hold = max(todo, key=lambda j: problem.jobs[j].release_s)
                rest = [j for j in todo if j != hold]
                if problem.jobs[hold].release_s > clock and rest:
                    alt = max([clock] + [problem.jobs[j].release_s for j in rest])
                    if len(_run_trip(problem, spec, rest, here, alt)[0]) > len(plan):
                        dropped.append(hold)
                        todo = rest
                        continue
                dropped += out
                todo = [j for j in todo if j not in out]
                continue
            if back <= spec.shift_end_s or not plan:
                break
            last = plan[-1][0]  # back after the shift: the last stop goes
            dropped.append(last)
            todo = [j for j in todo if j != last]
        if not plan:
            continue
        start_s = leave if start_s is None else start_s
        path = [here] + [problem.jobs[j].location for j, _, _ in plan] + [spec.end]
        cost += sum(int(cost_m[a, b]) for a, b in pairwise(path))
        visits += [Visit(j, a, d, trip_no) for j, a, d in plan]
        trip_no += 1
        clock, here, end_s = back + spec.reload_s, spec.end, back
    start = spec.start_s if start_s is None else start_s
    return Route(route.vehicle, tuple(visits), start, end_s, cost), dropped


def _fit(
    problem: RoutingProblem, spec: VehicleSpec, jobs: list[int], dropped: list[int]
) -> list[int]:
    """``jobs`` in order while they fit the vehicle; the rest go to ``dropped``."""
    load = [0] * len(spec.capacity)
    kept = []
    for j in jobs:
        new = [a + b for a, b in zip(load, problem.jobs[j].load, strict=True)]
        if all(a <= c for a, c in zip(new, spec.capacity, strict=True)):
            load = new
            kept.append(j)
        else:
            dropped.append(j)
    return kept


def _run_trip(
    problem: RoutingProblem, spec: VehicleSpec, jobs: list[int], here: int, leave: int
) -> tuple[list[tuple[int, int, int]], list[int], int]:
    """(job, arrive, depart) of the jobs kept in order, the jobs dropped, when back."""
    dur = problem.durations[spec.profile]
    t, at = leave, here
    plan: list[tuple[int, int, int]] = []
    out: list[int] = []
    for j in jobs:
        job = problem.jobs[j]
        arrive = max(t + int(dur[at, job.location]), job.tw_early_s)
        if arrive > job.tw_late_s or dur[at, job.location] >= FORBIDDEN:
            out.append(j)
            continue
        depart = arrive + job.service_s
        plan.append((j, arrive, depart))
        t, at = depart, job.location
    return plan, out, t + int(dur[at, spec.end])

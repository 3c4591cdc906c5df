"""The PyVRP engine (hybrid genetic search) for :class:`solver.routing.RoutingProblem`.

Mapping: each location becomes a PyVRP location; the vehicles' start/end places are depots;
each job is a client (several may share a location); each vehicle is a vehicle type of one
with its own profile (matrix), start and end depot, capacity, shift, and reloading at its
end depot for multi-trip work. A job that may be left out is an optional client whose prize
is its penalty. A job with soft deadlines becomes a mutually exclusive group of copies, one
per deadline band, each with the band's window and a prize lowered by the deadlines it
misses: PyVRP then chooses the band, which is exactly the step cost of the targets.
Per-job vehicle restrictions are not expressible: such problems go to OR-Tools
(:func:`supports`; :func:`solver.routing.components` removes the usual depot-bound ones).
"""

from __future__ import annotations

import time

import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from solver.routing import (
    FORBIDDEN,
    Job,
    Route,
    RoutingParams,
    RoutingProblem,
    RoutingSolution,
    Visit,
    evaluate,
)


def supports(problem: RoutingProblem) -> bool:
    """True when every feature of ``problem`` has a PyVRP counterpart."""
    return all(j.allowed is None for j in problem.jobs)


def _bands(job: Job) -> list[tuple[int, int]]:
    """(window end, prize) per deadline band of ``job``, on time for every target first."""
    base = job.penalty if job.penalty is not None else sum(c for _, c in job.targets)
    out = []
    lost = 0
    for deadline, cost in job.targets:
        if deadline >= job.tw_late_s:
            break
        if deadline >= max(job.tw_early_s, job.release_s):
            out.append((deadline, max(0, base - lost)))
        lost += cost
    if job.tw_late_s >= max(job.tw_early_s, job.release_s):
        out.append((job.tw_late_s, max(0, base - lost)))
    # Empty: the job cannot be served in its window at all (left out, or infeasible).
    return out


def solve_pyvrp(problem: RoutingProblem, params: RoutingParams) -> RoutingSolution:
    """Solve with PyVRP under the time limit (returns 'unsupported' when it cannot)."""
    tic = time.perf_counter()
    if not supports(problem):
        return RoutingSolution(
            (), tuple(range(len(problem.jobs))), float("inf"), "pyvrp", "unsupported", 0.0
        )
    jobs, vehicles = problem.jobs, problem.vehicles
    model = pyvrp.Model()
    depot_locs = sorted({v.start for v in vehicles} | {v.end for v in vehicles})
    used = sorted(set(depot_locs) | {j.location for j in jobs})
    loc_obj = {loc: model.add_location(0, 0, name=str(loc)) for loc in used}
    # Reloading (reload_s) is added to the drive back into a reload depot. A depot service
    # duration would be the other way, but PyVRP starts it only once the trip's loads are
    # released, delaying every trip by it on top of the loading already in the release.
    reload = dict.fromkeys(depot_locs, 0)
    for v in vehicles:
        if v.trips > 1:
            reload[v.end] = max(reload[v.end], v.reload_s)
    depots = {loc: model.add_depot(loc_obj[loc]) for loc in depot_locs}
    profiles = [model.add_profile() for _ in problem.durations]
    client_job: list[int] = []
    for jn, j in enumerate(jobs):
        bands = _bands(j)
        if not bands and j.penalty is None:
            bands = [(j.tw_late_s, 0)]  # a required job out of reach: let PyVRP say infeasible
        group = model.add_client_group(required=j.penalty is None) if len(bands) > 1 else None
        for late, prize in bands:
            client_job.append(jn)
            model.add_client(
                loc_obj[j.location],
                delivery=list(j.load),
                service_duration=j.service_s,
                tw_early=j.tw_early_s,
                tw_late=late,
                release_time=min(j.release_s, late),
                prize=prize,
                required=j.penalty is None and group is None,
                group=group,
                name=j.id,
            )
    for k, v in enumerate(vehicles):
        model.add_vehicle_type(
            1,
            capacity=list(v.capacity),
            start_depot=depots[v.start],
            end_depot=depots[v.end],
            fixed_cost=v.fixed_cost,
            tw_early=v.start_s,
            tw_late=v.shift_end_s,
            profile=profiles[v.profile],
            reload_depots=[depots[v.end]] if v.trips > 1 else [],
            max_reloads=max(0, v.trips - 1),
            name=str(k),
        )
    for p, prof in enumerate(profiles):
        dur = problem.durations[p]
        cost = problem.cost_matrix(p)
        for a in used:
            for b in used:
                if a == b:
                    continue
                d, c = int(dur[a, b]), int(cost[a, b])
                if d >= FORBIDDEN:
                    d = c = FORBIDDEN
                else:
                    d += reload.get(b, 0)
                model.add_edge(loc_obj[a], loc_obj[b], distance=c, duration=d, profile=prof)
    stop: StoppingCriterion = MaxRuntime(params.time_limit_s)
    if params.solution_limit is not None:
        stop = MultipleCriteria([stop, MaxIterations(params.solution_limit)])
    result = model.solve(stop, seed=params.seed, display=False)
    sol = result.best
    data = model.data()
    routes = []
    served: set[int] = set()
    for r in sol.routes():
        k = int(data.vehicle_type(r.vehicle_type()).name)
        visits = []
        for act in r.schedule():
            if not act.is_client():
                continue
            # Clients are numbered in the order they were added (after no depots: idx is
            # the client's own index), several clients per job with deadline bands.
            job = client_job[int(act.idx)]
            served.add(job)
            visits.append(Visit(job, int(act.start_time), int(act.end_time), int(act.trip)))
        # The edge 'distance' is the problem's cost matrix, so this is the route's cost.
        routes.append(
            Route(k, tuple(visits), int(r.start_time()), int(r.end_time()), int(r.distance()))
        )
    routes.sort(key=lambda x: x.vehicle)
    dropped = tuple(j for j in range(len(jobs)) if j not in served)
    out = tuple(routes)
    status = "feasible" if sol.is_feasible() else "infeasible"
    objective = evaluate(problem, out) if status == "feasible" else float("inf")
    return RoutingSolution(out, dropped, objective, "pyvrp", status, time.perf_counter() - tic)

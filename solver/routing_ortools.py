"""The OR-Tools routing engine for :class:`solver.routing.RoutingProblem`.

Multi-trip vehicles become one routing vehicle per trip, linked so that trip k+1 leaves
only after trip k is back and reloaded (a constraint between their time cumuls). Jobs are
nodes of their own (several jobs may share a location: split deliveries). First solution by
parallel cheapest insertion (it found a feasible start on every Solomon instance; path
cheapest arc did not on 7), then guided local search.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver.routing import (
    FORBIDDEN,
    Job,
    Route,
    RoutingParams,
    RoutingProblem,
    RoutingSolution,
    VehicleSpec,
    Visit,
    evaluate,
)
from solver.units import SECONDS_PER_HOUR


def solve_ortools(problem: RoutingProblem, params: RoutingParams) -> RoutingSolution:
    """Solve with OR-Tools' routing library (guided local search under a time limit)."""
    tic = time.perf_counter()
    jobs, vehicles = problem.jobs, problem.vehicles
    # Routing vehicles: one per trip of each physical vehicle.
    virtual = [(k, t) for k, v in enumerate(vehicles) for t in range(v.trips)]
    places = sorted({v.start for v in vehicles} | {v.end for v in vehicles})
    place_node = {loc: i for i, loc in enumerate(places)}
    n_places = len(places)
    node_loc = np.array(places + [j.location for j in jobs], dtype=np.int64)
    service = np.array([0] * n_places + [j.service_s for j in jobs], dtype=np.int64)
    # The first trip leaves from where the vehicle is; later trips leave its depot (its end).
    starts = [place_node[vehicles[k].start if t == 0 else vehicles[k].end] for k, t in virtual]
    ends = [place_node[vehicles[k].end] for k, _ in virtual]
    manager = pywrapcp.RoutingIndexManager(len(node_loc), len(virtual), starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    # A job only some vehicles may serve is hidden from the others by making every arc into
    # it impossible for them (travel FORBIDDEN exceeds any shift). Insertion heuristics and
    # local search see this through the time dimension; restricting the node's vehicle
    # variable instead (SetAllowedVehiclesForIndex does not bind lists in 9.15) leaves them
    # blind and the first solution drops everything.
    banned: list[frozenset[int]] = []
    for k in range(len(vehicles)):
        banned.append(
            frozenset(
                n_places + jn
                for jn, j in enumerate(jobs)
                if j.allowed is not None and k not in j.allowed
            )
        )
    transit: dict[tuple[int, frozenset[int]], int] = {}
    cost_cb: dict[tuple[int, frozenset[int]], int] = {}
    for key in sorted({(vehicles[k].profile, banned[k]) for k, _ in virtual}, key=str):
        prof, ban = key
        dur = problem.durations[prof]
        cost = problem.cost_matrix(prof)
        t_arr = dur[np.ix_(node_loc, node_loc)] + service[:, None]
        c_arr = cost[np.ix_(node_loc, node_loc)].copy()
        if ban:
            cols = sorted(ban)
            t_arr[:, cols] = FORBIDDEN
            c_arr[:, cols] = FORBIDDEN
        t_mat, c_mat = t_arr.tolist(), c_arr.tolist()

        def t_cb(i: int, j: int, m: list[list[int]] = t_mat) -> int:
            return int(m[manager.IndexToNode(i)][manager.IndexToNode(j)])

        def c_cb(i: int, j: int, m: list[list[int]] = c_mat) -> int:
            return int(m[manager.IndexToNode(i)][manager.IndexToNode(j)])

        transit[key] = routing.RegisterTransitCallback(t_cb)
        cost_cb[key] = routing.RegisterTransitCallback(c_cb)
    vkey = [(vehicles[k].profile, banned[k]) for k, _ in virtual]
    for vi, (k, _) in enumerate(virtual):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[vkey[vi]], vi)
        if vehicles[k].fixed_cost:
            routing.SetFixedCostOfVehicle(vehicles[k].fixed_cost, vi)

    for d in range(problem.n_dims):
        loads = [0] * n_places + [j.load[d] for j in jobs]

        def l_cb(i: int, loads: list[int] = loads) -> int:
            return int(loads[manager.IndexToNode(i)])

        cb = routing.RegisterUnaryTransitCallback(l_cb)
        routing.AddDimensionWithVehicleCapacity(
            cb, 0, [vehicles[k].capacity[d] for k, _ in virtual], True, f"load{d}"
        )

    horizon = int(max(v.shift_end_s for v in vehicles)) + 1
    routing.AddDimensionWithVehicleTransits(
        [transit[vkey[vi]] for vi in range(len(virtual))], horizon, horizon, False, "time"
    )
    time_dim = routing.GetDimensionOrDie("time")
    for vi, (k, t) in enumerate(virtual):
        v = vehicles[k]
        time_dim.CumulVar(routing.Start(vi)).SetRange(v.start_s, horizon)
        time_dim.CumulVar(routing.End(vi)).SetMax(v.shift_end_s)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(vi)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(vi)))
        if t > 0:
            # Trip t leaves after trip t-1 is back and reloaded.
            routing.solver().Add(
                time_dim.CumulVar(routing.End(vi - 1)) + v.reload_s
                <= time_dim.CumulVar(routing.Start(vi))
            )
    for jn, job in enumerate(jobs):
        index = manager.NodeToIndex(n_places + jn)
        cumul = time_dim.CumulVar(index)
        earliest = job.tw_early_s
        if job.release_s:
            # Release times have no OR-Tools counterpart: arriving no earlier than the
            # release plus the quickest drive is necessary, not sufficient (a vehicle could
            # leave before the release and visit another stop first); solve_routes re-times
            # the routes so that the rule holds.
            ks = job.allowed if job.allowed is not None else range(len(vehicles))
            earliest = max(
                earliest,
                min(_earliest_arrival(problem, vehicles[k], job) for k in ks),
            )
        latest = min(job.tw_late_s, horizon)
        if earliest > latest and job.penalty is not None:
            routing.ActiveVar(index).SetValue(0)  # cannot be served in time: left out
        else:
            cumul.SetRange(min(earliest, latest), latest)
        slope = 0
        if job.targets:
            # One soft bound per node: the first deadline, missing it by an hour costing its
            # step (a linear stand-in; solutions are scored by the exact steps).
            deadline, step = job.targets[0]
            slope = max(1, round(step / SECONDS_PER_HOUR))
            time_dim.SetCumulVarSoftUpperBound(index, deadline, slope)
        if job.penalty is not None:
            # The linear lateness cost has no cap, unlike the steps: leaving a job out must
            # stay dearer than serving it at any hour, or late loads are dropped, not sent.
            late_max = slope * max(0, latest - (job.targets[0][0] if job.targets else 0))
            routing.AddDisjunction([index], int(min(job.penalty + late_max, 2**62)))

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    search.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    search.time_limit.FromMilliseconds(int(params.time_limit_s * 1000))
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    solution = routing.SolveWithParameters(search)
    if solution is None:
        return RoutingSolution(
            (),
            tuple(range(len(jobs))),
            float("inf"),
            "ortools",
            "infeasible",
            time.perf_counter() - tic,
        )
    visits: dict[int, list[Visit]] = {}
    spans: dict[int, list[int]] = {}
    costs: dict[int, int] = {}
    served: set[int] = set()
    for vi, (k, t) in enumerate(virtual):
        index = routing.Start(vi)
        start_time = solution.Min(time_dim.CumulVar(index))
        route_cost = 0
        trip_visits = []
        while not routing.IsEnd(index):
            nxt = solution.Value(routing.NextVar(index))
            route_cost += routing.GetArcCostForVehicle(index, nxt, vi)
            node = manager.IndexToNode(nxt)
            if node >= n_places:
                arrive = solution.Min(time_dim.CumulVar(nxt))
                job = node - n_places
                served.add(job)
                trip_visits.append(Visit(job, int(arrive), int(arrive + jobs[job].service_s), t))
            index = nxt
        if trip_visits:
            visits.setdefault(k, []).extend(trip_visits)
            span = spans.setdefault(k, [start_time, 0])
            span[0] = min(span[0], start_time)
            span[1] = max(span[1], solution.Min(time_dim.CumulVar(index)))
            costs[k] = costs.get(k, 0) + route_cost
    routes = tuple(
        Route(k, tuple(visits[k]), int(spans[k][0]), int(spans[k][1]), int(costs[k]))
        for k in sorted(visits)
    )
    dropped = tuple(j for j in range(len(jobs)) if j not in served)
    return RoutingSolution(
        routes, dropped, evaluate(problem, routes), "ortools", "feasible", time.perf_counter() - tic
    )


def _earliest_arrival(problem: RoutingProblem, v: VehicleSpec, job: Job) -> int:
    """A lower bound on when ``v`` can reach ``job`` carrying its goods."""
    dur = problem.durations[v.profile]
    first = int(dur[v.start, job.location])
    later = int(dur[v.end, job.location]) + v.reload_s if v.trips > 1 else first
    return int(max(job.release_s, v.start_s) + min(first, later))

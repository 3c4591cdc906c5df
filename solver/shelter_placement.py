"""Place evacuees in shelters: a min-cost flow of people-seconds, overflow where no room is left.

People at each origin go to shelters with free places so that the sum over people of their
travel seconds is least; people who find no reachable free place are *unplaced* (they stay
where they are, without a shelter place) at a cost per person higher than any real trip, so
nobody is left out while a reachable place is free. The network is origins -> shelters ->
sink with an overflow arc origin -> sink; it is always feasible, and a min-cost flow is
optimal by construction (the bound equals the objective).

References
----------
Ahuja, R. K., Magnanti, T. L. & Orlin, J. B. (1993). *Network Flows*, ch. 9-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from ortools.graph.python import min_cost_flow

from solver.errors import DataError, SolverError
from solver.traveltime import UNREACHABLE
from solver.units import SECONDS_PER_DAY

IntArray = NDArray[np.int64]

#: Cost per person of leaving someone without a shelter place, in seconds of travel: higher
#: than any real trip (ten days), so people are placed whenever a reachable place is free.
OVERFLOW_COST_S = 10 * SECONDS_PER_DAY


def _ints(values: ArrayLike, name: str, ndim: int) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != ndim:
        raise DataError(
            f"must have {ndim} dimension(s), got {arr.ndim}",
            field=name,
            problem_zh=f"须为 {ndim} 维数组",
        )
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise DataError(f"must be numbers, got {arr.dtype}", field=name, problem_zh="须为数值")
    if arr.size and (not np.issubdtype(arr.dtype, np.integer) and not np.isfinite(arr).all()):
        raise DataError("must be finite", field=name, problem_zh="须为有限数")
    out = arr.astype(np.int64)
    if arr.size and (out != arr).any():
        raise DataError("must be whole numbers", field=name, problem_zh="须为整数")
    if arr.size and (out < 0).any():
        raise DataError("must be >= 0", field=name, problem_zh="须为非负数")
    out.setflags(write=False)
    return out


@dataclass(frozen=True, slots=True, eq=False)
class PlacementProblem:
    """Origins x shelters, in whole people and whole seconds.

    ``seconds[i, k]`` is the travel time from origin ``i`` to shelter ``k``
    (:data:`solver.traveltime.UNREACHABLE`: no route). Arrays are copied read-only.
    """

    people: IntArray
    room: IntArray
    seconds: IntArray
    overflow_cost_s: int = OVERFLOW_COST_S

    def __post_init__(self) -> None:
        people = _ints(self.people, "people", 1)
        room = _ints(self.room, "room", 1)
        seconds = _ints(self.seconds, "seconds", 2)
        if seconds.shape != (len(people), len(room)):
            raise DataError(
                f"shape {seconds.shape} is not origins x shelters ({len(people)}, {len(room)})",
                field="seconds",
                problem_zh="行数须等于出发地数、列数须等于避难场所数",
            )
        if self.overflow_cost_s <= 0:
            raise DataError("must be > 0", field="overflow_cost_s", problem_zh="须为正数")
        object.__setattr__(self, "people", people)
        object.__setattr__(self, "room", room)
        object.__setattr__(self, "seconds", seconds)

    @property
    def reachable(self) -> NDArray[np.bool_]:
        """True where an origin can reach a shelter."""
        return np.asarray(self.seconds < UNREACHABLE, dtype=np.bool_)


@dataclass(frozen=True, slots=True, eq=False)
class PlacementResult:
    """People per origin and shelter, the unplaced per origin, and what binds the answer.

    ``objective`` counts people-seconds of travel plus ``overflow_cost_s`` per unplaced
    person; a min-cost flow is exact, so ``bound`` equals it and ``gap`` is 0. ``full``
    marks the shelters whose room is used up: they (with unreachable pairs) are what leaves
    people unplaced or sends them farther.
    """

    status: str
    objective: int
    bound: int
    gap: float
    flows: IntArray  # origins x shelters: people
    unplaced: IntArray  # per origin
    full: NDArray[np.bool_]  # per shelter: no room left

    @property
    def placed(self) -> int:
        """People given a shelter place."""
        return int(self.flows.sum())


def place_people(problem: PlacementProblem) -> PlacementResult:
    """Place ``problem.people`` in shelters at least total travel, the rest unplaced.

    Raises
    ------
    SolverError
        If OR-Tools' min-cost flow does not report an optimum (the network is always
        feasible, so this is numerical trouble, never bad data).
    """
    people, room, secs = problem.people, problem.room, problem.seconds
    n_o, n_s = len(people), len(room)
    sink = n_o + n_s
    mcf = min_cost_flow.SimpleMinCostFlow()
    # Arc order is part of the answer when several plans tie; keep it fixed.
    for i in range(n_o):
        mcf.set_node_supply(i, int(people[i]))
        mcf.add_arc_with_capacity_and_unit_cost(i, sink, int(people[i]), problem.overflow_cost_s)
        for k in range(n_s):
            if secs[i, k] < UNREACHABLE:
                mcf.add_arc_with_capacity_and_unit_cost(i, n_o + k, int(people[i]), int(secs[i, k]))
    for k in range(n_s):
        mcf.add_arc_with_capacity_and_unit_cost(n_o + k, sink, int(room[k]), 0)
    mcf.set_node_supply(sink, -int(people.sum()))
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        raise SolverError(
            f"shelter placement: min-cost flow ended with status {status}",
            problem_zh=f"避难安置最小费用流未得最优解(状态 {status}),属数值问题而非数据错误",
        )
    flows = np.zeros((n_o, n_s), dtype=np.int64)
    unplaced = np.zeros(n_o, dtype=np.int64)
    for arc in range(mcf.num_arcs()):
        tail, head, flow = mcf.tail(arc), mcf.head(arc), mcf.flow(arc)
        if flow <= 0 or tail >= n_o:
            continue
        if head == sink:
            unplaced[tail] += flow
        else:
            flows[tail, head - n_o] += flow
    objective = int(mcf.optimal_cost())
    full = flows.sum(axis=0) >= room
    for arr in (flows, unplaced, full):
        arr.setflags(write=False)
    return PlacementResult("optimal", objective, objective, 0.0, flows, unplaced, full)

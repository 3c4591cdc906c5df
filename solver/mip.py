"""A small front end to OR-Tools' MIP solvers for models given as sparse arrays.

Siting models are built as matrices (columns = variables, rows = constraints) and handed to
OR-Tools in one call (``ModelBuilderHelper.fill_model_from_sparse_data``): building them
variable by variable in Python costs more than solving them. The back ends are the ones
MathOpt also drives — SCIP, HiGHS and CP-SAT — chosen per model by measurement
(docs/architecture.md). Every result carries status, objective, best bound and gap; the
relative gap limit is 0 (pywraplp's default 1e-4 once reported a wrong value as optimal).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.sparse import csr_matrix

from solver.backend import Backend as Backend  # re-exported: solver.mip.Backend
from solver.errors import DataError


@dataclass(frozen=True, slots=True)
class MipParams:
    """Solver choice and limits."""

    backend: Backend = Backend.HIGHS
    time_limit_s: float = 60.0
    threads: int = 1

    def __post_init__(self) -> None:
        if not (self.time_limit_s > 0):
            raise DataError("must be > 0", field="time_limit_s")


@dataclass(frozen=True, slots=True, eq=False)
class MipResult:
    """What the solver returned."""

    status: str
    objective: float
    bound: float
    values: NDArray[np.float64]
    seconds: float
    backend: str

    @property
    def gap(self) -> float:
        """Relative gap between objective and bound (0 when proven optimal)."""
        if not (math.isfinite(self.objective) and math.isfinite(self.bound)):
            return math.inf
        denom = max(abs(self.objective), 1e-9)
        return abs(self.bound - self.objective) / denom

    @property
    def has_solution(self) -> bool:
        """True when values hold a feasible solution."""
        return self.status in ("optimal", "feasible")


_STATUS = {
    mbh.SolveStatus.OPTIMAL: "optimal",
    mbh.SolveStatus.FEASIBLE: "feasible",
    mbh.SolveStatus.INFEASIBLE: "infeasible",
    mbh.SolveStatus.UNBOUNDED: "unbounded",
}


def solve_mip(
    objective: NDArray[np.float64],
    matrix: csr_matrix,
    row_lb: NDArray[np.float64],
    row_ub: NDArray[np.float64],
    *,
    lb: NDArray[np.float64],
    ub: NDArray[np.float64],
    integer: NDArray[np.bool_],
    maximize: bool,
    params: MipParams,
    offset: float = 0.0,
    hint: NDArray[np.float64] | None = None,
) -> MipResult:
    """Solve ``opt objective @ x + offset`` s.t. ``row_lb <= matrix @ x <= row_ub``, bounds."""
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(
        np.asarray(lb, float),  # type: ignore[arg-type]
        np.asarray(ub, float),  # type: ignore[arg-type]
        np.asarray(objective, float),  # type: ignore[arg-type]
        np.asarray(row_lb, float),  # type: ignore[arg-type]
        np.asarray(row_ub, float),  # type: ignore[arg-type]
        csr_matrix(matrix),
    )
    for col in np.flatnonzero(integer):
        helper.set_var_integrality(int(col), True)
    if hint is not None and params.backend is not Backend.HIGHS:
        # A known good solution (e.g. from a heuristic) for the solver to start from.
        # (OR-Tools 9.15 crashes when hints are handed to HiGHS, so it gets none.)
        for k, value in enumerate(np.asarray(hint, float).tolist()):
            if math.isfinite(value):
                helper.add_hint(k, value)
    helper.set_maximize(maximize)
    solver = mbh.ModelSolverHelper(params.backend.value)
    if not solver.solver_is_supported():
        raise DataError(f"solver {params.backend.value!r} is not available", field="solver")
    solver.set_time_limit_in_seconds(params.time_limit_s)
    if params.backend is Backend.SCIP:
        solver.set_solver_specific_parameters(
            f"limits/gap = 0\nparallel/maxnthreads = {params.threads}\n"
        )
    elif params.backend is Backend.HIGHS:
        solver.set_solver_specific_parameters(
            f"mip_rel_gap = 0\nthreads = {params.threads}\noutput_flag = false\n"
        )
    elif params.backend is Backend.CP_SAT:
        solver.set_solver_specific_parameters(
            f"num_workers: {max(1, params.threads)} relative_gap_limit: 0"
        )
    tic = time.perf_counter()
    solver.solve(helper)
    seconds = time.perf_counter() - tic
    status = _STATUS.get(solver.status(), solver.status().name.lower())
    if solver.has_solution():
        values = np.asarray(solver.variable_values(), dtype=float)
        obj = float(solver.objective_value()) + offset
        bound = float(solver.best_objective_bound()) + offset
    else:
        values = np.full(len(objective), np.nan)
        obj = math.nan
        bound = math.nan
    if status == "optimal" and math.isfinite(obj) and not math.isfinite(bound):
        bound = obj
    return MipResult(status, obj, bound, values, seconds, params.backend.value)

"""Capacitated facility location in its classic form: fixed cost, capacity, assignment cost.

Open facilities and serve every customer's demand at least total cost (opening costs plus
assignment costs), each facility within its capacity. Multi-source lets a customer's
demand be split between facilities (the convention of the OR-Library optima);
single-source sends each customer to one facility. A facility may offer several size
options (capacity, fixed cost) of which at most one is built — the 建标121 size classes
are such options.

The MIP uses the strong form (``x_ij <= y_j``) and the aggregate capacity cut; a rounding
of the LP relaxation, repaired to feasibility, is the incumbent at every time limit.

References
----------
Beasley, J. E. (1988). An algorithm for solving large capacitated warehouse location
problems. EJOR 33 (the cap41–capc instances).
Sridharan, R. (1995). The capacitated plant location problem. EJOR 87 (formulations).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix

from solver.errors import DataError
from solver.mip import Backend, MipParams, MipResult, solve_mip

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
#: SCIP by default: it proves cap41–cap131 in 0.1–0.3 s, HiGHS in 0.2–0.5 s
#: (benchmarks/README.md, family cflp).
SCIP = MipParams(Backend.SCIP)


@dataclass(frozen=True, slots=True, eq=False)
class CflpProblem:
    """Facilities x customers.

    ``cost[j, i]`` is the cost of serving ALL of customer ``i``'s demand from ``j``
    (``inf``: cannot). ``capacity`` and ``fixed_cost`` are per facility, or per facility
    and size option (``m x k``; a zero-capacity option is ignored).
    """

    fixed_cost: FloatArray
    capacity: FloatArray
    demand: FloatArray
    cost: FloatArray

    def __post_init__(self) -> None:
        m, n = self.cost.shape
        if self.fixed_cost.shape[0] != m or self.capacity.shape != self.fixed_cost.shape:
            raise DataError("fixed_cost/capacity must have one row per facility", field="capacity")
        if len(self.demand) != n:
            raise DataError("one demand per customer", field="demand")
        for name, arr in (
            ("fixed_cost", self.fixed_cost),
            ("capacity", self.capacity),
            ("demand", self.demand),
        ):
            if not np.isfinite(arr).all() or (arr < 0).any():
                raise DataError("must be finite and >= 0", field=name, problem_zh="须为非负有限数")
        if np.isnan(self.cost).any() or (self.cost < 0).any():
            raise DataError("must be >= 0 (inf: cannot serve)", field="cost")
        need = float(self.demand.sum())
        have = float(self.options_capacity.max(axis=1).sum()) if m else 0.0
        if have + 1e-9 < need:
            raise DataError(
                f"infeasible: all facilities at their largest size hold {have:,.0f}, "
                f"the demand is {need:,.0f}",
                field="capacity",
                problem_zh=f"不可行:全部设施最大容量 {have:,.0f} 小于需求 {need:,.0f}",
            )
        stuck = np.flatnonzero(~np.isfinite(self.cost).any(axis=0) & (self.demand > 0))
        if len(stuck):
            raise DataError(
                f"infeasible: customer {int(stuck[0])} cannot be served by any facility",
                field="cost",
                record=str(int(stuck[0])),
                problem_zh="不可行:有需求点无任何设施可服务",
            )

    @property
    def options_capacity(self) -> FloatArray:
        """Capacity per facility and option (``m x k``)."""
        return self.capacity.reshape(len(self.capacity), -1)

    @property
    def options_cost(self) -> FloatArray:
        """Fixed cost per facility and option (``m x k``)."""
        return self.fixed_cost.reshape(len(self.fixed_cost), -1)


@dataclass(frozen=True, slots=True, eq=False)
class CflpResult:
    """Open facilities (and option), each customer's shares, total cost, bound, status."""

    status: str
    objective: float
    bound: float
    gap: float
    option: NDArray[np.int64]  # -1 closed, else the option built
    shares: FloatArray  # m x n: share of customer i's demand served by j
    seconds: float
    backend: str
    single_source: bool
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def open_mask(self) -> BoolArray:
        """Facilities built."""
        return np.asarray(self.option >= 0)


def cflp(
    problem: CflpProblem,
    *,
    single_source: bool = False,
    params: MipParams = SCIP,
) -> CflpResult:
    """Solve the capacitated facility location problem (multi- or single-source)."""
    tic = time.perf_counter()
    cap, fix = problem.options_capacity, problem.options_cost
    m, n = problem.cost.shape
    if single_source:
        room = np.where(np.isfinite(problem.cost), cap.max(axis=1)[:, None], 0.0).max(axis=0)
        big = np.flatnonzero(problem.demand > room + 1e-9)
        if len(big):
            i = int(big[0])
            raise DataError(
                f"infeasible single-source: customer {i}'s demand {problem.demand[i]:,.0f} "
                f"exceeds every facility's capacity ({room[i]:,.0f}); {len(big)} such "
                "customer(s) — allow split deliveries (multi-source)",
                field="demand",
                record=str(i),
                problem_zh="单一来源不可行:有需求点的需求超过任何设施的容量,请允许分批供应",
            )
    k = cap.shape[1]
    d = problem.demand.astype(float)
    pairs = np.isfinite(problem.cost) & (cap.max(axis=1) > 0)[:, None]
    jj, ii = np.nonzero(pairs)
    n_y, n_x = m * k, len(jj)
    y_ok = (cap > 0).ravel()
    objective = np.concatenate([fix.ravel(), problem.cost[jj, ii]])
    entries: list[tuple[NDArray[np.int64], NDArray[np.int64], FloatArray]] = []
    lbs: list[FloatArray] = []
    ubs: list[FloatArray] = []
    row = 0
    # Every customer served once.
    entries.append((row + ii, n_y + np.arange(n_x), np.ones(n_x)))
    lbs.append(np.ones(n))
    ubs.append(np.ones(n))
    row += n
    # Capacity: sum_i d_i x_ij - sum_k s_jk y_jk <= 0.
    entries.append((row + jj, n_y + np.arange(n_x), d[ii]))
    entries.append((row + np.repeat(np.arange(m), k), np.arange(n_y), -cap.ravel()))
    lbs.append(np.full(m, -np.inf))
    ubs.append(np.zeros(m))
    row += m
    # Strong linking x_ij <= sum_k y_jk.
    entries.append((row + np.arange(n_x), n_y + np.arange(n_x), np.ones(n_x)))
    entries.append(
        (
            np.repeat(row + np.arange(n_x), k),
            (jj[:, None] * k + np.arange(k)).ravel(),
            -np.ones(n_x * k),
        )
    )
    lbs.append(np.full(n_x, -np.inf))
    ubs.append(np.zeros(n_x))
    row += n_x
    # One option per facility; total capacity covers total demand.
    entries.append((row + np.repeat(np.arange(m), k), np.arange(n_y), np.ones(n_y)))
    lbs.append(np.full(m, -np.inf))
    ubs.append(np.ones(m))
    row += m
    entries.append((np.full(n_y, row), np.arange(n_y), cap.ravel()))
    lbs.append(np.array([float(d.sum())]))
    ubs.append(np.array([np.inf]))
    row += 1
    matrix = coo_matrix(
        (
            np.concatenate([e[2] for e in entries]),
            (np.concatenate([e[0] for e in entries]), np.concatenate([e[1] for e in entries])),
        ),
        shape=(row, n_y + n_x),
    ).tocsr()
    lb = np.zeros(n_y + n_x)
    ub = np.concatenate([y_ok.astype(float), np.ones(n_x)])
    integer = np.concatenate([np.ones(n_y, bool), np.full(n_x, single_source)])
    args = dict(lb=lb, ub=ub, maximize=False)
    # The LP relaxation guides the incumbent.
    lp = solve_mip(
        objective,
        matrix,
        np.concatenate(lbs),
        np.concatenate(ubs),
        integer=np.zeros(n_y + n_x, bool),
        params=MipParams(Backend.HIGHS, params.time_limit_s),
        **args,  # type: ignore[arg-type]
    )
    incumbent = _incumbent(
        problem, lp.values[:n_y].reshape(m, k) if lp.has_solution else None, single_source, params
    )
    detail: dict[str, Any] = {"lp_bound": lp.objective if lp.has_solution else None}
    left = params.time_limit_s - (time.perf_counter() - tic)
    hint = None
    inc_value = np.inf
    if incumbent is not None:
        option, shares = incumbent
        inc_value = _total(problem, option, shares)
        y0 = np.zeros((m, k))
        y0[option >= 0, option[option >= 0]] = 1.0
        hint = np.concatenate([y0.ravel(), shares[jj, ii]])
        detail["incumbent"] = inc_value
    res = (
        solve_mip(
            objective,
            matrix,
            np.concatenate(lbs),
            np.concatenate(ubs),
            integer=integer,
            params=MipParams(params.backend, left, params.threads),
            hint=hint,
            **args,  # type: ignore[arg-type]
        )
        if left > 0.05
        else MipResult("time_limit", np.nan, np.nan, np.full(n_y + n_x, np.nan), 0.0, "none")
    )
    lp_bound = lp.objective if lp.has_solution else 0.0
    if res.has_solution and res.objective <= inc_value + 1e-9:
        y = res.values[:n_y].reshape(m, k)
        option = np.where(y.max(axis=1) > 0.5, y.argmax(axis=1), -1)
        shares = np.zeros((m, n))
        shares[jj, ii] = np.clip(res.values[n_y:], 0, 1)
        value = res.objective
    elif incumbent is not None:
        option, shares = incumbent
        value = inc_value
    elif res.status == "infeasible":
        raise DataError(
            "infeasible single-source: the customers' demands cannot be packed into the "
            "facilities' capacities (allow split deliveries: multi-source)",
            field="capacity",
            problem_zh="单一来源不可行:需求无法装入各设施容量,请允许分批供应",
        )
    else:
        raise DataError(
            f"no feasible plan found within the time limit ({res.status})",
            field="time_limit_s",
            problem_zh="时限内未找到可行方案",
        )
    bound = res.bound if np.isfinite(res.bound) else lp_bound
    bound = max(bound, lp_bound) if res.status != "optimal" else value
    proven = res.status == "optimal" and abs(res.objective - value) <= 1e-9 * max(1, value)
    status = "optimal" if proven else "feasible"
    gap = 0.0 if proven else abs(value - bound) / max(abs(value), 1e-9)
    return CflpResult(
        status,
        value,
        value if proven else bound,
        gap,
        option,
        shares,
        time.perf_counter() - tic,
        res.backend,
        single_source,
        detail,
    )


def _total(problem: CflpProblem, option: NDArray[np.int64], shares: FloatArray) -> float:
    fix = problem.options_cost
    opened = np.flatnonzero(option >= 0)
    c = np.where(np.isfinite(problem.cost), problem.cost, 0.0)
    return float(fix[opened, option[opened]].sum() + (c * shares).sum())


def _incumbent(
    problem: CflpProblem, y_lp: FloatArray | None, single_source: bool, params: MipParams
) -> tuple[NDArray[np.int64], FloatArray] | None:
    """Round the LP relaxation to a feasible plan.

    Build the options the LP uses, add the cheapest capacity until the demand fits, then
    serve the customers (a transport LP, or greedy single-source).
    """
    cap, fix = problem.options_capacity, problem.options_cost
    d = problem.demand
    if y_lp is None:
        option = np.where(cap.max(axis=1) > 0, cap.argmax(axis=1), -1)
    else:
        option = np.where(y_lp.max(axis=1) > 1e-6, cap.argmax(axis=1), -1)
    order = np.argsort(fix.min(axis=1) / np.maximum(cap.max(axis=1), 1e-9))
    while True:
        have = sum(cap[j, option[j]] for j in np.flatnonzero(option >= 0))
        if have >= d.sum() - 1e-9:
            shares = (
                _greedy_single(problem, option) if single_source else _transport(problem, option)
            )
            if shares is not None:
                return option, shares
        closed = [j for j in order if option[j] < 0 and cap[j].max() > 0]
        if not closed:
            return None
        option[closed[0]] = int(cap[closed[0]].argmax())


def _transport(problem: CflpProblem, option: NDArray[np.int64]) -> FloatArray | None:
    """Cheapest split of every customer's demand over the open facilities (an LP)."""
    opened = np.flatnonzero(option >= 0)
    cap = problem.options_capacity[opened, option[opened]]
    cost = problem.cost[opened]
    n = cost.shape[1]
    jj, ii = np.nonzero(np.isfinite(cost))
    d = problem.demand.astype(float)
    matrix = coo_matrix(
        (
            np.concatenate([np.ones(len(jj)), d[ii]]),
            (np.concatenate([ii, n + jj]), np.tile(np.arange(len(jj)), 2)),
        ),
        shape=(n + len(opened), len(jj)),
    ).tocsr()
    res = solve_mip(
        cost[jj, ii],
        matrix,
        np.concatenate([np.ones(n), np.full(len(opened), -np.inf)]),
        np.concatenate([np.ones(n), cap]),
        lb=np.zeros(len(jj)),
        ub=np.ones(len(jj)),
        integer=np.zeros(len(jj), bool),
        maximize=False,
        params=MipParams(Backend.HIGHS, 30.0),
    )
    if not res.has_solution:
        return None
    shares = np.zeros(problem.cost.shape)
    shares[opened[jj], ii] = np.clip(res.values, 0, 1)
    return shares


def _greedy_single(problem: CflpProblem, option: NDArray[np.int64]) -> FloatArray | None:
    """Largest customers first, each to its cheapest open facility with room left."""
    opened = np.flatnonzero(option >= 0)
    room = problem.options_capacity[opened, option[opened]].astype(float)
    shares = np.zeros(problem.cost.shape)
    for i in np.argsort(-problem.demand, kind="stable"):
        c = problem.cost[opened, i]
        fits = np.flatnonzero((room >= problem.demand[i] - 1e-9) & np.isfinite(c))
        if not len(fits):
            return None
        j = fits[np.argmin(c[fits])]
        room[j] -= problem.demand[i]
        shares[opened[j], i] = 1.0
    return shares

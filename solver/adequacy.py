"""The network-adequacy check: when are people's basic needs met, and if late, why.

Given depots with stock, points with people and their needs per item, and depot-to-point
travel hours, a linear programme (OR-Tools GLOP) allocates stock to points so that, in
lexicographic order,

1. the most people have all their needs met by the first target (10 h),
2. then by each later target (12 h),
3. then the area under the "people met" curve over all checkpoints is largest, with a tiny
   cost on tonne-hours of transport (and optional tier preferences) to break ties.

Each unit of stock is used once. Depot loading is a single queue per depot that works only
in opening hours at ``loading_t_per_h``: a shipment counted at checkpoint ``t`` must finish
loading by ``t - handover - travel``; for divisible loads with deadlines on one machine,
earliest-deadline-first is optimal, so the cumulative tonnage due by each deadline must fit
the depot's loading capacity by then (deadlines rounded down to ``loading_step_h``, which
keeps the plan feasible). An optional fleet bound adds, per depot, that tonne-hours and
m3-hours of round trips fit the depot's trucks' payload and volume over the time available.

After solving, the plan's shipments are scheduled at each depot in deadline order, which
gives their departure and arrival times and so, per point and need group, the exact time the
needs are met under this plan. Every point not met by a target gets its binding reason.

References
----------
Balcik, B., Beamon, B. M. (2008). Facility location in humanitarian relief. IJLRA 11(2).
Horn, W. A. (1974). Some simple scheduling algorithms. NRLQ 21 (EDF for deadlines).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.sparse import csc_matrix, vstack

from solver.catalogue import Catalogue, NeedGroup
from solver.errors import DataError, InfeasibleError

log = logging.getLogger(__name__)

#: Quantities below this are treated as zero when reading the LP solution.
EPS = 1e-6
#: Weight of a tier preference per tonne, relative to one person met at the last target.
TIER_WEIGHT = 1e-4
#: How much a later stage may give up of an earlier target's optimum, in people: tried in
#: turn, the next one only if GLOP finds the tighter one infeasible within its tolerances.
LEXICOGRAPHIC_SLACK = (1e-3, 1e-2, 0.1, 0.5)
#: Weight, in a later stage, of people met at earlier targets, so that a later stage keeps
#: them rather than drifting anywhere within the slack.
EARLIER_WEIGHT = 1e-3


class Reason(StrEnum):
    """Why a point's needs are not met by a target."""

    UNREACHABLE = "unreachable"
    SHELTER_OVER_CAPACITY = "shelter_over_capacity"
    EVACUATION_LATE = "evacuation_late"
    TOO_FAR = "too_far"
    STOCK_SHORTFALL = "stock_shortfall"
    DISPATCH_CAPACITY = "dispatch_capacity"
    FLEET_CAPACITY = "fleet_capacity"


@dataclass(frozen=True, slots=True)
class DemandPoint:
    """People at one place who need supplies.

    ``ready_h`` is when the people are there (after evacuation); ``handover_h`` the
    unloading and distribution time; ``overflow`` marks people who found no shelter place.
    """

    id: str
    people: int
    need: Mapping[str, int]
    ready_h: float
    handover_h: float
    name: str = ""
    county: str = ""
    overflow: bool = False

    def __post_init__(self) -> None:
        if self.people < 0:
            raise DataError(
                f"must be >= 0, got {self.people}",
                record=self.id,
                field="people",
                problem_zh="人数不能为负",
            )
        for item, q in self.need.items():
            if q < 0:
                raise DataError(f"need must be >= 0, got {q}", record=self.id, field=f"need.{item}")


@dataclass(frozen=True, slots=True)
class SupplyPoint:
    """A depot as the check sees it: stock, when it can load, how fast, and its trucks.

    ``windows`` are the intervals (hours after report) in which it loads; ``fleet_payload_kg``
    and ``fleet_volume_m3`` are the summed capacities of its road vehicles (used only by the
    fleet bound).
    """

    id: str
    stock: Mapping[str, int]
    windows: tuple[tuple[float, float], ...]
    loading_t_per_h: float
    tier: str = ""
    name: str = ""
    county: str = ""
    fleet_payload_kg: float = 0.0
    fleet_volume_m3: float = 0.0

    @property
    def start_h(self) -> float:
        """When loading can first start."""
        return self.windows[0][0] if self.windows else math.inf

    def capacity_t(self, until_h: float | NDArray[np.float64]) -> NDArray[np.float64]:
        """Tonnes loadable from the first window up to ``until_h``."""
        until = np.asarray(until_h, dtype=float)
        total = np.zeros_like(until)
        for a, b in self.windows:
            total += np.clip(until - a, 0.0, b - a)
        return self.loading_t_per_h * total

    def finish_h(self, start_h: float, tonnes: float) -> float:
        """When loading ``tonnes`` that cannot start before ``start_h`` is done."""
        left = tonnes / self.loading_t_per_h
        t = start_h
        for a, b in self.windows:
            if b <= t:
                continue
            t = max(t, a)
            if left <= b - t + 1e-12:
                return t + left
            left -= b - t
            t = b
        return math.inf


@dataclass(frozen=True, slots=True, eq=False)
class CheckProblem:
    """Everything the check needs, as plain data; ``travel_h[s, d]`` supply -> demand hours."""

    demands: tuple[DemandPoint, ...]
    supplies: tuple[SupplyPoint, ...]
    travel_h: NDArray[np.float64]
    catalogue: Catalogue
    targets_h: tuple[float, ...] = (10.0, 12.0)
    checkpoints_h: tuple[float, ...] = ()
    loading_step_h: float = 0.25
    unload_h: float = 0.5
    tier_penalty: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shape = (len(self.supplies), len(self.demands))
        if self.travel_h.shape != shape:
            raise DataError(
                f"travel_h has shape {self.travel_h.shape}, expected {shape}", field="travel_h"
            )
        if not self.targets_h:
            raise DataError(
                "at least one target is needed", field="targets", problem_zh="至少需要一个目标时限"
            )
        for t in self.targets_h:
            if not (isinstance(t, int | float) and math.isfinite(t) and t > 0):
                raise DataError(
                    f"targets must be positive hours, got {t!r}",
                    field="targets",
                    problem_zh="目标时限须为正的小时数",
                )
        known = set(self.catalogue.ids)
        for d in self.demands:
            for item in d.need:
                if item not in known:
                    raise DataError(f"unknown item {item!r}", record=d.id, field="need")

    @property
    def grid(self) -> tuple[float, ...]:
        """Sorted checkpoints: targets plus the extra checkpoints."""
        return tuple(sorted({*map(float, self.targets_h), *map(float, self.checkpoints_h)}))


@dataclass(frozen=True, slots=True)
class Shipment:
    """A quantity of one item from one depot to one point, with its times."""

    supply: str
    demand: str
    item: str
    quantity: float
    depart_h: float
    arrive_h: float


@dataclass(frozen=True, slots=True)
class Finding:
    """The binding reason a point is late for one target."""

    reason: Reason
    item: str | None = None
    quantity: float = 0.0


@dataclass(frozen=True, slots=True)
class PointOutcome:
    """What the plan achieves at one point."""

    id: str
    name: str
    county: str
    people: int
    hours_to_met: float | None
    group_hours: Mapping[str, float | None]
    met_by_target: Mapping[float, float]
    findings: Mapping[float, Finding]
    overflow: bool = False

    def status(self, target_h: float) -> str:
        """``met``, ``partial``, ``late`` (met later) or ``unmet`` for a target."""
        met = self.met_by_target.get(target_h, 0.0)
        if met >= self.people - 1e-6:
            return "met"
        if met > 1e-6:
            return "partial"
        return "late" if self.hours_to_met is not None else "unmet"


@dataclass(frozen=True, slots=True)
class TargetKPI:
    """People whose needs are all met by one target, overall, by county and by need group."""

    hours: float
    people_total: int
    people_met: float
    by_county: Mapping[str, tuple[int, float]]
    by_group: Mapping[str, float]
    binding: str

    @property
    def share_met(self) -> float:
        """Share of affected people met (1.0 when nobody is affected)."""
        return self.people_met / self.people_total if self.people_total else 1.0


@dataclass(frozen=True, slots=True)
class ItemBalance:
    """Need, stock and what the plan ships, for one item."""

    item: str
    need: int
    stock: int
    shipped: float


@dataclass(frozen=True, slots=True, eq=False)
class CheckResult:
    """The check's answer: KPIs per target, per-point outcomes and reasons, the plan."""

    status: str
    targets: tuple[TargetKPI, ...]
    points: tuple[PointOutcome, ...]
    shipments: tuple[Shipment, ...]
    everyone_met_h: float | None
    never_met: Mapping[str, int]
    items: tuple[ItemBalance, ...]
    fleet_aware: bool
    stats: Mapping[str, float]

    def target(self, hours: float) -> TargetKPI:
        """The KPI for ``hours``."""
        for t in self.targets:
            if abs(t.hours - hours) < 1e-9:
                return t
        raise KeyError(hours)


# ------------------------------------------------------------------------------------------
# Model construction
# ------------------------------------------------------------------------------------------


@dataclass
class _Vars:
    """Flat index arrays describing the shipment variables x[d, p, i, k]."""

    d: NDArray[np.int64]
    p: NDArray[np.int64]
    i: NDArray[np.int64]
    k: NDArray[np.int64]
    deadline: NDArray[np.float64]


def _shipment_vars(
    prob: CheckProblem,
    grid: NDArray[np.float64],
    need: NDArray[np.float64],
    stock: NDArray[np.float64],
) -> _Vars:
    handover = np.array([d.handover_h for d in prob.demands])
    ready = np.array([d.ready_h for d in prob.demands])
    # Loading deadline of a shipment s->p counted at checkpoint k.
    dl = grid[None, None, :] - handover[None, :, None] - prob.travel_h[:, :, None]
    ok = np.isfinite(dl) & ((ready + handover)[None, :, None] <= grid[None, None, :] + 1e-9)
    starts = np.array([s.start_h for s in prob.supplies])
    ok &= dl > starts[:, None, None] + 1e-9
    ok &= np.array([d.people > 0 for d in prob.demands])[None, :, None]
    s_idx, p_idx, k_idx = np.nonzero(ok)
    # Expand over items the point needs and the depot stocks.
    useful = (stock[s_idx, :] > 0) & (need[p_idx, :] > 0)
    rows, items = np.nonzero(useful)
    return _Vars(s_idx[rows], p_idx[rows], items, k_idx[rows], dl[s_idx, p_idx, k_idx][rows])


def _loading_buckets(
    prob: CheckProblem, v: _Vars
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Per variable, its loading bucket id; per bucket, its depot and its capacity (t)."""
    step = prob.loading_step_h
    bucket_time = np.floor(v.deadline / step + 1e-9) * step
    keys = np.stack([v.d, np.round(bucket_time / step).astype(np.int64)], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    depots = uniq[:, 0]
    caps = np.empty(len(uniq))
    for s in np.unique(depots):
        sel = depots == s
        caps[sel] = prob.supplies[int(s)].capacity_t(uniq[sel, 1] * step)
    return inverse.ravel(), depots, caps


@dataclass
class _Model:
    """The full LP: every candidate shipment column, rows fixed across column generation."""

    v: _Vars
    a: csc_matrix
    lb: NDArray[np.float64]
    ub: NDArray[np.float64]
    r_lb: NDArray[np.float64]
    r_ub: NDArray[np.float64]
    f0: int
    people: NDArray[np.float64]
    grid: NDArray[np.float64]
    need: NDArray[np.float64]
    stock: NDArray[np.float64]
    weight_t: NDArray[np.float64]
    penalty: NDArray[np.float64]

    @property
    def n_x(self) -> int:
        return len(self.v.d)

    @property
    def n_var(self) -> int:
        return int(self.a.shape[1])


def _build(prob: CheckProblem, fleet_aware: bool) -> _Model:
    cat = prob.catalogue
    items = cat.ids
    grid = np.array(prob.grid)
    n_s, n_d, n_i, n_k = len(prob.supplies), len(prob.demands), len(items), len(grid)
    need = np.array([[d.need.get(i, 0) for i in items] for d in prob.demands], dtype=float)
    need = need.reshape(n_d, n_i)
    stock = np.array([[s.stock.get(i, 0) for i in items] for s in prob.supplies], dtype=float)
    stock = stock.reshape(n_s, n_i)
    weight_t = np.array([cat.get(i).unit_weight_kg / 1000.0 for i in items])
    volume = np.array([cat.get(i).unit_volume_m3 for i in items])
    people = np.array([d.people for d in prob.demands], dtype=float)

    v = _shipment_vars(prob, grid, need, stock)
    n_x = len(v.d)
    bucket_of, bucket_depot, bucket_cap = _loading_buckets(prob, v)
    n_b = len(bucket_depot)
    # Variable layout: x (n_x) | f (n_d*n_k) people share met | g (n_d*n_i*n_k) cumulative
    # arrivals | c (n_b) cumulative loaded tonnes | h (2*n_s*n_k) fleet tonne-/m3-hours.
    f0 = n_x
    g0 = f0 + n_d * n_k
    c0 = g0 + n_d * n_i * n_k
    h0 = c0 + n_b
    n_var = h0 + (2 * n_s * n_k if fleet_aware else 0)
    lb = np.zeros(n_var)
    ub = np.concatenate(
        [np.full(n_x, np.inf), np.ones(n_d * n_k), np.repeat(need.ravel(), n_k), bucket_cap]
    )
    if fleet_aware:
        starts = np.array([s.start_h for s in prob.supplies])
        avail = np.clip(grid[None, :] - starts[:, None], 0.0, None)
        payload_t = np.array([s.fleet_payload_kg / 1000.0 for s in prob.supplies])
        vol = np.array([s.fleet_volume_m3 for s in prob.supplies])
        ub = np.concatenate(
            [ub, (payload_t[:, None] * avail).ravel(), (vol[:, None] * avail).ravel()]
        )

    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[NDArray[np.float64]] = []
    r_lb: list[NDArray[np.float64]] = []
    r_ub: list[NDArray[np.float64]] = []
    n_row = 0

    def block(
        r: NDArray[np.int64],
        c: NDArray[np.int64],
        val: NDArray[np.float64],
        lo: NDArray[np.float64],
        hi: NDArray[np.float64],
    ) -> None:
        nonlocal n_row
        rows.append(r + n_row)
        cols.append(c)
        vals.append(val)
        r_lb.append(lo)
        r_ub.append(hi)
        n_row += len(lo)

    x_idx = np.arange(n_x)
    # Stock: each unit used once.
    block(v.d * n_i + v.i, x_idx, np.ones(n_x), np.full(n_s * n_i, -np.inf), stock.ravel())
    # Cumulative arrivals g[p, i, k] = g[p, i, k-1] + shipments of class k; bounded by the need.
    g_idx = g0 + (v.p * n_i + v.i) * n_k + v.k
    cells = np.arange(n_d * n_i * n_k)
    has_prev = (cells % n_k) > 0
    block(
        np.concatenate([cells, cells[has_prev], g_idx - g0]),
        np.concatenate([g0 + cells, g0 + cells[has_prev] - 1, x_idx]),
        np.concatenate([np.ones(len(cells)), -np.ones(int(has_prev.sum())), -np.ones(n_x)]),
        np.zeros(len(cells)),
        np.zeros(len(cells)),
    )
    # Coverage: what has arrived by checkpoint k covers f[p, k] of every item's need.
    pp, _, kq = np.meshgrid(np.arange(n_d), np.arange(n_i), np.arange(n_k), indexing="ij")
    block(
        np.concatenate([cells, cells]),
        np.concatenate([g0 + cells, f0 + (pp * n_k + kq).ravel()]),
        np.concatenate([np.ones(len(cells)), -np.repeat(need.ravel(), n_k)]),
        np.zeros(len(cells)),
        np.full(len(cells), np.inf),
    )
    # Loading: cumulative tonnes c[b] = c[b-1] + tonnes due in bucket b (per depot, in time).
    order = np.lexsort((np.arange(n_b), bucket_depot))
    prev = np.full(n_b, -1)
    same = bucket_depot[order][1:] == bucket_depot[order][:-1]
    prev[order[1:][same]] = order[:-1][same]
    has_b = prev >= 0
    block(
        np.concatenate([np.arange(n_b), np.flatnonzero(has_b), bucket_of]),
        np.concatenate([c0 + np.arange(n_b), c0 + prev[has_b], x_idx]),
        np.concatenate([np.ones(n_b), -np.ones(int(has_b.sum())), -weight_t[v.i]]),
        np.zeros(n_b),
        np.zeros(n_b),
    )
    if fleet_aware:
        # Round-trip tonne-hours and m3-hours, cumulated over checkpoints like g.
        trip = 2.0 * prob.travel_h[v.d, v.p] + prob.unload_h
        cells_f = np.arange(n_s * n_k)
        prev_f = (cells_f % n_k) > 0
        for per_unit, col0 in ((weight_t, h0), (volume, h0 + n_s * n_k)):
            block(
                np.concatenate([cells_f, cells_f[prev_f], v.d * n_k + v.k]),
                np.concatenate([col0 + cells_f, col0 + cells_f[prev_f] - 1, x_idx]),
                np.concatenate(
                    [np.ones(len(cells_f)), -np.ones(int(prev_f.sum())), -per_unit[v.i] * trip]
                ),
                np.zeros(len(cells_f)),
                np.zeros(len(cells_f)),
            )
    a = csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_row, n_var)
    )
    a.sum_duplicates()
    penalty = np.array([prob.tier_penalty.get(prob.supplies[int(s)].tier, 0.0) for s in v.d])
    return _Model(
        v,
        a,
        lb,
        ub,
        np.concatenate(r_lb),
        np.concatenate(r_ub),
        f0,
        people,
        grid,
        need,
        stock,
        weight_t,
        penalty * weight_t[v.i] * TIER_WEIGHT,
    )


def _solve_lp(
    model: _Model,
    objective: NDArray[np.float64],
    extra: list[tuple[NDArray[np.float64], float]],
    active: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], float, NDArray[np.float64]]:
    """Solve with only the ``active`` shipment columns; return full values, optimum, duals."""
    keep = np.concatenate([np.flatnonzero(active), np.arange(model.n_x, model.n_var)])
    a = model.a[:, keep]
    r_lb, r_ub = model.r_lb, model.r_ub
    if extra:
        rows = np.vstack([row for row, _ in extra])[:, keep]
        a = vstack([a, csc_matrix(rows)], format="csc")
        r_lb = np.concatenate([r_lb, [lo for _, lo in extra]])
        r_ub = np.concatenate([r_ub, np.full(len(extra), np.inf)])
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(
        model.lb[keep],
        model.ub[keep],
        objective[keep],
        r_lb,  # type: ignore[arg-type]
        r_ub,  # type: ignore[arg-type]
        a.tocsr(),
    )
    helper.set_maximize(True)
    solver = mbh.ModelSolverHelper("glop")
    tic = time.perf_counter()
    solver.solve(helper)
    log.debug("LP %d x %d solved in %.2f s", a.shape[0], a.shape[1], time.perf_counter() - tic)
    status = solver.status()
    if status not in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE):
        raise InfeasibleError(f"the adequacy LP ended with status {status.name}")
    values = np.zeros(model.n_var)
    values[keep] = np.asarray(solver.variable_values(), dtype=float)
    duals = np.asarray(solver.dual_values(), dtype=float)[: model.a.shape[0]]
    return values, float(solver.objective_value()), duals


def _solve_stage(
    model: _Model,
    objective: NDArray[np.float64],
    extra: list[tuple[NDArray[np.float64], float]],
    active: NDArray[np.bool_],
    allowed: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], float, int]:
    """Column generation: add shipment columns with a positive reduced cost until none is left.

    The rows are the same for every column subset and the stage rows (earlier optima) touch
    no shipment column, so a column's reduced cost is its objective minus the row duals it
    meets. At the end no left-out column can improve the objective: the restricted optimum
    is the optimum of the full LP.
    """
    rounds = 0
    a_x = model.a[:, : model.n_x]
    use = active & allowed
    while True:
        rounds += 1
        values, best, duals = _solve_lp(model, objective, extra, use)
        if use.sum() == allowed.sum():
            active |= use
            return values, best, rounds
        reduced = objective[: model.n_x] - a_x.T @ duals
        enter = allowed & (~use) & (reduced > 1e-7)
        if not enter.any():
            active |= use
            return values, best, rounds
        use |= enter


def _initial_columns(prob: CheckProblem, model: _Model, per_point: int) -> NDArray[np.bool_]:
    """Start with each point's nearest depots and each depot's nearest points."""
    v = model.v
    travel = prob.travel_h
    n_s, n_d = travel.shape
    chosen = np.zeros((n_s, n_d), dtype=bool)
    k = min(per_point, n_s)
    near_s = np.argsort(travel, axis=0, kind="stable")[:k]
    chosen[near_s, np.arange(n_d)[None, :]] = True
    kd = min(max(1, per_point // 4), n_d)
    near_d = np.argsort(travel, axis=1, kind="stable")[:, :kd]
    chosen[np.arange(n_s)[:, None], near_d] = True
    return np.asarray(chosen[v.d, v.p], dtype=bool)


# ------------------------------------------------------------------------------------------
# Solve, schedule, explain
# ------------------------------------------------------------------------------------------


def check(
    problem: CheckProblem, *, fleet_aware: bool = False, initial_depots_per_point: int | None = None
) -> CheckResult:
    """Run the adequacy check; see the module docstring for the model.

    Parameters
    ----------
    problem
        Demands, supplies, travel hours and parameters.
    fleet_aware
        Also bound shipments by each depot's trucks (round trips x payload and volume).
    initial_depots_per_point
        With a number, column generation starts from each point's nearest depots and adds
        any other shipment that can improve the plan (this changes speed and memory, not the
        answer); with None every candidate shipment is in the LP from the start.
    """
    t0 = time.perf_counter()
    prob = problem
    model = _build(prob, fleet_aware)
    v, grid, people, f0 = model.v, model.grid, model.people, model.f0
    n_d, n_k = len(prob.demands), len(grid)
    t_build = time.perf_counter() - t0

    if initial_depots_per_point is None:
        active = np.ones(model.n_x, dtype=bool)
    else:
        active = _initial_columns(prob, model, initial_depots_per_point)
    extra: list[tuple[NDArray[np.float64], float]] = []
    rounds = 0
    targets = sorted(set(map(float, prob.targets_h)))
    values = np.zeros(model.n_var)
    for n, target in enumerate(targets):
        k = int(np.searchsorted(grid, target))
        obj = np.zeros(model.n_var)
        obj[f0 + np.arange(n_d) * n_k + k] = people
        for earlier in targets[:n]:
            # Keep earlier targets' people unless giving up a little gains far more here.
            obj[f0 + np.arange(n_d) * n_k + int(np.searchsorted(grid, earlier))] += (
                EARLIER_WEIGHT * people
            )
        if n == len(targets) - 1 and model.penalty.any():
            obj[: model.n_x] = -model.penalty
        # Shipments counted only after this target cannot help it: leave them out for now.
        allowed = v.k <= k
        for slack in LEXICOGRAPHIC_SLACK:
            stage = [(row, bound - slack) for row, bound in extra]
            try:
                values, _, r = _solve_stage(model, obj, stage, active, allowed)
                break
            except InfeasibleError:
                if slack == LEXICOGRAPHIC_SLACK[-1]:
                    raise
                log.info("stage for %s h: relaxing earlier targets by %s people", target, slack)
        rounds += r
        served = float(values[f0 + np.arange(n_d) * n_k + k] @ people)
        row = np.zeros(model.n_var)
        row[f0 + np.arange(n_d) * n_k + k] = people
        extra.append((row, served))
    t_solve = time.perf_counter() - t0 - t_build

    x = np.where(values[: model.n_x] > EPS, values[: model.n_x], 0.0)
    shipments, queue_end = _schedule(prob, v, x, model.weight_t)
    used = np.zeros_like(model.stock)
    np.add.at(used, (v.d, v.i), x)
    late = _complete(prob, model, shipments, used.copy(), queue_end)
    result = _explain(prob, model, used, shipments + late)
    stats = {
        "columns": float(model.n_x),
        "columns_used": float(active.sum()),
        "rows": float(model.a.shape[0]),
        "lp_solves": float(rounds),
        "build_s": t_build,
        "solve_s": t_solve,
        "total_s": time.perf_counter() - t0,
    }
    return CheckResult(
        status="optimal",
        targets=result["targets"],
        points=result["points"],
        shipments=tuple(shipments + late),
        everyone_met_h=result["everyone"],
        never_met=result["never"],
        items=result["items"],
        fleet_aware=fleet_aware,
        stats=stats,
    )


def _schedule(
    prob: CheckProblem, v: _Vars, x: NDArray[np.float64], weight_t: NDArray[np.float64]
) -> tuple[list[Shipment], NDArray[np.float64]]:
    """Load each depot's shipments earliest deadline first.

    Returns the shipments with departure and arrival times, and when each depot's loading
    queue is free again.
    """
    items = prob.catalogue.ids
    out: list[Shipment] = []
    queue = np.array([s.start_h for s in prob.supplies])
    used = np.flatnonzero(x > 0)
    for s in np.unique(v.d[used]):
        sup = prob.supplies[int(s)]
        mine = used[v.d[used] == s]
        mine = mine[np.lexsort((mine, v.deadline[mine]))]
        clock = sup.start_h
        for j in mine:
            clock = sup.finish_h(clock, float(weight_t[v.i[j]] * x[j]))
            arrive = clock + float(prob.travel_h[s, v.p[j]])
            out.append(
                Shipment(
                    sup.id,
                    prob.demands[int(v.p[j])].id,
                    items[int(v.i[j])],
                    float(x[j]),
                    clock,
                    arrive,
                )
            )
        queue[s] = clock
    return out, queue


def _complete(
    prob: CheckProblem,
    model: _Model,
    planned: list[Shipment],
    used: NDArray[np.float64],
    queue: NDArray[np.float64],
) -> list[Shipment]:
    """Serve what the targets' plan leaves unmet, greedily, after the last target.

    Needs are taken point by point (largest first); each item comes from the depots that can
    land it earliest given their loading queues, honouring tier preferences. This gives
    every point an estimated time to needs met without a larger LP; the figures at the
    targets are the LP's optimum, the times after them an upper bound of what is possible.
    """
    items = prob.catalogue.ids
    index = {d.id: j for j, d in enumerate(prob.demands)}
    got = np.zeros_like(model.need)
    for sh in planned:
        got[index[sh.demand], items.index(sh.item)] += sh.quantity
    left_need = np.maximum(model.need - got, 0.0)
    left_stock = np.maximum(model.stock - used, 0.0)
    penalty_t = np.array([prob.tier_penalty.get(s.tier, 0.0) for s in prob.supplies])
    out: list[Shipment] = []
    order = np.argsort(-np.array([d.people for d in prob.demands]), kind="stable")
    for j in order:
        if left_need[j].sum() <= EPS or prob.demands[j].people == 0:
            continue
        travel = prob.travel_h[:, j]
        for ii in np.flatnonzero(left_need[j] > EPS):
            while left_need[j, ii] > EPS:
                ok = (left_stock[:, ii] > EPS) & np.isfinite(travel) & np.isfinite(queue)
                if not ok.any():
                    break
                eta = np.where(ok, queue + travel + penalty_t, np.inf)
                s = int(np.argmin(eta))
                qty = float(min(left_need[j, ii], left_stock[s, ii]))
                sup = prob.supplies[s]
                done = sup.finish_h(float(queue[s]), qty * model.weight_t[ii])
                queue[s] = done
                left_stock[s, ii] -= qty
                left_need[j, ii] -= qty
                out.append(
                    Shipment(
                        sup.id,
                        prob.demands[j].id,
                        items[int(ii)],
                        qty,
                        done,
                        done + float(travel[s]),
                    )
                )
    return out


def _met_time(arrivals: list[tuple[float, float]], need: float) -> float | None:
    """When cumulative arrivals first reach ``need`` (None if never)."""
    if need <= EPS:
        return 0.0
    total = 0.0
    for t, q in sorted(arrivals):
        total += q
        if total >= need * (1 - 1e-7) - EPS:
            return t
    return None


def _explain(
    prob: CheckProblem, model: _Model, used_stock: NDArray[np.float64], shipments: list[Shipment]
) -> dict[str, Any]:
    cat = prob.catalogue
    items = cat.ids
    need, stock = model.need, model.stock
    targets = sorted(set(map(float, prob.targets_h)))
    index = {d.id: j for j, d in enumerate(prob.demands)}
    arrivals: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for sh in shipments:
        arrivals.setdefault((index[sh.demand], items.index(sh.item)), []).append(
            (sh.arrive_h, sh.quantity)
        )
    starts = np.array([s.start_h for s in prob.supplies])

    points: list[PointOutcome] = []
    never: dict[str, int] = {}
    for j, dem in enumerate(prob.demands):
        item_times: dict[str, float | None] = {}
        for ii, item in enumerate(items):
            if need[j, ii] > 0:
                item_times[item] = _met_time(arrivals.get((j, ii), []), need[j, ii])

        def done(ts: list[float | None], dem: DemandPoint = dem) -> float | None:
            if any(t is None for t in ts):
                return None
            last = max([0.0, *[t for t in ts if t is not None]])
            return max(dem.ready_h, last) + dem.handover_h

        met_h = done(list(item_times.values())) if dem.people > 0 else 0.0
        groups = {
            g.value: done([item_times[i.id] for i in cat.in_group(g) if i.id in item_times])
            for g in NeedGroup
        }
        met_by: dict[float, float] = {}
        findings: dict[float, Finding] = {}
        for target in targets:
            frac = _fraction_by(dem, need[j], items, arrivals, j, target)
            met_by[target] = frac * dem.people
            if frac < 1 - 1e-6 and dem.people > 0:
                findings[target] = _reason(
                    prob, j, target, need[j], stock, used_stock, starts, arrivals
                )
        if met_h is None and dem.people > 0:
            reason = _reason(
                prob, j, math.inf, need[j], stock, used_stock, starts, arrivals
            ).reason.value
            never[reason] = never.get(reason, 0) + dem.people
        points.append(
            PointOutcome(
                dem.id,
                dem.name,
                dem.county,
                dem.people,
                met_h,
                groups,
                met_by,
                findings,
                dem.overflow,
            )
        )

    kpis: list[TargetKPI] = []
    total = sum(d.people for d in prob.demands)
    for target in targets:
        by_county: dict[str, tuple[int, float]] = {}
        for pt in points:
            tot, met = by_county.get(pt.county, (0, 0.0))
            by_county[pt.county] = (tot + pt.people, met + pt.met_by_target[target])
        by_group = {
            g: sum(pt.people for pt in points if _met_by(pt.group_hours[g], target))
            for g in (ng.value for ng in NeedGroup)
        }
        reasons = [pt.findings[target].reason for pt in points if target in pt.findings]
        binding = _binding(reasons)
        kpis.append(
            TargetKPI(
                target,
                total,
                sum(pt.met_by_target[target] for pt in points),
                by_county,
                {g: float(n) for g, n in by_group.items()},
                binding,
            )
        )
    times = [pt.hours_to_met for pt in points if pt.people > 0]
    known = [t for t in times if t is not None]
    everyone = (max(known) if known else 0.0) if len(known) == len(times) else None
    shipped = dict.fromkeys(items, 0.0)
    for sh in shipments:
        shipped[sh.item] += sh.quantity
    balance = tuple(
        ItemBalance(item, int(need[:, ii].sum()), int(stock[:, ii].sum()), shipped[item])
        for ii, item in enumerate(items)
    )
    return {
        "targets": tuple(kpis),
        "points": tuple(points),
        "everyone": everyone,
        "never": never,
        "items": balance,
    }


def _met_by(hours: float | None, target: float) -> bool:
    return hours is not None and hours <= target + 1e-9


def _fraction_by(
    dem: DemandPoint,
    need: NDArray[np.float64],
    items: tuple[str, ...],
    arrivals: dict[tuple[int, int], list[tuple[float, float]]],
    j: int,
    target: float,
) -> float:
    """Share of a point's people whose every need has arrived and been handed out by target."""
    if dem.people == 0:
        return 1.0
    if dem.ready_h + dem.handover_h > target + 1e-9:
        return 0.0
    frac = 1.0
    for ii in np.flatnonzero(need > 0):
        got = sum(
            q for t, q in arrivals.get((j, int(ii)), []) if t + dem.handover_h <= target + 1e-6
        )
        frac = min(frac, got / need[ii])
    return float(min(max(frac, 0.0), 1.0))


def _binding(reasons: list[Reason]) -> str:
    """What limits the people met by a target: none, stock, or time (travel and loading)."""
    if not reasons:
        return "none"
    if Reason.STOCK_SHORTFALL in reasons:
        return "stock"
    return "time"


def _reason(
    prob: CheckProblem,
    j: int,
    target: float,
    need: NDArray[np.float64],
    stock: NDArray[np.float64],
    used: NDArray[np.float64],
    starts: NDArray[np.float64],
    arrivals: dict[tuple[int, int], list[tuple[float, float]]],
) -> Finding:
    """The binding reason point ``j`` is not fully met by ``target``."""
    dem = prob.demands[j]
    travel = prob.travel_h[:, j]
    if dem.overflow:
        return Finding(Reason.SHELTER_OVER_CAPACITY)
    if not np.isfinite(travel).any():
        return Finding(Reason.UNREACHABLE)
    if dem.ready_h + dem.handover_h > target:
        return Finding(Reason.EVACUATION_LATE)
    # Supplies that could deliver something in time if they had the stock and no queue.
    in_time = starts + travel + dem.handover_h <= target + 1e-9
    if not in_time.any():
        return Finding(Reason.TOO_FAR)
    items = prob.catalogue.ids
    reachable = np.isfinite(travel)
    rank = {Reason.STOCK_SHORTFALL: 0, Reason.UNREACHABLE: 1, Reason.TOO_FAR: 2}
    worst: Finding | None = None
    for ii in np.flatnonzero(need > 0):
        got = sum(
            q for t, q in arrivals.get((j, int(ii)), []) if t + dem.handover_h <= target + 1e-6
        )
        short = need[ii] - got
        if short <= need[ii] * 1e-6 + EPS:
            continue
        left = stock[:, ii] - used[:, ii]
        has = left > EPS
        if left.sum() < short - EPS:
            finding = Finding(Reason.STOCK_SHORTFALL, items[int(ii)], float(short))
        elif not (has & reachable).any():
            # The stock exists, but only where the flood cuts this place off from it.
            finding = Finding(Reason.UNREACHABLE, items[int(ii)], float(short))
        elif not (has & in_time).any():
            finding = Finding(Reason.TOO_FAR, items[int(ii)], float(short))
        else:
            continue
        if worst is None or (rank[finding.reason], -finding.quantity) < (
            rank[worst.reason],
            -worst.quantity,
        ):
            worst = finding
    if worst is not None:
        return worst
    # Depots that could deliver in time have the stock: their loading queues (or, under the
    # fleet bound, their trucks) are what stops them. The report tells the two apart by
    # comparing the plans with and without the fleet bound.
    return Finding(Reason.DISPATCH_CAPACITY)

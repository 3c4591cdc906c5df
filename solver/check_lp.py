"""The relief-check LP: shipment columns, rows, lexicographic stages (OR-Tools GLOP).

Columns are shipments x[depot, point, item, checkpoint class]: a unit counted from
checkpoint ``t`` must finish loading by ``t - handover - travel``. Rows: each stock unit used
once; cumulative arrivals per point, item and checkpoint; the share of a point's people met
(``f``) is covered by every item; each depot's cumulative loading by each deadline (EDF,
deadlines rounded down to ``loading_step_h``); optionally, each depot's fleet tonne-hours
and m3-hours. The LP is built from sparse arrays in one call (``fill_model_from_sparse_data``)
because building it variable by variable in Python took longer than solving it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.sparse import csc_matrix, vstack

from solver.check_types import CheckProblem
from solver.errors import InfeasibleError

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


@dataclass
class ShipmentVars:
    """Flat index arrays describing the shipment variables x[d, p, i, k]."""

    d: NDArray[np.int64]
    p: NDArray[np.int64]
    i: NDArray[np.int64]
    k: NDArray[np.int64]
    deadline: NDArray[np.float64]


def shipment_vars(
    prob: CheckProblem,
    grid: NDArray[np.float64],
    need: NDArray[np.float64],
    stock: NDArray[np.float64],
) -> ShipmentVars:
    """Every candidate shipment column: depot, point, item, checkpoint class, deadline."""
    handover = np.array([d.handover_h for d in prob.demands])
    ready = np.array([d.ready_h for d in prob.demands])
    # Loading deadline of a shipment s->p counted at checkpoint k.
    dl = grid[None, None, :] - handover[None, :, None] - prob.travel_h[:, :, None]
    ok = np.isfinite(dl) & ((ready + handover)[None, :, None] <= grid[None, None, :] + 1e-9)
    starts = np.array([s.start_h for s in prob.supplies])
    ok &= dl > starts[:, None, None] + 1e-9
    ok &= np.array([d.people > 0 for d in prob.demands])[None, :, None]
    if prob.max_depots_per_point is not None and prob.max_depots_per_point < len(prob.supplies):
        ok &= candidates(prob, starts, need, stock)[:, :, None]
    s_idx, p_idx, k_idx = np.nonzero(ok)
    # Expand over items the point needs and the depot stocks.
    useful = (stock[s_idx, :] > 0) & (need[p_idx, :] > 0)
    rows, items = np.nonzero(useful)
    return ShipmentVars(s_idx[rows], p_idx[rows], items, k_idx[rows], dl[s_idx, p_idx, k_idx][rows])


def candidates(
    prob: CheckProblem,
    starts: NDArray[np.float64],
    need: NDArray[np.float64],
    stock: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """Per point, the depots that arrive first, until there are enough of them and enough.

    Each depot counts with what it alone could land there by the last target: its stock, or
    its loading by the deadline, whichever is less.
    """
    weight = np.array([prob.catalogue.get(i).unit_weight_kg for i in prob.catalogue.ids]) / 1e3
    stock_t = stock @ weight
    need_t = need @ weight
    handover = np.array([d.handover_h for d in prob.demands])
    deadline = max(prob.targets_h) - handover[None, :] - prob.travel_h
    rates = np.array([s.loading_t_per_h for s in prob.supplies])
    deliverable = np.minimum(
        stock_t[:, None], rates[:, None] * np.clip(deadline - starts[:, None], 0.0, None)
    )
    deliverable = np.where(np.isfinite(deliverable), deliverable, 0.0)
    earliest = starts[:, None] + prob.travel_h
    order = np.argsort(earliest, axis=0, kind="stable")
    cols = np.broadcast_to(np.arange(earliest.shape[1])[None, :], order.shape)
    ranked = deliverable[order, cols]
    k_min = int(prob.max_depots_per_point or 0)
    rank = np.arange(len(prob.supplies))[:, None]
    # Keep a depot while the ones before it do not yet cover the need (or are too few).
    before = np.cumsum(ranked, axis=0) - ranked
    take = (rank < k_min) | (before < prob.candidate_cover * need_t[None, :])
    keep = np.zeros(earliest.shape, dtype=bool)
    keep[order[take], cols[take]] = True
    return keep & np.isfinite(earliest)


def loading_buckets(
    prob: CheckProblem, v: ShipmentVars
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
class LPModel:
    """The full LP: every candidate shipment column, rows fixed across column generation."""

    v: ShipmentVars
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
        """Number of shipment columns."""
        return len(self.v.d)

    @property
    def n_var(self) -> int:
        """Number of columns in all."""
        return int(self.a.shape[1])


def build_model(prob: CheckProblem, fleet_aware: bool) -> LPModel:
    """The full LP of one problem (or independent group) as sparse arrays."""
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

    v = shipment_vars(prob, grid, need, stock)
    n_x = len(v.d)
    bucket_of, bucket_depot, bucket_cap = loading_buckets(prob, v)
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
    return LPModel(
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


def solve_lp(
    model: LPModel,
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


def solve_stage(
    model: LPModel,
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
        values, best, duals = solve_lp(model, objective, extra, use)
        if use.sum() == allowed.sum():
            active |= use
            return values, best, rounds
        reduced = objective[: model.n_x] - a_x.T @ duals
        enter = allowed & (~use) & (reduced > 1e-7)
        if not enter.any():
            active |= use
            return values, best, rounds
        use |= enter


def initial_columns(prob: CheckProblem, model: LPModel, per_point: int) -> NDArray[np.bool_]:
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


def solve_targets(
    prob: CheckProblem, fleet_aware: bool, initial_depots_per_point: int | None
) -> tuple[NDArray[np.float64], ShipmentVars, LPModel, dict[str, float]]:
    """Solve the lexicographic stages for one independent group; return the shipments x."""
    t0 = time.perf_counter()
    model = build_model(prob, fleet_aware)
    v, grid, people, f0 = model.v, model.grid, model.people, model.f0
    n_d, n_k = len(prob.demands), len(grid)
    t_build = time.perf_counter() - t0
    if initial_depots_per_point is None:
        active = np.ones(model.n_x, dtype=bool)
    else:
        active = initial_columns(prob, model, initial_depots_per_point)
    extra: list[tuple[NDArray[np.float64], float]] = []
    rounds = 0
    targets = sorted(set(map(float, prob.targets_h)))
    values = np.zeros(model.n_var)
    lp_served: dict[str, float] = {}
    for n, target in enumerate(targets):
        k = int(np.searchsorted(grid, target))
        obj = np.zeros(model.n_var)
        obj[f0 + np.arange(n_d) * n_k + k] = people
        for earlier in targets[:n]:
            # Keep earlier targets' people rather than drift within the slack.
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
                values, _, r = solve_stage(model, obj, stage, active, allowed)
                break
            except InfeasibleError:
                if slack == LEXICOGRAPHIC_SLACK[-1]:
                    raise
                log.info("stage for %s h: relaxing earlier targets by %s people", target, slack)
        rounds += r
        served = float(values[f0 + np.arange(n_d) * n_k + k] @ people)
        lp_served[f"lp_people_met_{target:g}h"] = served
        row = np.zeros(model.n_var)
        row[f0 + np.arange(n_d) * n_k + k] = people
        extra.append((row, served))
    x = np.where(values[: model.n_x] > EPS, values[: model.n_x], 0.0)
    stats = {
        "columns": float(model.n_x),
        "rows": float(model.a.shape[0]),
        "lp_solves": float(rounds),
        "build_s": t_build,
        "solve_s": time.perf_counter() - t0 - t_build,
        **lp_served,
    }
    return x, v, model, stats

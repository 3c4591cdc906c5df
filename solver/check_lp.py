"""The relief check's bound at one target: a linear programme over shipments and truck trips.

The LP relaxes every plan that obeys the dispatch rules (:mod:`solver.loading` for depots,
:mod:`solver.met` for "met"), so its optimum is an upper bound on the people any such plan
meets by the target ``T``. Each target is solved on its own: the most people by 12 h may need
another plan than the most by 10 h. Columns, for each depot ``s``, road vehicle class ``c``
and demand ``p`` a truck of that class can serve in time:

* ``x[s, p, i]`` units of item ``i`` shipped;
* ``y[s, c, p]`` truck trips (fractional); their tonnes and cubic metres are the pair's
  shipments, or the pair's own split columns where the depot has several classes for it.

Rows, and why each holds for every plan:

* **stock**: each unit is shipped once;
* **met**: the share ``f[p]`` of a demand's people met by ``T`` is covered by every item (the
  definition in :mod:`solver.met`);
* **truckloads**: a trip carries at most its class's payload and volume; a multi-stop trip is
  split between its stops in proportion to their loads, which is why trips are fractional;
* **one load, one bay**: a truckload is loaded at one bay at the bay's rate after its dock
  time, so it holds at most what one bay loads by its loading deadline
  ``D = T - handover - travel``;
* **bays**: the truckloads due by each deadline ``D`` take their dock time plus tonnes at the
  bay's rate, and the depot's bays have ``bays x open hours`` up to ``D`` (left out where a
  depot has at least as many bays as trucks: a truck, which is at its bay while loaded, then
  never waits for one);
* **trucks**: a truck's trips are made one after another. Of the trips due to arrive by ``A``,
  each truck's last one needs only its loading and drive out before ``A``; all others also
  unload and drive back. Summed over a class's trucks: loading, driving, unloading and
  returning of all those trips, minus one (unload + drive back) per truck, fit in ``trucks x
  (A - start)``. The waiver is exact: the ``trucks`` trips with the longest unload and
  return, as far as the solution makes them (a fractional knapsack, stated by
  :class:`Waiver` rows added as needed), so a slower road never raises the bound.

A multi-stop trip's drive is at least each stop's share of its out-and-back drive by the
triangle inequality of shortest paths, so splitting trips between stops only relaxes; so do
deadlines rounded up to :data:`BUCKET_H`. Not counted (so the bound holds for plans that
ignore them too): crew shifts, the number of trips per truck, boat and helicopter capacity,
receiving hours.

The bays' and trucks' rows are many and few of them bind, so they are added as they are
found violated (row generation): the LP without them is solved, the rows its solution breaks
are added, and so on until none is broken; the optimum is then the full LP's.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.sparse import csr_matrix, diags, vstack

from solver.check_types import CheckProblem
from solver.errors import InfeasibleError, SolverError
from solver.units import hours_to_seconds, seconds_to_hours

log = logging.getLogger(__name__)

#: Quantities below this are treated as zero when reading the LP solution.
EPS = 1e-6
#: Weight of a tier preference per tonne, relative to one person met.
TIER_WEIGHT = 1e-4
#: Resolution of the bays' and trucks' deadlines (rounded up, which only relaxes), hours.
BUCKET_H = 0.25
#: LP solvers tried in turn when one ends abnormally (numerical trouble is not infeasibility).
LP_SOLVERS = ("glop", "highs", "pdlp")
#: A row counts as broken when its activity exceeds its bound by more than this.
VIOLATION = 1e-6
#: Waiver cuts added with the one a solution breaks: at these offsets among its bucket's
#: distinct unload-and-return times (fewer rounds of row generation).
NEAR_LEVELS = (-8, -4, -2, -1, 0, 1, 2, 4, 8)
#: Row generation stops after this many rounds (the last solution is still optimal for the
#: rows it has; a bound found with rows missing is still a valid upper bound).
MAX_ROUNDS = 50


class Family(IntEnum):
    """Which rule a row states."""

    CORE = 0
    STOCK = 1
    BAYS = 2
    TRUCKS = 3


@dataclass(frozen=True, slots=True)
class Relax:
    """Families of rules left out (all False: the bound itself)."""

    loading: bool = False
    fleet: bool = False
    stock: bool = False
    roads: bool = False

    @property
    def name(self) -> str:
        """The family relaxed ("" for none)."""
        return next((n for n in ("loading", "fleet", "stock", "roads") if getattr(self, n)), "")


#: No family of rules left out: the bound itself.
NO_RELAX = Relax()


@dataclass(frozen=True)
class TripCols:
    """Candidate trip columns (depot, class, demand) at one target and their times."""

    s: NDArray[np.int64]
    c: NDArray[np.int64]
    p: NDArray[np.int64]
    arrive_by: NDArray[np.float64]
    load_by: NDArray[np.float64]
    drive: NDArray[np.float64]
    back: NDArray[np.float64]
    max_t: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.s)


def trip_cols(
    prob: CheckProblem,
    target: float,
    relax: Relax = NO_RELAX,
    pairs: NDArray[np.bool_] | None = None,
) -> TripCols:
    """Every (depot, class, demand) whose trucks could deliver in time for ``target``.

    ``pairs[s, p]`` restricts the depots considered per demand (pruning).
    """
    n_c, n_s, _ = prob.arrive_h.shape
    handover = np.array([d.handover_h for d in prob.demands], dtype=float)
    ready = np.array([d.ready_h for d in prob.demands], dtype=float)
    people = np.array([d.people > 0 for d in prob.demands], dtype=bool)
    arrive, drive, back = prob.arrive_h, prob.out_h, prob.back_h
    if relax.roads:
        arrive = np.where(np.isfinite(arrive), 0.0, np.inf)
        drive = np.where(np.isfinite(drive), 0.0, np.inf)
        back = np.where(np.isfinite(back), 0.0, np.inf)
    has = np.array(
        [[s.trucks(c) is not None for s in prob.supplies] for c in prob.classes], dtype=bool
    ).reshape(n_c, n_s)
    starts = np.array([s.start_h for s in prob.supplies], dtype=float)
    ok = has[:, :, None] & np.isfinite(arrive) & np.isfinite(back) & people[None, None, :]
    if pairs is not None:
        ok &= pairs[None, :, :]
    cc, ss, pp = np.nonzero(ok)
    a_by = target - handover[pp]
    d_by = a_by - arrive[cc, ss, pp]
    fine = (ready[pp] + handover[pp] <= target + 1e-9) & (d_by > starts[ss] + 1e-9)
    max_t = np.array(
        [
            prob.supplies[int(s)].dock.max_tonnes(float(d)) if f else 0.0
            for s, d, f in zip(ss, d_by, fine, strict=True)
        ]
    )
    fine &= max_t > 1e-9
    return TripCols(
        ss[fine].astype(np.int64),
        cc[fine].astype(np.int64),
        pp[fine].astype(np.int64),
        a_by[fine].astype(float),
        d_by[fine].astype(float),
        drive[cc, ss, pp][fine].astype(float),
        back[cc, ss, pp][fine].astype(float),
        max_t[fine].astype(float),
    )


@dataclass(frozen=True)
class Waiver:
    """The trucks' rows with returns, and what their last-trip waiver is made of.

    Row ``rows[k]`` counts the trips of bucket ``member[k]`` (a depot's class, trips due to
    arrive by a time) with their unloading and drive back, and allows ``count[k]`` trucks'
    last trips to skip theirs: at most ``count[k] x lam + sum_t y[t] x max(0, back[t] - lam)``
    for any ``lam >= 0`` (``back[t]``: trip t's unload plus drive back), the knapsack's
    bound. The precomputed row takes ``lam`` = the largest ``back``; :func:`waiver_cuts`
    adds the ``lam`` a solution needs, so the optimum holds the exact waiver and the bound
    never rises when a road gets slower.
    """

    rows: NDArray[np.int64]
    member: csr_matrix
    count: NDArray[np.float64]
    base: NDArray[np.float64]
    back: NDArray[np.float64]


@dataclass
class LPModel:
    """The LP as sparse arrays, with the column layout needed to read it.

    A trip's tonnes and cubic metres are expressions over columns (``tonnes`` and ``m3``,
    one row per trip): where a pair (depot, demand) has a single trip column they are the
    pair's shipments themselves; where the depot has several classes for it, the pair's goods
    are split between the classes' own tonnes and m3 columns.
    """

    target: float
    trips: TripCols
    #: (depot, demand) of each pair; trips and shipments refer to a pair.
    pair_s: NDArray[np.int64]
    pair_p: NDArray[np.int64]
    trip_pair: NDArray[np.int64]
    #: shipment columns: pair and item (-1: a person-kit), and units of each item per column
    x_pair: NDArray[np.int64]
    x_item: NDArray[np.int64]
    coef: csr_matrix
    a: csr_matrix
    lb: NDArray[np.float64]
    ub: NDArray[np.float64]
    r_lb: NDArray[np.float64]
    r_ub: NDArray[np.float64]
    #: the rule each row states, the depot it is about (-1: none) and its deadline (hours)
    family: NDArray[np.int64]
    depot: NDArray[np.int64]
    when: NDArray[np.float64]
    f0: int
    y0: int
    tonnes: csr_matrix
    m3: csr_matrix
    objective: NDArray[np.float64]
    waiver: Waiver | None = None

    def add_rows(
        self,
        a: csr_matrix,
        hi: NDArray[np.float64],
        family: Family,
        depot: NDArray[np.int64],
        when: NDArray[np.float64],
    ) -> NDArray[np.int64]:
        """Append rows ``a @ v <= hi``; return their indices."""
        first = self.a.shape[0]
        self.a = csr_matrix(vstack([self.a, a], format="csr"))
        self.r_lb = np.concatenate([self.r_lb, np.full(len(hi), -np.inf)])
        self.r_ub = np.concatenate([self.r_ub, hi])
        self.family = np.concatenate([self.family, np.full(len(hi), int(family))])
        self.depot = np.concatenate([self.depot, depot])
        self.when = np.concatenate([self.when, when])
        return np.arange(first, first + len(hi), dtype=np.int64)

    def values_y(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """The trip columns of a solution."""
        return values[self.y0 : self.y0 + self.n_t]

    @property
    def n_x(self) -> int:
        """Number of shipment columns."""
        return len(self.x_pair)

    @property
    def n_t(self) -> int:
        """Number of trip columns."""
        return len(self.trips)

    @property
    def n_var(self) -> int:
        """Number of columns in all."""
        return int(self.a.shape[1])


class _Rows:
    """Collects sparse row blocks with their bounds, rule and depot."""

    def __init__(self, n_var: int) -> None:
        self.blocks: list[csr_matrix] = []
        self.lo: list[NDArray[np.float64]] = []
        self.hi: list[NDArray[np.float64]] = []
        self.family: list[NDArray[np.int64]] = []
        self.depot: list[NDArray[np.int64]] = []
        self.when: list[NDArray[np.float64]] = []
        self.n_var = n_var

    def add(
        self,
        m: csr_matrix,
        lo: NDArray[np.float64],
        hi: NDArray[np.float64],
        family: Family,
        depot: NDArray[np.int64] | None = None,
        when: NDArray[np.float64] | None = None,
    ) -> None:
        n = m.shape[0]
        self.blocks.append(csr_matrix(m))
        self.lo.append(np.asarray(lo, dtype=float))
        self.hi.append(np.asarray(hi, dtype=float))
        self.family.append(np.full(n, int(family), dtype=np.int64))
        self.depot.append(np.full(n, -1, dtype=np.int64) if depot is None else depot)
        self.when.append(np.full(n, np.nan) if when is None else np.asarray(when, dtype=float))

    @property
    def n_rows(self) -> int:
        """Rows added so far."""
        return sum(b.shape[0] for b in self.blocks)

    def coo(
        self,
        r: NDArray[np.int64],
        c: NDArray[np.int64],
        v: NDArray[np.float64],
        lo: NDArray[np.float64],
        hi: NDArray[np.float64],
        family: Family,
        depot: NDArray[np.int64] | None = None,
    ) -> None:
        m = csr_matrix((np.asarray(v, float), (r, c)), shape=(len(lo), self.n_var))
        self.add(m, lo, hi, family, depot)


def _buckets(
    group: NDArray[np.int64], when: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], csr_matrix]:
    """Cumulative buckets per group over time, and which items each bucket counts.

    Buckets are the distinct (group, time) pairs of the items, times rounded up to
    :data:`BUCKET_H` (later deadlines only relax). Returns each bucket's group and time and a
    0/1 matrix (buckets x items): a bucket counts every item of its group due no later.
    """
    t_up = np.ceil(when / BUCKET_H - 1e-9) * BUCKET_H
    keys = np.stack([group, np.round(hours_to_seconds(t_up)).astype(np.int64)], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = np.asarray(inverse, dtype=np.int64).ravel()
    b_group = uniq[:, 0]
    ends = np.searchsorted(b_group, b_group, side="right")
    counts = ends[inverse] - inverse
    rep = np.repeat(np.arange(len(inverse)), counts)
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    member = csr_matrix(
        (np.ones(len(rep)), (inverse[rep] + offset, rep)), shape=(len(uniq), len(inverse))
    )
    return b_group, seconds_to_hours(uniq[:, 1]), member


def _running_max(
    group: NDArray[np.int64], when: NDArray[np.float64], value: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per item, the largest ``value`` among items of its group due no later."""
    order = np.lexsort((when, group))
    g, v = group[order], value[order]
    rank = np.concatenate([[0], np.cumsum(g[1:] != g[:-1])]).astype(float)
    low = float(v.min()) if len(v) else 0.0
    span = float(v.max() - low + 1.0) if len(v) else 1.0
    run = np.maximum.accumulate(rank * span + (v - low)) - rank * span + low
    out = np.empty_like(value)
    out[order] = run
    return out


def _fleet_of(prob: CheckProblem, tc: TripCols, what: str) -> NDArray[np.float64]:
    """Per trip column, an attribute of its depot's trucks of its class."""
    out = np.empty(len(tc))
    for n, (s, c) in enumerate(zip(tc.s, tc.c, strict=True)):
        f = prob.supplies[int(s)].trucks(prob.classes[int(c)])
        assert f is not None  # trip columns exist only where the depot has the class
        out[n] = float(getattr(f, what))
    return out


def build_model(
    prob: CheckProblem,
    target: float,
    relax: Relax = NO_RELAX,
    pairs: NDArray[np.bool_] | None = None,
    *,
    kits: bool = False,
    floor: Mapping[tuple[str, str], float] | None = None,
) -> LPModel:
    """The LP of one problem (or independent group) at ``target``, as sparse arrays.

    ``kits``: ship whole person-kits (every item in the demand's proportion) instead of
    items one by one. That is a restriction, not the bound: dispatch allocates with it,
    because a truckload of complete kits is what a plan can really send. ``floor``: with
    kits, at least this many person-kits per (depot id, demand id) pair, e.g. what an
    allocation for an earlier target already sends (its trips then count here too).
    """
    cat = prob.catalogue
    items = cat.ids
    n_s, n_d, n_i = len(prob.supplies), len(prob.demands), len(items)
    need = np.array([[d.need.get(i, 0) for i in items] for d in prob.demands], dtype=float)
    need = need.reshape(n_d, n_i)
    stock = np.array([[s.stock.get(i, 0) for i in items] for s in prob.supplies], dtype=float)
    stock = stock.reshape(n_s, n_i)
    weight_t = np.array([cat.get(i).unit_weight_kg / 1000.0 for i in items])
    volume = np.array([cat.get(i).unit_volume_m3 for i in items])
    people = np.array([d.people for d in prob.demands], dtype=float)

    tc = trip_cols(prob, target, relax, pairs)
    n_t = len(tc)
    pkey = np.stack([tc.s, tc.p], axis=1) if n_t else np.zeros((0, 2), np.int64)
    pair_keys, trip_pair = (
        np.unique(pkey, axis=0, return_inverse=True)
        if n_t
        else (np.zeros((0, 2), np.int64), np.zeros(0, np.int64))
    )
    trip_pair = np.asarray(trip_pair, dtype=np.int64).ravel()
    pair_s, pair_p = pair_keys[:, 0].astype(np.int64), pair_keys[:, 1].astype(np.int64)
    if kits:
        # One column per pair: person-kits, each the demand's need per person of every item.
        per_person = need / np.maximum(people, 1.0)[:, None]
        fit = np.all((stock[pair_s, :] > 0) | (need[pair_p, :] <= 0), axis=1)
        x_pair = np.flatnonzero(fit).astype(np.int64)
        x_item = np.full(len(x_pair), -1, dtype=np.int64)
        coef = csr_matrix(per_person[pair_p[x_pair]])
    else:
        useful = (stock[pair_s, :] > 0) & (need[pair_p, :] > 0)
        x_pair, x_item = (a.astype(np.int64) for a in np.nonzero(useful))
        coef = csr_matrix(
            (np.ones(len(x_pair)), (np.arange(len(x_pair)), x_item)), shape=(len(x_pair), n_i)
        )
    n_x, n_q = len(x_pair), len(pair_s)
    split = np.bincount(trip_pair, minlength=n_q)[trip_pair] > 1
    n_split = int(split.sum())

    # Column layout: x | f (n_d) | y (n_t) | tonnes, m3 of split trips.
    f0 = n_x
    y0 = f0 + n_d
    z0 = y0 + n_t
    w0 = z0 + n_split
    n_var = w0 + n_split
    rows = _Rows(n_var)
    x_idx = np.arange(n_x)
    t_idx = np.arange(n_t)
    xs, xp = pair_s[x_pair], pair_p[x_pair]

    # Stock: each unit shipped once.
    cx = coef.tocoo()
    rows.coo(
        xs[cx.row] * n_i + cx.col,
        cx.row,
        cx.data,
        np.full(n_s * n_i, -np.inf),
        np.full(n_s * n_i, np.inf) if relax.stock else stock.ravel(),
        Family.STOCK,
        np.repeat(np.arange(n_s), n_i),
    )
    # Met: what arrives covers f[p] of every item's need (and no more than the need is
    # sent: more would meet nobody more).
    cells = np.arange(n_d * n_i)
    rows.coo(
        np.concatenate([xp[cx.row] * n_i + cx.col, cells]),
        np.concatenate([cx.row, f0 + cells // n_i]),
        np.concatenate([cx.data, -need.ravel()]),
        np.zeros(len(cells)),
        np.full(len(cells), np.inf),
        Family.CORE,
    )
    rows.coo(
        xp[cx.row] * n_i + cx.col,
        cx.row,
        cx.data,
        np.full(len(cells), -np.inf),
        need.ravel(),
        Family.CORE,
    )
    # Each trip's tonnes and m3: a lone trip carries its pair's shipments; a split pair's
    # shipments are shared out to its trips' own columns.
    lone = ~split
    z_col = np.full(n_t, -1)
    z_col[split] = np.arange(n_split)
    expr = []
    for per_unit, col0 in ((weight_t, z0), (volume, w0)):
        by_pair = csr_matrix((coef @ per_unit, (x_pair, x_idx)), shape=(n_q, n_var))
        lone_part = (
            csr_matrix((np.ones(int(lone.sum())), (t_idx[lone], trip_pair[lone])), shape=(n_t, n_q))
            @ by_pair
        )
        split_part = csr_matrix(
            (np.ones(n_split), (t_idx[split], col0 + z_col[split])), shape=(n_t, n_var)
        )
        expr.append(csr_matrix(lone_part + split_part))
        if n_split:
            # A split pair's goods ride on its trips: its shipments <= its trips' columns.
            pair_cols = csr_matrix(
                (np.ones(n_split), (trip_pair[split], col0 + z_col[split])), shape=(n_q, n_var)
            )
            used = np.unique(trip_pair[split])
            rows.add(
                csr_matrix(by_pair - pair_cols)[used],
                np.full(len(used), -np.inf),
                np.zeros(len(used)),
                Family.CORE,
            )
    tonnes, m3 = expr
    y_of = csr_matrix((np.ones(n_t), (t_idx, y0 + t_idx)), shape=(n_t, n_var))
    # A truckload holds at most the class's payload and volume, and at most what one bay
    # loads by its loading deadline.
    payload = _fleet_of(prob, tc, "payload_kg") / 1000.0
    cap_t = payload if relax.loading else np.minimum(payload, tc.max_t)
    for e, cap in ((tonnes, cap_t), (m3, _fleet_of(prob, tc, "volume_m3"))):
        rows.add(
            e - csr_matrix((cap, (t_idx, y0 + t_idx)), shape=(n_t, n_var)),
            np.full(n_t, -np.inf),
            np.zeros(n_t),
            Family.CORE,
        )
    dock = np.array([prob.supplies[int(s)].dock.dock_h for s in tc.s])
    rate = np.array([prob.supplies[int(s)].dock.bay_t_per_h for s in tc.s])
    trucks_at = np.array([sum(f.count for f in s.fleet) for s in prob.supplies])
    bays_at = np.array([s.dock.bays for s in prob.supplies])
    crowded = (bays_at < trucks_at)[tc.s] if n_t else np.zeros(0, dtype=bool)
    if not relax.loading and crowded.any():
        sel = np.flatnonzero(crowded)
        load_use = csr_matrix(diags(dock) @ y_of + diags(1.0 / rate) @ tonnes)[sel]
        b_group, b_time, member = _buckets(tc.s[sel], tc.load_by[sel])
        cap = np.array(
            [
                prob.supplies[int(a)].dock.bay_hours(float(b))
                for a, b in zip(b_group, b_time, strict=True)
            ]
        )
        rows.add(member @ load_use, np.full(len(cap), -np.inf), cap, Family.BAYS, b_group, b_time)
    if not relax.loading and n_t:
        # Every bay (and truck) that loads anything by D spends a whole dock time first, so
        # the tonnes loaded by D are at most min(bays, trucks) x rate x (open hours - dock).
        b_group, b_time, member = _buckets(tc.s, tc.load_by)
        cap = np.array(
            [
                min(int(bays_at[int(a)]), int(trucks_at[int(a)]))
                * prob.supplies[int(a)].dock.max_tonnes(float(b))
                for a, b in zip(b_group, b_time, strict=True)
            ]
        )
        rows.add(member @ tonnes, np.full(len(cap), -np.inf), cap, Family.BAYS, b_group, b_time)
    waiver: Waiver | None = None
    if not relax.fleet and n_t:
        n_cls = max(1, len(prob.classes))
        group = tc.s * n_cls + tc.c
        count = _fleet_of(prob, tc, "count")
        unload = prob.unload_h
        starts = np.array([prob.supplies[int(s)].start_h for s in tc.s])
        latest_back = _running_max(group, tc.arrive_by, tc.back)
        b_group, b_time, member = _buckets(group, tc.arrive_by)
        rep = np.asarray(member.argmax(axis=1)).ravel()  # a trip of the bucket's group
        # The latest return waived per truck: the largest among the trips due by then.
        most = np.asarray(member.multiply(latest_back[None, :]).max(axis=1).todense()).ravel()
        base = count[rep] * np.maximum(0.0, b_time - starts[rep])
        for with_return in (True, False):
            per_trip = dock + tc.drive + ((unload + tc.back) if with_return else 0.0)
            use = diags(per_trip) @ y_of + diags(1.0 / rate) @ tonnes
            cap = base + (count[rep] * (unload + most) if with_return else 0.0)
            if with_return:
                first = rows.n_rows
                waiver = Waiver(
                    np.arange(first, first + len(cap), dtype=np.int64),
                    csr_matrix(member),
                    count[rep],
                    base,
                    unload + tc.back,
                )
            rows.add(
                member @ use,
                np.full(len(cap), -np.inf),
                cap,
                Family.TRUCKS,
                b_group // n_cls,
                b_time,
            )
    a = csr_matrix(vstack(rows.blocks, format="csr"))
    a.sum_duplicates()
    a.eliminate_zeros()
    a.sort_indices()
    lower = np.zeros(n_var)
    if kits and floor:
        for j in range(n_x):
            key = (prob.supplies[int(xs[j])].id, prob.demands[int(xp[j])].id)
            lower[j] = max(0.0, float(floor.get(key, 0.0)))
    objective = np.zeros(n_var)
    objective[f0 : f0 + n_d] = people
    tier = np.array([prob.tier_penalty.get(prob.supplies[int(s)].tier, 0.0) for s in xs])
    objective[:n_x] = -tier * (coef @ weight_t) * TIER_WEIGHT
    return LPModel(
        target,
        tc,
        pair_s,
        pair_p,
        trip_pair,
        x_pair,
        x_item,
        coef,
        a,
        lower,
        np.concatenate([np.full(n_x, np.inf), np.ones(n_d), np.full(n_t + 2 * n_split, np.inf)]),
        np.concatenate(rows.lo),
        np.concatenate(rows.hi),
        np.concatenate(rows.family),
        np.concatenate(rows.depot),
        np.concatenate(rows.when),
        f0,
        y0,
        csr_matrix(tonnes),
        csr_matrix(m3),
        objective,
        waiver,
    )


def solve_lp(
    a: csr_matrix,
    lb: NDArray[np.float64],
    ub: NDArray[np.float64],
    r_lb: NDArray[np.float64],
    r_ub: NDArray[np.float64],
    objective: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, str]:
    """Maximise ``objective``; return values, row duals, optimum and the solver that answered.

    A solver that ends abnormally is followed by the next of :data:`LP_SOLVERS`; only a
    problem every solver proves infeasible raises :class:`InfeasibleError`. Numerical
    trouble in every solver raises :class:`SolverError`.
    """
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(lb, ub, objective, r_lb, r_ub, a)  # type: ignore[arg-type]
    helper.set_maximize(True)
    statuses = []
    for name in LP_SOLVERS:
        solver = mbh.ModelSolverHelper(name)
        if not solver.solver_is_supported():
            continue
        tic = time.perf_counter()
        solver.solve(helper)
        status = solver.status()
        log.debug("LP %s: %s %s in %.2f s", a.shape, name, status.name, time.perf_counter() - tic)
        if status in (mbh.SolveStatus.OPTIMAL, mbh.SolveStatus.FEASIBLE):
            values = np.asarray(solver.variable_values(), dtype=float)
            try:
                duals = np.asarray(solver.dual_values(), dtype=float)
            except Exception:  # some solvers give no duals; they only explain, not bound
                duals = np.zeros(a.shape[0])
            return values, duals, float(solver.objective_value()), name
        statuses.append(f"{name}: {status.name}")
        log.info("LP solver %s ended with %s; trying the next one", name, status.name)
    if statuses and all(s.endswith("INFEASIBLE") for s in statuses):
        raise InfeasibleError("the relief check's LP is infeasible (" + "; ".join(statuses) + ")")
    raise SolverError(
        "no LP solver answered the relief check (" + "; ".join(statuses) + ")",
        problem_zh="线性规划求解器均未得出结果(数值问题,并非无解)",
    )


@dataclass(frozen=True)
class LPSolution:
    """One group's LP at one target: its values, duals, optimum and how it was found."""

    model: LPModel
    values: NDArray[np.float64]
    #: dual per row of the model (0 for rows never added)
    duals: NDArray[np.float64]
    people: float
    stats: dict[str, float]
    solvers: tuple[str, ...]

    @property
    def x(self) -> NDArray[np.float64]:
        """Shipments (units), zeroed below :data:`EPS`."""
        v = self.values[: self.model.n_x]
        return np.where(v > EPS, v, 0.0)

    @property
    def f(self) -> NDArray[np.float64]:
        """Share met of every demand."""
        m = self.model
        return self.values[m.f0 : m.y0]

    @property
    def y(self) -> NDArray[np.float64]:
        """Trips per trip column."""
        return self.values[self.model.y0 : self.model.y0 + self.model.n_t]

    @property
    def z(self) -> NDArray[np.float64]:
        """Tonnes per trip column."""
        out: NDArray[np.float64] = self.model.tonnes @ self.values
        return out

    @property
    def w(self) -> NDArray[np.float64]:
        """Cubic metres per trip column."""
        out: NDArray[np.float64] = self.model.m3 @ self.values
        return out


def waiver_cuts(m: LPModel, values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Add the trucks' rows whose exact last-trip waiver ``values`` break (see :class:`Waiver`).

    Per bucket, the waiver a solution may claim is a fractional knapsack: its ``count``
    trucks' last trips, the trips with the longest unload and drive back first. Where the
    row with that waiver is broken, it is added with ``lam`` the knapsack's last, partly
    taken trip. Returns the new rows.
    """
    w = m.waiver
    if w is None or not len(w.rows):
        return np.zeros(0, dtype=np.int64)
    y = np.maximum(m.values_y(values), 0.0)
    activity = m.a[w.rows] @ values
    mem = w.member.tocsr()
    new_rows, new_hi, new_at = [], [], []
    for k in range(len(w.rows)):
        trips = mem.indices[mem.indptr[k] : mem.indptr[k + 1]]
        order = trips[np.argsort(-w.back[trips], kind="stable")]
        took = np.cumsum(y[order])
        full = took <= w.count[k] + 1e-12
        if full.all():
            continue  # every trip may be last: the row without returns holds it
        last = int(np.argmin(full))
        lam = float(w.back[order[last]])
        waived = float(y[order[:last]] @ w.back[order[:last]]) + lam * (
            w.count[k] - (float(took[last - 1]) if last else 0.0)
        )
        if activity[k] - waived <= w.base[k] + VIOLATION:
            continue
        # The knapsack's lam, and a few around it (the next solutions tend to want those).
        levels = np.unique(w.back[trips])
        here = int(np.searchsorted(levels, lam))
        near = {here + d for d in NEAR_LEVELS} & set(range(len(levels)))
        for j in sorted(near):
            lvl = float(levels[j])
            extra = np.maximum(0.0, w.back[trips] - lvl)
            keep = extra > 0
            cut = m.a[w.rows[k]] - csr_matrix(
                (extra[keep], (np.zeros(int(keep.sum()), dtype=np.int64), m.y0 + trips[keep])),
                shape=(1, m.n_var),
            )
            new_rows.append(cut)
            new_hi.append(w.base[k] + w.count[k] * lvl)
            new_at.append(k)
    if not new_rows:
        return np.zeros(0, dtype=np.int64)
    at = np.array(new_at, dtype=np.int64)
    return m.add_rows(
        csr_matrix(vstack(new_rows, format="csr")),
        np.array(new_hi),
        Family.TRUCKS,
        m.depot[w.rows[at]],
        m.when[w.rows[at]],
    )


def solve_target(
    prob: CheckProblem,
    target: float,
    relax: Relax = NO_RELAX,
    pairs: NDArray[np.bool_] | None = None,
    *,
    kits: bool = False,
    floor: Mapping[tuple[str, str], float] | None = None,
) -> LPSolution:
    """The LP at ``target`` by row generation over the bays' and trucks' rows."""
    t0 = time.perf_counter()
    m = build_model(prob, target, relax, pairs, kits=kits, floor=floor)
    t_build = time.perf_counter() - t0
    lazy = np.flatnonzero((m.family == Family.BAYS) | (m.family == Family.TRUCKS))
    active = np.ones(len(m.family), dtype=bool)
    active[lazy] = False
    used: list[str] = []
    values = np.zeros(m.n_var)
    duals = np.zeros(len(m.family))
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        idx = np.flatnonzero(active)
        values, d, _, name = solve_lp(m.a[idx], m.lb, m.ub, m.r_lb[idx], m.r_ub[idx], m.objective)
        used.append(name)
        duals = np.zeros(len(m.family))
        duals[idx] = d
        waiting = lazy[~active[lazy]]
        broken = waiting[m.a[waiting] @ values > m.r_ub[waiting] + VIOLATION]
        cuts = waiver_cuts(m, values)
        active = np.concatenate([active, np.zeros(len(cuts), dtype=bool)])
        duals = np.concatenate([duals, np.zeros(len(cuts))])
        broken = np.concatenate([broken, cuts])
        if not len(broken):
            break
        active[broken] = True
    people = float(values[m.f0 : m.y0] @ np.array([d.people for d in prob.demands], float))
    stats = {
        "columns": float(m.n_var),
        "trip_columns": float(m.n_t),
        "rows": float(active.sum()),
        "rows_full": float(len(m.family)),
        "lp_solves": float(rounds),
        "build_s": t_build,
        "solve_s": time.perf_counter() - t0 - t_build,
    }
    return LPSolution(m, values, duals, people, stats, tuple(used))


def candidates(prob: CheckProblem) -> NDArray[np.bool_]:
    """Per demand, the depots that arrive first, until there are enough of them and enough.

    Each depot counts with what it alone could land there by the last target: its stock, or
    its bays' loading by the deadline, whichever is less.
    """
    cat = prob.catalogue
    weight = np.array([cat.get(i).unit_weight_kg for i in cat.ids]) / 1e3
    stock = np.array([[s.stock.get(i, 0) for i in cat.ids] for s in prob.supplies], dtype=float)
    need = np.array([[d.need.get(i, 0) for i in cat.ids] for d in prob.demands], dtype=float)
    stock_t = stock.reshape(len(prob.supplies), -1) @ weight
    need_t = need.reshape(len(prob.demands), -1) @ weight
    travel = prob.travel_h
    handover = np.array([d.handover_h for d in prob.demands])
    deadline = max(prob.targets_h) - handover[None, :] - travel
    deliverable = np.zeros_like(travel)
    for s, sup in enumerate(prob.supplies):
        for d in range(len(prob.demands)):
            if np.isfinite(deadline[s, d]):
                deliverable[s, d] = min(
                    stock_t[s], sup.dock.bays * sup.dock.max_tonnes(float(deadline[s, d]))
                )
    starts = np.array([s.start_h for s in prob.supplies])
    earliest = starts[:, None] + travel
    order = np.argsort(earliest, axis=0, kind="stable")
    cols = np.broadcast_to(np.arange(earliest.shape[1])[None, :], order.shape)
    ranked = deliverable[order, cols]
    k_min = int(prob.max_depots_per_point or 0)
    rank = np.arange(len(prob.supplies))[:, None]
    before = np.cumsum(ranked, axis=0) - ranked
    take = (rank < k_min) | (before < prob.candidate_cover * need_t[None, :])
    keep = np.zeros(earliest.shape, dtype=bool)
    keep[order[take], cols[take]] = True
    out: NDArray[np.bool_] = keep & np.isfinite(earliest)
    return out


def residual(
    prob: CheckProblem, shares: NDArray[np.float64], used: NDArray[np.float64]
) -> CheckProblem:
    """The problem left after an allocation: people and needs not yet met, stock not yet used.

    ``shares[p]`` is the share of demand ``p`` already met; ``used[s, i]`` the units of item
    ``i`` already taken from depot ``s``.
    """
    items = prob.catalogue.ids
    demands = []
    for d, share in zip(prob.demands, shares, strict=True):
        left = max(0.0, 1.0 - float(share))
        demands.append(
            dataclasses.replace(
                d,
                people=round(d.people * left),
                need={i: round(q * left) for i, q in d.need.items()},
            )
        )
    supplies = [
        dataclasses.replace(
            s,
            stock={
                i: max(0, int(q - round(float(used[k, items.index(i)]))))
                for i, q in s.stock.items()
            },
        )
        for k, s in enumerate(prob.supplies)
    ]
    return dataclasses.replace(prob, demands=tuple(demands), supplies=tuple(supplies))

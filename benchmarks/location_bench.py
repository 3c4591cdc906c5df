"""Siting benchmark families: ``pmedian``, ``mclp``, ``setcover`` (DIR), ``mclp-province``.

Readers accept any file of these OR-Library / Swain formats (not only the shipped ones):

* p-median (OR-Library ``pmedN.txt``): ``n m p`` then ``i j cost`` edges; an edge listed
  twice keeps its LAST cost; distances are all-pairs shortest paths; every vertex is a
  client (weight 1) and a candidate.
* maximal covering (Swain 55, either copy): one ``id x y demand`` row per node (a header row
  or a leading count line is skipped); covered iff Euclidean distance <= radius.
* set covering (OR-Library ``scpNN.txt``): ``rows cols``, the ``cols`` costs, then for each
  row its count and the 1-based columns covering it.

A ``BKS.csv`` beside the instances gives best-known values (for p-median, OR-Library's
``pmedopt.txt`` in the folder also serves, and is never read as an instance); instances
without a row are still solved (p-median: its own p; maximal covering: p in 2,4,6,8 x
radius in 5,8,10). The optional peer (spopt) is skipped, with a note, when not installed.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import multiprocessing as mp
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import shortest_path

COLUMNS = ["instance", "solver", "objective", "best_known", "gap_pct", "seconds", "status", "note"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-limit", type=float, default=300.0, help="per instance and solver, seconds"
    )
    parser.add_argument("--no-peer", action="store_true", help="skip PySAL spopt")
    parser.add_argument("--only", nargs="*", default=None, help="instance names to run")
    parser.add_argument(
        "--pcenter", action="store_true", help="pmedian: also solve each instance as p-center"
    )
    parser.add_argument(
        "--like-orlib",
        action="store_true",
        help="pmedian: also solve seeded synthetic graphs the size and p of OR-Library "
        "pmed31-40 (a cycle plus random edges, costs 1-100), when those files are not in DIR",
    )


def log(msg: str) -> None:
    print(f"  {msg}", file=sys.stderr, flush=True)


def _bks(folder: Path) -> list[dict[str, str]]:
    path = folder / "BKS.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _gap(obj: float, best: float | None, maximize: bool) -> float | None:
    if best is None or not np.isfinite(obj):
        return None
    diff = (best - obj) if maximize else (obj - best)
    return 100.0 * diff / abs(best) if best else 0.0


# --- readers ---------------------------------------------------------------------------------


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    """Distance matrix (int) and p of an OR-Library p-median file."""
    tok = path.read_text().split()
    n, m, p = int(tok[0]), int(tok[1]), int(tok[2])
    edges = np.array(tok[3 : 3 + 3 * m], dtype=np.int64).reshape(m, 3)
    last: dict[tuple[int, int], int] = {}
    for i, j, c in edges:
        last[(min(i, j) - 1, max(i, j) - 1)] = int(c)
    ij = np.array(list(last), dtype=np.int64).reshape(-1, 2)
    cost = np.array(list(last.values()), dtype=float)
    graph = csr_matrix((cost, (ij[:, 0], ij[:, 1])), shape=(n, n))
    return shortest_path(graph, directed=False).round().astype(np.int64), p


def read_swain(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (n x 2) and demands of a Swain-format file (any of the common copies)."""
    xy, demand = [], []
    for line in path.read_text().splitlines():
        parts = line.replace(",", " ").split()
        try:
            nums = [float(x) for x in parts]
        except ValueError:
            continue  # a header row
        if len(nums) >= 4:
            xy.append(nums[1:3])
            demand.append(nums[3])
    if not xy:
        raise ValueError(f"{path}: no 'id x y demand' rows")
    return np.array(xy), np.array(demand)


def read_scp(path: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """Column costs and, per row, the 0-based columns that cover it."""
    tok = path.read_text().split()
    rows, cols = int(tok[0]), int(tok[1])
    pos = 2
    costs = np.array(tok[pos : pos + cols], dtype=float)
    pos += cols
    cover = []
    for _ in range(rows):
        k = int(tok[pos])
        cover.append(np.array(tok[pos + 1 : pos + 1 + k], dtype=np.int64) - 1)
        pos += 1 + k
    return costs, cover


# --- ours and the peer ------------------------------------------------------------------------


def _problem(hours: np.ndarray, weights: np.ndarray) -> Any:
    from solver.siting import SitingProblem

    n_c, n_p = hours.shape
    return SitingProblem(
        hours.astype(float),
        weights.astype(float),
        np.zeros(n_c, bool),
        tuple(map(str, range(n_c))),
        tuple(map(str, range(n_p))),
    )


def _spopt_worker(dist: np.ndarray, p: int, limit: float, tmp_dir: str, conn: Any) -> None:
    os.setsid()  # its own process group, so that a kill at the limit also ends CBC, its child
    import pulp
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    model = PMedian.from_cost_matrix(dist, np.ones(dist.shape[0]), p_facilities=p)
    cbc = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
    cbc.tmpDir = tmp_dir  # PuLP's .mps/.sol files (100+ MB here), removed even after a kill
    model.solve(cbc)
    seconds = time.perf_counter() - t0
    conn.send(
        {
            "objective": float(pulp.value(model.problem.objective)),
            "seconds": seconds,
            "status": pulp.LpStatus[model.problem.status].lower(),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        }
    )
    conn.close()


def peer_missing() -> str | None:
    """Why the optional peer (PySAL spopt with PuLP/CBC) cannot run, or None if it can."""
    missing = [m for m in ("spopt", "pulp") if importlib.util.find_spec(m) is None]
    if missing:
        return (
            f"peer skipped: {', '.join(missing)} not installed (optional 'bench' group: "
            "`.tools/bin/uv sync --frozen --group bench`)"
        )
    return None


def _run_spopt(dist: np.ndarray, p: int, limit: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    tmp_dir = tempfile.mkdtemp(prefix="bench-spopt-")
    try:
        proc = ctx.Process(target=_spopt_worker, args=(dist, p, limit, tmp_dir, child))
        proc.start()
        child.close()
        proc.join(limit + 60)
        if proc.is_alive():
            # Killing the worker alone left CBC running on, orphaned, against the next instance.
            assert proc.pid is not None  # started above
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                proc.kill()
            proc.join()
            return {"objective": float("nan"), "seconds": limit + 60, "status": "killed"}
        try:
            return dict(parent.recv())
        except (EOFError, OSError):
            # The worker died before answering (an import error, a crash): say so, go on.
            return {
                "objective": float("nan"),
                "seconds": 0.0,
                "status": f"error (exit code {proc.exitcode})",
            }
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


#: n, edges and p of OR-Library pmed31-40 (Beasley 1985; pmedopt.txt).
ORLIB_31_40 = {
    31: (700, 9800, 5), 32: (700, 9800, 10), 33: (700, 9800, 70), 34: (700, 9800, 140),
    35: (800, 12800, 5), 36: (800, 12800, 10), 37: (800, 12800, 80),
    38: (900, 16200, 5), 39: (900, 16200, 10), 40: (900, 16200, 90),
}  # fmt: skip


def like_orlib(k: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """A synthetic graph shaped like pmed``k``: a Hamiltonian cycle plus random edges with
    costs 1-100 (the OR-Library generator's shape), all-pairs shortest paths, its p."""
    n, m, p = ORLIB_31_40[k]
    rng = np.random.default_rng(seed * 1000 + k)
    i = np.concatenate([np.arange(n), rng.integers(0, n, m - n)])
    j = np.concatenate([(np.arange(n) + 1) % n, rng.integers(0, n, m - n)])
    keep = i != j
    cost = rng.integers(1, 101, m).astype(float)[keep]
    graph = csr_matrix((cost, (i[keep], j[keep])), shape=(n, n))
    return shortest_path(graph, directed=False).round().astype(np.int64), p


def pmed_files(folder: Path) -> list[Path]:
    """The ``pmedN.txt`` instances in ``folder``, by N (``pmedopt.txt`` and others skipped)."""
    files = [p for p in folder.glob("pmed*.txt") if re.fullmatch(r"pmed\d+", p.stem)]
    return sorted(files, key=lambda p: int(p.stem[4:]))


def pmed_optima(folder: Path) -> dict[str, float]:
    """Best-known values: ``BKS.csv`` (column ``optimal``), else OR-Library's ``pmedopt.txt``."""
    bks = {r["instance"]: float(r["optimal"]) for r in _bks(folder) if r.get("optimal")}
    opt = folder / "pmedopt.txt"
    if opt.exists():
        for line in opt.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and re.fullmatch(r"pmed\d+", parts[0]):
                bks.setdefault(parts[0], float(parts[1]))
    return bks


def run_pmedian(args: argparse.Namespace) -> list[dict[str, Any]]:
    from solver.mip import Backend, MipParams
    from solver.siting import pcenter, pmedian

    folder = Path(args.dir)
    bks = pmed_optima(folder)
    files = pmed_files(folder)
    if not files:
        raise SystemExit(f"no pmedN.txt files in {folder}")
    skip_peer = args.no_peer or peer_missing() is not None
    if not args.no_peer and peer_missing():
        log(str(peer_missing()))
    rows: list[dict[str, Any]] = []
    totals = {"ours": 0.0, "spopt": 0.0, "pcenter": 0.0}
    proven = {"ours": 0, "spopt": 0, "pcenter": 0}
    counted = 0
    spopt_done = 0
    have = {int(f.stem[4:]) for f in files}
    extra = [k for k in ORLIB_31_40 if k not in have] if args.like_orlib else []
    jobs: list[tuple[str, Path | int]] = [(f.stem, f) for f in files]
    jobs += [(f"pmed{k}-like (synthetic)", k) for k in extra]
    for name, source in jobs:
        if args.only and name not in args.only:
            continue
        counted += 1
        dist, p = read_pmed(source) if isinstance(source, Path) else like_orlib(source)
        best = bks.get(name)
        prob = _problem(dist, np.ones(dist.shape[0]))
        res = pmedian(prob, p, params=MipParams(Backend.HIGHS, args.time_limit))
        totals["ours"] += res.seconds
        proven["ours"] += res.status == "optimal"
        stages = res.detail.get("stages", {})
        log(f"{name}: ours {res.objective:.0f} ({res.status}) in {res.seconds:.2f} s")
        rows.append(
            {
                "instance": name,
                "solver": "ours (Lagrange + tree/MIP)",
                "objective": res.objective,
                "best_known": best,
                "gap_pct": _gap(res.objective, best, False),
                "seconds": res.seconds,
                "status": res.status,
                "note": f"n={dist.shape[0]} p={p}; {_stage_note(stages)}",
                "bound": res.bound,
                "stages": stages,
            }
        )
        if args.pcenter:
            pc = pcenter(prob, p, params=MipParams(Backend.SCIP, args.time_limit))
            totals["pcenter"] += pc.seconds
            proven["pcenter"] += pc.status == "optimal"
            log(f"{name}: p-center {pc.objective:.0f} ({pc.status}) in {pc.seconds:.2f} s")
            rows.append(
                {
                    "instance": name,
                    "solver": "ours p-center (bisection + SCIP)",
                    "objective": pc.objective,
                    "seconds": pc.seconds,
                    "status": pc.status,
                    "note": f"radius; bound {pc.bound:g}; {pc.detail.get('lscp_solves')} MIPs",
                    "bound": pc.bound,
                }
            )
        if not skip_peer:
            peer = _run_spopt(dist, p, args.time_limit)
            totals["spopt"] += peer["seconds"]
            finished = peer["status"] == "optimal" and peer["seconds"] < args.time_limit
            proven["spopt"] += finished and _gap(peer["objective"], best, False) in (0.0, None)
            spopt_done += finished
            log(f"{name}: spopt {peer['objective']:.0f} in {peer['seconds']:.2f} s")
            rows.append(
                {
                    "instance": name,
                    "solver": "spopt PMedian (PuLP/CBC)",
                    "objective": peer["objective"],
                    "best_known": best,
                    "gap_pct": _gap(peer["objective"], best, False),
                    "seconds": peer["seconds"],
                    "status": peer["status"] if finished else f"{peer['status']} (time limit)",
                    "note": f"n={dist.shape[0]} p={p}",
                }
            )
    peer_note = (
        "peer not run (--no-peer)"
        if args.no_peer
        else (peer_missing() or f"spopt total {totals['spopt']:.1f} s, {spopt_done} finished")
    )
    rows.append(
        {
            "instance": "TOTAL",
            "solver": "ours",
            "seconds": totals["ours"],
            "status": f"{proven['ours']} of {counted} proven optimal",
            "note": peer_note,
        }
    )
    if args.pcenter:
        rows.append(
            {
                "instance": "TOTAL",
                "solver": "ours p-center",
                "seconds": totals["pcenter"],
                "status": f"{proven['pcenter']} of {counted} proven optimal",
            }
        )
    return rows


def _stage_note(stages: dict[str, Any]) -> str:
    """Where the proof came from: the root bound, or the tree (with its node count)."""
    if "tree" in stages:
        return f"tree {stages['tree']['nodes']} nodes"
    if "mip" in stages:
        return f"radius MIP ({stages['mip']['status']})"
    return "root bound"


def run_mclp(args: argparse.Namespace) -> list[dict[str, Any]]:
    from solver.mip import Backend, MipParams
    from solver.siting import mclp

    folder = Path(args.dir)
    bks = _bks(folder)
    rows = []
    for path in sorted(
        p for p in folder.iterdir() if p.suffix in (".txt", ".tsv", ".csv") and p.name != "BKS.csv"
    ):
        name = path.stem
        if args.only and name not in args.only:
            continue
        xy, demand = read_swain(path)
        dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        cases = [
            (int(r["p"]), float(r["radius"]), float(r["optimal_covered_demand"]))
            for r in bks
            if r["instance"] == name
        ]
        if not cases:
            cases = [(p, r, None) for p in (2, 4, 6, 8) for r in (5.0, 8.0, 10.0)]
        prob = _problem(dist, demand)
        for backend in (Backend.SCIP, Backend.HIGHS):
            for p, radius, best in cases:
                res = mclp(prob, radius, p, params=MipParams(backend, args.time_limit))
                rows.append(
                    {
                        "instance": f"{name} p={p} r={radius:g}",
                        "solver": f"ours ({backend.value})",
                        "objective": res.objective,
                        "best_known": best,
                        "gap_pct": _gap(res.objective, best, True),
                        "seconds": res.seconds,
                        "status": res.status,
                        "note": f"{len(xy)} nodes",
                    }
                )
    return rows


def run_setcover(args: argparse.Namespace) -> list[dict[str, Any]]:
    from solver.mip import Backend, MipParams, solve_mip

    folder = Path(args.dir)
    bks = {r["instance"]: float(r["optimal"]) for r in _bks(folder)}
    rows = []
    for path in sorted(folder.glob("scp*.txt")):
        name = path.stem
        if args.only and name not in args.only:
            continue
        costs, cover = read_scp(path)
        r = np.concatenate([np.full(len(c), i) for i, c in enumerate(cover)])
        c = np.concatenate(cover)
        matrix = coo_matrix((np.ones(len(r)), (r, c)), shape=(len(cover), len(costs))).tocsr()
        for backend in (Backend.SCIP, Backend.HIGHS):
            res = solve_mip(
                costs,
                matrix,
                np.ones(len(cover)),
                np.full(len(cover), np.inf),
                lb=np.zeros(len(costs)),
                ub=np.ones(len(costs)),
                integer=np.ones(len(costs), bool),
                maximize=False,
                params=MipParams(backend, args.time_limit),
            )
            best = bks.get(name)
            rows.append(
                {
                    "instance": name,
                    "solver": f"ours ({backend.value})",
                    "objective": res.objective,
                    "best_known": best,
                    "gap_pct": _gap(res.objective, best, False),
                    "seconds": res.seconds,
                    "status": res.status,
                    "note": f"{len(cover)} rows x {len(costs)} columns",
                }
            )
    return rows


def run_province(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Synthetic province-scale maximal covering, time to optimality or gap in 60 s."""
    from solver.mip import Backend, MipParams
    from solver.siting import mclp

    rng = np.random.default_rng(args.seed)
    size = 300.0
    pts = rng.uniform(0, size, size=(args.points, 2))
    cand = rng.uniform(0, size, size=(args.candidates, 2))
    weights = np.maximum(1, rng.lognormal(6.5, 0.8, args.points))
    existing = np.zeros(args.candidates, bool)
    existing[rng.choice(args.candidates, args.existing, replace=False)] = True
    # Hours by road: straight km x 1.3 at 45 km/h; dense enough to be a real choice.
    hours = np.empty((args.candidates, args.points))
    for start in range(0, args.candidates, 200):
        block = cand[start : start + 200]
        km = np.hypot(*(block[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
        hours[start : start + 200] = km * 1.3 / 45.0
    from solver.siting import SitingProblem

    prob = SitingProblem(
        hours,
        weights,
        existing,
        tuple(map(str, range(args.candidates))),
        tuple(map(str, range(args.points))),
    )
    rows = []
    for backend in (Backend.SCIP, Backend.HIGHS):
        t0 = time.perf_counter()
        res = mclp(prob, args.cutoff, args.p, params=MipParams(backend, args.time_limit))
        rows.append(
            {
                "instance": f"province {args.candidates}x{args.points} p={args.p} "
                f"T={args.cutoff:g}h",
                "solver": f"ours ({backend.value})",
                "objective": res.objective,
                "best_known": None,
                "gap_pct": 100 * res.gap,
                "seconds": time.perf_counter() - t0,
                "status": res.status,
                "note": f"coverage {res.coverage_before:.3f} -> {res.coverage_after:.3f};"
                f" bound {res.bound:,.0f}; {args.existing} existing depots",
            }
        )
        log(
            f"province {backend.value}: {res.status} gap {100 * res.gap:.3f}% "
            f"in {time.perf_counter() - t0:.1f} s"
        )
    return rows


def add_province_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--points", type=int, default=40_000)
    parser.add_argument("--existing", type=int, default=150)
    parser.add_argument("--p", type=int, default=60)
    parser.add_argument("--cutoff", type=float, default=0.35, help="hours")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)

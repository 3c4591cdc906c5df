"""Family ``solomon DIR``: Solomon VRPTW, our engines vs PyVRP at equal time budgets.

Convention (DIMACS / CVRPLIB, as in ``../shared/bench/README.md``): distances and travel
times are Euclidean truncated to one decimal (we work in integer tenths), service time is
added at the origin of each arc, waiting allowed, objective = total distance, fleet free up
to the VEHICLES bound. Files: VRPLIB ``.vrp`` or the original Solomon ``.txt`` (read with
``vrplib``); best-known values from ``BKS.csv`` (``dimacs_distance``).

Each solver gets the same wall time per instance, one thread: OR-Tools alone, PyVRP alone,
and our portfolio (both side by side on the two cores, best kept).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = [
    "instance",
    "solver",
    "budget_s",
    "objective",
    "best_known",
    "gap_pct",
    "seconds",
    "status",
    "note",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--time-limit",
        type=float,
        nargs="+",
        default=[5.0, 30.0],
        help="seconds per instance and solver (several budgets allowed)",
    )
    parser.add_argument(
        "--solvers",
        nargs="+",
        default=["portfolio"],
        help="portfolio runs OR-Tools and PyVRP side by side (one core each) "
        "and reports each engine's result as well as the best",
    )
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--seed", type=int, default=1)


def log(msg: str) -> None:
    print(f"  {msg}", file=sys.stderr, flush=True)


def read_instance(path: Path) -> dict[str, Any]:
    """Coordinates, demands, windows, service times, capacity and fleet of one instance."""
    import vrplib

    fmt = "vrplib" if path.suffix == ".vrp" else "solomon"
    inst = vrplib.read_instance(str(path), instance_format=fmt)
    coords = np.asarray(inst["node_coord"], float)
    service = np.asarray(inst.get("service_time", 0), float)
    if service.ndim == 0:
        service = np.full(len(coords), float(service))
        service[0] = 0
    return {
        "coords": coords,
        "demand": np.asarray(inst["demand"], int),
        "tw": np.asarray(inst["time_window"], float),
        "service": service,
        "capacity": int(np.asarray(inst["capacity"]).ravel()[0]),
        "vehicles": int(inst.get("vehicles", len(coords) - 1)),
    }


def to_problem(inst: dict[str, Any]) -> Any:
    """The instance as a RoutingProblem in integer tenths (DIMACS truncation)."""
    from solver.routing import Job, RoutingProblem, VehicleSpec

    xy = inst["coords"]
    dist = np.floor(10 * np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    dist = dist.astype(np.int64)
    tw = np.round(10 * inst["tw"]).astype(np.int64)
    service = np.round(10 * inst["service"]).astype(np.int64)
    jobs = tuple(
        Job(str(i), i, (int(inst["demand"][i]),), int(service[i]), int(tw[i, 0]), int(tw[i, 1]))
        for i in range(1, len(xy))
    )
    vehicles = tuple(
        VehicleSpec(
            str(k), 0, 0, (inst["capacity"],), start_s=int(tw[0, 0]), shift_end_s=int(tw[0, 1])
        )
        for k in range(inst["vehicles"])
    )
    return RoutingProblem((dist,), jobs, vehicles, objective="distance")


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from solver.routing import Engine, RoutingParams, solve_routes

    folder = Path(args.dir)
    bks = {}
    if (folder / "BKS.csv").exists():
        with (folder / "BKS.csv").open() as fh:
            bks = {r["instance"]: float(r["dimacs_distance"]) for r in csv.DictReader(fh)}
    files = sorted(
        [p for p in folder.iterdir() if p.suffix in (".vrp", ".txt") and p.name != "BKS.csv"],
        key=lambda p: p.stem,
    )
    rows = []
    for path in files:
        if args.only and path.stem not in args.only:
            continue
        inst = read_instance(path)
        prob = to_problem(inst)
        best = bks.get(path.stem)
        for budget in args.time_limit:
            for solver in args.solvers:
                t0 = time.perf_counter()
                sol = solve_routes(prob, params=RoutingParams(Engine(solver), budget, args.seed))
                seconds = time.perf_counter() - t0
                ok = sol.status == "feasible" and not sol.dropped
                obj = sol.cost / 10.0 if ok else float("nan")
                gap = 100 * (obj - best) / best if ok and best else None
                rows.append(
                    {
                        "instance": path.stem,
                        "solver": solver,
                        "budget_s": budget,
                        "objective": obj,
                        "best_known": best,
                        "gap_pct": gap,
                        "seconds": seconds,
                        "status": sol.status if ok else "infeasible",
                        "note": f"{len(sol.routes)} routes; engine {sol.engine}",
                    }
                )
                # The portfolio ran both engines with the same budget, one core each: record
                # each engine's own result too (that is the equal-time comparison).
                for name, value in sol.detail.items():
                    if not name.startswith("objective_"):
                        continue  # part counts, not objectives
                    engine = name.removeprefix("objective_")
                    part = value / 10.0 if np.isfinite(value) else float("nan")
                    pgap = 100 * (part - best) / best if best and np.isfinite(part) else None
                    rows.append(
                        {
                            "instance": path.stem,
                            "solver": f"{engine} (1 core)",
                            "budget_s": budget,
                            "objective": part,
                            "best_known": best,
                            "gap_pct": pgap,
                            "seconds": seconds,
                            "status": "feasible" if np.isfinite(part) else "infeasible",
                            "note": "inside the portfolio run",
                        }
                    )
                log(
                    f"{path.stem} {solver} {budget:g}s: {obj:.1f} gap "
                    f"{gap if gap is None else round(gap, 2)}"
                )
    rows += summary(rows)
    return rows


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and max gap per class (C1, C2, R1, R2, RC1, RC2) and overall, per solver."""
    out = []
    keys = sorted({(r["solver"], r["budget_s"]) for r in rows})
    for solver, budget in keys:
        mine = [r for r in rows if r["solver"] == solver and r["budget_s"] == budget]
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in mine:
            cls = r["instance"][:-2]  # C101 -> C1, RC208 -> RC2
            groups.setdefault(cls, []).append(r)
        groups["ALL"] = mine
        for cls, rs in groups.items():
            gaps = [r["gap_pct"] for r in rs if r["gap_pct"] is not None]
            bad = sum(1 for r in rs if r["gap_pct"] is None)
            out.append(
                {
                    "instance": f"mean {cls}",
                    "solver": solver,
                    "budget_s": budget,
                    "objective": None,
                    "best_known": None,
                    "gap_pct": float(np.mean(gaps)) if gaps else None,
                    "seconds": float(np.mean([r["seconds"] for r in rs])),
                    "status": f"max {max(gaps):.2f}%" if gaps else "",
                    "note": f"{len(rs)} instances" + (f", {bad} infeasible" if bad else ""),
                }
            )
    return out

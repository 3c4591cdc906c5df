"""Family ``cflp DIR``: OR-Library capacitated warehouse location (cap41 ... capc).

Format (Beasley 1988): ``m n``; per warehouse ``capacity fixed_cost`` (capa-c write the
word ``capacity`` and give it on the command line of the original code; here a non-number
capacity takes ``--capacity``); per customer its demand, then the cost of serving ALL of
its demand from each warehouse (lines may wrap). ``BKS.csv`` beside the files gives the
multi-source optima (the OR-Library convention). Each instance is solved multi-source and
single-source, by HiGHS and SCIP; single-source is reported infeasible, with the reason,
where a customer's demand exceeds every capacity (cap41-44).
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = [
    "instance",
    "variant",
    "solver",
    "objective",
    "best_known",
    "gap_pct",
    "seconds",
    "status",
    "note",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-limit", type=float, default=60.0, help="per solve, seconds")
    parser.add_argument("--only", nargs="*", default=None, help="instance names to run")
    parser.add_argument(
        "--capacity", type=float, default=None, help="capacity for files that give none (capa-c)"
    )


def read_cap(path: Path, capacity: float | None = None) -> Any:
    """A :class:`solver.location_cflp.CflpProblem` from an OR-Library ``cap*`` file."""
    from solver.location_cflp import CflpProblem

    tok = path.read_text().split()
    m, n = int(tok[0]), int(tok[1])
    pos = 2
    cap, fix = np.empty(m), np.empty(m)
    for j in range(m):
        try:
            cap[j] = float(tok[pos])
        except ValueError:
            if capacity is None:
                raise SystemExit(
                    f"{path.name}: capacity is {tok[pos]!r}; pass --capacity"
                ) from None
            cap[j] = capacity
        fix[j] = float(tok[pos + 1])
        pos += 2
    demand, cost = np.empty(n), np.empty((m, n))
    for i in range(n):
        demand[i] = float(tok[pos])
        cost[:, i] = np.array(tok[pos + 1 : pos + 1 + m], dtype=float)
        pos += 1 + m
    return CflpProblem(fix, cap, demand, cost)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from solver.errors import DataError
    from solver.location_cflp import cflp
    from solver.mip import Backend, MipParams

    folder = Path(args.dir)
    bks: dict[str, float] = {}
    if (folder / "BKS.csv").exists():
        with (folder / "BKS.csv").open(encoding="utf-8") as fh:
            bks = {r["instance"]: float(r["optimal"]) for r in csv.DictReader(fh)}
    files = sorted(
        (p for p in folder.glob("cap*.txt") if re.fullmatch(r"cap[0-9a-z]+", p.stem)),
        key=lambda p: (len(p.stem), p.stem),
    )
    rows: list[dict[str, Any]] = []
    for path in files:
        name = path.stem
        if args.only and name not in args.only:
            continue
        prob = read_cap(path, args.capacity)
        m, n = prob.cost.shape
        for single in (False, True):
            variant = "single-source" if single else "multi-source"
            best = None if single else bks.get(name)
            for backend in (Backend.HIGHS, Backend.SCIP):
                try:
                    res = cflp(
                        prob, single_source=single, params=MipParams(backend, args.time_limit)
                    )
                except DataError as err:
                    rows.append(
                        {
                            "instance": name,
                            "variant": variant,
                            "solver": f"ours ({backend.value})",
                            "status": "infeasible",
                            "note": err.problem[:90],
                        }
                    )
                    continue
                gap = None if best is None else round(100 * (res.objective - best) / best, 6)
                rows.append(
                    {
                        "instance": name,
                        "variant": variant,
                        "solver": f"ours ({backend.value})",
                        "objective": res.objective,
                        "best_known": best,
                        "gap_pct": gap,
                        "seconds": res.seconds,
                        "status": res.status,
                        "note": f"{m} x {n}; {int(res.open_mask.sum())} open; "
                        f"proof gap {100 * res.gap:.3f} %",
                        "bound": res.bound,
                    }
                )
    return rows

"""Benchmark family ``sweep``: relief checks per minute on generated Hengshui floods.

The same ``--scenarios`` (default 50) generated floods are checked three ways: a plain loop
in one process (the peer: no Dask), a local Dask cluster with one worker process, and one
with two. Reported: wall seconds, scenarios per minute, the speed-up of two workers over
one, and Dask's overhead against the plain loop.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

COLUMNS = ["impl", "scenarios", "seconds", "per_minute", "vs_loop"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenarios", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--severity", default="moderate")


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    import dask.distributed as dd

    from scenarios import sweep

    todo = sweep.plan(args.scenarios, args.seed, args.severity)
    sweep._area("hengshui")  # load once, as each worker does on its first task
    tic = time.perf_counter()
    for s, sev in todo:
        sweep.check_one("hengshui", s, sev)
    loop_s = time.perf_counter() - tic
    rows = [{"impl": "plain loop (1 process)", "scenarios": len(todo), "seconds": loop_s}]
    for workers in (1, 2):
        out = Path(tempfile.mkdtemp(prefix="relief-sweep-bench-"))
        cluster = dd.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            host="127.0.0.1",
        )
        address = cluster.scheduler_address
        tic = time.perf_counter()
        sweep.run_sweep(
            "hengshui",
            args.scenarios,
            out,
            seed=args.seed,
            severity=args.severity,
            scheduler=address,
        )
        rows.append(
            {
                "impl": f"Dask local, {workers} worker{'s' if workers > 1 else ''}",
                "scenarios": len(todo),
                "seconds": time.perf_counter() - tic,
            }
        )
        cluster.close()
    for r in rows:
        r["per_minute"] = 60 * r["scenarios"] / r["seconds"]
        r["vs_loop"] = r["seconds"] / loop_s
    return rows

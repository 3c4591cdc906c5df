"""Benchmark runner: ``python benchmarks/run.py FAMILY [DIR] [--jsonl FILE] [options]``.

Each benchmark family lives in its own module in ``benchmarks/`` and is listed in
:data:`FAMILIES`. A family module provides

* ``COLUMNS``: the keys shown in the printed table, in order;
* ``add_arguments(parser)``: its own options (and a ``dir`` positional if it takes one);
* ``run(args) -> list[dict]``: one dict per measurement (extra keys go to the JSONL only;
  a ``detail`` string is printed under the table).

``python benchmarks/run.py all`` runs every family that needs no DIR argument with its
default options. Progress goes to stderr; the table goes to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import math
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@dataclass(frozen=True)
class Family:
    name: str
    module: str
    help: str
    #: "required": the family needs a DIR (e.g. a folder of instances) and is skipped by `all`;
    #: "optional": DIR is accepted but not needed; None: no DIR at all.
    dir_arg: str | None = None
    dir_help: str = ""

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


#: Every benchmark family. Add new ones (pmedian, mclp, setcover, solomon) here.
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "matrix",
            "benchmarks.matrix_bench",
            "travel-time matrices: bundled areas, and a 1M-node synthetic graph vs networkx",
            dir_arg="optional",
            dir_help="keep the generated graph and raw distances here (default: a temp dir)",
        ),
        Family(
            "pmedian",
            "benchmarks.pmedian_bench",
            "OR-Library p-median: ours vs PySAL spopt (PuLP/CBC), proven optima",
            dir_arg="required",
            dir_help="folder of pmedN.txt files (and BKS.csv)",
        ),
        Family(
            "mclp",
            "benchmarks.mclp_bench",
            "Swain maximal covering: ours (SCIP, HiGHS)",
            dir_arg="required",
            dir_help="folder of Swain-format files (and BKS.csv)",
        ),
        Family(
            "setcover",
            "benchmarks.setcover_bench",
            "OR-Library set covering: ours (SCIP, HiGHS)",
            dir_arg="required",
            dir_help="folder of scpNN.txt files (and BKS.csv)",
        ),
        Family(
            "solomon",
            "benchmarks.routing_bench",
            "Solomon VRPTW: OR-Tools, PyVRP and our portfolio at equal time budgets",
            dir_arg="required",
            dir_help="folder of Solomon .vrp/.txt files (and BKS.csv)",
        ),
        Family(
            "dispatch",
            "benchmarks.dispatch_bench",
            "dispatch plans vs the relief check bound: GRASP, greedy, OR-Tools CP-SAT; 3 seeds",
        ),
        Family(
            "service",
            "benchmarks.service_bench",
            "HTTP service: 50 concurrent readers of stock and check results for 60 s (loopback)",
        ),
        Family(
            "sweep",
            "benchmarks.sweep_bench",
            "relief checks per minute on 50 generated floods: plain loop vs Dask 1 and 2 workers",
        ),
        Family(
            "drill",
            "benchmarks.drill_bench",
            "double-blind drill on Hengshui: decision checks, playing trips, scoring vs the "
            "optimiser's own plans",
        ),
        Family(
            "cflp",
            "benchmarks.cflp_bench",
            "OR-Library capacitated facility location: multi- and single-source (HiGHS, SCIP)",
            dir_arg="required",
            dir_help="folder of capNN.txt files (and BKS.csv)",
        ),
        Family(
            "mclp-province",
            "benchmarks.mclp_province_bench",
            "synthetic province maximal covering: 2,000 candidates x 40,000 points",
        ),
        Family(
            "startup",
            "benchmarks.startup_bench",
            "start-up time of relief commands (fresh processes) and their heaviest imports, "
            "beside the bare interpreter",
        ),
        Family(
            "workspace",
            "benchmarks.workspace_bench",
            "the browser workspace in headless Chromium: shell load, a 500-stop dispatch plan "
            "drawn, page weight",
        ),
        Family(
            "check",
            "benchmarks.check_bench",
            "the 10/12-hour relief check: bundled scenarios, exact vs pruned, a 2,000 x 40,000 "
            "synthetic province",
        ),
    )
}


def _format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value == 0:
            return "0"
        mag = abs(value)
        if mag >= 1000:
            return f"{value:,.0f}"
        if mag >= 100:
            return f"{value:.1f}"
        if mag >= 1:
            return f"{value:.2f}"
        if mag >= 0.01:
            return f"{value:.3f}"
        if mag >= 0.0001:
            return f"{value:.4f}"
        return f"{value:.2e}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return "x".join(str(v) for v in value)
    return str(value)


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Plain-text table with aligned columns; numbers right-aligned, text left-aligned."""
    cells = [[_format_cell(r.get(c)) for c in columns] for r in rows]
    numeric = [
        all(
            isinstance(r.get(c), (int, float)) and not isinstance(r.get(c), bool)
            for r in rows
            if r.get(c) is not None
        )
        for c in columns
    ]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out += [line(row) for row in cells]
    return "\n".join(out)


def environment() -> dict[str, Any]:
    import numpy
    import scipy

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.system(),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_jsonl(path: Path, family: str, rows: Sequence[dict[str, Any]]) -> None:
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    env = environment()
    with path.open("a", encoding="utf-8") as fh:
        for row in rows:
            record = {"family": family, "timestamp": stamp, "env": env, **row}
            fh.write(json.dumps(_jsonable(record), ensure_ascii=False) + "\n")


def run_family(family: Family, args: argparse.Namespace) -> list[dict[str, Any]]:
    module = family.load()
    print(f"== {family.name}: {family.help}", file=sys.stderr, flush=True)
    rows: list[dict[str, Any]] = module.run(args)
    print(f"\n[{family.name}]")
    print(format_table(rows, module.COLUMNS))
    for r in rows:
        if r.get("detail"):
            print(f"  * {r.get('case', '')} / {r.get('impl', '')}: {r['detail']}")
    sys.stdout.flush()
    if args.jsonl is not None:
        write_jsonl(args.jsonl, family.name, rows)
    return rows


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Run a benchmark family and print a table (optionally also JSON lines).",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--jsonl", type=Path, metavar="FILE", help="write one JSON line per measurement here"
    )
    sub = parser.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for fam in FAMILIES.values():
        p = sub.add_parser(fam.name, parents=[common], help=fam.help, description=fam.help)
        if fam.dir_arg == "required":
            p.add_argument("dir", type=Path, metavar="DIR", help=fam.dir_help)
        elif fam.dir_arg == "optional":
            p.add_argument(
                "dir", type=Path, metavar="DIR", nargs="?", default=None, help=fam.dir_help
            )
        fam.load().add_arguments(p)
    sub.add_parser(
        "all",
        parents=[common],
        help="every family that needs no DIR, with default options",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jsonl is not None:  # start afresh; families then append
        args.jsonl.parent.mkdir(parents=True, exist_ok=True)
        args.jsonl.write_text("", encoding="utf-8")
    if args.family != "all":
        run_family(FAMILIES[args.family], args)
        return 0
    for fam in FAMILIES.values():
        if fam.dir_arg == "required":
            print(f"== {fam.name}: skipped by 'all' (needs DIR)", file=sys.stderr)
            continue
        fam_args = parser.parse_args([fam.name])
        fam_args.jsonl = args.jsonl
        run_family(fam, fam_args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

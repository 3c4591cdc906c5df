"""Benchmark family ``dispatch``: flood dispatch plans against the relief check's bound.

Each bundled scenario is checked once (the bound: no plan that keeps the loading rule can
meet more people by a target) and then planned by every engine at the same wall-clock
budget, with several seeds:

- ``grasp`` (default): the value-ordered greedy plus seeded randomised restarts;
- ``greedy``: earliest-deadline greedy and value greedy, best of the two;
- ``cp-sat``: OR-Tools CP-SAT on the time-indexed loading-slot model (the named peer:
  Google's solver on the same rules), warm-started from the greedy plan.

Reported per seed: people met by 10 h and 12 h (the plan) beside the bound, the gap in
points, late stops, goods not delivered, seconds; then, per engine, the spread over seeds.
The re-dispatch case closes a main road at hour 6 in the Hengshui example and re-plans.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

COLUMNS = [
    "case",
    "engine",
    "seed",
    "budget_s",
    "met_10",
    "bound_10",
    "gap_10",
    "met_12",
    "bound_12",
    "gap_12",
    "late_stops",
    "unserved_units",
    "seconds",
]
SCENARIOS = ("hengshui-example", "hengshui-2023")
ENGINES = ("grasp", "greedy", "cp-sat")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per plan")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--skip-redispatch", action="store_true")


def _row(
    case: str, engine: str, seed: int | str, budget: float, doc: dict[str, Any], sec: float
) -> dict[str, Any]:
    k = doc["kpis"]
    plan, bound = k["targets"], k["relief_check_targets"]
    row: dict[str, Any] = {
        "case": case,
        "engine": engine,
        "seed": seed,
        "budget_s": budget,
        "late_stops": k["late_stops"],
        "unserved_units": k["unserved_units"],
        "seconds": sec,
    }
    for p in plan:
        hours = round(p["hours"])
        b = next((c for c in bound if abs(c["hours"] - p["hours"]) < 1e-9), None)
        row[f"met_{hours}"] = p["share_met"]
        row[f"bound_{hours}"] = b["share_met"] if b else None
        row[f"gap_{hours}"] = p.get("gap_points")
    return row


def _spread(rows: list[dict[str, Any]], case: str, engine: str, budget: float) -> dict[str, Any]:
    mine = [r for r in rows if r["case"] == case and r["engine"] == engine]
    out: dict[str, Any] = {"case": case, "engine": engine, "seed": "min-max", "budget_s": budget}
    for key in ("met_10", "met_12", "gap_10", "gap_12", "seconds"):
        vals = [r[key] for r in mine if r.get(key) is not None]
        if vals:
            out[key] = f"{min(vals):.3f}-{max(vals):.3f}" if key != "seconds" else max(vals)
    out["bound_10"] = mine[0].get("bound_10") if mine else None
    out["bound_12"] = mine[0].get("bound_12") if mine else None
    return out


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from geodata.area import load_area
    from scenarios.apply import apply_scenario
    from scenarios.check import run_check
    from scenarios.dispatch import DispatchRequest, plan_dispatch
    from scenarios.model import Closure, load_scenario
    from scenarios.redispatch import redispatch

    rows: list[dict[str, Any]] = []
    for name in args.scenarios:
        sc, folder = load_scenario(name)
        area = load_area(sc.area)
        situation = apply_scenario(area, sc, folder=folder)
        tic = time.perf_counter()
        report = run_check(situation)
        print(f"  {name}: bound in {time.perf_counter() - tic:.1f} s", file=sys.stderr)
        mine: list[dict[str, Any]] = []
        replans: list[dict[str, Any]] = []
        for engine in args.engines:
            for seed in args.seeds:
                req = DispatchRequest(time_limit_s=args.time_limit, seed=seed, engine=engine)
                tic = time.perf_counter()
                plan = plan_dispatch(situation, req, folder=folder, report=report)
                sec = time.perf_counter() - tic
                mine.append(_row(name, engine, seed, args.time_limit, plan.doc, sec))
                print(
                    f"  {name} {engine} seed {seed}: {mine[-1]['met_10']:.3f} / "
                    f"{mine[-1]['met_12']:.3f} in {sec:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
                if (
                    name == "hengshui-example"
                    and engine == args.engines[0]
                    and seed == args.seeds[0]
                    and not args.skip_redispatch
                ):
                    tic = time.perf_counter()
                    new = redispatch(
                        plan.plan, 6.0, [Closure(name="桃城区—枣强县")], req, area=area
                    )
                    replans.append(
                        _row(
                            "hengshui-example redispatch @6h",
                            engine,
                            seed,
                            args.time_limit,
                            new.doc,
                            time.perf_counter() - tic,
                        )
                    )
            rows += mine[-len(args.seeds) :]
            if len(args.seeds) > 1:
                rows.append(_spread(mine, name, engine, args.time_limit))
        rows += replans
    return rows

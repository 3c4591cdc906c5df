"""Benchmark family ``dispatch``: flood dispatch plans on the bundled scenarios.

Each scenario is planned with OR-Tools alone (the named peer: Google's routing library),
PyVRP alone and our portfolio (both, one core each, best plan per independent part), at the
same wall-clock budget. Reported: people whose needs are met by 10 h and 12 h (beside the
relief check's optimistic bound), late stops, goods not delivered, driving hours, seconds.
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
    "budget_s",
    "met_10",
    "met_12",
    "check_10",
    "check_12",
    "vehicles",
    "late_stops",
    "unserved_units",
    "drive_h",
    "seconds",
]
SCENARIOS = ("hengshui-example", "hengshui-2023", "zhuozhou-2023")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per plan")
    parser.add_argument("--engines", nargs="+", default=["ortools", "pyvrp", "portfolio"])
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--seed", type=int, default=1)


def _row(case: str, engine: str, budget: float, doc: dict[str, Any], sec: float) -> dict[str, Any]:
    k = doc["kpis"]
    t, c = k["targets"], k["relief_check_targets"]
    return {
        "case": case,
        "engine": engine,
        "budget_s": budget,
        "met_10": t[0]["share_met"],
        "met_12": t[-1]["share_met"],
        "check_10": c[0]["share_met"] if c else None,
        "check_12": c[-1]["share_met"] if c else None,
        "vehicles": k["vehicles_used"],
        "late_stops": k["late_stops"],
        "unserved_units": k["unserved_units"],
        "drive_h": k["drive_h"],
        "seconds": sec,
        "engine_used": k["engine"],
    }


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from geodata.area import load_area
    from scenarios.apply import apply_scenario
    from scenarios.dispatch import DispatchRequest, plan_dispatch
    from scenarios.model import Closure, load_scenario
    from scenarios.redispatch import redispatch

    rows = []
    for name in args.scenarios:
        sc, folder = load_scenario(name)
        area = load_area(sc.area)
        situation = apply_scenario(area, sc, folder=folder)
        for engine in args.engines:
            req = DispatchRequest(time_limit_s=args.time_limit, seed=args.seed, engine=engine)
            tic = time.perf_counter()
            plan = plan_dispatch(situation, req, folder=folder)
            sec = time.perf_counter() - tic
            rows.append(_row(name, engine, args.time_limit, plan.doc, sec))
            print(
                f"  {name} {engine}: {rows[-1]['met_10']:.3f} / {rows[-1]['met_12']:.3f}",
                file=sys.stderr,
                flush=True,
            )
            if name == "hengshui-example" and engine == "portfolio":
                tic = time.perf_counter()
                new = redispatch(plan.doc, 6.0, [Closure(name="桃城区—枣强县")], req, area=area)
                rows.append(
                    _row(
                        "hengshui-example redispatch @6h",
                        engine,
                        args.time_limit,
                        new.doc,
                        time.perf_counter() - tic,
                    )
                )
    return rows

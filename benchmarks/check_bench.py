"""Benchmark family ``check``: the 10/12-hour relief check.

1. The bundled scenarios (Hengshui example and 2023, Zhuozhou 2023): wall time of the whole
   check (scenario applied, the bound's LP per target, and a plan beside it), and
   the exact LP next to the pruned one (30 nearest depots per point) on the same problem.
2. A synthetic province: 2,000 depots in the three tiers, 40,000 population points, 20 flood
   discs; the people inside are checked in place. Run in its own process for peak memory.
   The travel hours are straight-line kilometres x 1.3 at 45 km/h (slower inside floods):
   this measures the solver, not the road engine (which ``matrix`` measures).

There is no external peer for this model; the comparison is exact vs pruned.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from typing import Any

import numpy as np

COLUMNS = [
    "case",
    "impl",
    "demands",
    "depots",
    "columns",
    "seconds",
    "peak_rss_mb",
    "share_10",
    "share_12",
    "note",
]
SCENARIOS = ("hengshui-example", "hengshui-2023", "zhuozhou-2023")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--depots", type=int, default=2000)
    parser.add_argument("--points", type=int, default=40_000)
    parser.add_argument("--floods", type=int, default=20)
    parser.add_argument(
        "--per-point",
        type=int,
        default=10,
        help="at least this many depots considered per point in pruned runs",
    )
    parser.add_argument(
        "--cover",
        type=float,
        default=0.0,
        help="pruned runs add depots until they could deliver this many times a point's need",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-province", action="store_true")


def log(msg: str) -> None:
    print(f"  {msg}", file=sys.stderr, flush=True)


def bench_bundled(per_point: int, cover: float) -> list[dict[str, Any]]:
    from geodata.area import load_area
    from scenarios.apply import apply_scenario
    from scenarios.check import run_check
    from scenarios.model import load_scenario
    from solver.adequacy import check

    rows = []
    for name in SCENARIOS:
        sc, folder = load_scenario(name)
        area = load_area(sc.area)
        t0 = time.perf_counter()
        sit = apply_scenario(area, sc, folder=folder)
        rep = run_check(sit)
        total = time.perf_counter() - t0
        res = rep.result
        log(f"{name}: {total:.2f} s")
        rows.append(
            {
                "case": name,
                "impl": "full check",
                "demands": len(rep.problem.demands),
                "depots": len(rep.problem.supplies),
                "columns": res.stats["columns_10h"],
                "seconds": total,
                "share_10": res.target(10.0).share_met,
                "share_12": res.target(12.0).share_met,
                "note": "scenario applied + the bound's LP per target (no plan)",
            }
        )
        exact_t = time.perf_counter()
        exact = check(rep.problem)
        exact_s = time.perf_counter() - exact_t
        pruned_problem = _with_per_point(rep.problem, per_point, cover)
        pruned_t = time.perf_counter()
        pruned = check(pruned_problem)
        pruned_s = time.perf_counter() - pruned_t
        for impl, r, s in (
            ("LP exact", exact, exact_s),
            (f"LP pruned {per_point}/x{cover:g}", pruned, pruned_s),
        ):
            rows.append(
                {
                    "case": name,
                    "impl": impl,
                    "demands": len(rep.problem.demands),
                    "depots": len(rep.problem.supplies),
                    "columns": r.stats["columns_10h"],
                    "seconds": s,
                    "share_10": r.target(10.0).share_met,
                    "share_12": r.target(12.0).share_met,
                    "note": "check() only",
                }
            )
    return rows


def _with_per_point(problem: Any, per_point: int, cover: float) -> Any:
    import dataclasses

    return dataclasses.replace(problem, max_depots_per_point=per_point, candidate_cover=cover)


def province_problem(
    n_depots: int, n_points: int, n_floods: int, seed: int, per_point: int, cover: float
) -> Any:
    from solver.adequacy import CheckProblem, DemandPoint, SupplyPoint
    from solver.catalogue import DEFAULT_CATALOGUE
    from solver.defaults import TIERS, Tier
    from solver.fleet import FleetClass
    from solver.loading import Dock, LoadingRule

    rng = np.random.default_rng(seed)
    size_km = 300.0
    pts = rng.uniform(0, size_km, size=(n_points, 2))
    people = np.maximum(1, rng.lognormal(6.5, 0.8, n_points)).astype(int)
    centres = rng.uniform(20, size_km - 20, size=(n_floods, 2))
    dist = np.min(np.hypot(*(pts[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)), axis=1)
    flooded = dist < 8.0
    n_mun = max(1, n_depots // 200)
    n_cty = max(1, n_depots // 12)
    tiers = (
        [Tier.MUNICIPAL] * n_mun
        + [Tier.COUNTY] * n_cty
        + [Tier.TOWNSHIP] * (n_depots - n_mun - n_cty)
    )
    # Trucks per tier: the bundled Hengshui fleet's shape (a few heavy trucks in the city,
    # medium ones in counties, light ones in townships); synthetic.
    trucks = {
        Tier.MUNICIPAL: FleetClass("heavy", 6, 25_000, 125.0),
        Tier.COUNTY: FleetClass("medium", 4, 6_000, 35.0),
        Tier.TOWNSHIP: FleetClass("light", 2, 2_000, 17.0),
    }
    classes = ("light", "medium", "heavy")
    rule = LoadingRule()
    dxy = rng.uniform(0, size_km, size=(n_depots, 2))
    supplies = []
    for j, tier in enumerate(tiers):
        d = TIERS[tier]
        stock = DEFAULT_CATALOGUE.needs(d.stock_people, 24.0)
        start = 1.0 + d.alert_delay_h
        bays = rule.bays(d.loading_t_per_h)
        dock = Dock(
            f"D{j}", ((start, start + 24 * 7),), bays, d.loading_t_per_h / bays, rule.dock_h
        )
        supplies.append(SupplyPoint(f"D{j}", stock, dock, (trucks[tier],), tier=tier.value))
    idx = np.flatnonzero(flooded)
    demands = tuple(
        DemandPoint(
            f"P{i}",
            int(people[i]),
            DEFAULT_CATALOGUE.needs(int(people[i]), 24.0),
            5.0,
            0.5 + min(people[i] / 2000, 2.5),
        )
        for i in idx
    )
    km = np.hypot(*(dxy[:, None, :] - pts[None, idx, :]).transpose(2, 0, 1))
    # Straight-line km x 1.3 at 45 km/h, plus the last kilometres inside the flood; heavier
    # classes slower by their speed factors (solver.fleet defaults).
    base = km * 1.3 / 45.0
    factor = {"light": 1.0, "medium": 0.95, "heavy": 0.85}
    out = np.stack([base / factor[c] + 0.3 for c in classes])
    return CheckProblem(
        demands,
        tuple(supplies),
        DEFAULT_CATALOGUE,
        classes,
        arrive_h=out,
        out_h=out,
        back_h=out,
        max_depots_per_point=per_point,
        candidate_cover=cover,
    )


def _province_worker(args: tuple[int, int, int, int, int, float], conn: Any) -> None:
    from solver.adequacy import check

    t0 = time.perf_counter()
    prob = province_problem(*args)
    built = time.perf_counter() - t0
    t1 = time.perf_counter()
    res = check(prob)
    solved = time.perf_counter() - t1
    conn.send(
        {
            "build_s": built,
            "seconds": solved,
            "demands": len(prob.demands),
            "depots": len(prob.supplies),
            "columns": res.stats["columns_10h"],
            "share_10": res.target(10.0).share_met,
            "share_12": res.target(12.0).share_met,
            "people": res.target(10.0).people_total,
            "lp_s": res.stats["solve_s_10h"] + res.stats["solve_s_12h"],
            "rows": res.stats["rows_10h"],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        }
    )
    conn.close()


def bench_province(args: argparse.Namespace) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_province_worker,
        args=(
            (args.depots, args.points, args.floods, args.seed, args.per_point, args.cover),
            child,
        ),
    )
    proc.start()
    child.close()
    out = parent.recv()
    proc.join()
    log(f"province: {out['seconds']:.1f} s, peak {out['peak_rss_mb']:.0f} MB")
    return [
        {
            "case": f"province {args.depots} depots x {args.points} points",
            "impl": f"LP pruned {args.per_point}/x{args.cover:g}",
            "demands": out["demands"],
            "depots": out["depots"],
            "columns": out["columns"],
            "seconds": out["seconds"],
            "peak_rss_mb": out["peak_rss_mb"],
            "share_10": out["share_10"],
            "share_12": out["share_12"],
            "note": f"{out['people']:,} people at the flooded points; {out['rows']:.0f} "
            f"rows at 10 h after row generation; problem built in {out['build_s']:.1f} s "
            "(not included); "
            f"LP {out['lp_s']:.1f} s",
        }
    ]


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = bench_bundled(args.per_point, args.cover)
    if not args.skip_province:
        rows += bench_province(args)
    return rows

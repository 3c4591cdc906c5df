"""Benchmark family ``drill``: how fast the service answers a drill on bundled Hengshui.

``hengshui-exercise``: a player team orders ``--trips`` trips (default 500: the municipal
and county depots' trucks in turn, food and water to every place with people in need, one
decision per ten trips) while all but the last inject are out; then the last inject is
released. Measured: building the drill book, checking one decision (median and slowest),
the first decision after the release (the service's path: the new book reuses the one
before it, then checks against every trip ordered; and the same from a cold start),
playing every trip, and scoring, beside the peer inside the score: the optimiser's own
plans for the same injects (``run_exercise``), which dominates it. Target: a decision
checked in under 1 s with 500 trips ordered (issue #15).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

COLUMNS = ["step", "seconds", "note"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trips", type=int, default=500)
    parser.add_argument("--time-limit", type=float, default=10.0)


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from geodata.area import load_area
    from scenarios.check import run_check
    from scenarios.dispatch import DispatchRequest
    from scenarios.drill import DrillBook, Released, Submitted, decision_from_dict, score_drill
    from scenarios.exercise import run_exercise
    from scenarios.model import LIBRARY, load_scenario

    area = load_area("hengshui")
    sc, folder = load_scenario(LIBRARY / "hengshui-exercise.yaml")
    released = [Released(k, i.at_h) for k, i in enumerate(sc.injects)]
    rows: list[dict[str, Any]] = []
    tic = time.perf_counter()
    early = DrillBook(area, sc, released[:-1], folder=folder)
    rows.append(
        {
            "step": "drill book",
            "seconds": time.perf_counter() - tic,
            "note": f"{len(early.epochs)} situations",
        }
    )
    demands = sorted(run_check(early.final).problem.demands, key=lambda d: -d.people)
    places = sorted({d.id.split("#")[0] for d in demands})
    trucks = [v for v in early.vehicles.values() if v.depot.startswith(("D-M-", "D-C-"))]
    subs: list[Submitted] = []
    checks = []
    hour = 0.0
    for n in range(0, args.trips, 10):
        trips = [
            {
                "vehicle": trucks[(n + k) % len(trucks)].id,
                "stops": [
                    {"point": places[(n + k) % len(places)], "items": {"food": 5, "water": 15}}
                ],
            }
            for k in range(min(10, args.trips - n))
        ]
        dec = decision_from_dict({"trips": trips})
        hour = released[-1].at_h * n / args.trips
        tic = time.perf_counter()
        early.check(dec, hour, subs, "bench")
        checks.append(time.perf_counter() - tic)
        subs.append(Submitted(hour, "bench", dec))
    rows.append(
        {
            "step": "check one decision (median)",
            "seconds": statistics.median(checks),
            "note": f"{len(checks)} decisions of up to 10 trips to {len(places)} places; "
            f"slowest {max(checks):.2f} s",
        }
    )
    last = decision_from_dict(
        {
            "trips": [
                {"vehicle": trucks[0].id, "stops": [{"point": places[0], "items": {"food": 1}}]}
            ]
        }
    )
    at = released[-1].at_h
    tic = time.perf_counter()
    book = early.after(released)
    book.check(last, at, subs, "bench")
    rows.append(
        {
            "step": "first decision after a release",
            "seconds": time.perf_counter() - tic,
            "note": f"new book from the one before, checked against {len(subs) * 10} trips",
        }
    )
    tic = time.perf_counter()
    DrillBook(area, sc, released, folder=folder).check(last, at, subs, "bench")
    rows.append(
        {
            "step": "same, cold (no book before)",
            "seconds": time.perf_counter() - tic,
            "note": "a restarted service's first decision",
        }
    )
    tic = time.perf_counter()
    runs = book.play(subs)
    rows.append(
        {
            "step": "play every trip",
            "seconds": time.perf_counter() - tic,
            "note": f"{len(runs)} trips",
        }
    )
    req = DispatchRequest(time_limit_s=args.time_limit)
    played = sc.model_copy(update={"injects": book.injects})
    tic = time.perf_counter()
    run_exercise(area, played, folder=folder, request=req)
    rows.append(
        {
            "step": "peer: optimiser's plans (run_exercise)",
            "seconds": time.perf_counter() - tic,
            "note": f"{len(released) + 1} plans at {args.time_limit:g} s",
        }
    )
    tic = time.perf_counter()
    out = score_drill(area, sc, released, subs, req, folder=folder)
    p, o = out["players"]["targets"][0], out["optimiser"]["targets"][0]
    rows.append(
        {
            "step": "score (players + optimiser)",
            "seconds": time.perf_counter() - tic,
            "note": f"met by 10 h: players {p['share_met']:.1%}, optimiser {o['share_met']:.1%}",
        }
    )
    return rows

"""Benchmark family ``drill``: how fast the service answers a drill on bundled Hengshui.

``hengshui-exercise`` with its three injects released on time; a player team orders
``--trips`` trips (the municipal and county depots' trucks in turn, food and water to
the largest shelters, one decision per ten trips). Measured: building the drill book (one
situation per inject released: what the first decision after a release waits for), checking
one decision (median), playing every trip, and scoring, beside the peer inside the score:
the optimiser's own plans for the same injects (``run_exercise``), which dominates it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

COLUMNS = ["step", "seconds", "note"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trips", type=int, default=100)
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
    book = DrillBook(area, sc, released, folder=folder)
    rows.append(
        {
            "step": "drill book",
            "seconds": time.perf_counter() - tic,
            "note": f"{len(book.epochs)} situations",
        }
    )
    demands = sorted(
        run_check(book.final, fleet_bound=False).problem.demands, key=lambda d: -d.people
    )[:20]
    trucks = [v for v in book.vehicles.values() if v.depot.startswith(("D-M-", "D-C-"))]
    subs: list[Submitted] = []
    checks = []
    for n in range(0, args.trips, 10):
        trips = [
            {
                "vehicle": trucks[(n + k) % len(trucks)].id,
                "stops": [
                    {
                        "point": demands[(n + k) % len(demands)].id.split("#")[0],
                        "items": {"food": 50, "water": 150},
                    }
                ],
            }
            for k in range(min(10, args.trips - n))
        ]
        dec = decision_from_dict({"trips": trips})
        hour = 0.5 + n / 10
        tic = time.perf_counter()
        book.check(dec, hour, subs)
        checks.append(time.perf_counter() - tic)
        subs.append(Submitted(hour, "bench", dec))
    rows.append(
        {
            "step": "check one decision (median)",
            "seconds": statistics.median(checks),
            "note": f"{len(checks)} decisions of up to 10 trips; the last after "
            f"{sum(len(s.decision.trips) for s in subs[:-1])} trips",
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

"""Sweeps: the relief check over many generated floods, on a Dask cluster.

Scenario ``k`` of a sweep is :func:`scenarios.generate.generate_scenario` with seed
``seed + k`` (and the severity given, or the four in turn), so a sweep is reproducible. Each
result is written to ``out/results/<name>.json`` as soon as it arrives; a sweep run again
into the same folder reuses those files and computes only what is missing (a stopped sweep
resumes; nothing is computed or stored twice). The summary gives the distribution of the
share met by each target, how often each reason binds, and the worst scenarios.

Dask: a local cluster (two worker processes, loopback, no dashboard) by default, or an
existing scheduler by address; an address that does not answer fails within seconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geodata.area import Area, load_area
from geodata.io import write_atomic
from scenarios.generate import SEVERITIES, generate_scenario
from solver.errors import DataError


@lru_cache(maxsize=4)
def _area(name: str) -> Area:  # once per worker process
    return load_area(name)


def check_one(area: str, seed: int, severity: str) -> dict[str, Any]:
    """Generate one scenario and run the relief check on it (runs on a worker)."""
    from scenarios.apply import apply_scenario
    from scenarios.check import run_check
    from scenarios.model import scenario_from_dict

    a = _area(area)
    data = generate_scenario(a, seed, severity)
    situation = apply_scenario(a, scenario_from_dict(data, source=data["name"]))
    rep = run_check(situation)
    first = min(t.hours for t in rep.result.targets)
    # Places (people in a shelter and any overflow left in place count as one place).
    late: dict[str, int] = {}
    place_of = {d.id: d.place for d in rep.problem.demands}
    for p in rep.result.points:
        if p.people > 0 and p.status(first) != "met":
            place = place_of[p.id]
            late[place] = late.get(place, 0) + p.people
    # The depots the bound waits on: those whose stock, bays or trucks pinch at the first
    # target (one count per pinching rule).
    waited: dict[str, int] = {}
    for pinch in rep.result.target(first).pinches:
        waited[pinch.depot] = waited.get(pinch.depot, 0) + 1
    return {
        "name": data["name"],
        "seed": seed,
        "severity": severity,
        "people": situation.people_affected,
        "closures": len(data["closures"]),
        "depots_lost": data["depots_lost"],
        "response_level": data["response_level"],
        "targets": {f"{t.hours:g}": round(t.share_met, 4) for t in rep.result.targets},
        "binding": {f"{t.hours:g}": t.binding for t in rep.result.targets},
        "late_points": late,
        "late_depots": waited,
    }


def plan(n: int, seed: int, severity: str | None) -> list[tuple[int, str]]:
    """(seed, severity) of each scenario of the sweep."""
    if n < 1:
        raise DataError("must be >= 1", field="scenarios", problem_zh="情景数须≥1")
    if severity is not None and severity not in SEVERITIES:
        raise DataError(
            f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}",
            field="severity",
            problem_zh="未知灾情等级",
        )
    cycle = list(SEVERITIES)
    return [(seed + k, severity or cycle[k % len(cycle)]) for k in range(n)]


def run_sweep(
    area: str,
    n: int,
    out: Path,
    *,
    seed: int = 1,
    severity: str | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) a sweep into ``out``; return the summary (also ``summary.json``)."""
    from dask.distributed import Client, LocalCluster, as_completed

    todo = plan(n, seed, severity)
    folder = out / "results"
    folder.mkdir(parents=True, exist_ok=True)
    done = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
    wanted = {f"{area}-{sev}-{s}": (s, sev) for s, sev in todo}
    missing = [(name, s, sev) for name, (s, sev) in wanted.items() if name not in done]
    reused = len(wanted) - len(missing)
    say = progress or (lambda k, total: None)
    say(reused, len(wanted))
    if missing:
        cluster = None
        try:
            if scheduler:
                client = Client(scheduler, timeout="5s")
            else:
                cluster = LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # any free port: never clashes with 8787
                    host="127.0.0.1",
                )
                client = Client(cluster)
        except (OSError, TimeoutError) as exc:
            raise DataError(
                f"no Dask scheduler answers at {scheduler!r} ({exc})",
                field="--scheduler",
                problem_zh="无法连接 Dask 调度器",
            ) from None
        try:
            futures = [client.submit(check_one, area, s, sev, key=name) for name, s, sev in missing]
            for k, fut in enumerate(as_completed(futures), start=1):
                result = fut.result()
                _write(folder / f"{result['name']}.json", json.dumps(result, ensure_ascii=False))
                done[result["name"]] = result
                say(reused + k, len(wanted))
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    results = [done[name] for name in wanted]
    summary = summarise(results)
    summary.update(
        {"area": area, "scenarios": len(results), "computed": len(missing), "reused": reused}
    )
    _write(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1))
    return summary


def sweep_floods(area: Area, out: Path) -> list[gpd.GeoDataFrame]:
    """The flood of each scenario stored in sweep folder ``out``, for robust siting.

    Each is regenerated from its seed and severity (the generator is deterministic); in
    name order.
    """
    files = sorted((out / "results").glob("*.json"))
    if not files:
        raise DataError(
            "no sweep results in this folder (expected results/*.json)",
            source=str(out),
            field="--sweep",
            problem_zh="该目录下没有扫描结果",
        )
    frames = []
    for f in files:
        r = json.loads(f.read_text(encoding="utf-8"))
        data = generate_scenario(area, int(r["seed"]), str(r["severity"]))
        if data["name"] != r["name"]:
            raise DataError(
                f"result {r['name']!r} was made for another area or generator version",
                source=str(f),
                field="--sweep",
                problem_zh="扫描结果与区域不符",
            )
        fl = data["floods"][0]
        frames.append(
            gpd.GeoDataFrame(
                {"name": [r["name"]], "depth_m": [float(fl["depth_m"])]},
                geometry=[shapely.Polygon(fl["polygon"])],
                crs=4326,
            )
        )
    return frames


def _write(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The sweep's summary.

    Distribution of the share met per target, binding reasons, the places late and the
    depots waited on most often, worst scenarios.
    """
    targets = sorted({t for r in results for t in r["targets"]}, key=float)
    dist = {}
    for t in targets:
        shares = np.array([r["targets"][t] for r in results])
        dist[t] = {
            "min": float(shares.min()),
            "p10": float(np.percentile(shares, 10)),
            "median": float(np.median(shares)),
            "p90": float(np.percentile(shares, 90)),
            "max": float(shares.max()),
            "mean": float(shares.mean()),
            "all_met": float(np.mean(shares >= 1 - 1e-9)),
        }
    binding: dict[str, dict[str, int]] = {}
    for t in targets:
        for r in results:
            reason = r["binding"].get(t) or "none"
            binding.setdefault(t, {})[reason] = binding.setdefault(t, {}).get(reason, 0) + 1
    points: dict[str, int] = {}
    depots: dict[str, int] = {}
    for r in results:  # results stored before these fields existed have none
        for pid in r.get("late_points", {}):
            points[pid] = points.get(pid, 0) + 1
        for dep in r.get("late_depots", {}):
            depots[dep] = depots.get(dep, 0) + 1
    first = targets[0] if targets else None
    worst = sorted(results, key=lambda r: (r["targets"].get(first, 1.0), r["name"]))[:5]
    return {
        "share_met": dist,
        "binding": binding,
        # How many scenarios each place is not fully met by the first target in, and how
        # many scenarios each depot is the last supplier of a place that is late.
        "points_late_most": [
            {"point": k, "scenarios": n}
            for k, n in sorted(points.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        ],
        "depots_waited_on_most": [
            {"depot": k, "scenarios": n}
            for k, n in sorted(depots.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        ],
        "worst": [
            {"name": r["name"], "share_met": r["targets"], "people": r["people"]} for r in worst
        ],
    }

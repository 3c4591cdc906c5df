"""Benchmark family ``service``: the HTTP service under concurrent readers (loopback only).

A server (``relief serve``, SQLite, one process) runs on 127.0.0.1 with one finished relief
check on the bundled Hengshui example. ``--clients`` concurrent clients (default 50) read,
in turn, a depot list with stock and that check result, for ``--seconds`` (default 60).
Reported: requests, errors, and p50 / p95 / p99 latency per request kind.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = ["request", "clients", "seconds", "requests", "errors", "p50_ms", "p95_ms", "p99_ms"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=8791)


async def _client(
    base: str,
    head: dict[str, str],
    paths: list[str],
    until: float,
    out: dict[str, list[float]],
    errors: dict[str, int],
) -> None:
    import httpx2 as httpx

    async with httpx.AsyncClient(base_url=base, headers=head, timeout=30) as c:
        k = 0
        while time.monotonic() < until:
            path = paths[k % len(paths)]
            k += 1
            tic = time.perf_counter()
            try:
                r = await c.get(path)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                out[path].append(1000 * (time.perf_counter() - tic))
            else:
                errors[path] += 1


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    import httpx2 as httpx

    from service.api.auth import create_token
    from service.api.db import open_db

    tmp = Path(tempfile.mkdtemp(prefix="relief-bench-"))
    db = f"sqlite:///{tmp / 'relief.db'}"
    engine, sessions = open_db(db)
    with sessions() as s:
        head = {"Authorization": f"Bearer {create_token(s, 'bench', 'planner')}"}
    engine.dispose()
    base = f"http://127.0.0.1:{args.port}"
    cmd = [
        sys.executable,
        "-m",
        "service.cli",
        "serve",
        "--port",
        str(args.port),
        "--db",
        db,
        "--data-dir",
        str(tmp / "data"),
    ]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        body = {"kind": "check", "area": "hengshui", "scenario": "hengshui-example"}
        job = httpx.post(f"{base}/jobs", json=body, headers=head).json()["id"]
        while httpx.get(f"{base}/jobs/{job}", headers=head).json()["status"] != "done":
            time.sleep(0.2)
        paths = ["/areas/hengshui/depots", f"/jobs/{job}/result"]
        out: dict[str, list[float]] = {p: [] for p in paths}
        errors: dict[str, int] = dict.fromkeys(paths, 0)
        until = time.monotonic() + args.seconds

        async def main() -> None:
            await asyncio.gather(
                *(
                    _client(base, head, paths[n % 2 :] + paths[: n % 2], until, out, errors)
                    for n in range(args.clients)
                )
            )

        asyncio.run(main())
    finally:
        server.terminate()
        server.wait(timeout=10)
    rows = []
    for path, label in zip(paths, ["depots with stock", "check result (JSON)"], strict=True):
        lat = np.array(out[path])
        rows.append(
            {
                "request": label,
                "clients": args.clients,
                "seconds": args.seconds,
                "requests": len(lat),
                "errors": errors[path],
                "p50_ms": float(np.percentile(lat, 50)) if len(lat) else None,
                "p95_ms": float(np.percentile(lat, 95)) if len(lat) else None,
                "p99_ms": float(np.percentile(lat, 99)) if len(lat) else None,
            }
        )
    return rows

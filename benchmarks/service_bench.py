"""Benchmark family ``service``: the HTTP service under concurrent readers (loopback only).

The server runs in its documented production form (README, "Running the service"): one
``relief serve`` process on 127.0.0.1, whose routes run on a thread pool (the work is off
the event loop) and whose answers that pages read on every visit are made once (cached
with gzip and ETags). It runs once per database in the same benchmark run: SQLite, then
PostgreSQL (``--pg URL``, else ``$RELIEF_TEST_PG``, else a private cluster started with
``.ci/postgres.sh``; said and skipped if none can be had). Each database holds one finished
relief check on the bundled Hengshui example and two uploaded flood layers.

``--clients`` concurrent clients (default 50) read, in turn, the depot list with stock and
that check result, for ``--seconds`` (default 60) per mode:

* ``full``: every request fetches the whole answer (gzip accepted, as browsers do; bytes
  are read raw, so the client's decompression is not timed);
* ``revalidate``: clients send back the ETag they got (``If-None-Match``), as a page that
  is visited again does; unchanged answers come back as 304.

Reported per database, mode and request: requests, requests/s, errors, p50 / p95 / p99.
Target (issue #15): p99 < 300 ms for both requests, 0 errors, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = [
    "database",
    "mode",
    "request",
    "requests",
    "req_per_s",
    "errors",
    "p50_ms",
    "p95_ms",
    "p99_ms",
]
REPO = Path(__file__).resolve().parent.parent
RING = [[115.60, 37.70], [115.62, 37.70], [115.62, 37.72], [115.60, 37.72], [115.60, 37.70]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--pg", default=None, help="PostgreSQL admin URL (postgresql+psycopg://)")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--modes", nargs="+", default=["full", "revalidate"])


async def _client(
    base: str,
    head: dict[str, str],
    paths: list[str],
    until: float,
    out: dict[str, list[float]],
    errors: dict[str, int],
    revalidate: bool,
) -> None:
    import httpx2 as httpx

    tags: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=base, headers=head, timeout=30) as c:
        k = 0
        while time.monotonic() < until:
            path = paths[k % len(paths)]
            k += 1
            extra = {"If-None-Match": tags[path]} if revalidate and path in tags else {}
            tic = time.perf_counter()
            try:
                async with c.stream("GET", path, headers=extra) as r:
                    async for _ in r.aiter_raw():
                        pass
                ok = r.status_code in (200, 304)
                if ok and "etag" in r.headers:
                    tags[path] = r.headers["etag"]
            except httpx.HTTPError:
                ok = False
            if ok:
                out[path].append(1000 * (time.perf_counter() - tic))
            else:
                errors[path] += 1


def _pg_admin(args: argparse.Namespace, tmp: Path) -> tuple[str | None, str | None]:
    """A PostgreSQL admin URL and, when a private cluster was started, its folder."""
    if args.pg or os.environ.get("RELIEF_TEST_PG"):
        return args.pg or os.environ["RELIEF_TEST_PG"], None
    folder = tmp / "pg"
    env = {**os.environ, "PGPORT_TEST": str(args.port + 100)}
    try:
        got = subprocess.run(
            ["bash", str(REPO / ".ci/postgres.sh"), "start", str(folder)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"[service] no PostgreSQL ({exc}); its rows are skipped", file=sys.stderr)
        return None, None
    return got.stdout.strip().splitlines()[-1], str(folder)


def _database(kind: str, admin: str | None, tmp: Path) -> tuple[str, Any]:
    """A fresh database URL of ``kind`` and how to drop it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'relief.db'}", lambda: None
    import psycopg

    assert admin is not None
    plain = admin.replace("postgresql+psycopg://", "postgresql://")
    name = f"relief_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(plain.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


def _one_database(kind: str, db: str, tmp: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    import httpx2 as httpx

    from service.api.auth import create_token
    from service.api.db import open_db

    engine, sessions = open_db(db)
    with sessions() as s:
        head = {"Authorization": f"Bearer {create_token(s, 'bench', 'planner')}"}
    engine.dispose()
    base = f"http://127.0.0.1:{args.port}"
    cmd = [sys.executable, "-m", "service.cli", "serve", "--port", str(args.port), "--db", db]
    cmd += ["--data-dir", str(tmp / "data")]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows: list[dict[str, Any]] = []
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        for k in range(2):  # a database holding a few uploaded layers
            fc = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"depth_m": 0.5 + k},
                        "geometry": {"type": "Polygon", "coordinates": [RING]},
                    }
                ],
            }
            httpx.post(
                f"{base}/areas/hengshui/floods?name=f{k}", content=json.dumps(fc), headers=head
            ).raise_for_status()
        body = {"kind": "check", "area": "hengshui", "scenario": "hengshui-example"}
        job = httpx.post(f"{base}/jobs", json=body, headers=head).json()["id"]
        while True:
            status = httpx.get(f"{base}/jobs/{job}", headers=head).json()["status"]
            if status in ("done", "failed"):
                break
            time.sleep(0.2)
        if status != "done":
            raise RuntimeError(f"the check job {status}")
        paths = ["/areas/hengshui/depots", f"/jobs/{job}/result"]
        sizes = {p: len(httpx.get(f"{base}{p}", headers=head).content) for p in paths}
        for mode in args.modes:
            out: dict[str, list[float]] = {p: [] for p in paths}
            errors: dict[str, int] = dict.fromkeys(paths, 0)
            until = time.monotonic() + args.seconds

            async def main(
                out: Any = out, errors: Any = errors, until: float = until, mode: str = mode
            ) -> None:
                await asyncio.gather(
                    *(
                        _client(
                            base,
                            head,
                            paths[n % 2 :] + paths[: n % 2],
                            until,
                            out,
                            errors,
                            mode == "revalidate",
                        )
                        for n in range(args.clients)
                    )
                )

            print(f"[service] {kind}, {mode}: {args.seconds:g} s", file=sys.stderr)
            asyncio.run(main())
            labels = ["depots with stock", "check result (JSON)"]
            for path, label in zip(paths, labels, strict=True):
                lat = np.array(out[path])
                rows.append(
                    {
                        "database": kind,
                        "mode": mode,
                        "request": label,
                        "clients": args.clients,
                        "seconds": args.seconds,
                        "requests": len(lat),
                        "req_per_s": round(len(lat) / args.seconds, 1),
                        "errors": errors[path],
                        "bytes": sizes[path],
                        "p50_ms": float(np.percentile(lat, 50)) if len(lat) else None,
                        "p95_ms": float(np.percentile(lat, 95)) if len(lat) else None,
                        "p99_ms": float(np.percentile(lat, 99)) if len(lat) else None,
                    }
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="relief-bench-"))
    rows: list[dict[str, Any]] = []
    admin, cluster = (None, None)
    if "postgresql" in args.databases:
        admin, cluster = _pg_admin(args, tmp)
    try:
        for kind in args.databases:
            if kind == "postgresql" and admin is None:
                continue
            folder = tmp / kind
            folder.mkdir()
            db, drop = _database(kind, admin, folder)
            try:
                rows += _one_database(kind, db, folder, args)
            finally:
                drop()
    finally:
        if cluster is not None:
            subprocess.run(
                ["bash", str(REPO / ".ci/postgres.sh"), "stop", cluster],
                capture_output=True,
                check=False,
            )
    load = os.getloadavg()
    if rows:
        rows[-1]["detail"] = (
            f"{os.cpu_count()} cores; load average at the end {load[0]:.1f}; server: one "
            "`relief serve` process (sync routes on its thread pool), client in this process"
        )
    return rows

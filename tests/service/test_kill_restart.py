"""Kill the server with SIGKILL while a job runs; after a restart the job finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from service.api.auth import create_token
from service.api.db import open_db
from tests.service.live_server import free_port
from tests.service.test_api import dispatch_scenario


def start(db: str, data, port: int, area) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "service.cli",
        "serve",
        "--port",
        str(port),
        "--db",
        db,
        "--data-dir",
        str(data),
        "--area",
        f"tiny={area}",
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def get(url, headers=None):
    import httpx2 as httpx

    for _ in range(200):
        try:
            return httpx.get(url, headers=headers, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}")


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_job_survives_sigkill(tmp_path, tiny_gpkg):
    import httpx2 as httpx

    db = f"sqlite:///{tmp_path / 'relief.db'}"
    engine, sessions = open_db(db)
    with sessions() as s:
        head = {"Authorization": f"Bearer {create_token(s, 'ops', 'duty_officer')}"}
    engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(db, tmp_path / "data", port, tiny_gpkg)
    try:
        get(f"{base}/health")
        body = {  # a dispatch that runs for its whole 8-s limit (no solution limit)
            "kind": "dispatch",
            "area": "tiny",
            "scenario": dispatch_scenario(),
            "options": {"time_limit_s": 8, "engine": "cp-sat"},
        }
        job = httpx.post(f"{base}/jobs", json=body, headers=head).json()["id"]
        for _ in range(100):
            if get(f"{base}/jobs/{job}", head).json()["status"] == "running":
                break
            time.sleep(0.1)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        server = start(db, tmp_path / "data", port, tiny_gpkg)
        for _ in range(600):
            state = get(f"{base}/jobs/{job}", head).json()
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert state["status"] == "done", state
        result = get(f"{base}{state['result']}", head).json()
        assert result["plan"]["routes"]
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)

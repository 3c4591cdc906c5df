"""Sweeps on a local Dask cluster: ≥ 50 scenarios, resumable, no duplicates."""

from __future__ import annotations

import json
import time

import pytest

from scenarios.sweep import plan, run_sweep
from solver.errors import DataError


def test_sweep_of_50_resumes_without_recomputing(tmp_path):
    """20 scenarios, then the same sweep asked for 50: the 20 are reused untouched, 30
    computed, 50 results and no duplicates; the summary describes all 50."""
    first = run_sweep("hengshui", 20, tmp_path, seed=100, severity="minor")
    assert (first["computed"], first["reused"]) == (20, 0)
    files = sorted((tmp_path / "results").glob("*.json"))
    stamps = {p.name: p.stat().st_mtime_ns for p in files}
    full = run_sweep("hengshui", 50, tmp_path, seed=100, severity="minor")
    assert (full["computed"], full["reused"], full["scenarios"]) == (30, 20, 50)
    after = sorted((tmp_path / "results").glob("*.json"))
    assert len(after) == 50 and len({p.name for p in after}) == 50
    assert all(stamps[n] == (tmp_path / "results" / n).stat().st_mtime_ns for n in stamps)
    d = full["share_met"]["10"]
    assert 0.0 <= d["min"] <= d["p10"] <= d["median"] <= d["p90"] <= d["max"] <= 1.0
    names = {json.loads(p.read_text(encoding="utf-8"))["name"] for p in after}
    assert names == {f"hengshui-minor-{s}" for s in range(100, 150)}


def test_bad_sweeps_are_refused_quickly(tmp_path):
    with pytest.raises(DataError) as e:
        plan(0, 1, None)
    assert e.value.field == "scenarios"
    with pytest.raises(DataError) as e:
        plan(5, 1, "apocalyptic")
    assert e.value.field == "severity"
    tic = time.monotonic()
    with pytest.raises(DataError) as e:
        run_sweep("hengshui", 2, tmp_path, scheduler="tcp://127.0.0.1:9")
    assert e.value.field == "--scheduler"
    assert time.monotonic() - tic < 30

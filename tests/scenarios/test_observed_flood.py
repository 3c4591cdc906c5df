"""An observed flood: a satellite-style water mask of ~1,500 small polygons over Zhuozhou.

The issue's case: such a layer (no depth per feature, overlapping cells, a sliver) once ended
the check with "ABNORMAL" and printed an internal depth sentinel. The check must answer, the
warnings must name features, and the plan must stay under the bound.
"""

import json
import logging
import re

import numpy as np
import pytest
import shapely

from geodata.area import load_area
from scenarios.apply import apply_scenario
from scenarios.check import run_check
from scenarios.dispatch import DispatchRequest, plan_dispatch
from scenarios.model import scenario_from_dict

pytestmark = pytest.mark.slow


def water_mask(n: int, seed: int) -> dict:
    """``n`` small cells (about 150-400 m) clustered along two synthetic river reaches in the
    Xiaoqing He detention area, overlapping one another, plus one zero-area sliver."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, n)
    reach = rng.integers(0, 2, n)
    x = np.where(reach == 0, 116.05 + 0.18 * t, 116.00 + 0.20 * t) + rng.normal(0, 0.012, n)
    y = np.where(reach == 0, 39.48 + 0.12 * t, 39.35 + 0.07 * t) + rng.normal(0, 0.010, n)
    size = rng.uniform(0.0015, 0.004, n)
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"w{i}"},
            "geometry": shapely.geometry.mapping(shapely.box(a, b, a + s, b + s * 0.8)),
        }
        for i, (a, b, s) in enumerate(zip(x, y, size, strict=True))
    ]
    features.append(
        {
            "type": "Feature",
            "properties": {"id": "sliver"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[116.1, 39.5], [116.11, 39.5], [116.1, 39.5], [116.1, 39.5]]],
            },
        }
    )
    return {"type": "FeatureCollection", "features": features}


def test_a_water_mask_of_1500_polygons_is_checked_and_planned(tmp_path, caplog):
    (tmp_path / "mask.geojson").write_text(json.dumps(water_mask(1500, 3)), encoding="utf-8")
    sc = scenario_from_dict(
        {
            "name": "observed",
            "area": "zhuozhou",
            "report_time": "2023-07-31T12:00:00+08:00",
            "floods": [{"name": "mask", "file": "mask.geojson", "depth_m": 1.0}],
            "affected": [{"all_points": True, "in_flood": "mask", "people": 20_000}],
            "evacuation": {"mode": "shelter"},
        }
    )
    area = load_area("zhuozhou")
    with caplog.at_level(logging.WARNING):
        situation = apply_scenario(area, sc, folder=tmp_path)
        report = run_check(situation)
    # The sliver is named and left out; the overlaps are reported, not fatal.
    assert "'sliver'" in caplog.text and "overlap" in caplog.text
    # Every feature without its own depth took the entry's 1.0 m: no other depth is printed.
    printed = " ".join([caplog.text, *situation.notes])
    assert set(re.findall(r"(\d+(?:\.\d+)?) m of water", printed)) <= {"1.0"}
    assert sum(situation.affected.values()) == 20_000
    doc = report.to_json()
    assert [t["hours"] for t in doc["targets"]] == [10.0, 12.0]
    shares = [t["share_met"] for t in doc["targets"]]
    assert 0.0 < shares[0] <= shares[1] <= 1.0
    # Every point is met or has a reason.
    assert all(p["status"] == "met" or p["reason"] for p in doc["points"])
    plan = plan_dispatch(situation, DispatchRequest(time_limit_s=2, engine="greedy"), report=report)
    for row in plan.doc["kpis"]["targets"]:
        assert row["share_met"] <= row["bound_people_met"] / row["people_total"] + 1e-9

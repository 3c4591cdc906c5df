"""What the workspace's planner uploads go through: a flood drawn or uploaded with a depth
(``POST /areas/{area}/floods?depth_m=``), refused when its edges cross instead of being
repaired behind the user's back, and a scenario sent as a YAML file
(``PUT /scenarios/{name}/yaml``), read by the scenario reader as the CLI reads it."""

from __future__ import annotations

import json
import re

import yaml

from tests.conftest import BAD, TINY

CJK = re.compile(r"[\u4e00-\u9fff]")


def _polygon(ring, **props):
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                }
            ],
        }
    )


def test_a_self_intersecting_flood_is_refused_naming_the_geometry(module_service):
    """A bow-tie (edges crossing) is a 422 naming field ``geometry`` and the crossing, in both
    languages; nothing is stored. The same shape with its vertices in order is stored, its
    depth from ``depth_m``; an absurd ``depth_m`` is refused naming it."""
    client, heads, _ = module_service
    before = client.get("/areas/tiny/floods", headers=heads["viewer"]).json()
    bowtie = [[115.612, 37.696], [115.618, 37.704], [115.618, 37.696], [115.612, 37.704]]
    r = client.post(
        "/areas/tiny/floods?name=bowtie&depth_m=1.2",
        content=_polygon(bowtie),
        headers=heads["planner"],
    )
    assert r.status_code == 422, r.text
    err = r.json()
    assert err["field"] == "geometry"
    assert "Self-intersection" in err["problem"] and "must not cross" in err["problem"]
    assert "自相交" in err["problem_zh"] and CJK.search(err["problem_zh"])
    assert client.get("/areas/tiny/floods", headers=heads["viewer"]).json() == before

    r = client.post(
        "/areas/tiny/floods?name=box&depth_m=31",
        content=_polygon([bowtie[0], bowtie[2], bowtie[1], bowtie[3]]),
        headers=heads["planner"],
    )
    assert r.status_code == 422 and r.json()["field"] == "depth_m", r.text
    assert "不合理" in r.json()["problem_zh"]
    r = client.post(
        "/areas/tiny/floods?name=box&depth_m=1.2",
        content=_polygon([bowtie[0], bowtie[2], bowtie[1], bowtie[3]]),
        headers=heads["planner"],
    )
    assert r.status_code == 201, r.text
    listed = client.get("/areas/tiny/floods", headers=heads["viewer"]).json()
    assert r.json()["id"] in [x["id"] for x in listed] and len(listed) == len(before) + 1


def test_a_scenario_yaml_is_stored_and_a_bad_one_refused(module_service):
    """A YAML file is stored as its mapping and listed; broken YAML and a bad field are
    refused as the CLI refuses the file (the field named), nothing stored."""
    client, heads, _ = module_service
    text = (TINY / "dispatch.yaml").read_text(encoding="utf-8")
    yaml_head = {**heads["planner"], "Content-Type": "application/yaml"}
    r = client.put(
        "/scenarios/bad-one/yaml",
        content=(BAD / "scenario_BadYaml.yaml").read_bytes(),
        headers=yaml_head,
    )
    assert r.status_code == 422, r.text
    assert "not valid YAML" in r.json()["problem"] and r.json()["problem_zh"] == "YAML 格式错误"
    assert str(BAD) not in r.text and "uploads" not in r.json()["problem"]
    r = client.put(
        "/scenarios/bad-one/yaml",
        content=(BAD / "scenario_UnknownKey.yaml").read_bytes(),
        headers=yaml_head,
    )
    assert r.status_code == 422 and r.json()["field"] == "floodz", r.text
    listed = client.get("/scenarios", headers=heads["viewer"]).json()
    assert "bad-one" not in [s["name"] for s in listed]

    r = client.put("/scenarios/from-yaml/yaml", content=text.encode(), headers=yaml_head)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.json()["area"] == "tiny"
    stored = client.get("/scenarios/from-yaml", headers=heads["viewer"]).json()
    mine = json.loads(json.dumps(yaml.safe_load(text), default=str))
    assert stored["body"]["affected"] == mine["affected"]
    listed = client.get("/scenarios", headers=heads["viewer"]).json()
    assert ("from-yaml", "stored") in [(s["name"], s["source"]) for s in listed]
    r = client.put(
        "/scenarios/from-yaml/yaml?expected_version=0", content=text.encode(), headers=yaml_head
    )
    assert r.status_code == 409, r.text

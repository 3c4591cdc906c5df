"""Generated flood scenarios: reproducible by seed, valid, graded, and they run."""

from __future__ import annotations

import pytest
import shapely
import yaml
from typer.testing import CliRunner

from geodata.area import load_area
from scenarios.apply import apply_scenario
from scenarios.generate import INJECT_HOURS, SEVERITIES, generate_scenario, response_level
from scenarios.model import scenario_from_dict
from service.cli import app
from solver.errors import DataError


@pytest.fixture(scope="module")
def hengshui():
    return load_area("hengshui")


def test_same_seed_same_scenario_other_seed_other_flood(hengshui):
    a = generate_scenario(hengshui, 7, "major")
    assert a == generate_scenario(hengshui, 7, "major")
    b = generate_scenario(hengshui, 8, "major")
    assert a["floods"][0]["polygon"] != b["floods"][0]["polygon"]


def test_severity_grows_the_flood(hengshui):
    """Over a few seeds, each severity floods a larger area on average than the one below."""
    mean_area = []
    for sev in SEVERITIES:
        areas = [
            shapely.Polygon(generate_scenario(hengshui, s, sev)["floods"][0]["polygon"]).area
            for s in range(4)
        ]
        mean_area.append(sum(areas) / len(areas))
    assert mean_area == sorted(mean_area)


def test_generated_scenarios_are_valid_and_consistent(hengshui):
    data = generate_scenario(hengshui, 3, "extreme")
    sc = scenario_from_dict(data)
    assert sc.provenance == "synthetic" and sc.floods[0].provenance == "synthetic"
    situation = apply_scenario(hengshui, sc)
    flood = shapely.Polygon(data["floods"][0]["polygon"])
    for pid in situation.affected:  # everyone affected lives inside the flood
        p = next(p for p in hengshui.network.points if p.id == pid)
        assert flood.contains(shapely.Point(p.lon, p.lat))
    edges = hengshui.roads.edges.set_index("id")
    for c in data["closures"]:  # only bridges inside the flood fail
        assert bool(edges.loc[c["road"], "bridge"]) and edges.loc[c["road"]].geometry.intersects(
            flood
        )
    assert sc.response_level.value == response_level(sum(situation.affected.values()))


def test_response_level_thresholds():
    assert [response_level(n) for n in (5_000, 600_000, 1_500_000, 2_500_000)] == [
        "IV",
        "III",
        "II",
        "I",
    ]


def test_bad_severity_and_cli(hengshui, tmp_path):
    with pytest.raises(DataError) as e:
        generate_scenario(hengshui, 1, "apocalyptic")
    assert e.value.field == "severity"
    out = tmp_path / "g.yaml"
    result = CliRunner().invoke(
        app, ["scenario", "generate", "--seed", "5", "--severity", "minor", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["name"] == "hengshui-minor-5"


@pytest.mark.parametrize(("severity", "seed"), [("minor", 7), ("major", 8), ("extreme", 9)])
def test_generated_injects_are_reproducible_valid_and_leave_the_scenario_alone(
    hengshui, severity, seed
):
    """Same seed, same injects; the scenario without them is unchanged; every inject is in
    time order, near the flood, names a real road, village or depot and plays (checked
    against the area); a village gains people only if it was not relocated already."""
    from scenarios.apply import check_injects

    data = generate_scenario(hengshui, seed, severity, injects=4)
    assert generate_scenario(hengshui, seed, severity, injects=4) == data
    assert {k: v for k, v in data.items() if k != "injects"} == generate_scenario(
        hengshui, seed, severity
    )
    injects = data["injects"]
    assert len(injects) == 4
    assert [i["at_h"] for i in injects] == sorted(i["at_h"] for i in injects)
    assert all(INJECT_HOURS[0] <= i["at_h"] <= INJECT_HOURS[1] for i in injects)
    sc = scenario_from_dict(data)
    check_injects(hengshui, sc)
    flood = shapely.Polygon(data["floods"][0]["polygon"])
    points = {p.id: p for p in hengshui.network.points}
    for i in injects:
        for a in i.get("add_people", []):
            p = points[a["point"]]
            assert not flood.contains(shapely.Point(p.lon, p.lat))
            assert 0 < a["people"] <= p.population
        for d in i.get("depots_lost", []):
            assert d not in data["depots_lost"]
    kinds = {k for i in injects for k in ("closures", "add_people", "depots_lost") if i.get(k)}
    assert len(kinds) >= 2  # kinds are taken in turn
    with pytest.raises(DataError) as e:
        generate_scenario(hengshui, seed, severity, injects=21)
    assert e.value.field == "injects"

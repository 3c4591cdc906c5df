import dataclasses
import json

import pytest

from geodata.area import load_area
from scenarios.apply import apply_scenario
from scenarios.check import run_check
from scenarios.model import load_scenario, scenario_from_dict
from solver.errors import DataError
from tests.conftest import TINY


@pytest.fixture(scope="module")
def tiny(tiny_gpkg):
    return load_area(tiny_gpkg)


def scenario(**changes):
    sc, _ = load_scenario(TINY / "scenario.yaml")
    return sc.model_copy(update=changes)


def situation(area, **changes):
    return apply_scenario(area, scenario(**changes), folder=TINY)


def test_people_go_to_the_shelter(tiny):
    """120 from P1 and all 80 of P2 are placed in shelter S1 (capacity 300)."""
    sit = situation(tiny)
    assert sit.affected == {"P1": 120, "P2": 80}
    assert {(p.origin, p.location, p.people, p.indoor) for p in sit.placements} == {
        ("P1", "S1", 120, True),
        ("P2", "S1", 80, True),
    }


def test_shelter_over_capacity_is_reported(tiny):
    """With a 150-person shelter, 50 people have no place and are reported as such."""
    small = dataclasses.replace(
        tiny.network,
        points=tuple(
            dataclasses.replace(p, capacity=150) if p.id == "S1" else p for p in tiny.network.points
        ),
    )
    area = dataclasses.replace(tiny, network=small)
    sit = apply_scenario(area, scenario(), folder=TINY)
    assert sum(p.people for p in sit.placements if p.overflow) == 50
    rep = run_check(sit)
    over = [p for p in rep.result.points if p.overflow]
    assert over and all(
        p.findings[10.0].reason.value == "shelter_over_capacity" for p in over if 10.0 in p.findings
    )


def test_in_place_needs_tents(tiny):
    """People who stay in place need tents; in a shelter they do not."""
    sit = situation(tiny, evacuation=scenario().evacuation.model_copy(update={"mode": "in_place"}))
    rep = run_check(sit)
    assert all("tent" in d.need for d in rep.problem.demands)
    sheltered = run_check(situation(tiny))
    assert all("tent" not in d.need for d in sheltered.problem.demands)


def test_point_inside_deep_flood_is_unreachable_and_kept(tiny):
    """P3 sits in 0.9 m of water: its people, left in place, are reported unreachable."""
    sc = scenario(
        affected=[
            *scenario().affected,
            scenario().affected[0].model_copy(update={"point": "P3", "people": 60}),
        ],
        evacuation=scenario().evacuation.model_copy(update={"mode": "in_place"}),
    )
    rep = run_check(apply_scenario(tiny, sc, folder=TINY))
    p3 = next(p for p in rep.result.points if p.id == "P3")
    assert p3.findings[10.0].reason.value == "unreachable"
    doc = rep.to_json()
    assert any(p["id"] == "P3" and p["hours_to_met"] is None for p in doc["points"])


def test_report_json_has_the_documented_fields(tiny):
    """report.json carries targets with shares, and points with hours, status and reason."""
    doc = run_check(situation(tiny)).to_json()
    json.dumps(doc)  # serialisable
    assert [t["hours"] for t in doc["targets"]] == [10.0, 12.0]
    for t in doc["targets"]:
        assert set(t) >= {
            "hours",
            "people_total",
            "people_met",
            "share_met",
            "by_county",
            "by_need_group",
            "binding",
            "bound",
            "limits",
            "pinches",
        }
        assert t["people_total"] == 200 and t["bound"] is True
    for p in doc["points"]:
        assert set(p) >= {"id", "name", "people", "hours_to_met", "status", "reason"}
    assert doc["bound"] is True


def test_stock_change_and_depot_loss(tiny):
    """Losing the main depot lowers the people met; adding stock back elsewhere restores some."""
    base = run_check(situation(tiny)).result.target(12.0).people_met
    lost = run_check(situation(tiny, depots_lost=["D1"]))
    assert lost.result.target(12.0).people_met < base


def slow_loading(area, rate=0.25):
    """The tiny area with depots that load slowly, so the 10 h target binds."""
    depots = tuple(dataclasses.replace(d, loading_t_per_h=rate) for d in area.network.depots)
    return dataclasses.replace(area, network=dataclasses.replace(area.network, depots=depots))


def test_closing_a_road_never_raises_the_share(tiny):
    """Closing any single road, or the two around depot D1, never raises people met by 10 h;
    cutting D1 off lowers it."""
    from scenarios.model import Closure

    area = slow_loading(tiny)
    base = run_check(apply_scenario(area, scenario(), folder=TINY)).result.target(10.0).people_met
    assert 0 < base < 200  # the target binds, so closures can matter
    cases = [[road] for road in tiny.roads.edges["id"]] + [["h00", "v00"]]
    met = {}
    for roads in cases:
        sit = apply_scenario(area, scenario(closures=[Closure(road=r) for r in roads]), folder=TINY)
        met[tuple(roads)] = run_check(sit).result.target(10.0).people_met
        assert met[tuple(roads)] <= base + 2e-3, roads
    assert met[("h00", "v00")] < base - 1


def test_more_stock_never_lowers_the_share(tiny):
    """Adding stock of any item at any depot never lowers people met by 10 h."""
    from scenarios.model import StockChange

    area = slow_loading(tiny, rate=5.0)
    sc = scenario(depots_lost=["D1"])
    base = run_check(apply_scenario(area, sc, folder=TINY)).result.target(10.0).people_met
    assert base < 200
    for item in ("folding_bed", "water", "medical_kit"):
        more = sc.model_copy(
            update={"stock_changes": [StockChange(depot="D2", item=item, add=150)]}
        )
        met = run_check(apply_scenario(area, more, folder=TINY)).result.target(10.0).people_met
        assert met >= base - 2e-3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"affected": [{"township": "无此乡", "people": 5}]}, "affected[0].township"),
        ({"affected": [{"point": "NOPE", "people": 5}]}, "affected[0].point"),
        ({"affected": [{"point": "P1", "people": 500}]}, "affected[0].people"),
        ({"depots_lost": ["DX"]}, "depots_lost[0]"),
        (
            {"stock_changes": [{"depot": "D1", "item": "chocolate", "add": 5}]},
            "stock_changes[0].item",
        ),
        (
            {"stock_changes": [{"depot": "D1", "item": "water", "add": -99999}]},
            "stock_changes[0].add",
        ),
        ({"closures": [{"name": "no such bridge"}]}, "closures[0].name"),
        (
            {"affected": [{"all_points": True, "in_flood": "missing", "share": 1.0}]},
            "affected[0].in_flood",
        ),
    ],
)
def test_bad_references_name_the_field(tiny, changes, field):
    """Unknown places, depots, items and roads are refused with the field named."""
    data = {"name": "t", "affected": [{"point": "P1", "people": 5}], **changes}
    with pytest.raises(DataError) as info:
        apply_scenario(tiny, scenario_from_dict(data), folder=TINY)
    assert info.value.field == field


def test_missing_flood_file(tiny, tmp_path):
    """A flood file that does not exist is named."""
    data = {
        "name": "t",
        "affected": [{"point": "P1", "people": 5}],
        "floods": [{"file": "nowhere.geojson"}],
    }
    with pytest.raises(DataError, match="does not exist") as info:
        apply_scenario(tiny, scenario_from_dict(data), folder=tmp_path)
    assert "nowhere.geojson" in str(info.value)


@pytest.mark.slow
def test_hengshui_2023_reports_real_relocation_counts():
    """The bundled 2023 scenario relocates 55,904 people, 47,865 of them from Raoyang, and
    gives a reason for every late point."""
    area = load_area("hengshui")
    sc, folder = load_scenario("hengshui-2023")
    rep = run_check(apply_scenario(area, sc, folder=folder))
    doc = rep.to_json()
    assert doc["people_affected"] == 55_904
    rao = next(c for c in doc["targets"][0]["by_county"] if c["county"] == "饶阳县")
    assert rao["people"] == 47_865
    for p in doc["points"]:
        assert p["status"] == "met" or p["reason"] is not None
    assert 0.0 < doc["targets"][0]["share_met"] <= doc["targets"][1]["share_met"] <= 1.0


def test_stock_without_trucks_is_named(tiny):
    """A depot whose trucks are all removed still holds stock: the report says it cannot move."""
    base = scenario()
    sc = base.model_copy(
        update={"fleet": base.fleet.model_copy(update={"added": base.fleet.added[:1]})}
    )
    rep = run_check(apply_scenario(tiny, sc, folder=TINY))
    notes = rep.to_json()["notes"]
    idle = [n for n in notes if "no road trucks" in n]
    assert len(idle) == 1 and "D2" in idle[0] and "没有车辆" in idle[0]
    assert not [n for n in run_check(situation(tiny)).to_json()["notes"] if "no road trucks" in n]

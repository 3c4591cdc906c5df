import pytest
import yaml

from scenarios.model import LIBRARY, load_scenario, scenario_from_dict
from solver.errors import DataError
from solver.timeline import ResponseLevel
from tests.conftest import TINY

BASE = {"name": "t", "affected": [{"point": "P1", "people": 5}]}


def with_(**changes):
    return {**BASE, **changes}


@pytest.mark.parametrize("name", sorted(p.stem for p in LIBRARY.glob("*.yaml")))
def test_library_scenarios_validate(name):
    """Every bundled scenario file passes validation and says how real it is."""
    sc, _ = load_scenario(LIBRARY / f"{name}.yaml")
    assert sc.provenance in ("real", "proxy", "synthetic")
    assert all(f.provenance == "synthetic" for f in sc.floods)


def test_required_library_scenarios_exist():
    """The three scenarios the issue asks for are bundled."""
    names = {p.stem for p in LIBRARY.glob("*.yaml")}
    assert {"hengshui-example", "hengshui-2023", "zhuozhou-2023"} <= names


def test_defaults():
    """Targets default to 10 and 12 h, level II, a 24 h horizon."""
    sc = scenario_from_dict(BASE)
    assert sc.targets_h == [10.0, 12.0] and sc.response_level is ResponseLevel.II
    assert sc.horizon_h == 24.0


@pytest.mark.parametrize(
    ("changes", "field", "match"),
    [
        ({"targets_h": [0]}, "targets_h[0]", "greater than 0"),
        ({"targets_h": ["ten hours"]}, "targets_h", "numbers of hours"),
        ({"targets_h": [10, -2]}, "targets_h[1]", "greater than 0"),
        ({"targets_h": []}, "targets_h", "at least 1"),
        (
            {"affected": [{"point": "P1", "people": -3}]},
            "affected[0].people",
            "greater than or equal",
        ),
        ({"affected": [{"point": "P1"}]}, "affected[0]", "exactly one of people, share"),
        (
            {"affected": [{"point": "P1", "county": "x", "people": 1}]},
            "affected[0]",
            "exactly one of point",
        ),
        ({"affected": [{"point": "P1", "share": 1.5}]}, "affected[0].share", "less than or equal"),
        ({"response_level": "V"}, "response_level", "unknown response level"),
        ({"floods": [{"name": "f"}]}, "floods[0]", "exactly one of file, polygon"),
        ({"floods": [{"polygon": [[115, 37], [116, 37]]}]}, "floods[0]", "at least 3"),
        ({"closures": [{}]}, "closures[0]", "exactly one of road"),
        ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_bad_scenarios_name_the_field(changes, field, match):
    """Each defect is reported with its field path."""
    with pytest.raises(DataError, match=match) as info:
        scenario_from_dict(with_(**changes), source="s.yaml")
    assert info.value.field == field
    assert "s.yaml" in str(info.value)


def test_level_aliases():
    """Levels may be written 1-4, 一级..四级 or I-IV."""
    assert scenario_from_dict(with_(response_level="一级")).response_level is ResponseLevel.I
    assert scenario_from_dict(with_(response_level=3)).response_level is ResponseLevel.III


def test_missing_and_empty_files(tmp_path):
    """A missing or empty scenario file is named."""
    with pytest.raises(DataError, match="does not exist"):
        load_scenario(tmp_path / "nope.yaml")
    (tmp_path / "e.yaml").write_text("")
    with pytest.raises(DataError, match="empty"):
        load_scenario(tmp_path / "e.yaml")
    (tmp_path / "b.yaml").write_text("name: [unclosed")
    with pytest.raises(DataError, match="not valid YAML"):
        load_scenario(tmp_path / "b.yaml")
    (tmp_path / "l.yaml").write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(DataError, match="mapping"):
        load_scenario(tmp_path / "l.yaml")


def test_tiny_scenario_loads():
    """The test scenario loads with its inline flood."""
    sc, folder = load_scenario(TINY / "scenario.yaml")
    assert folder == TINY and sc.floods[0].depth_m == 0.9
    assert sc.report_clock_h == 8.0

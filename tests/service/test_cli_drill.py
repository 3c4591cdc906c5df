"""``relief drill score``: a debrief from a drill's log or a list of decisions."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import TINY

THIRD = {"folding_bed": 80, "quilt": 80, "clothing_set": 80, "food": 40, "water": 240}


def _args(tiny_gpkg, log, out, *extra):
    return [
        "drill",
        "score",
        "--scenario",
        str(TINY / "exercise.yaml"),
        "--area",
        str(tiny_gpkg),
        "--log",
        str(log),
        "--out",
        str(out),
        "--time-limit",
        "0.5",
        "--lang",
        "en",
        *extra,
    ]


def test_score_from_a_service_log(tiny_gpkg, tmp_path):
    """The log's releases (one inject, at 1 h) and decisions are what is scored."""
    trip = {"vehicle": "D1/light-1", "stops": [{"point": "S1", "items": THIRD}]}
    log = [
        {"id": 1, "kind": "created", "hour": 0, "token": "c", "body": {}},
        {
            "id": 2,
            "kind": "decision",
            "hour": 0.5,
            "token": "zhang",
            "body": {"decision": {"trips": [trip]}},
        },
        {"id": 3, "kind": "released", "hour": 1.0, "token": "c", "body": {"index": 0}},
    ]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(log), encoding="utf-8")
    out = tmp_path / "score"
    result = CliRunner().invoke(app, _args(tiny_gpkg, path, out))
    assert result.exit_code == 0, result.output
    assert "Drill score" in result.output and "not dispatched" in result.output
    score = json.loads((out / "score.json").read_text(encoding="utf-8"))
    assert score["trips"][0]["submitted_h"] == 0.5 and score["trips"][0]["vehicle"] == "D1/light-1"
    opt = json.loads((out / "optimiser_plan.json").read_text(encoding="utf-8"))
    assert opt["redispatch"]["at_h"] == 1.0 and opt["redispatch"]["closures"]  # inject 0 only
    assert (
        score["players"]["targets"][0]["share_met"] < score["optimiser"]["targets"][0]["share_met"]
    )


@pytest.mark.parametrize(
    ("log", "extra", "field"),
    [
        (
            [{"at_h": 0, "decision": {"trips": [{"vehicle": "V", "stops": []}]}}],
            [],
            "[0].decision.trips[0].stops",
        ),
        ([{"at_h": 0}], [], "[0]"),
        ([{"at_h": 0, "decision": {"replace_pending": True}}], ["--released", "x@y"], "--released"),
        ([{"at_h": 0, "decision": {"replace_pending": True}}], ["--released", "7"], "--released"),
        ({"not": "a list"}, [], None),
    ],
)
def test_bad_logs_name_the_field(tiny_gpkg, tmp_path, log, extra, field):
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log), encoding="utf-8")
    result = CliRunner().invoke(app, _args(tiny_gpkg, path, tmp_path / "o", *extra))
    assert result.exit_code == 2, result.output
    if field:
        assert f"field '{field}'" in result.output
    assert not (tmp_path / "o").exists()

import pandas as pd
import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import BAD, TINY

runner = CliRunner()


def test_network_summary_for_zhuozhou():
    """`relief network` prints the area's people, depots by tier and provenance counts."""
    result = runner.invoke(app, ["network", "--area", "zhuozhou"])
    assert result.exit_code == 0, result.output
    assert "667,678" in result.output
    assert "县级储备库 county" in result.output
    assert "合成 Synthetic" in result.output


def test_network_in_chinese_only():
    """--lang zh prints Chinese labels without the English ones."""
    result = runner.invoke(app, ["network", "--area", "zhuozhou", "--lang", "zh"])
    assert result.exit_code == 0
    assert "人口" in result.output and "People" not in result.output


def test_matrix_writes_depot_by_point_seconds(tmp_path):
    """`relief matrix` writes one row per depot and one column per point, in seconds."""
    out = tmp_path / "m.csv"
    result = runner.invoke(app, ["matrix", "--area", "zhuozhou", "--out", str(out)])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, index_col=0)
    assert df.shape == (24, 438)
    assert df.index.name == "depot_id"
    assert (df.to_numpy() > 0).all()


def test_matrix_with_flood_leaves_unreachable_cells_empty(tiny_gpkg, tmp_path):
    """A deep flood over P3 leaves its column empty for a medium truck."""
    flood = tmp_path / "f.geojson"
    flood.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"depth_m":0.9},"geometry":{"type":"Polygon","coordinates":'
        "[[[115.625,37.695],[115.635,37.695],[115.635,37.705],[115.625,37.705],"
        "[115.625,37.695]]]}}]}"
    )
    out = tmp_path / "m.csv"
    result = runner.invoke(
        app, ["matrix", "--area", str(tiny_gpkg), "--flood", str(flood), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out, index_col=0)
    assert df["P3"].isna().all() and df["P1"].notna().all()


CASES = [
    ("depots_SwappedLonLat.csv", ["swapped", "D1", "lon/lat"]),
    ("depots_OutsideChina.csv", ["outside China", "D9"]),
    ("depots_NegativeStock.csv", ["D7", "stock_water", "库存不能为负"]),
    ("depots_UnknownItem.csv", ["stock_chocolate", "unknown item"]),
    ("depots_DuplicateIds.csv", ["duplicate id 'D1'", "编号重复"]),
    ("depots_FarFromRoad.csv", ["D5", "from the nearest road"]),
    ("depots_Empty.csv", ["file is empty", "文件为空"]),
    ("depots_MissingColumn.csv", ["missing column 'tier'"]),
]


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_bad_depot_file_exits_2_and_writes_nothing(tiny_gpkg, tmp_path, name, expected):
    """Bad depot input ends with exit code 2, a message naming the problem, no new output,
    and an existing output file left untouched."""
    out = tmp_path / "m.csv"
    out.write_text("previous result")
    result = runner.invoke(
        app, ["matrix", "--area", str(tiny_gpkg), "--depots", str(BAD / name), "--out", str(out)]
    )
    assert result.exit_code == 2
    for text in expected:
        assert text in result.output
    assert name in result.output
    assert out.read_text() == "previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.csv"]


def test_unknown_crs_is_refused(tiny_gpkg, tmp_path):
    """An unknown --crs ends with exit code 2 naming the CRS."""
    result = runner.invoke(
        app,
        [
            "network",
            "--area",
            str(tiny_gpkg),
            "--depots",
            str(TINY / "depots.csv"),
            "--crs",
            "mars-2",
        ],
    )
    assert result.exit_code == 2
    assert "unknown CRS 'mars-2'" in result.output


def test_missing_flood_file(tmp_path):
    """A flood file that does not exist ends with exit code 2 naming it."""
    result = runner.invoke(
        app,
        [
            "matrix",
            "--area",
            "zhuozhou",
            "--flood",
            str(tmp_path / "nope.geojson"),
            "--out",
            str(tmp_path / "m.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "nope.geojson" in result.output and "does not exist" in result.output
    assert not (tmp_path / "m.csv").exists()


def test_unknown_vehicle_class(tmp_path):
    """An unknown --vehicle lists the known classes."""
    result = runner.invoke(
        app, ["matrix", "--area", "zhuozhou", "--vehicle", "tank", "--out", str(tmp_path / "m.csv")]
    )
    assert result.exit_code == 2
    assert "unknown vehicle class 'tank'" in result.output and "medium" in result.output

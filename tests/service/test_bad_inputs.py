"""Every bad input in tests/data/bad/ (named after its defect) through the CLI and the
HTTP service: a clear bilingual error naming the file (and record and field where there
is one), exit code 2 or 422/413, no traceback, nothing written or stored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import BAD

runner = CliRunner()
CJK = re.compile(r"[\u4e00-\u9fff]")

#: What the English message must say, per file. Files whose defect is repaired or honoured
#: (exit 0) say so in a warning.
EXPECTED: dict[str, str] = {
    "area_Empty.gpkg": "file is empty",
    "area_MissingPoints.gpkg": "which gpkg_contents does not list",
    "area_NestedCollectionBomb.gpkg": "nested more than 3",
    "area_SqliteNotGpkg.gpkg": "application id is not GeoPackage",
    "area_TextAsGpkg.gpkg": "not an SQLite database",
    "area_WithExtraTable.gpkg": "holds table 'secrets'",
    "area_WithTrigger.gpkg": "holds trigger 'evil'",
    "area_WithView.gpkg": "holds a view",
    "area_WkbCountLie.gpkg": "declares 2147483647 elements",
    "depots_DuplicateIds.csv": "duplicate id 'D1'",
    "depots_Empty.csv": "file is empty",
    "depots_FarFromRoad.csv": "from the nearest road",
    "depots_Gbk.csv": "not UTF-8",
    "depots_LatNaN.csv": "field 'lat': not a number",
    "depots_LonInfinite.csv": "outside China",
    "depots_MissingColumn.csv": "missing column 'tier'",
    "depots_NegativeStock.csv": "stock must be >= 0",
    "depots_NotANumber.csv": "not a number: 'lots'",
    "depots_OutsideChina.csv": "outside China",
    "depots_StockInfinite.csv": "not a finite number",
    "depots_SwappedLonLat.csv": "look swapped",
    "depots_TextAsXlsx.xlsx": "not an XLSX workbook",
    "depots_UnknownItem.csv": "unknown item 'chocolate'",
    "depots_UnknownTier.csv": "unknown tier",
    "depots_XlsxBomb.xlsx": "ZIP bomb",
    "flood_CoordinateNaN.geojson": "coordinate NaN is not a finite number",
    "flood_CoordinateText.geojson": "coordinate '115.615' is not a finite number",
    "flood_CsvPrefix.geojson": "not valid JSON",
    "flood_DeeplyNested.geojson": "nested too deeply",
    "flood_DepthHuge.geojson": "not a plausible flood depth",
    "flood_DepthInfText.geojson": "must be a finite number",
    "flood_DepthNaN.geojson": "field 'depth_m': not a number: 'NaN'",
    "flood_DepthNotANumber.geojson": "not a number: 'deep'",
    "flood_DepthOverflow.geojson": "must be a finite number",
    "flood_Empty.geojson": "file is empty",
    "flood_Gbk.geojson": "not UTF-8",
    "flood_Legacy3857.geojson": "legacy crs member urn:ogc:def:crs:EPSG::3857",
    "flood_LegacyCrsUnknown.geojson": "is not an EPSG code",
    "flood_NegativeDepth.geojson": "must be >= 0",
    "flood_NoFeatures.geojson": "has no records",
    "flood_NotGeoJson.geojson": "not GeoJSON",
    "flood_NotJson.geojson": "not valid JSON",
    "flood_NotPolygon.geojson": "must be polygons",
    "flood_OutsideChina.geojson": "outside China",
    "flood_PositionTooShort.geojson": "a position has 2 to 4 numbers",
    "flood_PropertiesNotObject.geojson": "properties must be an object",
    "flood_SelfIntersecting.geojson": "repaired",
    "flood_SwappedLonLat.geojson": "look swapped",
    "flood_TextAsGpkg.gpkg": "not an SQLite database",
    "flood_TextAsShapefile.shp": "its header does not say so",
    "flood_UnknownGeometryType.geojson": "unknown geometry type 'Circle'",
    "flood_VrtLocalCsv.geojson": "looks like XML",
    "flood_VrtUrl.geojson": "looks like XML",
    "flood_ZeroArea.geojson": "no flood polygon has any area",
    "points_DuplicateIds.csv": "duplicate id 'P1'",
    "points_Empty.csv": "file is empty",
    "points_MissingLat.csv": "no latitude column",
    "points_NegativeCapacity.csv": "field 'capacity': must be >= 0",
    "points_NegativePopulation.csv": "field 'population': must be >= 0",
    "points_OutsideChina.csv": "outside China",
    "points_PopulationInfinite.csv": "not a finite number",
    "points_PopulationNotANumber.csv": "not a number: 'many'",
    "points_UnknownKind.csv": "unknown kind 'castle'",
    "roads_NoFeatures.geojson": "has no records",
    "roads_NotJson.geojson": "not valid JSON",
    "roads_NotLines.geojson": "must be lines",
    "roads_OutsideChina.geojson": "outside China",
    "roads_TextAsGpkg.gpkg": "not an SQLite database",
    "scenario_AliasBomb.yaml": "YAML aliases",
    "scenario_BadYaml.yaml": "not valid YAML",
    "scenario_DeeplyNested.yaml": "nested too deeply",
    "scenario_Directory.yaml": "is a directory",
    "scenario_DuplicateDepotsLost.yaml": "'D2' is listed twice",
    "scenario_Empty.yaml": "file is empty",
    "scenario_FloodDepthInfinite.yaml": "finite number",
    "scenario_Gbk.yaml": "reads as GBK",
    "scenario_InvalidUtf8.yaml": "not UTF-8",
    "scenario_NegativeHorizon.yaml": "greater than 0",
    "scenario_NotAMapping.yaml": "must be a mapping",
    "scenario_PeopleHuge.yaml": "field 'affected[0].people'",
    "scenario_TargetNotANumber.yaml": "targets are numbers of hours",
    "scenario_UnknownKey.yaml": "field 'floodz'",
}
ACCEPTED = {"flood_Legacy3857.geojson", "flood_SelfIntersecting.geojson"}


def test_every_bad_file_has_an_expectation():
    """No file in tests/data/bad/ escapes the suite, and there are at least 60."""
    files = {p.name for p in BAD.iterdir()}
    assert files == set(EXPECTED) and len(files) >= 60


def command(path: Path, tiny: Path, out: Path) -> list[str]:
    kind = path.name.split("_")[0]
    if kind == "scenario":
        return ["check", "--area", str(tiny), "--scenario", str(path), "--out", str(out / "res")]
    if kind == "area":
        return ["matrix", "--area", str(path), "--out", str(out / "m.csv")]
    return ["matrix", "--area", str(tiny), f"--{kind}", str(path), "--out", str(out / "m.csv")]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_through_the_cli(tiny_gpkg, tmp_path, caplog, name):
    """Exit 2 with the Chinese message first, then the English one naming the file and
    the problem; no traceback; nothing written (the repaired/honoured ones: exit 0 and a
    warning that says so)."""
    path = BAD / name
    out = tmp_path / "out"
    out.mkdir()
    got = runner.invoke(app, command(path, tiny_gpkg, out))
    text = " ".join(got.output.split())
    assert "Traceback" not in got.output
    assert got.exception is None or isinstance(got.exception, SystemExit), got.exception
    if name in ACCEPTED:  # the warning goes to the log (stderr)
        assert got.exit_code == 0, text
        assert EXPECTED[name] in caplog.text and name in caplog.text
        return
    assert EXPECTED[name] in text, text
    assert got.exit_code == 2, text
    assert name in text
    assert re.search(r"错误: .*" + CJK.pattern, text), text
    assert text.index("错误:") < text.index("Error:")
    assert list(out.iterdir()) == []


OUTPUTS = {
    "ExistingFileForFolder": (["check", "--area", "TINY", "--out", "FILE"], "is a file"),
    "ExistingFolderForFile": (["matrix", "--area", "TINY", "--out", "DIR"], "is a folder"),
    "MissingParent": (["matrix", "--area", "TINY", "--out", "DIR/no/such/m.csv"], "does not exist"),
    "UnderProc": (["matrix", "--area", "TINY", "--out", "/proc/self/m.csv"], "special file system"),
    "UnderProcFolder": (
        ["check", "--area", "TINY", "--out", "/proc/relief"],
        "special file system",
    ),
    "UnwritableFolder": (["matrix", "--area", "TINY", "--out", "/sys/kernel/m.csv"], "special"),
    "ParentIsAFile": (["matrix", "--area", "TINY", "--out", "FILE/m.csv"], "is not a folder"),
}


@pytest.mark.parametrize("case", sorted(OUTPUTS))
def test_bad_output_paths_exit_2_before_any_work(tiny_gpkg, tmp_path, case):
    """--out that cannot take the results is refused up front, in both languages."""
    args, expected = OUTPUTS[case]
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    folder = tmp_path / "folder"
    folder.mkdir()
    args = [
        a.replace("TINY", str(tiny_gpkg)).replace("FILE", str(existing)).replace("DIR", str(folder))
        for a in args
    ]
    got = runner.invoke(app, args)
    text = " ".join(got.output.split())
    assert got.exit_code == 2, text
    assert expected in text and "--out" in text and CJK.search(text)
    assert existing.read_text() == "keep me" and list(folder.iterdir()) == []


def test_an_unwritable_folder_is_refused(tiny_gpkg, tmp_path):
    """A folder the user may not write in (root may write anywhere: then a read-only
    bind is what stops it, and this case is covered by /sys above)."""
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes through file modes")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    got = runner.invoke(app, ["matrix", "--area", str(tiny_gpkg), "--out", str(locked / "m.csv")])
    assert got.exit_code == 2 and "cannot write" in got.output


def _api_case(client, heads, path: Path):
    body = path.read_bytes() if path.is_file() else b""
    kind = path.name.split("_")[0]
    if kind == "flood" and path.suffix == ".geojson":
        return client.post("/areas/tiny/floods?name=x", content=body, headers=heads["planner"])
    if kind == "area":
        return client.post("/areas?name=upload1", content=body, headers=heads["planner"])
    if kind == "scenario":
        return client.put(
            "/scenarios/x",
            content=b'{"body": ' + body + b"}",
            headers={**heads["planner"], "Content-Type": "application/json"},
        )
    return None


API = sorted(
    n
    for n in EXPECTED
    if n not in ACCEPTED
    and (
        n.startswith(("area_", "scenario_")) or (n.startswith("flood_") and n.endswith(".geojson"))
    )
)


@pytest.mark.parametrize("name", API)
def test_bad_input_through_the_api(module_service, name):
    """The same files as uploads: 413/422 (400 for a body that is not UTF-8 at all) with
    problem and a specific problem_zh; nothing kept."""
    client, heads, _ = module_service
    r = _api_case(client, heads, BAD / name)
    assert r.status_code in (400, 413, 422), (r.status_code, r.text[:300])
    body = r.json()
    assert body["problem"] and body["problem_zh"] and CJK.search(body["problem_zh"])
    assert body["problem_zh"] != "输入无效"
    assert "Traceback" not in r.text and str(BAD) not in r.text
    assert [
        f["name"] for f in client.get("/areas/tiny/floods", headers=heads["viewer"]).json()
    ] in (
        [],
        ["m"],
    )
    assert "upload1" not in client.get("/areas", headers=heads["viewer"]).json()
    listed = client.get("/scenarios", headers=heads["viewer"]).json()
    assert [s for s in listed if s["source"] == "stored"] == []


def test_the_accepted_cases_through_the_api(module_service):
    """A legacy EPSG:3857 crs member is reprojected (never read as degrees)."""
    client, heads, _ = module_service
    r = client.post(
        "/areas/tiny/floods?name=m",
        content=(BAD / "flood_Legacy3857.geojson").read_bytes(),
        headers=heads["planner"],
    )
    assert r.status_code == 201, r.text
    assert json.loads((BAD / "flood_Legacy3857.geojson").read_text())["crs"]

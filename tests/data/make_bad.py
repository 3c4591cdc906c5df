"""Write the generated bad-input files in tests/data/bad/ (GeoPackages, XLSX, encodings).

The hand-written cases are plain text there; this script makes the ones that are binary or
large, so how each was made stays on record. Run from the repository root:
``.venv/bin/python tests/data/make_bad.py``.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import tempfile
import zipfile
from pathlib import Path

BAD = Path(__file__).parent / "bad"
SQUARE = [[115.605, 37.695], [115.615, 37.695], [115.615, 37.705], [115.605, 37.705]]


def fc(props: dict, coords=None, gtype="Polygon", extra=None) -> str:
    ring = coords if coords is not None else [[*SQUARE, SQUARE[0]]]
    doc = {
        "type": "FeatureCollection",
        **(extra or {}),
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": gtype, "coordinates": ring},
            }
        ],
    }
    return json.dumps(doc, ensure_ascii=False)


def vrt(source: str) -> str:
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="flood"><SrcDataSource>{source}'
        "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>\n"
    )


def texts() -> dict[str, str | bytes]:
    square = fc({"id": "F1", "depth_m": 1.0})
    mercator = [
        [
            [12868000.0, 4537000.0],
            [12869000.0, 4537000.0],
            [12869000.0, 4538000.0],
            [12868000.0, 4538000.0],
            [12868000.0, 4537000.0],
        ]
    ]
    return {
        # floods
        "flood_DepthNaN.geojson": square.replace('"depth_m": 1.0', '"depth_m": NaN'),
        "flood_DepthInfText.geojson": fc({"id": "F1", "depth_m": "inf"}),
        "flood_DepthHuge.geojson": fc({"id": "F1", "depth_m": 1e308}),
        "flood_DepthOverflow.geojson": square.replace('"depth_m": 1.0', '"depth_m": 1e400'),
        "flood_Legacy3857.geojson": fc(
            {"id": "F1", "depth_m": 1.0},
            mercator,
            extra={"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}},
        ),
        "flood_LegacyCrsUnknown.geojson": fc(
            {"id": "F1", "depth_m": 1.0},
            extra={"crs": {"type": "name", "properties": {"name": "+proj=merc +nadgrids=@x"}}},
        ),
        "flood_VrtUrl.geojson": vrt("/vsicurl/http://127.0.0.1:9/flood.geojson"),
        "flood_VrtLocalCsv.geojson": vrt("CSV:/etc/passwd"),
        "flood_CsvPrefix.geojson": "CSV:/etc/passwd\n",
        "flood_NotJson.geojson": "{not json\n",
        "flood_Gbk.geojson": fc({"id": "F1", "name": "洪水", "depth_m": 1.0}).encode("gbk"),
        "flood_DeeplyNested.geojson": "[" * 100_000 + "]" * 100_000,
        "flood_CoordinateNaN.geojson": square.replace("115.615, 37.705", "NaN, 37.705"),
        "flood_CoordinateText.geojson": square.replace("115.615, 37.705", '"115.615", 37.705'),
        "flood_NoFeatures.geojson": '{"type": "FeatureCollection", "features": []}',
        "flood_ZeroArea.geojson": fc(
            {"id": "F1", "depth_m": 1.0}, [[[115.6, 37.7], [115.61, 37.7], [115.6, 37.7]]]
        ),
        "flood_NotGeoJson.geojson": '{"hello": "world"}',
        "flood_PropertiesNotObject.geojson": square.replace(
            '{"id": "F1", "depth_m": 1.0}', '["F1", 1.0]'
        ),
        "flood_OutsideChina.geojson": fc(
            {"id": "F1", "depth_m": 1.0},
            [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.9], [2.3, 48.8]]],
        ),
        "flood_SwappedLonLat.geojson": fc(
            {"id": "F1", "depth_m": 1.0}, [[[y, x] for x, y in [*SQUARE, SQUARE[0]]]]
        ),
        "flood_UnknownGeometryType.geojson": fc({"id": "F1", "depth_m": 1.0}, [1, 2], "Circle"),
        "flood_PositionTooShort.geojson": square.replace("[115.615, 37.705]", "[115.615]"),
        "flood_TextAsGpkg.gpkg": "this is not a GeoPackage\n",
        "flood_TextAsShapefile.shp": "this is not a Shapefile\n",
        "flood_Empty.geojson": "",
        # depots and points
        "depots_Gbk.csv": (
            "id,name,tier,lon,lat,stock_food\nD1,一号县库,county,115.6002,37.7001,10\n"
        ).encode("gbk"),
        "depots_TextAsXlsx.xlsx": "id,name\nD1,x\n",
        "depots_StockInfinite.csv": (
            "id,name,tier,lon,lat,stock_food\nD1,a,county,115.6002,37.7001,inf\n"
        ),
        "depots_LonInfinite.csv": "id,name,tier,lon,lat,stock_food\nD1,a,county,inf,37.7001,10\n",
        "depots_LatNaN.csv": "id,name,tier,lon,lat,stock_food\nD1,a,county,115.6,nan,10\n",
        "points_DuplicateIds.csv": (
            "id,name,kind,lon,lat,population\nP1,a,village,115.61,37.71,10\n"
            "P1,b,village,115.62,37.72,10\n"
        ),
        "points_PopulationNotANumber.csv": (
            "id,name,kind,lon,lat,population\nP1,a,village,115.61,37.71,many\n"
        ),
        "points_PopulationInfinite.csv": (
            "id,name,kind,lon,lat,population\nP1,a,village,115.61,37.71,1e400\n"
        ),
        "points_MissingLat.csv": "id,name,kind,lon,population\nP1,a,village,115.61,10\n",
        "points_OutsideChina.csv": "id,name,kind,lon,lat,population\nP1,a,village,2.35,48.85,10\n",
        "points_Empty.csv": "",
        "points_NegativeCapacity.csv": (
            "id,name,kind,lon,lat,population,capacity\nS1,a,shelter,115.61,37.71,0,-5\n"
        ),
        "points_UnknownKind.csv": "id,name,kind,lon,lat,population\nP1,a,castle,115.61,37.71,10\n",
        # roads
        "roads_NotLines.geojson": fc({"id": "r1"}, [115.61, 37.71], "Point"),
        "roads_NoFeatures.geojson": '{"type": "FeatureCollection", "features": []}',
        "roads_NotJson.geojson": "roads go here\n",
        "roads_TextAsGpkg.gpkg": "not a GeoPackage\n",
        "roads_OutsideChina.geojson": fc({"id": "r1"}, [[2.3, 48.8], [2.4, 48.9]], "LineString"),
        # scenarios
        "scenario_DeeplyNested.yaml": "a: " + "[" * 50_000 + "]" * 50_000 + "\n",
        "scenario_InvalidUtf8.yaml": (
            b"name: bad\naffected:\n  - point: P1\n    people: 1\n# \xff\xfe\n"
        ),
        "scenario_Gbk.yaml": "name: 甲\naffected:\n  - point: P1\n    people: 1\n".encode("gbk"),
        "scenario_DuplicateDepotsLost.yaml": (
            "name: dup\narea: tiny\naffected:\n  - point: P1\n    people: 10\n"
            "depots_lost: [D2, D2]\n"
        ),
        "scenario_NotAMapping.yaml": "- just\n- a list\n",
        "scenario_Empty.yaml": "",
        "scenario_BadYaml.yaml": "name: [unclosed\n",
        "scenario_UnknownKey.yaml": (
            "name: x\narea: tiny\naffected:\n  - point: P1\n    people: 10\nfloodz: []\n"
        ),
        "scenario_TargetNotANumber.yaml": (
            "name: x\narea: tiny\ntargets_h: [ten]\naffected:\n  - point: P1\n    people: 10\n"
        ),
        "scenario_AliasBomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "name: x\naffected: *i\n",
        "scenario_NegativeHorizon.yaml": (
            "name: x\narea: tiny\nhorizon_h: -1\naffected:\n  - point: P1\n    people: 10\n"
        ),
        "scenario_FloodDepthInfinite.yaml": (
            "name: x\narea: tiny\naffected:\n  - point: P1\n    people: 10\nfloods:\n"
            "  - depth_m: .inf\n    polygon: [[115.6, 37.7], [115.61, 37.7], [115.61, 37.71]]\n"
        ),
        "scenario_PeopleHuge.yaml": (
            "name: x\narea: tiny\naffected:\n  - point: P1\n    people: 1e400\n"
        ),
        "area_TextAsGpkg.gpkg": "a text file named .gpkg\n",
        "area_Empty.gpkg": "",
    }


def xlsx_bomb(path: Path) -> None:
    """An XLSX whose one sheet unpacks to 200 MB of zeros (about 200 kB packed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            block = b"0" * 2**20
            for _ in range(200):
                f.write(block)


def gpkgs() -> None:
    from tests.conftest import write_tiny_area

    with tempfile.TemporaryDirectory() as tmp:
        base = write_tiny_area(Path(tmp) / "tiny.gpkg")
        data = base.read_bytes()

    def variant(name: str, sql: str, *, blob: bytes | None = None) -> None:
        path = BAD / name
        path.write_bytes(data)
        with sqlite3.connect(path) as conn:
            for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
                conn.create_function(fn, 1, lambda _: 0)
            if sql:
                conn.executescript(sql)
            if blob is not None:
                conn.execute("UPDATE depots SET geom = ? WHERE id = 'D1'", (blob,))
        conn.close()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("VACUUM")
        conn.close()

    variant(
        "area_WithTrigger.gpkg",
        "CREATE TRIGGER evil AFTER INSERT ON depots BEGIN DELETE FROM points; END;",
    )
    variant("area_WithExtraTable.gpkg", "CREATE TABLE secrets (x TEXT);")
    variant("area_WithView.gpkg", "CREATE VIEW everything AS SELECT * FROM points;")
    nested = b"".join(struct.pack("<BII", 1, 7, 1) for _ in range(10_000))
    point = struct.pack("<BIdd", 1, 1, 115.6, 37.7)
    variant(
        "area_NestedCollectionBomb.gpkg",
        "",
        blob=b"GP\x00\x01" + struct.pack("<i", 4326) + nested + point,
    )
    lie = struct.pack("<BII", 1, 2, 2**31 - 1) + struct.pack("<dd", 115.6, 37.7)
    variant("area_WkbCountLie.gpkg", "", blob=b"GP\x00\x01" + struct.pack("<i", 4326) + lie)
    variant(
        "area_MissingPoints.gpkg",
        "DROP TABLE points; "
        + "".join(
            f"DELETE FROM {t} WHERE table_name = 'points'; "
            for t in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_ogr_contents")
        ),
    )
    sqlite = BAD / "area_SqliteNotGpkg.gpkg"
    sqlite.unlink(missing_ok=True)
    with sqlite3.connect(sqlite) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()


def main() -> None:
    for name, body in texts().items():
        path = BAD / name
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    xlsx_bomb(BAD / "depots_XlsxBomb.xlsx")
    gpkgs()
    folder = BAD / "scenario_Directory.yaml"
    folder.mkdir(exist_ok=True)
    (folder / "README").write_text("A folder named like a scenario file.\n", encoding="utf-8")


if __name__ == "__main__":
    main()

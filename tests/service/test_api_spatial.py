"""Uploaded floods and areas in the database's spatial store: PostGIS geometries with a
GiST index on PostgreSQL (SQLite keeps the files), and the bounding-box filter on both."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from tests.service.test_api import service  # noqa: F401 - the fixture


def flood(x0, y0, x1, y1, depth=1.0):
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"id": "w", "depth_m": depth},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            ],
        }
    )


def test_floods_are_found_by_bounding_box(service):  # noqa: F811
    client, heads, cfg = service
    west = client.post(
        "/areas/tiny/floods?name=west",
        content=flood(115.600, 37.695, 115.606, 37.705),
        headers=heads["planner"],
    ).json()
    east = client.post(
        "/areas/tiny/floods?name=east",
        content=flood(115.630, 37.695, 115.636, 37.705),
        headers=heads["planner"],
    ).json()
    h = heads["viewer"]

    def ids(bbox):
        r = client.get(f"/areas/tiny/floods?bbox={bbox}", headers=h)
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()}

    assert ids("115.59,37.69,115.61,37.71") == {west["id"]}
    assert ids("115.62,37.69,115.64,37.71") == {east["id"]}
    assert ids("115.59,37.69,115.64,37.71") == {west["id"], east["id"]}
    assert ids("116,38,116.1,38.1") == set()
    r = client.get("/areas/tiny/floods?bbox=1,2,3", headers=h)
    assert r.status_code == 422 and r.json()["field"] == "bbox" and r.json()["problem_zh"]
    if cfg.db_url.startswith("postgresql"):
        engine = create_engine(cfg.db_url)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT layer, ST_GeometryType(geom), ST_SRID(geom), props->>'depth_m' "
                    "FROM layer_features WHERE sublayer = 'flood' ORDER BY layer"
                )
            ).all()
            index = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'layer_features_geom'")
            ).scalar_one()
        engine.dispose()
        assert sorted(r[0] for r in rows) == sorted([west["id"], east["id"]])
        assert {(r[1], r[2], r[3]) for r in rows} == {("ST_Polygon", 4326, "1.0")}
        assert "gist" in index.lower()


def test_an_uploaded_area_is_kept_feature_by_feature_on_postgis(service, tiny_gpkg):  # noqa: F811
    client, heads, cfg = service
    r = client.post("/areas?name=grid3", content=tiny_gpkg.read_bytes(), headers=heads["planner"])
    assert r.status_code == 201, r.text
    if not cfg.db_url.startswith("postgresql"):
        assert (cfg.data_dir / "areas" / "grid3.gpkg").is_file()  # SQLite keeps the file
        return
    engine = create_engine(cfg.db_url)
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                text(
                    "SELECT sublayer, count(*) FROM layer_features WHERE layer = 'area:grid3' "
                    "GROUP BY sublayer"
                )
            ).all()
        )
    engine.dispose()
    assert counts["depots"] == 2 and counts["points"] == 5 and counts["roads"] > 0

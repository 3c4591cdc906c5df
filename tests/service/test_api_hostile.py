"""Hostile uploads, on SQLite and PostgreSQL: each is refused with a clear 413/422, nothing
is fetched from the network, no file outside the upload is read, and nothing is stored."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import sqlite3
import struct
import threading

import pytest

from tests.service.test_api import service  # noqa: F401 - the fixture

RING = [[115.605, 37.705], [115.615, 37.705], [115.615, 37.715], [115.605, 37.715]]


@pytest.fixture
def listener():
    """A loopback HTTP server that counts every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _hit(self):
            hits.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"type": "FeatureCollection", "features": []}')

        do_GET = do_HEAD = do_POST = _hit  # noqa: N815 - http.server's names

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def vrt(source: str) -> bytes:
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="flood"><SrcDataSource>{source}</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def post_flood(client, heads, body: bytes, name="x"):
    return client.post(f"/areas/tiny/floods?name={name}", content=body, headers=heads["planner"])


def no_layers(client, heads):
    return client.get("/areas/tiny/floods", headers=heads["viewer"]).json() == []


def test_a_vrt_naming_a_url_is_refused_and_nothing_is_fetched(service, listener):  # noqa: F811
    client, heads, _ = service
    url, hits = listener
    for body in (
        vrt(f"/vsicurl/{url}/flood.geojson"),
        vrt(f"{url}/flood.geojson"),
        f"{url}/flood.geojson".encode(),
        json.dumps({"type": "FeatureCollection", "features": [], "$ref": url}).encode(),
    ):
        r = post_flood(client, heads, body)
        assert r.status_code == 422, r.text
        assert r.json()["problem_zh"] and r.json()["field"]
    assert hits == []
    assert no_layers(client, heads)


def test_a_vrt_naming_a_local_file_is_refused_without_opening_it(service, tmp_path):  # noqa: F811
    """The VRT names a FIFO: anything that opened it to read would block, so the request
    finishing at all shows it was never opened; and /etc/passwd via a CSV: prefix."""
    client, heads, _ = service
    fifo = tmp_path / "secret.csv"
    os.mkfifo(fifo)
    codes: list[int] = []
    bodies = [vrt(f"CSV:{fifo}"), vrt(str(fifo)), vrt("CSV:/etc/passwd"), b"CSV:/etc/passwd"]

    def send():
        codes.extend(post_flood(client, heads, b).status_code for b in bodies)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    t.join(60)
    if t.is_alive():  # unblock the reader so the test run can end, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the upload opened the file its VRT named")
    assert codes == [422] * len(bodies)
    assert no_layers(client, heads)


def test_a_million_vertices_are_refused(service):  # noqa: F811
    client, heads, cfg = service
    n = 1_000_000
    ring = "[115.6,37.7]," * n + "[115.6,37.7]"
    body = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"depth_m":1},'
        f'"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}]}}'
    ).encode()
    assert len(body) < cfg.max_body_bytes  # the vertex limit refuses it, not the body limit
    r = post_flood(client, heads, body)
    assert r.status_code == 422, r.text[:300]
    assert "vertices" in r.json()["problem"] and r.json()["field"] == "geometry"
    assert "顶点" in r.json()["problem_zh"]
    assert no_layers(client, heads)


def test_a_body_over_the_size_limit_is_413(service):  # noqa: F811
    client, heads, cfg = service
    r = post_flood(client, heads, b" " * (cfg.max_body_bytes + 1))
    assert r.status_code == 413 and r.json()["problem_zh"]


def _gpkg_with(tmp_path, tiny_gpkg, sql: str, name: str):
    path = tmp_path / f"{name}.gpkg"
    shutil.copy(tiny_gpkg, path)
    with sqlite3.connect(path) as conn:
        conn.executescript(sql)
    conn.close()
    return path.read_bytes()


def _nested_collection(depth: int) -> bytes:
    """WKB: a GeometryCollection nested ``depth`` deep around one point (crashed GEOS)."""
    head = b"".join(struct.pack("<BII", 1, 7, 1) for _ in range(depth))
    return head + struct.pack("<BIdd", 1, 1, 115.6, 37.7)


@pytest.mark.parametrize(
    ("sql", "what"),
    [
        (
            "CREATE TRIGGER evil AFTER INSERT ON depots BEGIN DELETE FROM points; END;",
            "trigger 'evil'",
        ),
        ("CREATE TABLE secrets (x TEXT); INSERT INTO secrets VALUES ('a');", "table 'secrets'"),
        ("CREATE VIEW everything AS SELECT * FROM points;", "view ('everything')"),
    ],
)
def test_a_geopackage_with_surprises_is_refused(service, tiny_gpkg, tmp_path, sql, what):  # noqa: F811
    client, heads, _ = service
    data = _gpkg_with(tmp_path, tiny_gpkg, sql, "surprise")
    r = client.post("/areas?name=surprise", content=data, headers=heads["planner"])
    assert r.status_code == 422, r.text
    assert what in r.json()["problem"] and r.json()["problem_zh"]
    assert "surprise" not in client.get("/areas", headers=heads["viewer"]).json()


def test_a_geopackage_bomb_is_refused(service, tiny_gpkg, tmp_path):  # noqa: F811
    """A depot whose geometry is a collection nested 200,000 deep (a 1.8 MB blob that crashed
    the process in GEOS), and a body that only claims to be a GeoPackage."""
    client, heads, _ = service
    path = tmp_path / "bomb.gpkg"
    shutil.copy(tiny_gpkg, path)
    blob = b"GP\x00\x01" + struct.pack("<i", 4326) + _nested_collection(200_000)
    with sqlite3.connect(path) as conn:
        # The R-tree triggers call SpatiaLite's functions: stand-ins do here.
        for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            conn.create_function(fn, 1, lambda _: 0)
        conn.execute("UPDATE depots SET geom = ? WHERE id = 'D1'", (blob,))
    conn.close()
    r = client.post("/areas?name=bomb", content=path.read_bytes(), headers=heads["planner"])
    assert r.status_code == 422, r.text
    assert "nested" in r.json()["problem"] and "D1" in r.json()["problem"]
    fake = b"SQLite format 3\x00" + b"\x00" * 200
    r = client.post("/areas?name=fake", content=fake, headers=heads["planner"])
    assert r.status_code == 422 and r.json()["problem_zh"]
    assert {"bomb", "fake"}.isdisjoint(client.get("/areas", headers=heads["viewer"]).json())


def test_the_cli_fetches_nothing_a_flood_file_names(tmp_path, listener):
    """relief matrix --flood with a VRT body named .geojson: exit 2, no request made."""
    from typer.testing import CliRunner

    from service.cli import app

    url, hits = listener
    flood = tmp_path / "flood.geojson"
    flood.write_bytes(vrt(f"/vsicurl/{url}/f.geojson"))
    got = CliRunner().invoke(
        app, ["matrix", "--area", "hengshui", "--flood", str(flood), "--out", str(tmp_path / "o")]
    )
    assert got.exit_code == 2, got.output
    assert "JSON" in got.output and hits == []
    assert not (tmp_path / "o").exists()


def test_gdal_is_locked_down_for_the_process():
    """The drivers that follow references or reach the network are gone."""
    import pyogrio

    drivers = pyogrio.list_drivers()
    assert {"GPKG", "GeoJSON", "ESRI Shapefile"} <= set(drivers)
    assert not {"VRT", "OGR_VRT", "CSV", "WFS", "HTTP"} & set(drivers)

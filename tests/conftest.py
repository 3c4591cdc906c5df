"""Shared fixtures: the tiny 4x4-grid area shipped in tests/data/tiny."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.io import read_layer

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
BAD = DATA / "bad"


def write_tiny_area(path: Path) -> Path:
    """Write the tiny area (depots, points, roads) as one GeoPackage."""
    for layer, file in (
        ("depots", "depots.csv"),
        ("points", "points.csv"),
        ("roads", "roads.geojson"),
    ):
        read_layer(TINY / file).to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


@pytest.fixture(scope="session")
def tiny_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoPackage with the tiny area's depots, points and roads."""
    return write_tiny_area(tmp_path_factory.mktemp("tiny") / "tiny.gpkg")

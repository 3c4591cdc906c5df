import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geodata.area import DATA_DIR, load_area
from geodata.bundled import AREAS, build_area
from geodata.matrix import travel_time_matrix

CENSUS = {"hengshui": 4_212_933, "zhuozhou": 667_678}


@pytest.fixture(scope="module", params=sorted(AREAS))
def built(request):
    return request.param, build_area(AREAS[request.param])


def test_rebuild_reproduces_the_committed_geopackage(built):
    """Rebuilding from geodata/sources with the seed gives the committed records exactly."""
    key, layers = built
    path = DATA_DIR / f"{key}.gpkg"
    for name, fresh in layers.items():
        stored = pyogrio.read_dataframe(
            path, layer=name, read_geometry=isinstance(fresh, gpd.GeoDataFrame)
        )
        assert len(stored) == len(fresh), f"{path.name} {name}: run `make data`"
        for col in fresh.columns:
            if col == "geometry":
                assert stored.geometry.geom_equals_exact(fresh.geometry, 1e-9).all(), name
            else:
                a = pd.Series(fresh[col]).reset_index(drop=True)
                b = pd.Series(stored[col]).reset_index(drop=True)
                assert (a.astype(str) == b.astype(str)).all() or np.allclose(
                    pd.to_numeric(a), pd.to_numeric(b), equal_nan=True
                ), f"{path.name} {name}.{col} differs from a fresh build: run `make data`"


def test_population_adds_up_to_the_census_total(built):
    """Points hold exactly the county census total; nobody is lost in the split."""
    key, layers = built
    assert layers["points"]["population"].sum() == CENSUS[key]


def test_every_record_has_a_provenance_flag(built):
    """Every record of every layer with records says real, proxy or synthetic."""
    _, layers = built
    for name, df in layers.items():
        if name in ("meta", "provenance_notes"):
            continue
        assert set(df["provenance"]) <= {"real", "proxy", "synthetic"}, name
        assert df["provenance"].notna().all(), name


def test_boundaries_are_real_and_in_wgs84(built):
    """County boundaries are flagged real and lie near Hebei in WGS84."""
    _, layers = built
    b = layers["boundaries"]
    assert (b["provenance"] == "real").all()
    minx, miny, maxx, maxy = b.total_bounds
    assert 113 < minx < maxx < 118 and 36 < miny < maxy < 41


def test_geopackages_are_small(built):
    """Each committed GeoPackage stays under 5 MB so the repository stays light."""
    key, _ = built
    assert (DATA_DIR / f"{key}.gpkg").stat().st_size < 5_000_000


def test_hengshui_has_all_eleven_counties_and_a_depot_in_each():
    """All 11 county-level units of Hengshui are modelled with a county depot."""
    area = load_area("hengshui")
    counties = {d.county for d in area.network.depots if d.tier.value == "county"}
    assert len(counties) == 11
    assert sum(d.tier.value == "municipal" for d in area.network.depots) == 1


def test_zhuozhou_expressway_has_north_and_south_exits():
    """The G4 corridor has the two Zhuozhou exits the 2023 scenario closes and keeps."""
    area = load_area("zhuozhou")
    names = " ".join(area.roads.edges["name"])
    assert "涿州北出口" in names and "涿州南出口" in names


@pytest.mark.parametrize("key", sorted(AREAS))
def test_dry_network_reaches_every_point_and_snaps_close(key):
    """On dry roads every depot reaches every point, and nothing snaps farther than 2 km."""
    area = load_area(key)
    m = travel_time_matrix(area)
    assert m.reachable.all()
    assert area.point_snap.distance_m.max() < 2000
    assert area.depot_snap.distance_m.max() < 2000
    assert np.nanmax(m.hours()) < 6

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata.io import atomic_path, read_layer, write_atomic
from geodata.records import depots_from_frame, points_from_frame
from solver.catalogue import DEFAULT_CATALOGUE
from solver.errors import DataError
from tests.conftest import BAD, TINY


def test_csv_with_lonlat_becomes_wgs84_points():
    """A CSV with lon/lat columns reads as WGS84 points with the other columns kept."""
    gdf = read_layer(TINY / "depots.csv")
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf.geometry.x.round(4)) == [115.6002, 115.6301]
    assert "stock_water" in gdf.columns and "lon" not in gdf.columns


def test_xlsx_reads_like_csv(tmp_path):
    """The same table as XLSX gives the same points."""
    df = pd.read_csv(TINY / "points.csv")
    df.to_excel(tmp_path / "points.xlsx", index=False)
    a = read_layer(TINY / "points.csv")
    b = read_layer(tmp_path / "points.xlsx")
    assert a.geometry.geom_equals(b.geometry).all()


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".geojson"])
@pytest.mark.filterwarnings("ignore:Column names longer than 10:UserWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning")
def test_vector_formats_round_trip(tmp_path, suffix):
    """GeoPackage, Shapefile and GeoJSON of the same points read back to the same points.

    Shapefile cuts column names to 10 characters; the reader restores them
    (floor_area -> floor_area_m2), so shelter capacities survive.
    """
    gdf = read_layer(TINY / "points.csv")
    path = tmp_path / f"p{suffix}"
    gdf.to_file(path, engine="pyogrio")
    back = read_layer(path)
    assert back.geometry.geom_equals_exact(gdf.geometry, 1e-9).all()
    expected = points_from_frame(gdf)
    assert points_from_frame(back) == expected
    assert next(p for p in expected if p.id == "S1").capacity == 300


def test_gcj02_file_is_converted_only_when_asked(tmp_path):
    """A file in GCJ-02 is shifted back ~500 m with crs='gcj02' and left as is without."""
    from geodata.crs import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(115.68, 37.74)
    pd.DataFrame({"id": ["A"], "lon": [float(lon)], "lat": [float(lat)]}).to_csv(
        tmp_path / "g.csv", index=False
    )
    raw = read_layer(tmp_path / "g.csv")
    fixed = read_layer(tmp_path / "g.csv", crs="gcj02")
    assert abs(raw.geometry.x[0] - lon) < 1e-12
    assert abs(fixed.geometry.x[0] - 115.68) < 1e-8 and abs(fixed.geometry.y[0] - 37.74) < 1e-8


def test_projected_file_is_reprojected(tmp_path):
    """A layer in UTM 50N comes back in WGS84."""
    gdf = read_layer(TINY / "points.csv").to_crs(32650)
    gdf.to_file(tmp_path / "utm.gpkg", engine="pyogrio")
    back = read_layer(tmp_path / "utm.gpkg")
    assert back.crs.to_epsg() == 4326
    assert abs(back.geometry.x[0] - 115.61) < 1e-7


def test_gcj02_on_projected_file_is_refused(tmp_path):
    """GCJ-02 applies to lon/lat only; asking it of a UTM file is an error."""
    gdf = read_layer(TINY / "points.csv").to_crs(32650)
    gdf.to_file(tmp_path / "utm.gpkg", engine="pyogrio")
    with pytest.raises(DataError, match="projected CRS"):
        read_layer(tmp_path / "utm.gpkg", crs="gcj02")


BAD_DEPOTS = [
    ("depots_SwappedLonLat.csv", "D1", "lon/lat", "swapped"),
    ("depots_OutsideChina.csv", "D9", "lon/lat", "outside China"),
    ("depots_NegativeStock.csv", "D7", "stock_water", ">= 0"),
    ("depots_UnknownItem.csv", None, "stock_chocolate", "unknown item 'chocolate'"),
    ("depots_MissingColumn.csv", None, "tier", "missing column 'tier'"),
    ("depots_NotANumber.csv", "D1", "stock_water", "not a number"),
    ("depots_UnknownTier.csv", "D1", "tier", "unknown tier"),
    ("depots_Empty.csv", None, None, "file is empty"),
]


@pytest.mark.parametrize(("name", "record", "field", "match"), BAD_DEPOTS)
def test_bad_depot_files_name_file_record_and_field(name, record, field, match):
    """Each defective depot file fails with a message naming the file, record and field."""
    with pytest.raises(DataError, match=match) as info:
        depots_from_frame(read_layer(BAD / name), DEFAULT_CATALOGUE, source=str(BAD / name))
    err = info.value
    assert name in str(err)
    assert err.record == record
    assert err.field == field


def test_negative_population_names_the_point():
    """A negative population names the point and the field."""
    with pytest.raises(DataError) as info:
        points_from_frame(read_layer(BAD / "points_NegativePopulation.csv"), source="p.csv")
    assert (info.value.record, info.value.field) == ("P1", "population")


def test_missing_file_is_named(tmp_path):
    """A file that does not exist is reported by name."""
    with pytest.raises(DataError, match="does not exist") as info:
        read_layer(tmp_path / "nope.geojson")
    assert "nope.geojson" in str(info.value)


def test_unsupported_suffix_refused(tmp_path):
    """A .txt file is refused with the supported types listed."""
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(DataError, match="unsupported file type"):
        read_layer(tmp_path / "x.txt")


def test_csv_without_latitude_column(tmp_path):
    """A CSV without a latitude column says which names it looked for."""
    pd.DataFrame({"id": ["a"], "lon": [115.0]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(DataError, match="no latitude column") as info:
        read_layer(tmp_path / "x.csv")
    assert info.value.field == "lat"


def test_feature_without_geometry_refused(tmp_path):
    """A GeoJSON feature without geometry is named."""
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=[shapely.Point(115.6, 37.7), None], crs=4326
    )
    gdf.to_file(tmp_path / "g.geojson", engine="pyogrio")
    with pytest.raises(DataError, match="no geometry") as info:
        read_layer(tmp_path / "g.geojson")
    assert info.value.record == "b"


def test_atomic_write_leaves_existing_file_untouched_on_failure(tmp_path):
    """When writing fails half-way, the old file stays as it was and no temp file is left."""
    target = tmp_path / "out.csv"
    target.write_text("old")

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_path_moves_into_place(tmp_path):
    """A successful block replaces the file."""
    target = tmp_path / "sub" / "out.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"


def test_item_without_unit_in_items_table_is_refused():
    """An items table row with an empty unit is refused naming the item and the field."""
    from geodata.records import catalogue_from_frame
    from solver.catalogue import DEFAULT_CATALOGUE as CAT

    df = pd.DataFrame(
        {
            "id": ["soap"],
            "name_zh": ["肥皂"],
            "unit": [""],
            "unit_weight_kg": [0.1],
            "unit_volume_m3": [0.001],
            "group": ["衣"],
            "per_person": [1],
        }
    )
    with pytest.raises(DataError, match="needs a unit") as info:
        catalogue_from_frame(df, CAT, source="items.csv")
    assert (info.value.record, info.value.field) == ("soap", "unit")


def test_items_table_overrides_a_quota():
    """An items table can change a default quota (water to 5 L) and add an item."""
    from geodata.records import catalogue_from_frame
    from solver.catalogue import DEFAULT_CATALOGUE as CAT

    df = pd.DataFrame(
        {
            "id": ["water", "soap"],
            "unit": ["L", "bar"],
            "unit_weight_kg": [1.0, 0.1],
            "unit_volume_m3": [0.0011, 0.0002],
            "group": ["food", "衣"],
            "per_person": [5, 1],
            "name_zh": ["水", "肥皂"],
            "name_en": ["water", "soap"],
        }
    )
    cat = catalogue_from_frame(df, CAT)
    assert cat.get("water").per_person == 5 and cat.get("soap").group.value == "clothing"

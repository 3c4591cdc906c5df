"""Coordinate systems: WGS84 checks, and the Chinese GCJ-02 and BD-09 offsets.

pyproj has no GCJ-02 ("Mars coordinates") or BD-09 (Baidu), because they are obfuscations
rather than datums: a published nonlinear offset. The forward offset below is the public
formula on the Krasovsky ellipsoid; the inverse is solved by fixed-point iteration to
better than 1e-9 degrees (about 0.1 mm), where the common one-step inverse errs by metres.
It is vectorised over NumPy arrays, which the small libraries that implement it are not.
The tests check it against point pairs converted independently (prcoords).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS
from pyproj.exceptions import CRSError

from solver.errors import DataError

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0

#: A generous WGS84 box around China (mainland, Hainan, Taiwan, the Spratlys excluded).
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (17.0, 54.0)

ChineseCRS = Literal["wgs84", "gcj02", "bd09"]
_ALIASES: dict[str, ChineseCRS] = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "mars": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
}


def _outside_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    # The offset is applied only inside this box, as the GCJ-02 providers do.
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    d_lat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    d_lat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    d_lon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    d_lon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    d_lon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return d_lon, d_lat


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Offset WGS84 coordinates to GCJ-02 (identity outside China)."""
    x, y = _arrays(lon, lat)
    d_lon, d_lat = _delta(x, y)
    out = _outside_china(x, y)
    return np.where(out, x, x + d_lon), np.where(out, y, y + d_lat)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Invert the GCJ-02 offset by fixed-point iteration (identity outside China)."""
    g_lon, g_lat = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, g_lon, g_lat, g_lon.copy(), g_lat.copy(), tol_deg, max_iter)


Forward = Callable[[ArrayLike, ArrayLike], tuple[NDArray[np.float64], NDArray[np.float64]]]


def _invert(
    forward: Forward,
    t_lon: NDArray[np.float64],
    t_lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    tol_deg: float,
    max_iter: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Solve ``forward(lon, lat) == (t_lon, t_lat)`` by fixed-point iteration from a start.

    The offsets are small and smooth (their derivatives are far below 1), so subtracting the
    residual converges in a few steps.
    """
    for _ in range(max_iter):
        f_lon, f_lat = forward(lon, lat)
        e_lon, e_lat = f_lon - t_lon, f_lat - t_lat
        lon, lat = lon - e_lon, lat - e_lat
        if np.all(np.abs(e_lon) < tol_deg) and np.all(np.abs(e_lat) < tol_deg):
            break
    return lon, lat


def gcj02_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Offset GCJ-02 coordinates to Baidu's BD-09."""
    x, y = _arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Invert the BD-09 offset (closed-form start, refined by fixed-point iteration)."""
    b_lon, b_lat = _arrays(lon, lat)
    x, y = b_lon - 0.0065, b_lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    start_lon, start_lat = z * np.cos(theta), z * np.sin(theta)
    return _invert(gcj02_to_bd09, b_lon, b_lat, start_lon, start_lat, tol_deg, max_iter)


def bd09_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """BD-09 to WGS84 through GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def parse_crs(spec: str | None) -> ChineseCRS | CRS:
    """Parse a user's CRS: ``wgs84``, ``gcj02``, ``bd09`` or anything pyproj understands.

    Raises :class:`DataError` naming the value when it is none of these.
    """
    if spec is None:
        return "wgs84"
    key = str(spec).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        crs = CRS.from_user_input(spec)
    except CRSError:
        raise DataError(
            f"unknown CRS {spec!r}: use wgs84, gcj02, bd09 or an EPSG code such as EPSG:4326",
            field="crs",
            problem_zh=f"未知坐标系 {spec!r}:可用 wgs84、gcj02、bd09 或 EPSG 代码",
        ) from None
    if crs.equals(CRS.from_epsg(4326)):
        return "wgs84"
    return crs


def to_wgs84_arrays(
    lon: ArrayLike, lat: ArrayLike, crs: ChineseCRS
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert lon/lat arrays from a Chinese CRS to WGS84."""
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    return _arrays(lon, lat)


def check_in_china(
    lon: ArrayLike,
    lat: ArrayLike,
    ids: Sequence[str] | Callable[[int], str] | None = None,
    *,
    source: str | None = None,
) -> None:
    """Raise :class:`DataError` at the first place outside China; say when lon/lat look swapped."""
    x, y = _arrays(lon, lat)
    bad = ~((x >= CHINA_LON[0]) & (x <= CHINA_LON[1]) & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1]))
    if not bad.any():
        return
    i = int(np.argmax(bad))
    rec = (ids(i) if callable(ids) else ids[i]) if ids is not None else f"row {i + 1}"
    if CHINA_LON[0] <= y[i] <= CHINA_LON[1] and CHINA_LAT[0] <= x[i] <= CHINA_LAT[1]:
        raise DataError(
            f"longitude {x[i]} and latitude {y[i]} look swapped (lat/lon given instead of lon/lat)",
            source=source,
            record=rec,
            field="lon/lat",
            problem_zh="经纬度似乎写反了(应为 经度, 纬度)",
        )
    raise DataError(
        f"({x[i]}, {y[i]}) is outside China; is the file in WGS84 lon/lat?",
        source=source,
        record=rec,
        field="lon/lat",
        problem_zh="坐标不在中国境内,请检查坐标系",
    )

"""GDAL locked down for the whole process: no network, no virtual or special paths.

User files never reach GDAL's driver auto-detection (see :mod:`geodata.io`), but GDAL is
still in the process (it writes GeoJSON and GeoPackages, and reads Shapefiles whose header
was checked). So that no path or document can make it fetch a URL or read another file,
this module, imported by :mod:`geodata` before anything loads GDAL:

* removes the drivers that follow references or reach the network (``GDAL_SKIP``: VRT,
  CSV with its ``CSV:`` prefix, WFS, OGC API, WMS/WMTS/WCS, the HTTP driver, ...);
* allows ``/vsicurl/`` no file at all (``CPL_VSIL_CURL_ALLOWED_FILENAME``), reads no
  ``/vsistdin/``, and gives any HTTP request GDAL might still attempt a dead proxy, one try
  and a one-second timeout;
* turns off VRT Python pixel functions and raw raster bands.

A trusted operator who needs GDAL's full reach sets ``RELIEF_GDAL_TRUSTED=1`` in the
environment before starting the program; nothing is changed then.
"""

from __future__ import annotations

import os
import sys

#: Drivers that read other files or URLs named inside a document, or talk to servers.
SKIPPED_DRIVERS = (
    "VRT OGR_VRT CSV WFS OAPIF WMS WMTS WCS HTTP ESRIC PLScenes Elasticsearch "
    "AmigoCloud Carto NGW EEDA EEDAI DAAS GeoRSS GPSBabel"
)

#: Configuration applied unless the operator trusts GDAL's defaults.
POLICY = {
    "GDAL_SKIP": SKIPPED_DRIVERS,
    "CPL_VSIL_CURL_ALLOWED_FILENAME": "/nonexistent/relief-no-network",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".relief-no-network",
    "CPL_ALLOW_VSISTDIN": "NO",
    "GDAL_HTTP_PROXY": "127.0.0.1:9",  # the discard port: nothing leaves the machine
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_VRT_ENABLE_RAWRASTERBAND": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
}


def trusted() -> bool:
    """True when the operator set ``RELIEF_GDAL_TRUSTED=1``."""
    return os.environ.get("RELIEF_GDAL_TRUSTED", "") == "1"


def apply() -> None:
    """Set the policy for the process.

    In the environment (read when GDAL registers its drivers) and, if GDAL is loaded
    already, in its runtime configuration too.
    """
    if trusted():
        return
    os.environ.update(POLICY)
    if "pyogrio" in sys.modules:
        import pyogrio

        pyogrio.set_gdal_config_options(dict(POLICY))

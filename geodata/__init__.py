"""Geodata I/O: files and GeoDataFrames in, the pure objects of ``solver`` out.

Readers check CRS and coordinates, convert Chinese GCJ-02/BD-09 data when told to, snap
places to the road graph and turn flood layers into road conditions. Importing the package
locks GDAL down for the process first (:mod:`geodata.gdal_policy`).
"""

from geodata import gdal_policy

gdal_policy.apply()

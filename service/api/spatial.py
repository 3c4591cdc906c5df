"""Uploaded layers in the database's own spatial store: PostGIS on PostgreSQL.

On PostgreSQL each feature of an uploaded flood layer or area goes into ``layer_features``
(``geometry(Geometry, 4326)``, attributes as ``jsonb``, a GiST index; migration 0006) in the
same transaction as its ``layers`` row, and the flood list's bounding-box filter is an
index query there. SQLite keeps only the files the service writes, and the filter reads
them. Either way the solver reads the service's own GeoJSON copy of a layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from geodata.io import read_layer

_INSERT = text(
    "INSERT INTO layer_features (layer, sublayer, feature, props, geom) VALUES "
    "(:layer, :sublayer, :feature, CAST(:props AS jsonb), "
    "ST_SetSRID(ST_GeomFromWKB(:wkb), 4326))"
)


def postgis(session: Session) -> bool:
    """True when ``session`` talks to PostgreSQL (so PostGIS holds the geometries)."""
    return session.get_bind().dialect.name == "postgresql"


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def store_features(session: Session, layer_id: str, sublayer: str, frame: gpd.GeoDataFrame) -> int:
    """Add ``frame``'s features (WGS84) to PostGIS under ``layer_id``; 0 on SQLite."""
    if not postgis(session) or frame.empty:
        return 0
    cols = [c for c in frame.columns if c != frame.geometry.name]
    wkbs = shapely.to_wkb(frame.geometry.to_numpy())
    rows = [
        {
            "layer": layer_id,
            "sublayer": sublayer,
            "feature": k,
            "props": json.dumps(
                {c: _plain(v) for c, v in zip(cols, values, strict=True)},
                ensure_ascii=False,
                default=str,
            ),
            "wkb": wkb,
        }
        for k, (values, wkb) in enumerate(
            zip(frame[cols].itertuples(index=False, name=None), wkbs, strict=True)
        )
    ]
    session.execute(_INSERT, rows)
    return len(rows)


def layers_in_bbox(
    session: Session, layers: list[tuple[str, str]], bbox: tuple[float, float, float, float]
) -> set[str]:
    """Ids among ``layers`` (id, file) with a feature inside ``bbox`` (lon/lat)."""
    if not layers:
        return set()
    if postgis(session):
        got = session.execute(
            text(
                "SELECT DISTINCT layer FROM layer_features WHERE layer = ANY(:ids) AND "
                "geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) AND "
                "ST_Intersects(geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))"
            ),
            {
                "ids": [i for i, _ in layers],
                "x0": bbox[0],
                "y0": bbox[1],
                "x1": bbox[2],
                "y1": bbox[3],
            },
        )
        return {str(r[0]) for r in got}
    box = shapely.box(*bbox)
    return {
        lid
        for lid, path in layers
        if Path(path).is_file() and read_layer(path, check_china=False).intersects(box).any()
    }

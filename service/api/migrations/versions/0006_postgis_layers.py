"""Uploaded layers as PostGIS geometries (PostgreSQL only), with a spatial index.

On PostgreSQL every feature of an uploaded flood layer or area is kept in
``layer_features`` as a ``geometry(Geometry, 4326)`` with its attributes (``jsonb``) and a
GiST index; SQLite keeps the files the service writes (nothing to do there). Also widens
``layers.id`` so that ``area:NAME`` ids of 50-character names fit.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    """Create the PostGIS table and its indexes (PostgreSQL)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("layers", "id", type_=sa.String(100), existing_type=sa.String(36))
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute(
        """
        CREATE TABLE layer_features (
            id bigserial PRIMARY KEY,
            layer varchar(100) NOT NULL REFERENCES layers (id) ON DELETE CASCADE,
            sublayer varchar(50) NOT NULL,
            feature integer NOT NULL,
            props jsonb NOT NULL,
            geom geometry(Geometry, 4326) NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX layer_features_geom ON layer_features USING GIST (geom)")
    op.execute("CREATE INDEX layer_features_layer ON layer_features (layer, sublayer)")


def downgrade() -> None:
    """Drop them."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS layer_features")
    op.alter_column("layers", "id", type_=sa.String(36), existing_type=sa.String(100))

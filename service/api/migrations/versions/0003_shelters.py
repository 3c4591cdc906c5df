"""Shelter capacities changed through the service.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    """Create the table."""
    op.create_table(
        "shelters",
        sa.Column("area", sa.String(100), primary_key=True),
        sa.Column("point", sa.String(100), primary_key=True),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("shelters")

"""Failover: alternate base URLs (origins) per platform.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("platform") as batch:
        batch.add_column(sa.Column("alternate_origins", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("platform") as batch:
        batch.drop_column("alternate_origins")

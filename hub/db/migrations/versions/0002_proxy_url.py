"""Proxied URLs: hub URLs that stand in for Link, Location and response_url targets.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proxy_url",
        sa.Column("id", sa.String(43), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("target_url", sa.String(2048), nullable=False),
        sa.Column("target_platform_id", sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False),
        sa.Column("caller_platform_id", sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False),
        sa.Column("to_country_code", sa.String(2), nullable=False),
        sa.Column("to_party_id", sa.String(3), nullable=False),
        sa.Column("from_country_code", sa.String(2), nullable=False),
        sa.Column("from_party_id", sa.String(3), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_proxy_url_expires_at", "proxy_url", ["expires_at"])


def downgrade() -> None:
    op.drop_table("proxy_url")

"""Upstream hubs: a platform's kind (a party's platform, an OCPI upstream hub, an OICP upstream
hub) with its adapter profile and options, the routes to parties reachable through an upstream,
and the pins that keep a flow's follow-ups on the route it started on.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("platform") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="party"))
        batch.add_column(sa.Column("profile", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))
    op.create_table(
        "route",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("platform_id", sa.Integer(), sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=True),
        sa.Column("upstream_ids", sa.JSON(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_traffic_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform_id", "country_code", "party_id", "role", name="uq_route"),
    )
    op.create_index("ix_route_key", "route", ["country_code", "party_id"])
    op.create_table(
        "route_pin",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pin_key", sa.String(length=255), nullable=False, unique=True),
        sa.Column("platform_id", sa.Integer(), sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("route_pin")
    op.drop_index("ix_route_key", table_name="route")
    op.drop_table("route")
    with op.batch_alter_table("platform") as batch:
        batch.drop_column("options")
        batch.drop_column("profile")
        batch.drop_column("kind")

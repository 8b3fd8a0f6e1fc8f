"""Registry: platforms, parties, endpoints and the registry revision.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("versions_url", sa.String(255)),
        sa.Column("version", sa.String(16)),
        sa.Column("token_a_hash", sa.String(64), unique=True),
        sa.Column("inbound_token_hash", sa.String(64), unique=True),
        sa.Column("outbound_token_enc", sa.String(512)),
        sa.Column("token_encoding", sa.String(8), nullable=False),
        sa.Column("timeout_seconds", sa.Float),
        sa.Column("from_config", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "party",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform_id", sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("business_details", sa.JSON),
        sa.UniqueConstraint("country_code", "party_id", "role", name="uq_party_key_role"),
    )
    op.create_index("ix_party_platform_id", "party", ["platform_id"])
    op.create_index("ix_party_key", "party", ["country_code", "party_id"])
    op.create_table(
        "endpoint",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform_id", sa.Integer, sa.ForeignKey("platform.id", ondelete="CASCADE"), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("interface_role", sa.String(8), nullable=False),
        sa.Column("url", sa.String(255), nullable=False),
        sa.UniqueConstraint("platform_id", "module", "interface_role", name="uq_endpoint"),
    )
    op.create_index("ix_endpoint_platform_id", "endpoint", ["platform_id"])
    op.create_table(
        "registry_revision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO registry_revision (id, revision) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("registry_revision")
    op.drop_table("endpoint")
    op.drop_table("party")
    op.drop_table("platform")

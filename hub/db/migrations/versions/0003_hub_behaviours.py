"""What only a hub does: the store of published data, broadcasts, the outbox, agreements,
leases, and the time a platform was last heard from.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("platform") as batch:
        batch.add_column(_ts("last_seen_at", nullable=True))
    op.create_table(
        "stored_object",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("object_id", sa.String(80), nullable=False),
        sa.Column("data", sa.JSON),
        _ts("last_updated"),
        sa.UniqueConstraint("module", "country_code", "party_id", "object_id", name="uq_stored_object"),
    )
    op.create_index("ix_stored_object_lookup", "stored_object", ["module", "object_id"])
    op.create_index("ix_stored_object_updated", "stored_object", ["module", "last_updated"])
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("interface_role", sa.String(8), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("rest", sa.String(512), nullable=False),
        sa.Column("query", sa.String(1024), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("from_country_code", sa.String(2), nullable=False),
        sa.Column("from_party_id", sa.String(3), nullable=False),
        sa.Column("from_role", sa.String(8), nullable=False),
        sa.Column("platform_id", sa.Integer, nullable=False),
        sa.Column("correlation_id", sa.String(255), nullable=False),
        sa.Column("expanded", sa.Boolean, nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_broadcast_expanded", "broadcast", ["expanded"])
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("broadcast_id", sa.Integer),
        sa.Column("receiver_key", sa.String(32), nullable=False),
        sa.Column("receiver_platform_id", sa.Integer, nullable=False),
        sa.Column("to_country_code", sa.String(2)),
        sa.Column("to_party_id", sa.String(3)),
        sa.Column("from_country_code", sa.String(2)),
        sa.Column("from_party_id", sa.String(3)),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("interface_role", sa.String(8), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("rest", sa.String(512), nullable=False),
        sa.Column("query", sa.String(1024), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("correlation_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.String(255)),
        _ts("created_at"),
        _ts("finished_at", nullable=True),
    )
    op.create_index("ix_outbox_queue", "outbox_message", ["status", "receiver_key", "id"])
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender", sa.String(8), nullable=False),
        sa.Column("receiver", sa.String(8), nullable=False),
        sa.Column("module", sa.String(64), nullable=False),
        sa.Column("allow", sa.Boolean, nullable=False),
        sa.UniqueConstraint("sender", "receiver", "module", name="uq_agreement"),
    )
    op.create_table(
        "lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        _ts("expires_at"),
    )


def downgrade() -> None:
    for table in ("lease", "agreement", "outbox_message", "broadcast", "stored_object"):
        op.drop_table(table)
    with op.batch_alter_table("platform") as batch:
        batch.drop_column("last_seen_at")

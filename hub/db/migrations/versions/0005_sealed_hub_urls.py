"""Hub URLs are sealed (encrypted, signed, expiring) into the URL itself: the proxy_url table goes.
Outbox statuses are checked by the database.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_STATUSES = "status IN ('pending', 'delivered', 'rejected', 'skipped', 'dead')"


def upgrade() -> None:
    op.drop_index("ix_proxy_url_expires_at", table_name="proxy_url")
    op.drop_table("proxy_url")
    with op.batch_alter_table("outbox_message") as batch:
        batch.create_check_constraint("ck_outbox_message_status", sa.text(_STATUSES))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_constraint("ck_outbox_message_status", type_="check")
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

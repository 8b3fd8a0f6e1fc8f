"""Hub URLs that must stay within OCPI's 255 characters (a response_url) and whose sealed target
is longer are stored as a row the URL names (`hub.forwarding.proxies`).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_url",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_hub_url_expires_at", "hub_url", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_hub_url_expires_at", table_name="hub_url")
    op.drop_table("hub_url")

"""Hardening: a platform's pinned client certificate (mutual TLS) and the moment a registration
with its token A was claimed (one registration at a time).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("platform") as batch:
        batch.add_column(sa.Column("client_cert_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("registration_claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("platform") as batch:
        batch.drop_column("registration_claimed_at")
        batch.drop_column("client_cert_sha256")

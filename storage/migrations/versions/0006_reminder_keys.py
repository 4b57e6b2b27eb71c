"""Reminders made by the clock (the daily digest) carry a key, so that two processes make one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("dedupe_key", sa.String(100), nullable=True))
        batch.create_unique_constraint("uq_reminders_dedupe_key", ["dedupe_key"])


def downgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.drop_constraint("uq_reminders_dedupe_key", type_="unique")
        batch.drop_column("dedupe_key")

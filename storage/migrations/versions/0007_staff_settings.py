"""Each member of staff's own time zone and working hours.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_settings",
        sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("work_start", sa.String(5), nullable=True),
        sa.Column("work_end", sa.String(5), nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_settings")

"""Each member of staff's own working days ("9-18 пн-сб"), beside their own hours.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff_settings", sa.Column("work_days", sa.String(13), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_settings") as batch:
        batch.drop_column("work_days")

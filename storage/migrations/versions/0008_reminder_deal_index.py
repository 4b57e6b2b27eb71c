"""An index of reminders by deal and kind: the stale-deal scan asks whether a deal was nudged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reminders_deal_kind", "reminders", ["deal_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_reminders_deal_kind", table_name="reminders")

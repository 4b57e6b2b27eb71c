"""Indexes of reminders: by deal and kind (was a quiet deal nudged already?) and by person (the
list of one's reminders and the morning digest read them among every pending one).

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
    op.create_index("ix_reminders_chat_status_due", "reminders", ["chat_id", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_reminders_chat_status_due", table_name="reminders")
    op.drop_index("ix_reminders_deal_kind", table_name="reminders")

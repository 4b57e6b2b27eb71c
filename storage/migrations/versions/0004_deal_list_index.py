"""A covering index for a manager's deal list (bench/deals.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ["manager_telegram_id", "status", "temperature", "stage", "updated_at", "person_id"]


def upgrade() -> None:
    op.create_index("ix_deals_manager_list", "deals", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_deals_manager_list", table_name="deals")

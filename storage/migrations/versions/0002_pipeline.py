"""The guided pipeline: answers to stage questions, and why a deal was lost.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("lost_reason", sa.String(200), nullable=True))
    op.create_table(
        "deal_answers",
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), primary_key=True),
        sa.Column("question_id", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("answered_by", sa.BigInteger, nullable=True),
        sa.Column("answered_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deal_answers")
    with op.batch_alter_table("deals") as batch:
        batch.drop_column("lost_reason")

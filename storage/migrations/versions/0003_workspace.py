"""The managers' workspace: managers, invitations, relayed messages, deal amount and next step.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        batch.add_column(sa.Column("amount_minor", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("next_step", sa.String(200), nullable=True))
        batch.create_index(
            "ix_deals_manager_status_updated", ["manager_telegram_id", "status", "updated_at"]
        )
    op.create_table(
        "managers",
        sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("invited_by", sa.BigInteger, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("last_assigned_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "invites",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("created_by", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("used_by", sa.BigInteger, nullable=True),
        sa.Column("used_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "relayed_messages",
        sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("message_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("relayed_messages")
    op.drop_table("invites")
    op.drop_table("managers")
    with op.batch_alter_table("deals") as batch:
        batch.drop_index("ix_deals_manager_status_updated")
        batch.drop_column("next_step")
        batch.drop_column("amount_minor")

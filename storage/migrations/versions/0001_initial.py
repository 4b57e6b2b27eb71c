"""People, deals, touch points, events and FSM states.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("telegram_id", sa.BigInteger, nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("company", sa.String(150), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("consent_at", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("telegram_id", name="uq_people_telegram_id"),
        sa.UniqueConstraint("phone", name="uq_people_phone"),
        sa.UniqueConstraint("email", name="uq_people_email"),
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("temperature", sa.String(10), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("score_reasons", sa.JSON, nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("initiative", sa.String(10), nullable=False),
        sa.Column("campaign", sa.String(200), nullable=False, server_default=""),
        sa.Column("source_payload", sa.String(64), nullable=False, server_default=""),
        sa.Column("referrer_id", sa.Integer, nullable=True),
        sa.Column("manager_telegram_id", sa.BigInteger, nullable=True),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deals"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_deals_person_id_people"),
        sa.ForeignKeyConstraint(["referrer_id"], ["people.id"], name="fk_deals_referrer_id_people"),
    )
    op.create_index("ix_deals_person_id", "deals", ["person_id"])
    op.create_index("ix_deals_manager_telegram_id", "deals", ["manager_telegram_id"])
    op.create_table(
        "touch_points",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("deal_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("initiative", sa.String(10), nullable=False),
        sa.Column("campaign", sa.String(200), nullable=False, server_default=""),
        sa.Column("payload", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_touch_points"),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_touch_points_person_id_people"
        ),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name="fk_touch_points_deal_id_deals"),
    )
    op.create_index("ix_touch_points_person_id", "touch_points", ["person_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deal_id", sa.Integer, nullable=True),
        sa.Column("person_id", sa.Integer, nullable=True),
        sa.Column("actor_telegram_id", sa.BigInteger, nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name="fk_events_deal_id_deals"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name="fk_events_person_id_people"),
    )
    op.create_index("ix_events_deal_id", "events", ["deal_id"])
    op.create_index("ix_events_person_id", "events", ["person_id"])
    op.create_table(
        "fsm_states",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("state", sa.String(100), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_fsm_states"),
    )


def downgrade() -> None:
    for table in ("fsm_states", "events", "touch_points", "deals", "people"):
        op.drop_table(table)

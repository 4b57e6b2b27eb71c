"""Tables (SQLAlchemy Core). Changes go through an Alembic migration in storage/migrations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which has no time zones) and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("telegram_id", sa.BigInteger, nullable=True, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("phone", sa.String(20), nullable=True, unique=True),
    sa.Column("email", sa.String(254), nullable=True, unique=True),
    sa.Column("company", sa.String(150), nullable=True),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("consent_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

deals = sa.Table(
    "deals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("stage", sa.String(40), nullable=False),
    sa.Column("temperature", sa.String(10), nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("score_reasons", sa.JSON, nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("initiative", sa.String(10), nullable=False),
    sa.Column("campaign", sa.String(200), nullable=False, server_default=""),
    sa.Column("source_payload", sa.String(64), nullable=False, server_default=""),
    sa.Column("referrer_id", sa.Integer, sa.ForeignKey("people.id"), nullable=True),
    sa.Column("manager_telegram_id", sa.BigInteger, nullable=True, index=True),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("closed_at", UtcDateTime, nullable=True),
    sa.Column("lost_reason", sa.String(200), nullable=True),
    sa.Column("amount_minor", sa.BigInteger, nullable=True),  # in kopecks (cents)
    sa.Column("next_step", sa.String(200), nullable=True),
    # A manager's list: their open deals, hot first and the longest without activity first.
    sa.Index("ix_deals_manager_status_updated", "manager_telegram_id", "status", "updated_at"),
    # ... and a covering index for its filters and sort, read without touching the table.
    sa.Index(
        "ix_deals_manager_list",
        "manager_telegram_id",
        "status",
        "temperature",
        "stage",
        "updated_at",
        "person_id",
    ),
)

touch_points = sa.Table(
    "touch_points",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), nullable=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("initiative", sa.String(10), nullable=False),
    sa.Column("campaign", sa.String(200), nullable=False, server_default=""),
    sa.Column("payload", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# What counts as having contacted a lead (the speed-to-lead ladder stops).
CONTACT_KINDS = ("activity", "message_out", "answer_given", "stage_changed", "objection")

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), nullable=True, index=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=True, index=True),
    sa.Column("actor_telegram_id", sa.BigInteger, nullable=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

fsm_states = sa.Table(
    "fsm_states",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("state", sa.String(100), nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# The answers to a deal's stage questions, one row per question (DESIGN.md: the stage gate).
deal_answers = sa.Table(
    "deal_answers",
    metadata,
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), primary_key=True),
    sa.Column("question_id", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("answered_by", sa.BigInteger, nullable=True),
    sa.Column("answered_at", UtcDateTime, nullable=False),
)


# Staff who work deals in the bot; admins come from ADMIN_IDS and need no row.
managers = sa.Table(
    "managers",
    metadata,
    sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("username", sa.String(64), nullable=True),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("invited_by", sa.BigInteger, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("last_assigned_at", UtcDateTime, nullable=True),  # round-robin routing
)

# One-time invitation links; only a hash of the token is kept.
invites = sa.Table(
    "invites",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("created_by", sa.BigInteger, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_by", sa.BigInteger, nullable=True),
    sa.Column("used_at", UtcDateTime, nullable=True),
)

# Messages the bot relayed to staff, so that a reply to one reaches the right prospect.
relayed_messages = sa.Table(
    "relayed_messages",
    metadata,
    sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("message_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)


# Reminders: the table is the truth, the scheduler only the clock (DESIGN.md). A due row is
# claimed with a lease; it is marked sent only after Telegram accepted the message.
reminders = sa.Table(
    "reminders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), nullable=True),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("text", sa.String(500), nullable=True),
    sa.Column("due_at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("lease_until", UtcDateTime, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_by", sa.BigInteger, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=True),
    # Rows the clock makes (the daily digest) have a key: two processes make one row.
    sa.Column("dedupe_key", sa.String(100), nullable=True, unique=True),
    # a switched-off manager's, whose chat this was before an admin got it in their place
    sa.Column("instead_of", sa.BigInteger, nullable=True),
    sa.Index("ix_reminders_status_due", "status", "due_at"),
    # Was this quiet deal nudged already since its last activity?
    sa.Index("ix_reminders_deal_kind", "deal_id", "kind"),
    # A person's own reminders: /reminders, the morning digest.
    sa.Index("ix_reminders_chat_status_due", "chat_id", "status", "due_at"),
)


# A member of staff's own time zone and working hours (admins have no managers row, so apart).
staff_settings = sa.Table(
    "staff_settings",
    metadata,
    sa.Column("telegram_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("timezone", sa.String(64), nullable=True),  # an IANA name or "UTC+05:30"
    sa.Column("work_start", sa.String(5), nullable=True),  # "09:00"
    sa.Column("work_end", sa.String(5), nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("language", sa.String(16), nullable=True),  # Telegram's code: "en", "ru", "pt-br"
    sa.Column("work_days", sa.String(13), nullable=True),  # "0,1,2,3,4,5": Monday is 0
)


# The last number given to each document type in each year: one UPSERT hands out the next one,
# so two managers generating at once never get the same number and none is skipped.
document_counters = sa.Table(
    "document_counters",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last", sa.Integer, nullable=False),
)

# The deal's chosen items (catalogue SKUs and quantities) and its discount: an offer and an
# invoice are made from them; names and prices come from the catalogue when a document is made.
deal_items = sa.Table(
    "deal_items",
    metadata,
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), primary_key=True),
    sa.Column("sku", sa.String(20), primary_key=True),
    sa.Column("quantity", sa.Numeric(12, 3), nullable=False),
    sa.Column("added_at", UtcDateTime, nullable=False),
)
deal_discounts = sa.Table(
    "deal_discounts",
    metadata,
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), primary_key=True),
    sa.Column("percent", sa.Numeric(5, 2), nullable=False),
    sa.Column("valid_days", sa.Integer, nullable=True),  # None: the document type's own
)

# Catalogue items imported by admins (CSV / XLSX): on top of the configuration's, by SKU.
catalogue_items = sa.Table(
    "catalogue_items",
    metadata,
    sa.Column("sku", sa.String(20), primary_key=True),
    sa.Column("item", sa.JSON, nullable=False),  # the CatalogueItem, as the YAML would have it
    sa.Column("updated_at", UtcDateTime, nullable=False),
    # Taken off by an admin's import (an item of the configuration file too): offered no more.
    sa.Column("withdrawn_at", UtcDateTime, nullable=True),
)

# Every document made: re-sent by its Telegram file_id without rendering again.
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("number", sa.String(30), nullable=False, unique=True),
    sa.Column("total_minor", sa.BigInteger, nullable=False),
    sa.Column("content", sa.JSON, nullable=False),  # lines, discount, validity: to render again
    sa.Column("pdf_file_id", sa.String(200), nullable=True),
    sa.Column("docx_file_id", sa.String(200), nullable=True),
    sa.Column("created_by", sa.BigInteger, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)


def event_row(
    kind: str,
    data: Mapping[str, Any],
    now: datetime,
    *,
    deal_id: int | None = None,
    person_id: int | None = None,
    actor_telegram_id: int | None = None,
) -> dict[str, Any]:
    """The values of one `events` row: what happened, to which deal or person, by whom."""
    return {
        "kind": kind,
        "data": dict(data),
        "created_at": now,
        "deal_id": deal_id,
        "person_id": person_id,
        "actor_telegram_id": actor_telegram_id,
    }

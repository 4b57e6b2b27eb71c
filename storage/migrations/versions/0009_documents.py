"""Documents made from deals (offers, invoices), their numbering per type and year, and the
deal's chosen items and discount they are made from, and the catalogue items admins import.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("number", sa.String(30), nullable=False, unique=True),
        sa.Column("total_minor", sa.BigInteger, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("pdf_file_id", sa.String(200), nullable=True),
        sa.Column("docx_file_id", sa.String(200), nullable=True),
        sa.Column("created_by", sa.BigInteger, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_documents_deal_id", "documents", ["deal_id"])
    op.create_table(
        "deal_items",
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), primary_key=True),
        sa.Column("sku", sa.String(20), primary_key=True),
        sa.Column("quantity", sa.Numeric(12, 3), nullable=False),
        sa.Column("added_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "catalogue_items",
        sa.Column("sku", sa.String(20), primary_key=True),
        sa.Column("item", sa.JSON, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "deal_discounts",
        sa.Column("deal_id", sa.Integer, sa.ForeignKey("deals.id"), primary_key=True),
        sa.Column("percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("valid_days", sa.Integer, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("deal_discounts")
    op.drop_table("catalogue_items")
    op.drop_table("deal_items")
    op.drop_index("ix_documents_deal_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("document_counters")

"""Catalogue items an admin took off with an import: kept, marked withdrawn, so that an item of
the configuration file can be taken off too and a later import can bring it back.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.schema import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_items") as batch:
        batch.add_column(sa.Column("withdrawn_at", UtcDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_items") as batch:
        batch.drop_column("withdrawn_at")

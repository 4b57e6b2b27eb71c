"""Each member of staff's Telegram language, so that what the bot pushes to them (alerts,
relayed messages, reminders) is in their language as its replies are.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff_settings", sa.Column("language", sa.String(16), nullable=True))
    # Managers who joined before: the language they joined with, until they write again.
    bind = op.get_bind()
    settings = sa.table(
        "staff_settings",
        sa.column("telegram_id", sa.BigInteger),
        sa.column("language", sa.String),
        sa.column("updated_at"),
    )
    joined = bind.execute(
        sa.text("SELECT telegram_id, language, updated_at FROM managers WHERE language IS NOT NULL")
    ).all()
    for telegram_id, language, updated_at in joined:
        changed = bind.execute(
            settings.update().where(settings.c.telegram_id == telegram_id).values(language=language)
        )
        if changed.rowcount == 0:
            bind.execute(
                settings.insert().values(
                    telegram_id=telegram_id, language=language, updated_at=updated_at
                )
            )


def downgrade() -> None:
    with op.batch_alter_table("staff_settings") as batch:
        batch.drop_column("language")

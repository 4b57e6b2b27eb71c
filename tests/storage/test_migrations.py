"""The migrations build exactly the schema the code declares."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.schema import metadata


async def test_migrated_database_matches_the_declared_schema(engine: AsyncEngine) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [
            diff
            for diff in compare_metadata(context, metadata)
            if not (
                isinstance(diff, tuple)
                and diff[0] == "remove_table"
                and diff[1].name == "alembic_version"
            )
        ]

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []

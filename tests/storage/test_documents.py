"""Document numbers on a real database: per type and year, no gaps, no repeats under load."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.documents import SqlDocumentRepository


async def test_numbers_under_concurrent_generation_have_no_gaps_or_repeats(
    engine: AsyncEngine,
) -> None:
    repository = SqlDocumentRepository(engine)
    numbers = await asyncio.gather(
        *(SqlDocumentRepository(engine).next_number("offer", 2026) for _ in range(40))
    )
    assert sorted(numbers) == list(range(1, 41))
    assert await repository.next_number("invoice", 2026) == 1  # each type counts apart
    assert await repository.next_number("offer", 2027) == 1  # ... and each year
    assert await repository.next_number("offer", 2026) == 41

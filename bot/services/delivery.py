"""Keeping due reminders on their way: the scheduler's tick claims, one sender per person sends.

A batch claimed and sent as a whole goes at the pace of its busiest person (1 message/s each),
so a manager with thirty reminders at 10:00 would hold up everybody else's. Here each person's
reminders queue for that person's own sender, the senders run side by side, and a tick claims
more whenever fewer than `window` reminders are on their way; the sending path sets the pace,
giving turns to the earliest due first and then to the person with most waiting, whose own
limit makes theirs the slowest to send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime

from bot.domain.reminders import Reminder
from bot.sending import TooLate, queue_order, start_by
from bot.services.reminders import (
    BATCH,
    LEASE,
    LEASE_MARGIN,
    Digest,
    ReminderService,
    Send,
    by_chat,
)

log = logging.getLogger(__name__)

# Claimed and not yet sent: 20 s of work at 30 messages/s, well inside a lease.
WINDOW = 600


class Delivery:
    def __init__(
        self,
        reminders: ReminderService,
        send: Send,
        clock: Callable[[], datetime],
        digest: Digest | None = None,
        window: int = WINDOW,
    ) -> None:
        self._reminders, self._send, self._digest = reminders, send, digest
        self._clock, self._window = clock, window
        self._queues: dict[int, deque[tuple[list[Reminder], datetime]]] = {}
        self._senders: dict[int, asyncio.Task[None]] = {}
        self._backlog: dict[int, int] = {}  # claimed for each person, not yet sent
        self._held = 0  # claimed, not yet sent or given up
        self._stopping = False
        self.delivered = 0

    @property
    def held(self) -> int:
        return self._held

    async def tick(self) -> int:
        """Claim what is due while there is room and hand it to the senders; returns how many
        reminders were claimed (the senders go on after the tick)."""
        claimed = 0
        while self._held < self._window and not self._stopping:
            now = self._clock()
            limit = min(BATCH, self._window - self._held)
            batch = await self._reminders.claim(now, limit)
            if self._stopping:  # a stop came while claiming: nobody will send these
                await self._reminders.release(batch, now + LEASE)
                break
            self._held += len(batch)
            claimed += len(batch)
            for chat, reminders in by_chat(batch).items():
                self._queues.setdefault(chat, deque()).append((reminders, now + LEASE))
                self._backlog[chat] = self._backlog.get(chat, 0) + len(reminders)
                if chat not in self._senders:
                    self._senders[chat] = asyncio.create_task(self._sender(chat))
            if len(batch) < limit:
                break
        return claimed

    async def drain(self) -> None:
        """Until every claimed reminder is sent or given up (tests, a clean stop)."""
        while self._senders:
            await asyncio.gather(*self._senders.values(), return_exceptions=True)

    async def close(self, grace: float = 5.0) -> None:
        """Stop: no new claims and no new sends; a send under way may finish within `grace`
        seconds, so that a message Telegram accepted is marked sent (not sent again later).
        What is claimed and was never started is given back for the next claim; a send cut
        off after `grace` comes back when its lease runs out."""
        self._stopping = True
        # no sender takes another batch from now on: what is queued is never started
        queued = [entry for queue in self._queues.values() for entry in queue]
        senders = list(self._senders.values())
        if senders:
            await asyncio.wait(senders, timeout=grace)
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        try:
            for batch, lease_end in queued:
                await self._reminders.release(batch, lease_end)
        except Exception:  # the database gone first: their leases run out instead
            log.warning("claimed reminders not given back at the stop", exc_info=True)

    def _start_by(self, lease_end: datetime) -> float:
        """The lease's last moment to start a send, on the event loop's clock (the sending
        path's)."""
        left = (lease_end - LEASE_MARGIN - self._clock()).total_seconds()
        return asyncio.get_running_loop().time() + left

    async def _sender(self, chat: int) -> None:
        queue = self._queues[chat]
        lease_end = self._clock()

        def rules(first: Reminder) -> contextlib.ExitStack:
            if self._stopping:
                raise TooLate(first.id)
            stack = contextlib.ExitStack()
            stack.enter_context(queue_order(first.due_at.timestamp(), -self._backlog[chat]))
            stack.enter_context(start_by(self._start_by(lease_end)))
            return stack

        async def send(reminder: Reminder) -> None:
            with rules(reminder):
                await self._send(reminder)

        async def digest(chat_id: int, reminders: list[Reminder]) -> None:
            assert self._digest is not None
            with rules(reminders[0]):
                await self._digest(chat_id, reminders)

        try:
            while queue and not self._stopping:
                reminders, lease_end = queue.popleft()
                try:
                    sent = await self._reminders.deliver(
                        reminders, send, digest if self._digest else None, self._clock, lease_end
                    )
                    self.delivered += sent  # not `+= await`: that would lose others' counts
                except Exception:  # a database error: the leases run out, a later claim retries
                    log.exception("reminders to %s not delivered", chat)
                finally:
                    self._held -= len(reminders)
                    self._backlog[chat] -= len(reminders)
        finally:
            self._held -= sum(len(reminders) for reminders, _ in queue)  # left when stopping
            del self._senders[chat], self._queues[chat], self._backlog[chat]

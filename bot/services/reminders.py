"""Reminders: a manager's own, on their deals; delivery of due ones, exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Protocol

from bot.domain.desk import Viewer
from bot.domain.duplicates import DealDecision
from bot.domain.models import Deal, Temperature
from bot.domain.reminders import Planned, QuietDeal, Reminder, ReminderStatus
from bot.sending import TooLate
from bot.services.desk import DeskService, NoAccess
from bot.services.staff import StaffService

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # a claimed row comes back to the queue if it is not sent by then
# A send is not started later than this before its lease ends: a request may take up to a minute
# (aiogram's timeout) and must be over before another process may claim the row.
LEASE_MARGIN = timedelta(seconds=90)
MAX_ATTEMPTS = 8  # claims of one reminder that ended in an error before it is given up
BATCH = 100
MANUAL = "manual"  # set by a member of staff on a deal
SLA = "sla"  # speed to lead: the manager
SLA_ESCALATION = "sla_escalation"  # ... then the admins
POST_SALE = "post_sale"  # a while after a win: ask about results, offer more
DIGEST = "digest"  # the morning digest: today's reminders, hot leads waiting
STALE = "stale"  # an open deal without activity for a while at its stage
FORM_NUDGE = "form_nudge"  # to a prospect: the request they began is not finished
# A new lead's alert, planned with the lead and called off once it went: a process stopped
# between the two (killed, the power gone) leaves it to be sent by the next one
LEAD_ALERT = "lead_alert"
ALERT_RESCUE_AFTER = timedelta(minutes=2)  # longer than the alert takes, 429s included
ALERTS_WRITTEN_WITHIN = 0.2  # seconds
STALE_SCAN_LIMIT = 500  # quiet deals nudged per scan; the next scan takes the rest
AUTOMATIC = frozenset({SLA, SLA_ESCALATION, STALE, POST_SALE})  # several at once: one message
# A deal's work that must not vanish with its manager switched off: an admin gets it instead
# (a lead alert's rescue or a speed-to-lead step has the admins' own rows beside it).
HANDED_ON = frozenset({MANUAL, POST_SALE, STALE})
ALONE = frozenset({DIGEST, FORM_NUDGE, LEAD_ALERT})  # never folded into a digest


class NoLongerNeeded(Exception):
    """The follow-up's reason has gone (the lead was contacted): closed as done, not sent."""


class NotYet(Exception):
    """The follow-up's reason moved on (the prospect went on with the form after it was planned):
    due again at `until`, or the business's next working hour after it."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


class Attempt(Enum):
    SENT = "sent"
    UNREACHABLE = "unreachable"  # the person blocked the bot
    NOT_SENT = "not sent"  # no longer needed, moved, or failed (retried later)


class Unreachable(Exception):
    """The recipient blocked the bot: sending again would not help."""


class ReminderRepository(Protocol):
    async def add(
        self,
        *,
        deal_id: int | None,
        chat_id: int,
        kind: str,
        text: str | None,
        due_at: datetime,
        created_by: int | None,
        now: datetime,
    ) -> int: ...
    async def add_once(
        self,
        *,
        key: str,
        chat_id: int,
        kind: str,
        due_at: datetime,
        now: datetime,
        deal_id: int | None = None,
    ) -> bool: ...
    async def quiet_deals(
        self, quiet_before: dict[str, datetime | None], others_before: datetime | None, limit: int
    ) -> list[QuietDeal]: ...
    async def quiet_since(self, deal_id: int) -> datetime | None: ...
    async def due_between(self, chat_id: int, start: datetime, end: datetime) -> list[Reminder]: ...
    async def get(self, reminder_id: int) -> Reminder | None: ...
    async def upcoming(self, chat_id: int, limit: int) -> list[Reminder]: ...
    async def pending_on_deal(self, chat_id: int, deal_id: int, kind: str) -> list[Reminder]: ...
    async def cancel_on_deal(
        self,
        deal_id: int,
        kinds: Collection[str],
        chat_id: int | None = None,
        up_to: int | None = None,
    ) -> int: ...
    async def close(
        self, reminder_id: int, status: ReminderStatus, now: datetime, release_key: bool = False
    ) -> bool: ...
    async def mark_failed(self, reminder_id: int, now: datetime) -> None: ...
    async def reschedule(self, reminder_id: int, due_at: datetime) -> bool: ...
    async def hand_on(
        self, reminder_ids: Collection[int], gone: Collection[int], chat_id: int
    ) -> set[int]: ...
    async def reopen(self, reminder_id: int, now: datetime) -> bool: ...
    async def claim(self, now: datetime, lease: timedelta, limit: int) -> list[Reminder]: ...
    async def release(self, reminder_ids: Collection[int], lease_until: datetime) -> None: ...
    async def cancel_lead_alerts(self, alerted: Collection[tuple[int, int]]) -> None: ...
    async def mark_sent(self, reminder_id: int, now: datetime) -> None: ...
    async def mark_unreachable(self, reminder_id: int, now: datetime) -> None: ...


Send = Callable[[Reminder], Awaitable[None]]
Digest = Callable[[int, list[Reminder]], Awaitable[None]]
DIGEST_FROM = 4  # this many overdue for one person in a batch: one digest, not a flood
OVERDUE = timedelta(minutes=10)


class ReminderService:
    def __init__(
        self, repository: ReminderRepository, desk: DeskService, staff: StaffService | None = None
    ) -> None:
        self._repository = repository
        self._desk = desk
        self._staff = staff
        # (deal, member of staff) whose lead alert went, its rescue not called off yet: one
        # statement for all those of ALERTS_WRITTEN_WITHIN, not one per lead on the form's
        # busiest step (a process killed meanwhile: those few are told twice, late)
        self._alerted: set[tuple[int, int]] = set()
        self._writing: asyncio.Task[None] | None = None

    async def working_time(self, chat_id: int, moment: datetime) -> datetime:
        """`moment`, or the start of the person's next working hours if it falls outside them:
        an automatic follow-up does not wake anybody at night."""
        if self._staff is None:
            return moment
        schedule = await self._staff.schedule(chat_id)
        return schedule.hours.next_open(moment, schedule.tz)

    async def remind(
        self, viewer: Viewer, deal_id: int, due_at: datetime, now: datetime, text: str | None = None
    ) -> int:
        await self._desk.check(viewer, deal_id)
        return await self._repository.add(
            deal_id=deal_id, chat_id=viewer.telegram_id, kind=MANUAL, text=text,
            due_at=due_at, created_by=viewer.telegram_id, now=now,
        )  # fmt: skip

    async def speed_to_lead(
        self,
        admins: frozenset[int],
        created: datetime,
        minutes: int,
        escalate_after: int,
        temperatures: Collection[Temperature],
    ) -> Callable[[Deal, DealDecision], list[Planned]]:
        """What a new lead plans inside the unit of work that stores it (so that a lead is never
        stored without it, and the deal's manager is the one routing chose there): its alert's
        rescue (see LEAD_ALERT; `alert_went` calls it off) and the speed-to-lead ladder, its
        manager first, then the admins. The ladder's minutes count from the start of the
        manager's working hours for a lead that came at night."""
        schedule_of = await self._staff.schedules() if self._staff else None

        def working_time(chat_id: int, moment: datetime) -> datetime:
            if schedule_of is None:
                return moment
            schedule = schedule_of(chat_id)
            return schedule.hours.next_open(moment, schedule.tz)

        def ladder(deal: Deal, decision: DealDecision) -> list[Planned]:
            manager = deal.manager_telegram_id
            rescue = created + ALERT_RESCUE_AFTER
            planned = [
                Planned(deal.id, chat, LEAD_ALERT, rescue)
                for chat in sorted(admins | ({manager} if manager is not None else set()))
            ]
            if decision is DealDecision.RETURNING or deal.temperature not in temperatures:
                return planned
            first = created + timedelta(minutes=minutes)
            if manager is not None:
                start = working_time(manager, created)
                first = working_time(manager, start + timedelta(minutes=minutes))
                planned.append(Planned(deal.id, manager, SLA, first))
            for admin in sorted(admins - {manager} if manager is not None else admins):
                # an owner's own lead: no escalation to themselves about their own silence
                due = working_time(admin, first + timedelta(minutes=escalate_after))
                planned.append(Planned(deal.id, admin, SLA_ESCALATION, due))
            return planned

        return ladder

    def alert_went(self, deal_id: int, chats: Collection[int]) -> None:
        """A new lead's alert reached these members of staff: their rescue is called off,
        within ALERTS_WRITTEN_WITHIN, together with those of other leads."""
        self._alerted.update((deal_id, chat) for chat in chats)
        if self._alerted and self._writing is None:
            self._writing = asyncio.create_task(self._write_alerts_later())

    async def _write_alerts_later(self) -> None:
        try:
            await asyncio.sleep(ALERTS_WRITTEN_WITHIN)
            await self.write_alerts()
        except Exception:  # the rescue goes: told twice is better than told never
            log.warning("lead alerts not noted as sent", exc_info=True)
        finally:
            self._writing = None

    async def stop(self) -> None:
        """At a stop: the rescues of the alerts that went are called off, the write already
        on its way (or waiting its turn) included."""
        if self._writing is not None:
            await asyncio.wait([self._writing])
        await self.write_alerts()

    async def write_alerts(self) -> None:
        """Call off the rescues of the alerts that went (before a claim, and at a stop)."""
        if not self._alerted:
            return
        alerted, self._alerted = self._alerted, set()
        try:
            await self._repository.cancel_lead_alerts(alerted)
        except Exception:
            self._alerted |= alerted
            raise

    async def post_sale(self, deal_id: int, chat_id: int, now: datetime, days: int) -> None:
        await self._repository.add(
            deal_id=deal_id, chat_id=chat_id, kind=POST_SALE, text=None,
            due_at=await self.working_time(chat_id, now + timedelta(days=days)), created_by=None,
            now=now,
        )  # fmt: skip

    async def plan_stale(self, now: datetime, stage_days: dict[str, int], default_days: int) -> int:
        """A nudge to the manager of each open deal quiet for its stage's number of days (0:
        never), once per quiet spell, within the manager's working hours. Returns how many."""
        quiet_before = {
            stage: now - timedelta(days=days) if days else None
            for stage, days in stage_days.items()
        }
        others = now - timedelta(days=default_days) if default_days else None
        made = 0
        for deal in await self._repository.quiet_deals(quiet_before, others, STALE_SCAN_LIMIT):
            made += await self._repository.add_once(
                key=f"stale:{deal.deal_id}:{int(deal.since.timestamp())}", chat_id=deal.manager,
                kind=STALE, due_at=await self.working_time(deal.manager, now), now=now,
                deal_id=deal.deal_id,
            )  # fmt: skip
        return made

    async def quiet_since(self, deal_id: int) -> datetime | None:
        return await self._repository.quiet_since(deal_id)

    async def form_nudge(self, chat_id: int, now: datetime, hours: int) -> bool:
        """One reminder to a prospect who began the form, `hours` later within the business's
        working hours; never a second one to the same person (False: there was one)."""
        return await self._repository.add_once(
            key=f"form:{chat_id}", chat_id=chat_id, kind=FORM_NUDGE,
            due_at=self._business_time(now + timedelta(hours=hours)), now=now,
        )  # fmt: skip

    def _business_time(self, moment: datetime) -> datetime:
        """`moment`, or the business's next working hour after it (for prospects)."""
        if self._staff is None:
            return moment
        business = self._staff.business()
        return business.hours.next_open(moment, business.tz)

    async def plan_digests(self, chats: Iterable[int], day: date, now: datetime) -> int:
        """Today's digest for each of `chats`, once a day whichever process plans it."""
        made = 0
        for chat in sorted(chats):
            made += await self._repository.add_once(
                key=f"digest:{chat}:{day.isoformat()}", chat_id=chat, kind=DIGEST, due_at=now,
                now=now,
            )  # fmt: skip
        return made

    async def due_between(self, chat_id: int, start: datetime, end: datetime) -> list[Reminder]:
        """The chat's reminders due in [start, end), without the speed-to-lead steps of leads
        already contacted (as upcoming)."""
        return await self._repository.due_between(chat_id, start, end)

    async def upcoming(self, viewer: Viewer, limit: int = 20) -> list[Reminder]:
        """The viewer's reminders still to come, without the speed-to-lead steps of leads
        already contacted: they would not come, and "🔥 лид ждёт ответа" after the call
        misleads."""
        return await self._repository.upcoming(viewer.telegram_id, limit)

    async def on_deal(self, viewer: Viewer, deal_id: int) -> list[Reminder]:
        """The viewer's own reminders about the deal still to come (the automatic ones close
        by themselves when their reason goes)."""
        return await self._repository.pending_on_deal(viewer.telegram_id, deal_id, MANUAL)

    async def cancel_on_deal(self, viewer: Viewer, deal_id: int, up_to: int | None = None) -> int:
        """Cancels the viewer's own reminders about the deal (those up to the id `up_to`, if
        given); how many were still to come."""
        return await self._repository.cancel_on_deal(deal_id, (MANUAL,), viewer.telegram_id, up_to)

    async def deal_closed(self, deal_id: int) -> None:
        """A won or lost deal needs no speed-to-lead step nor a quiet-deal nudge any more: they
        leave /reminders and the digest now, not only when they come due."""
        await self._repository.cancel_on_deal(deal_id, (SLA, SLA_ESCALATION, STALE))

    async def deal_reopened(self, deal_id: int) -> None:
        """A win undone: no "time to check in after the sale" for a sale still to be made."""
        await self._repository.cancel_on_deal(deal_id, (POST_SALE,))

    async def mine(self, viewer: Viewer, reminder_id: int) -> Reminder:
        """A reminder of the viewer's own (NoAccess for anybody else's, or none)."""
        reminder = await self._repository.get(reminder_id)
        if reminder is None or reminder.chat_id != viewer.telegram_id:
            raise NoAccess(reminder_id)
        return reminder

    async def close(
        self, viewer: Viewer, reminder_id: int, status: ReminderStatus, now: datetime
    ) -> bool:
        reminder = await self.mine(viewer, reminder_id)
        closed = await self._repository.close(reminder_id, status, now)
        came = reminder.status is ReminderStatus.SENT  # pressed on the push, not ahead of it
        if closed and came and status is ReminderStatus.DONE and reminder.kind == SLA:
            assert reminder.deal_id is not None
            # "done" on "a lead is waiting": the manager has been in touch, so the admins are
            # not told that the lead is still unanswered
            await self._repository.cancel_on_deal(reminder.deal_id, (SLA_ESCALATION,))
        return closed

    async def restore(self, viewer: Viewer, reminder_id: int, now: datetime) -> bool:
        """A reminder set by hand and cancelled by mistake, waiting again; False if its time has
        come meanwhile, it was not cancelled, or it is an automatic one (its reason may be gone:
        a win undone). NoAccess if its deal is somebody else's now."""
        reminder = await self.mine(viewer, reminder_id)
        if reminder.kind != MANUAL:
            return False
        if reminder.deal_id is not None:
            await self._desk.check(viewer, reminder.deal_id)
        return await self._repository.reopen(reminder_id, now)

    async def snooze(self, viewer: Viewer, reminder_id: int, due_at: datetime) -> bool:
        """False if it is done or cancelled already."""
        await self.mine(viewer, reminder_id)
        return await self._repository.reschedule(reminder_id, due_at)

    async def claim(self, now: datetime, limit: int = BATCH) -> list[Reminder]:
        """Due reminders taken for LEASE: no other process sends them meanwhile (an alert's
        rescue is called off first if the alert went)."""
        await self.write_alerts()
        return await self._repository.claim(now, LEASE, limit)

    async def release(self, reminders: Iterable[Reminder], lease_until: datetime) -> None:
        """Claimed reminders that were never started (their claim's lease ends at
        `lease_until`): the next claim, of any process, takes them at once instead of after the
        lease."""
        await self._repository.release([reminder.id for reminder in reminders], lease_until)

    async def deliver_due(
        self, now: datetime, send: Send, limit: int = BATCH, digest: Digest | None = None
    ) -> int:
        """Claim what is due and send it, each person's share in order and the people side by
        side; returns how many reminders were delivered."""
        claimed = await self._handed_on(await self.claim(now, limit))
        sent = await asyncio.gather(
            *(
                self.deliver(batch, send, digest, lambda: now, now + LEASE)
                for batch in by_chat(claimed).values()
            )
        )
        return sum(sent)

    async def _handed_on(self, claimed: list[Reminder]) -> list[Reminder]:
        """A switched-off manager's reminders about deals go to the first admin, theirs from
        now on (snoozed or done by them), instead of being dropped with nobody told."""
        staff = self._staff
        if staff is None or not staff.admin_ids:
            return claimed
        chats = {r.chat_id for r in claimed if r.kind in HANDED_ON and r.deal_id is not None}
        gone = {chat for chat in chats if await staff.viewer(chat) is None}
        moved = {r.id for r in claimed if r.chat_id in gone and r.kind in HANDED_ON and r.deal_id}
        if not moved:
            return claimed
        admin = min(staff.admin_ids)
        moved = await self._repository.hand_on(moved, gone, admin)
        return [
            replace(r, chat_id=admin, instead_of=r.chat_id) if r.id in moved else r for r in claimed
        ]

    async def deliver(
        self,
        batch: list[Reminder],
        send: Send,
        digest: Digest | None,
        clock: Callable[[], datetime],
        lease_end: datetime,
    ) -> int:
        """One person's claimed reminders, in order; a row is marked sent only after Telegram
        accepted it. Many at once (overdue after downtime, or automatic follow-ups) go as one
        digest. What is not started by close to `lease_end`, or by a stop, is given back
        (TooLate, from here or from the sending path): a new claim sends it, and since it was
        never started it cannot go twice."""
        now = clock()
        sent = 0
        bundle = [
            r
            for r in batch
            if r.kind not in ALONE and (r.kind in AUTOMATIC or r.due_at < now - OVERDUE)
        ]
        parts: list[list[Reminder]] = []  # each sent as one message
        if digest is not None and len(bundle) >= DIGEST_FROM:
            parts.append(bundle)
            batch = [r for r in batch if r not in bundle]
        parts.extend([r] for r in batch)
        blocked = False
        for index, reminders in enumerate(parts):
            now = clock()
            if blocked:  # the person blocked the bot a moment ago: no 403 per reminder
                for reminder in reminders:
                    await self._repository.mark_unreachable(reminder.id, now)
                continue
            try:
                if now >= lease_end - LEASE_MARGIN:
                    raise TooLate(reminders[0].id)
                if len(reminders) > 1:
                    assert digest is not None
                    sending = digest(reminders[0].chat_id, reminders)
                else:
                    sending = send(reminders[0])
                outcome = await self._attempt(sending, reminders, now)
                sent += len(reminders) if outcome is Attempt.SENT else 0
                blocked = outcome is Attempt.UNREACHABLE
            except TooLate:  # none of these was started: the next claim takes them
                log.info("reminders to %s left for the next claim", reminders[0].chat_id)
                await self.release((r for part in parts[index:] for r in part), lease_end)
                break
        return sent

    async def _attempt(
        self, sending: Awaitable[None], reminders: list[Reminder], now: datetime
    ) -> Attempt:
        try:
            await sending
        except Unreachable:
            for reminder in reminders:
                await self._repository.mark_unreachable(reminder.id, now)
            return Attempt.UNREACHABLE
        except NoLongerNeeded:
            for reminder in reminders:
                # A form reminder not sent keeps no claim on the prospect's one reminder.
                release = reminder.kind == FORM_NUDGE
                await self._repository.close(reminder.id, ReminderStatus.DONE, now, release)
            return Attempt.NOT_SENT
        except NotYet as moved:
            for reminder in reminders:
                await self._repository.reschedule(reminder.id, self._business_time(moved.until))
            return Attempt.NOT_SENT
        except TooLate:
            raise
        except Exception:  # the lease runs out and another claim retries them
            log.warning("reminders %s not sent; retried later", [r.id for r in reminders],
                        exc_info=True)  # fmt: skip
            for reminder in reminders:
                if reminder.attempts >= MAX_ATTEMPTS:  # a permanent error, such as a chat gone
                    log.error("reminder %s given up after %d attempts", reminder.id,
                              reminder.attempts)  # fmt: skip
                    await self._repository.mark_failed(reminder.id, now)
            return Attempt.NOT_SENT
        for reminder in reminders:
            await self._repository.mark_sent(reminder.id, now)
        return Attempt.SENT


def by_chat(reminders: Iterable[Reminder]) -> dict[int, list[Reminder]]:
    chats: dict[int, list[Reminder]] = {}
    for reminder in reminders:
        chats.setdefault(reminder.chat_id, []).append(reminder)
    return chats

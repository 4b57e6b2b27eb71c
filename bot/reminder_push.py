"""A due reminder as the push message a manager receives, and the scheduler that is the clock."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta, tzinfo

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from markupsafe import Markup

from bot import desk_keyboards as kb
from bot.callbacks import ReminderAction, ReminderCb
from bot.clock import Clock
from bot.config import BusinessConfig
from bot.desk_views import (
    deal_button,
    local,
    relay_header,
    reminder_purpose,
    short,
    stage_name,
)
from bot.domain.reminders import Reminder, ReminderStatus
from bot.draft import parse_draft
from bot.keyboards import resume
from bot.sending import bulk
from bot.services.delivery import Delivery
from bot.services.desk import DeskService
from bot.services.reminders import (
    DIGEST,
    FORM_NUDGE,
    LEAD_ALERT,
    MANUAL,
    POST_SALE,
    SLA,
    SLA_ESCALATION,
    STALE,
    NoLongerNeeded,
    NotYet,
    ReminderService,
    Unreachable,
)
from bot.services.staff import StaffService
from bot.states import LeadForm
from bot.texts import Translator, translator
from bot.under_way import UnderWay

log = logging.getLogger(__name__)

DIGEST_AT = time(9, 0)  # the morning digest, in each person's own time zone
NOON = time(12, 0)
OVERDUE_DAYS = timedelta(days=7)  # how far back the digest counts overdue reminders
STALE_SCAN_MINUTES = 30
NOTE_IN_LIST = 80  # characters of a reminder's note on a digest's line
DIGEST_MARKS = {SLA: "🔥", SLA_ESCALATION: "⚠️", STALE: "💤", POST_SALE: "🤝"}
# A form with consent given and not yet sent (the consent step itself is not half-filled).
HALF_FILLED = frozenset(s.state for s in LeadForm.__all_states__) - {LeadForm.consent.state}


def reminder_keyboard(
    t: Translator, reminder: Reminder, take: bool = False
) -> InlineKeyboardMarkup:
    """`take`: an escalation of a lead nobody has, which the admin can take in one tap."""

    def button(key: str, action: ReminderAction, arg: str = "") -> InlineKeyboardButton:
        data = ReminderCb(action=action, reminder=reminder.id, arg=arg)
        return InlineKeyboardButton(text=t.label(key), callback_data=data.pack())

    rows = [
        [button("btn_reminder_done", ReminderAction.DONE)],
        [
            button("btn_snooze_15m", ReminderAction.SNOOZE, "15m"),
            button("btn_snooze_1h", ReminderAction.SNOOZE, "1h"),
            button("btn_snooze_tomorrow", ReminderAction.SNOOZE, "tomorrow"),
        ],
    ]
    if reminder.deal_id is not None:  # the deal's buttons, as its alert has them
        rows.extend(kb.alert(t, reminder.deal_id, inbox=False, take=take).inline_keyboard)
    return InlineKeyboardMarkup(inline_keyboard=rows)


class ReminderPusher:
    """Sends one due reminder; a blocked bot is Unreachable, any other failure is retried."""

    def __init__(
        self,
        bot: Bot,
        desk: DeskService,
        config: BusinessConfig,
        t: Translator,
        tz: tzinfo = UTC,
        staff: StaffService | None = None,
        reminders: ReminderService | None = None,
        storage: BaseStorage | None = None,
    ) -> None:
        self._bot, self._desk, self._config, self._t, self._tz = bot, desk, config, t, tz
        self._staff, self._reminders, self._storage = staff, reminders, storage

    async def __call__(self, reminder: Reminder) -> None:
        if reminder.kind == DIGEST:
            await self._daily_digest(reminder)
            return
        if reminder.kind == FORM_NUDGE:
            await self._form_nudge(reminder)
            return
        await self._still_staff(reminder.chat_id, reminder)
        values: dict[str, object] = {}
        if reminder.kind == STALE:
            values = await self._quiet(reminder)  # checks it is still quiet, too
        elif not await self._still_needed(reminder):
            raise NoLongerNeeded(reminder.id)
        summary = None
        if reminder.deal_id is not None:
            summary = await self._desk.deal_summary(reminder.deal_id)
        t = await self._staff_t(reminder.chat_id)
        header = relay_header(t, self._config, summary) if summary else None
        if summary is not None and reminder.kind == STALE:
            values["stage"] = stage_name(self._config, summary.stage, t.locale)
        if reminder.kind == SLA_ESCALATION:
            values["whose"] = await self._whose(summary.manager_telegram_id if summary else None)
        key = {
            LEAD_ALERT: "reminder_lead_alert",
            SLA: "reminder_sla",
            SLA_ESCALATION: "reminder_sla_escalation",
            POST_SALE: "reminder_post_sale",
            STALE: "reminder_stale",
        }.get(reminder.kind, "reminder_push")
        text = t(key, text=reminder.text, deal=header, **values)
        if reminder.instead_of is not None:
            former = await self._whose(reminder.instead_of)
            text = Markup("{}\n{}").format(t("reminder_instead_of", name=former), text)
        try:
            with bulk():  # a batch of reminders leaves room for interactive replies
                nobodys = (
                    reminder.kind in (SLA_ESCALATION, LEAD_ALERT)
                    and summary is not None
                    and (summary.manager_telegram_id is None)
                )
                markup = (
                    # the alert's own buttons: it is no reminder to be done or snoozed
                    kb.alert(t, reminder.deal_id, inbox=False, take=nobodys)
                    if reminder.kind == LEAD_ALERT and reminder.deal_id is not None
                    else reminder_keyboard(t, reminder, nobodys)
                )
                await self._bot.send_message(reminder.chat_id, text, reply_markup=markup)
        except TelegramForbiddenError as error:
            raise Unreachable(reminder.chat_id) from error

    async def _whose(self, manager: int | None) -> str | None:
        """Whose lead an escalation is about, so that the admin knows whom to ask."""
        if manager is None or self._staff is None:
            return None
        found = await self._staff.manager(manager)
        return found.name if found is not None else None

    async def _staff_t(self, chat_id: int) -> Translator:
        """Staff read reminders in their own Telegram language, as the bot's replies."""
        if self._staff is None:
            return self._t
        return translator(self._t.catalogue, await self._staff.locale(chat_id))

    async def _still_staff(self, chat_id: int, reminder: Reminder) -> None:
        """Reminders to staff are about clients: nobody who left the staff gets them."""
        if self._staff is not None and await self._staff.viewer(chat_id) is None:
            raise NoLongerNeeded(reminder.id)

    async def _still_needed(self, reminder: Reminder) -> bool:
        """A speed-to-lead step for a lead already contacted, or a quiet-deal nudge for a deal
        worked on since, has lost its reason."""
        if reminder.deal_id is None:
            return True
        if reminder.kind in (SLA, SLA_ESCALATION):
            return not await self._desk.contacted(reminder.deal_id)
        if reminder.kind == STALE:
            return await self._quiet_since(reminder) is not None
        return True

    async def _quiet_since(self, reminder: Reminder) -> datetime | None:
        """The last activity of a nudged deal still open and quiet since the nudge was made."""
        assert reminder.deal_id is not None and self._reminders is not None
        since = await self._reminders.quiet_since(reminder.deal_id)
        created = reminder.created_at
        return since if since is not None and (created is None or since < created) else None

    async def _quiet(self, reminder: Reminder) -> dict[str, object]:
        """How long the deal has been quiet; NoLongerNeeded if it was worked on or closed."""
        since = await self._quiet_since(reminder)
        if since is None:
            raise NoLongerNeeded(reminder.id)
        return {"days": (reminder.due_at - since).days, "stage": ""}

    async def _form_nudge(self, reminder: Reminder) -> None:
        """To a prospect who agreed to the terms and stopped half-way: once, and only if the
        form is still where they left it."""
        if self._storage is None:
            raise NoLongerNeeded(reminder.id)
        key = StorageKey(bot_id=self._bot.id, chat_id=reminder.chat_id, user_id=reminder.chat_id)
        if await self._storage.get_state(key) not in HALF_FILLED:
            raise NoLongerNeeded(reminder.id)  # finished, cancelled or never agreed
        draft = parse_draft(await self._storage.get_data(key))
        if draft.consent_at is None:
            raise NoLongerNeeded(reminder.id)
        quiet = timedelta(hours=self._config.followups.form_nudge_hours)
        if draft.moved_at is not None and draft.moved_at + quiet > reminder.due_at:
            # The form went on after the reminder was planned: it comes as long after the
            # last step instead, never in the middle of the prospect's typing.
            raise NotYet(draft.moved_at + quiet)
        t = Translator(self._t.catalogue, draft.locale or self._t.locale)
        company = self._config.company.name.get(t.locale)
        try:
            with bulk():
                await self._bot.send_message(
                    reminder.chat_id, t("form_nudge", company=company), reply_markup=resume(t)
                )
        except TelegramForbiddenError as error:
            raise Unreachable(reminder.chat_id) from error

    async def _daily_digest(self, reminder: Reminder) -> None:
        """The morning digest: today's reminders, hot leads waiting, deals gone quiet."""
        viewer = await self._staff.viewer(reminder.chat_id) if self._staff else None
        if viewer is None or self._reminders is None:
            raise NoLongerNeeded(reminder.id)  # no longer staff
        tz = await self._zone(reminder.chat_id)
        start = datetime.combine(reminder.due_at.astimezone(tz).date(), time(0), tz)
        today = await self._reminders.due_between(
            reminder.chat_id, start, start + timedelta(days=1)
        )
        # as /today counts them: one set by hand and not marked done is still to do, sent or not
        overdue = [
            r
            for r in await self._reminders.due_between(
                reminder.chat_id, start - OVERDUE_DAYS, start
            )
            if r.kind == MANUAL or r.status is ReminderStatus.PENDING
        ]
        # The first page of /today: the hot come first on it, and the counts are of all.
        desk = await self._desk.today_page(viewer, start, self._config.routing.stale_days, 0)
        hot = [row.deal for row in desk.rows if row.hot]
        t = await self._staff_t(reminder.chat_id)
        text = t(
            "daily_digest",
            morning=reminder.due_at.astimezone(tz).time() < NOON,  # a late start: no "good morning"
            today=await self._lines(today, tz, t),
            overdue=len(overdue),
            hot=[deal_button(t, self._config, row) for row in hot],
            hot_more=desk.hot - len(hot),
            stale=desk.stale,
        )
        try:
            with bulk():
                await self._bot.send_message(reminder.chat_id, text)
        except TelegramForbiddenError as error:
            raise Unreachable(reminder.chat_id) from error

    async def _zone(self, chat_id: int) -> tzinfo:
        return (await self._staff.schedule(chat_id)).tz if self._staff else self._tz

    async def _lines(self, reminders: list[Reminder], tz: tzinfo, t: Translator) -> list[str]:
        """The digest's lines: when, the deal and its client, then the note, or what an
        automatic one is for ("лид без ответа"): the admin set none of those."""
        names = await self._desk.client_names({r.deal_id for r in reminders if r.deal_id})
        lines = []
        for r in reminders:
            deal = f"#{r.deal_id} {names.get(r.deal_id, '')}".rstrip() if r.deal_id else ""
            # a line each: 30 notes of 500 characters would not fit a message
            note = short(r.text, NOTE_IN_LIST) if r.text else reminder_purpose(t, r.kind)
            what = ": ".join(part for part in (deal, note) if part)
            lines.append(f"{local(r.due_at, tz, locale=t.locale)} · {what}{await self._of(r)}")
        return lines

    async def _of(self, reminder: Reminder) -> str:
        """Whose a reminder an admin got in a switched-off manager's place was, on a list."""
        if reminder.instead_of is None:
            return ""
        return f" · 👤 {await self._whose(reminder.instead_of) or '—'}"

    async def digest(self, chat_id: int, reminders: list[Reminder]) -> None:
        """Many reminders of one person at once (overdue after downtime, or automatic
        follow-ups) in one message; those whose reason has gone are left out."""
        await self._still_staff(chat_id, reminders[0])
        lines = []
        tz = await self._zone(chat_id)
        t = await self._staff_t(chat_id)
        for reminder in reminders:
            if not await self._still_needed(reminder):
                continue
            what = short(reminder.text, NOTE_IN_LIST) or ""
            if reminder.deal_id is not None:
                summary = await self._desk.deal_summary(reminder.deal_id)
                name = f" {summary.name}" if summary else ""
                what = f"{what} #{reminder.deal_id}{name}".strip()
            what += await self._of(reminder)
            mark = DIGEST_MARKS.get(reminder.kind, "⏰")
            lines.append(f"{mark} {local(reminder.due_at, tz, locale=t.locale)} · {what}")
        if not lines:
            raise NoLongerNeeded(reminders[0].id)
        text = t("reminder_digest", count=len(lines), lines=lines[:30], more=len(lines) - 30)
        try:
            with bulk():
                await self._bot.send_message(chat_id, text)
        except TelegramForbiddenError as error:
            raise Unreachable(chat_id) from error


async def plan_morning(reminders: ReminderService, staff: StaffService, clock: Clock) -> int:
    """Today's digest for each member of staff from 09:00 of a working day in their own time
    zone (once a day: a key per person and day). A bot started late in the day catches up
    until the person's working day ends, not at night."""
    now = clock.now()
    made = 0
    for member in sorted(set(staff.admin_ids) | set(await staff.active_managers())):
        schedule = await staff.schedule(member)
        local_now = now.astimezone(schedule.tz)
        end = schedule.hours.end
        until = end if end > DIGEST_AT else time.max  # a night shift still gets its digest
        if DIGEST_AT <= local_now.time() < until and local_now.weekday() in schedule.hours.days:
            made += await reminders.plan_digests([member], local_now.date(), now)
    return made


def stale_days(config: BusinessConfig) -> tuple[dict[str, int], int]:
    """Each stage's days without activity before a nudge, and the default for other stages."""
    default = config.followups.stale_days
    stages = {
        stage.id: default if stage.stale_days is None else stage.stale_days
        for stage in config.pipeline.stages
    }
    return stages, default


def start_scheduler(
    delivery: Delivery,
    reminders: ReminderService,
    clock: Clock,
    interval: float,
    staff: StaffService | None = None,
    config: BusinessConfig | None = None,
    under_way: UnderWay | None = None,
) -> AsyncIOScheduler:
    """APScheduler is only the clock: every `interval` seconds it claims what is due, including
    what came due while the bot was down (the first run is at once), and `delivery` sends it.
    A running job is work `under_way`, which a stop waits for."""
    track = under_way.tracked if under_way is not None else (lambda job: job)

    async def tick() -> None:
        claimed = await delivery.tick()
        if claimed:
            log.info("%d reminder(s) due, on their way", claimed)

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        track(tick),
        "interval",
        seconds=interval,
        next_run_time=clock.now(),
        max_instances=1,
        coalesce=True,
        id="reminders",
    )
    if staff is not None:
        # Every quarter of an hour, as 09:00 comes at different moments in different time zones
        # (some are half an hour apart), and at start: a bot started at 11:00 still sends
        # today's digest, once.
        async def morning() -> None:
            await plan_morning(reminders, staff, clock)

        scheduler.add_job(track(morning), "cron", minute="*/15", timezone=UTC)
        scheduler.add_job(track(morning), next_run_time=clock.now())

    if config is not None:

        async def quiet_deals() -> None:
            made = await reminders.plan_stale(clock.now(), *stale_days(config))
            if made:
                log.info("%d quiet deal(s) nudged", made)

        scheduler.add_job(
            track(quiet_deals), "interval", minutes=STALE_SCAN_MINUTES, next_run_time=clock.now(),
            max_instances=1, coalesce=True,
        )  # fmt: skip
    scheduler.start()
    return scheduler

"""A due reminder as the push message a manager receives, and the scheduler that is the clock."""

from __future__ import annotations

import logging
from datetime import UTC, tzinfo

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from markupsafe import Markup

from bot.callbacks import DealAction, DealCb, ReminderAction, ReminderCb
from bot.clock import Clock
from bot.config import BusinessConfig
from bot.desk_views import local, relay_header
from bot.domain.reminders import Reminder
from bot.sending import bulk
from bot.services.desk import DeskService
from bot.services.reminders import (
    POST_SALE,
    SLA,
    SLA_ESCALATION,
    NoLongerNeeded,
    ReminderService,
    Unreachable,
)
from bot.texts import Translator

log = logging.getLogger(__name__)


def reminder_keyboard(t: Translator, reminder: Reminder) -> InlineKeyboardMarkup:
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
    if reminder.deal_id is not None:
        open_deal = DealCb(action=DealAction.OPEN, deal=reminder.deal_id)
        rows.append(
            [InlineKeyboardButton(text=t.label("btn_open_deal"), callback_data=open_deal.pack())]
        )
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
    ) -> None:
        self._bot, self._desk, self._config, self._t, self._tz = bot, desk, config, t, tz

    async def __call__(self, reminder: Reminder) -> None:
        header: Markup | None = None
        ladder = reminder.kind in (SLA, SLA_ESCALATION)
        if ladder and reminder.deal_id is not None and await self._desk.contacted(reminder.deal_id):
            raise NoLongerNeeded(reminder.id)
        if reminder.deal_id is not None:
            summary = await self._desk.deal_summary(reminder.deal_id)
            header = relay_header(self._t, self._config, summary) if summary else None
        key = {
            SLA: "reminder_sla",
            SLA_ESCALATION: "reminder_sla_escalation",
            POST_SALE: "reminder_post_sale",
        }.get(reminder.kind, "reminder_push")
        text = self._t(key, text=reminder.text, deal=header)
        try:
            with bulk():  # a batch of reminders leaves room for interactive replies
                await self._bot.send_message(
                    reminder.chat_id, text, reply_markup=reminder_keyboard(self._t, reminder)
                )
        except TelegramForbiddenError as error:
            raise Unreachable(reminder.chat_id) from error

    async def digest(self, chat_id: int, reminders: list[Reminder]) -> None:
        """After downtime: the overdue reminders of one person in one message."""
        lines = []
        for reminder in reminders[:30]:
            what = reminder.text or (f"#{reminder.deal_id}" if reminder.deal_id else "")
            lines.append(f"{local(reminder.due_at, self._tz)} · {what}")
        text = self._t("reminder_digest", count=len(reminders), lines=lines)
        try:
            with bulk():
                await self._bot.send_message(chat_id, text)
        except TelegramForbiddenError as error:
            raise Unreachable(chat_id) from error


def start_scheduler(
    reminders: ReminderService, pusher: ReminderPusher, clock: Clock, interval: float
) -> AsyncIOScheduler:
    """APScheduler is only the clock: every `interval` seconds it claims and sends what is due,
    including what came due while the bot was down (the first run is at once)."""

    async def tick() -> None:
        sent = await reminders.deliver_due(clock.now(), pusher, digest=pusher.digest)
        if sent:
            log.info("sent %d reminder(s)", sent)

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        "interval",
        seconds=interval,
        next_run_time=clock.now(),
        max_instances=1,
        coalesce=True,
        id="reminders",
    )
    scheduler.start()
    return scheduler

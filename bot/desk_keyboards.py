"""Keyboards of the managers' desk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import unquote

from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    AS_BEFORE,
    BACK,
    NOBODY,
    DealAction,
    DealCb,
    InviteCb,
    KeepCb,
    ListCb,
    ListPick,
    ManagerAction,
    ManagerCb,
    PlayCb,
    SearchCb,
    StaffAction,
    StaffCb,
    TodayCb,
)
from bot.config import BusinessConfig
from bot.desk_views import answer_text, checklist, day, deal_button, short, stage_name
from bot.domain.desk import DealCard, DealPage, DealRow, HistoryEntry, Manager, Viewer
from bot.domain.models import Channel, Initiative, Temperature
from bot.domain.pipeline import AnswerType, satisfies, takes_answers
from bot.domain.reminders import Reminder
from bot.paging import pager
from bot.services.desk import ActivityKind, ClientField, TodayPage
from bot.texts import Translator

Button = InlineKeyboardButton

PAGE_LIMIT = 10**6  # pages a list's button may name: the handlers refuse a larger number


def _rows(*rows: Sequence[Button | None]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[b for b in row if b is not None] for row in rows if any(row)]
    )


def _deal(
    t: Translator, key: str, action: DealAction, deal: int, arg: str = "", **values: object
) -> Button:
    return Button(
        text=t.label(key, **values), callback_data=DealCb(action=action, deal=deal, arg=arg).pack()
    )


def staff_menu(t: Translator, viewer: Viewer) -> InlineKeyboardMarkup:
    def item(key: str, action: StaffAction) -> Button:
        return Button(text=t.label(key), callback_data=StaffCb(action=action).pack())

    rows: list[list[Button | None]] = [
        [
            Button(
                text=t.label("btn_my_deals", admin=viewer.is_admin),
                callback_data=StaffCb(action=StaffAction.DEALS).pack(),
            ),
            item("btn_today", StaffAction.TODAY),
        ],
        [item("btn_search", StaffAction.SEARCH), item("btn_new_lead", StaffAction.NEW_LEAD)],
        [item("btn_reminders", StaffAction.REMINDERS), item("btn_settings", StaffAction.SETTINGS)],
        [item("btn_my_link", StaffAction.LINK)],
    ]
    if viewer.is_admin:
        rows.append(
            [item("btn_managers", StaffAction.MANAGERS), item("btn_invite", StaffAction.INVITE)]
        )
        rows.append(
            [
                item("btn_catalogue", StaffAction.CATALOGUE),
                item("btn_templates", StaffAction.TEMPLATES),
            ]
        )
    return _rows(*rows)


def deal_rows(
    t: Translator,
    config: BusinessConfig,
    rows: Sequence[DealRow],
    names: Mapping[int, str] | None = None,
) -> list[list[Button]]:
    return [
        [
            Button(
                text=deal_button(t, config, row, names),
                callback_data=DealCb(action=DealAction.OPEN, deal=row.id).pack(),
            )
        ]
        for row in rows
    ]


def deal_list(
    t: Translator,
    config: BusinessConfig,
    page: DealPage,
    shown: ListCb,
    names: Mapping[int, str] | None = None,
) -> InlineKeyboardMarkup:
    """`names`: an admin's list, which says whose each deal is and filters by manager."""
    # one manager's deals need not say whose they are
    rows = deal_rows(t, config, page.rows, names if not shown.manager else None)
    nav = pager(page.page, page.pages, lambda n: shown.carried(page=n).pack())
    if nav:
        rows.append(nav)
    stage_label = stage_name(config, shown.stage, t.locale) if shown.stage else t.label("any")
    temp_label = t.label(f"temperature_{shown.temp}") if shown.temp else t.label("any")
    rows.append(
        [
            Button(
                text=t.label("btn_filter_stage", value=stage_label),
                callback_data=shown.carried(pick=ListPick.STAGE).pack(),
            ),
            Button(
                text=t.label("btn_filter_temp", value=temp_label),
                callback_data=shown.carried(pick=ListPick.TEMPERATURE).pack(),
            ),
        ]
    )
    # the lost deals are a tap away (a call back, a reason to read), not in the working list
    lost = Button(
        text=t.label("btn_list_open" if shown.lost else "btn_list_lost"),
        callback_data=shown.carried(lost=not shown.lost).pack(),
    )
    if names is not None:
        manager_label = manager_filter_label(t, shown.manager, names)
        manager = Button(
            text=t.label("btn_filter_manager", value=manager_label),
            callback_data=shown.carried(pick=ListPick.MANAGER).pack(),
        )
        rows.append([manager, lost])
    else:
        rows.append([lost])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def manager_filter_label(t: Translator, manager: str, names: Mapping[int, str]) -> str:
    if not manager:
        return t.label("any")
    if manager == NOBODY:
        return t.label("list_nobody")
    return names.get(int(manager)) or t.label("list_staff")


def search_results(
    t: Translator,
    config: BusinessConfig,
    page: DealPage,
    query: str,
    names: Mapping[int, str] | None = None,
) -> InlineKeyboardMarkup:
    rows = deal_rows(t, config, page.rows, names)
    nav = pager(page.page, page.pages, lambda n: search_data(n, query))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows)


UNCLAIMED_SHOWN = 3  # deals nobody has, offered to take at the top of a manager's day


def today(
    t: Translator,
    config: BusinessConfig,
    page: TodayPage,
    names: Mapping[int, str] | None = None,
    unclaimed: Sequence[DealRow] = (),
) -> InlineKeyboardMarkup:
    rows = [
        [
            Button(
                text=t.label("btn_take_deal", deal=row.id, who=short(row.name, 30)),
                callback_data=DealCb(action=DealAction.TAKE, deal=row.id).pack(),
            )
        ]
        for row in unclaimed[:UNCLAIMED_SHOWN]
    ]
    rows += deal_rows(t, config, [row.deal for row in page.rows], names)
    nav = pager(page.page, page.pages, lambda n: TodayCb(page=n).pack())
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _escaped(query: str) -> str:
    """The query in a field of callback data: the fields are separated by ":", and "%" starts
    an escape, so both are escaped."""
    return query.replace("%", "%25").replace(":", "%3A")


# What a search page's button has for its query, whatever its page number.
_QUERY_ROOM = MAX_CALLBACK_LENGTH - len(SearchCb(page=PAGE_LIMIT - 1, query="").pack().encode())


def fit_query(query: str) -> str:
    """The query as a search page's button carries it: whole, or the longest beginning of it
    that fits Telegram's 64 bytes of callback data (cut on a character, never in an escape)."""
    fitted = " ".join(query.split())
    while len(_escaped(fitted).encode()) > _QUERY_ROOM:
        fitted = fitted[:-1]
    return fitted.rstrip()


def search_data(page: int, query: str) -> str:
    return SearchCb(page=page, query=_escaped(fit_query(query))).pack()


def search_query_of(data: SearchCb) -> str:
    """The query of a search page's button (as it came: the caller checks it, as typed text)."""
    return unquote(data.query)


def list_filter(
    t: Translator,
    config: BusinessConfig,
    shown: ListCb,
    managers: Sequence[Manager] = (),
) -> InlineKeyboardMarkup:
    """The options of the filter `shown.pick`; `managers`: whom an admin may pick."""
    options: list[tuple[str, str]] = [("", t.label("any"))]
    if shown.pick is ListPick.STAGE:
        options += [(s.id, s.name.get(t.locale)) for s in config.pipeline.stages]
        current = shown.stage
    elif shown.pick is ListPick.MANAGER:
        options += [
            (str(m.telegram_id), m.name if m.active else t.label("list_inactive", name=m.name))
            for m in managers
        ]
        options.append((NOBODY, t.label("list_nobody")))
        current = shown.manager
    else:
        options += [(x.value, t.label(f"temperature_{x.value}")) for x in reversed(Temperature)]
        current = shown.temp

    def make(value: str) -> ListCb:
        if shown.pick is ListPick.STAGE:
            return shown.carried(stage=value)
        if shown.pick is ListPick.MANAGER:
            return shown.carried(manager=value)
        return shown.carried(temp=value)

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                Button(
                    text=("• " if value == current else "") + label,
                    callback_data=make(value).pack(),
                )
            ]
            for value, label in options
        ]
    )


def deal_card(
    t: Translator, config: BusinessConfig, card: DealCard, viewer: Viewer, full: bool = True
) -> InlineKeyboardMarkup:
    """`full`: the card's whole text is shown; otherwise a button shows it, in place."""
    deal_id = card.deal.id
    reply = _deal(t, "btn_reply", DealAction.REPLY, deal_id) if card.person.telegram_id else None
    history = _deal(t, "btn_history", DealAction.HISTORY, deal_id)
    # the card's two forms, one into the other in place
    details = (
        _deal(t, "btn_collapse", DealAction.DETAILS, deal_id, BACK)
        if full
        else _deal(t, "btn_details", DealAction.DETAILS, deal_id)
    )
    reassign = _deal(t, "btn_reassign", DealAction.REASSIGN, deal_id) if viewer.is_admin else None
    client = _deal(t, "btn_client", DealAction.CLIENT, deal_id)
    if card.deal.manager_telegram_id is None and not viewer.is_admin:
        return _rows([_deal(t, "btn_take", DealAction.TAKE, deal_id)])
    if not card.is_open:
        # After a win the client is still worth calls and reminders (the repeat sale), and the
        # post-sale stage's questions (how the client rates the result) are still answered;
        # after a loss, a call back later. The stage and the temperature are history.
        stage = card.deal.stage
        after_win = takes_answers(card.deal.status, stage, config.pipeline.won_stage) and any(
            s.id == stage and s.questions for s in config.pipeline.stages
        )
        questions = _deal(t, "btn_post_sale_questions", DealAction.QUESTIONS, deal_id)
        return _rows(
            [questions if after_win else None],
            [
                _deal(t, "btn_log", DealAction.LOG, deal_id),
                _deal(t, "btn_remind", DealAction.REMIND, deal_id),
            ],
            [
                _deal(t, "btn_amount", DealAction.AMOUNT, deal_id),
                _deal(t, "btn_step", DealAction.STEP, deal_id),
            ],
            [history, reply],
            [client, details],
            [reassign],
            [_deal(t, "btn_reopen", DealAction.REOPEN, deal_id) if viewer.is_admin else None],
        )
    answered, required = checklist(config, card.deal.stage, card.answers)
    return _rows(
        [
            _deal(t, "btn_next_stage", DealAction.NEXT, deal_id, card.deal.stage),
            _deal(
                t,
                "btn_questions",
                DealAction.QUESTIONS,
                deal_id,
                answered=answered,
                required=required,
            ),
        ],
        [
            _deal(t, "btn_objection", DealAction.OBJECTIONS, deal_id),
            _deal(t, "btn_log", DealAction.LOG, deal_id),
        ],
        [
            _deal(t, "btn_temperature", DealAction.TEMPERATURE, deal_id),
            _deal(t, "btn_stages", DealAction.STAGES, deal_id),
        ],
        [
            _deal(t, "btn_amount", DealAction.AMOUNT, deal_id),
            _deal(t, "btn_step", DealAction.STEP, deal_id),
        ],
        [
            _deal(t, "btn_won", DealAction.WON, deal_id),
            _deal(t, "btn_lost", DealAction.LOST, deal_id),
        ],
        [
            _deal(t, "btn_offer", DealAction.OFFER, deal_id) if config.catalogue else None,
            _deal(t, "btn_remind", DealAction.REMIND, deal_id),
        ],
        [history, reply],
        [client, details],
        [reassign],
    )


def reopen(t: Translator, deal_id: int, status: str) -> InlineKeyboardMarkup:
    """The "yes" names the closing it was asked about: a later one is not undone by it."""
    return _rows(
        [_deal(t, "btn_reopen_yes", DealAction.REOPEN, deal_id, f"yes.{status}")],
        [to_card(t, deal_id)],
    )


def drop_reminders(t: Translator, deal_id: int, left: Sequence[Reminder]) -> InlineKeyboardMarkup:
    """Cancels the reminders `left` when the deal closed, not one set after (a call back)."""
    newest = str(max(reminder.id for reminder in left))
    return _rows(
        [_deal(t, "btn_drop_reminders", DealAction.UNREMIND, deal_id, newest, count=len(left))]
    )


# where a lead a manager brought in came from: (channel, initiative), the button's label
MANUAL_SOURCES = (
    (Channel.SPEARS, Initiative.OUTBOUND, "source_found"),
    (Channel.SPEARS, Initiative.INBOUND, "source_came"),
    (Channel.SEEDS, Initiative.INBOUND, "source_referral"),
    (Channel.NETS, Initiative.INBOUND, "source_online"),
)


def lead_sources(t: Translator, deal_id: int) -> InlineKeyboardMarkup:
    return _rows(
        *(
            [_deal(t, key, DealAction.SOURCE, deal_id, f"{channel.value}.{initiative.value}")]
            for channel, initiative, key in MANUAL_SOURCES
        )
    )


def to_card(t: Translator, deal_id: int) -> Button:
    """Back from a screen of the deal to its card (short: it was just seen)."""
    return _deal(t, "btn_to_card", DealAction.OPEN, deal_id, BACK)


def back_to_card(t: Translator, deal_id: int) -> InlineKeyboardMarkup:
    return _rows([to_card(t, deal_id)])


def client_fields(t: Translator, deal_id: int) -> InlineKeyboardMarkup:
    def field(name: ClientField) -> Button:
        return _deal(t, f"field_{name.value}", DealAction.CLIENT, deal_id, name.value)

    return _rows(
        [field(ClientField.NAME), field(ClientField.PHONE)],
        [field(ClientField.EMAIL), field(ClientField.COMPANY)],
        [to_card(t, deal_id)],
    )


def client_ask(
    t: Translator, deal_id: int, field: ClientField, erasable: bool
) -> InlineKeyboardMarkup:
    return _rows(
        [
            _deal(t, "btn_erase", DealAction.CLIENT, deal_id, f"clear.{field.value}")
            if erasable
            else None
        ],
        [to_card(t, deal_id)],
    )


def questions(t: Translator, config: BusinessConfig, card: DealCard) -> InlineKeyboardMarkup:
    stage = config.pipeline.stage(card.deal.stage)  # the caller checked it is configured
    rows: list[list[Button | None]] = []
    for question in stage.questions:
        value = card.answers.get(question.id)
        done = satisfies(value, question.must_be_yes)  # not "no" where "yes" is due
        mark = "✅" if done else ("▫️" if question.required else "◽️")
        shown = f": {answer_text(t, config, question.id, value)}" if value else ""
        text = f"{mark} {question.text.get(t.locale)}{shown}"
        rows.append(
            [
                Button(
                    text=text[:60],
                    callback_data=DealCb(
                        action=DealAction.ASK, deal=card.deal.id, arg=question.id
                    ).pack(),
                )
            ]
        )
    required = any(question.required for question in stage.questions)
    rows.append(
        [
            _deal(t, "btn_answer_missing", DealAction.ASK, card.deal.id) if required else None,
            to_card(t, card.deal.id),
        ]
    )
    return _rows(*rows)


def question(
    t: Translator,
    config: BusinessConfig,
    deal_id: int,
    question_id: str,
    optional: bool,
    as_before: bool = False,
) -> InlineKeyboardMarkup:
    """`as_before`: the client's earlier deal has a typed answer, which one tap gives again."""
    found = config.pipeline.question(question_id)
    rows: list[list[Button | None]] = []
    if as_before and found.type is AnswerType.TEXT:
        rows.append(
            [_deal(t, "btn_as_before", DealAction.ANSWER, deal_id, f"{question_id}.{AS_BEFORE}")]
        )
    if found.type is AnswerType.CHOICE:
        rows += [
            [
                _plain(
                    choice.label.get(t.locale),
                    DealCb(
                        action=DealAction.ANSWER, deal=deal_id, arg=f"{question_id}.{choice.id}"
                    ),
                )
            ]
            for choice in found.choices
        ]
    elif found.type is AnswerType.YES_NO:
        rows.append(
            [
                _plain(
                    t.label("answer_yes"),
                    DealCb(action=DealAction.ANSWER, deal=deal_id, arg=f"{question_id}.yes"),
                ),
                _plain(
                    t.label("answer_no"),
                    DealCb(action=DealAction.ANSWER, deal=deal_id, arg=f"{question_id}.no"),
                ),
            ]
        )
    rows.append(
        [
            _deal(t, "btn_skip", DealAction.SKIP, deal_id, question_id) if optional else None,
            to_card(t, deal_id),
        ]
    )
    return _rows(*rows)


def _plain(text: str, data: DealCb) -> Button:
    return Button(text=text, callback_data=data.pack())


def stages(
    t: Translator, config: BusinessConfig, deal_id: int, current: str
) -> InlineKeyboardMarkup:
    rows = [
        [
            _plain(
                ("📍 " if stage.id == current else "") + stage.name.get(t.locale),
                DealCb(action=DealAction.MOVE, deal=deal_id, arg=stage.id),
            )
        ]
        for stage in config.pipeline.stages
    ]
    rows.append([to_card(t, deal_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def objections(t: Translator, config: BusinessConfig, deal_id: int) -> InlineKeyboardMarkup:
    rows = [
        [_plain(o.name.get(t.locale), DealCb(action=DealAction.OBJECTION, deal=deal_id, arg=o.id))]
        for o in config.pipeline.objections
    ]
    rows.append([_deal(t, "btn_objection_other", DealAction.OBJECTION, deal_id, "")])
    rows.append([to_card(t, deal_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def activities(t: Translator, deal_id: int) -> InlineKeyboardMarkup:
    def button(kind: ActivityKind) -> Button:
        return _deal(t, f"btn_activity_{kind.value}", DealAction.LOG, deal_id, kind.value)

    return _rows(
        [button(ActivityKind.CALL), button(ActivityKind.NO_ANSWER)],
        [button(ActivityKind.MEETING), button(ActivityKind.NOTE)],
        [to_card(t, deal_id)],
    )


def temperatures(t: Translator, deal_id: int, current: Temperature) -> InlineKeyboardMarkup:
    return _rows(
        [
            _plain(
                ("• " if value is current else "") + t.label(f"temperature_{value.value}"),
                DealCb(action=DealAction.TEMPERATURE, deal=deal_id, arg=value.value),
            )
            for value in reversed(Temperature)
        ],
        [to_card(t, deal_id)],
    )


def lost_reasons(t: Translator, config: BusinessConfig, deal_id: int) -> InlineKeyboardMarkup:
    rows = [
        [_plain(r.label.get(t.locale), DealCb(action=DealAction.LOST, deal=deal_id, arg=r.id))]
        for r in config.pipeline.lost_reasons
    ]
    rows.append([to_card(t, deal_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def reassign(
    t: Translator, deal_id: int, managers: Sequence[Manager], current: int | None, me: int
) -> InlineKeyboardMarkup:
    """The active managers, then the admin choosing (an owner sells too)."""
    rows = [
        [
            _plain(
                ("• " if telegram_id == current else "") + name,
                DealCb(action=DealAction.REASSIGN, deal=deal_id, arg=str(telegram_id)),
            )
        ]
        for telegram_id, name in [
            *((m.telegram_id, m.name) for m in managers if m.active and m.telegram_id != me),
            (me, t.label("btn_reassign_self")),
        ]
    ]
    rows.append([to_card(t, deal_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def history(t: Translator, deal_id: int, entries: Sequence[HistoryEntry]) -> InlineKeyboardMarkup:
    rows = [
        [
            Button(
                text=t.label("btn_play", time=day(entry.created_at, t.locale)),
                callback_data=PlayCb(event=entry.id).pack(),
            )
        ]
        for entry in entries
        if entry.data.get("voice")
    ]
    rows.append([to_card(t, deal_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def keep_in_deal(
    t: Translator, deals: Sequence[tuple[int, str | None]], message_id: int
) -> InlineKeyboardMarkup:
    """A deal per button, to keep a loose text or voice in: "📝 #3 Анна Петрова"."""
    return _rows(
        *(
            [
                Button(
                    text=t.label("btn_keep_in_deal", deal_id=deal_id, name=short(name or "", 40)),
                    callback_data=KeepCb(deal=deal_id, message=message_id).pack(),
                )
            ]
            for deal_id, name in deals
        )
    )


def alert(t: Translator, deal_id: int, inbox: bool, take: bool = False) -> InlineKeyboardMarkup:
    """`take`: an admin's alert of a deal nobody has, taken with one tap as well as opened."""
    if inbox:
        return _rows([_deal(t, "btn_take", DealAction.TAKE, deal_id)])
    opened = _deal(t, "btn_open_deal", DealAction.OPEN, deal_id)
    return _rows([_deal(t, "btn_take", DealAction.TAKE, deal_id) if take else None, opened])


def relayed(t: Translator, deal_id: int) -> InlineKeyboardMarkup:
    return _rows(
        [
            _deal(t, "btn_reply", DealAction.REPLY, deal_id),
            _deal(t, "btn_open_deal", DealAction.OPEN, deal_id),
        ]
    )


def managers(
    t: Translator, found: Sequence[Manager], invites: Sequence[tuple[str, str]] = ()
) -> InlineKeyboardMarkup:
    """A row per manager, then one per open invitation (its key and until when), then invite."""
    rows: list[list[Button | None]] = []
    for m in found:
        if m.active:
            toggle = Button(
                text=t.label("btn_deactivate", name=m.name),
                callback_data=ManagerCb(action=ManagerAction.ASK_OFF, manager=m.telegram_id).pack(),
            )
        else:
            toggle = Button(
                text=t.label("btn_activate", name=m.name),
                callback_data=ManagerCb(
                    action=ManagerAction.ACTIVATE, manager=m.telegram_id
                ).pack(),
            )
        handover = Button(
            text=t.label("btn_handover"),
            callback_data=ManagerCb(action=ManagerAction.HANDOVER, manager=m.telegram_id).pack(),
        )
        rows.append([toggle, handover])
    for number, (key, until) in enumerate(invites, start=1):
        rows.append(
            [
                Button(
                    text=t.label("btn_invite_withdraw", number=number, until=until),
                    callback_data=InviteCb(key=key, listed=True).pack(),
                )
            ]
        )
    rows.append(
        [
            Button(
                text=t.label("btn_invite"), callback_data=StaffCb(action=StaffAction.INVITE).pack()
            )
        ]
    )
    return _rows(*rows)


def confirm_deactivation(t: Translator, manager: int, asked: int) -> InlineKeyboardMarkup:
    """`asked`: the manager as the question found them (ManagerCb.target: their last change, in
    seconds), so that "yes" tapped after they were switched off and on again does nothing."""
    return _rows(
        [
            Button(
                text=t.label("btn_deactivate_yes"),
                callback_data=ManagerCb(
                    action=ManagerAction.DEACTIVATE, manager=manager, target=asked
                ).pack(),
            ),
            Button(
                text=t.label("btn_handover"),
                callback_data=ManagerCb(action=ManagerAction.HANDOVER, manager=manager).pack(),
            ),
        ],
        [  # changed their mind: back to the list
            Button(
                text=t.label("btn_cancel"),
                callback_data=ManagerCb(action=ManagerAction.KEEP, manager=manager).pack(),
            )
        ],
    )


def handover_targets(t: Translator, source: int, found: Sequence[Manager]) -> InlineKeyboardMarkup:
    rows = [
        [
            Button(
                text=m.name,
                callback_data=ManagerCb(
                    action=ManagerAction.HAND_TO, manager=source, target=m.telegram_id
                ).pack(),
            )
        ]
        for m in found
        if m.active and m.telegram_id != source
    ]
    # changed their mind: back to the list
    cancel = Button(
        text=t.label("btn_cancel"), callback_data=StaffCb(action=StaffAction.MANAGERS).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [cancel]])


HANDED_SHOWN = 8  # deals handed over, each a button under the news; the rest in the list


def handed_deals(t: Translator, deal_ids: Sequence[int]) -> InlineKeyboardMarkup:
    buttons = [
        Button(text=f"#{deal}", callback_data=DealCb(action=DealAction.OPEN, deal=deal).pack())
        for deal in deal_ids[:HANDED_SHOWN]
    ]
    rows = [buttons[index : index + 4] for index in range(0, len(buttons), 4)]
    deals = Button(
        text=t.label("btn_my_deals", admin=False),
        callback_data=StaffCb(action=StaffAction.DEALS).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [deals]])


def cancel_input(t: Translator) -> InlineKeyboardMarkup:
    return _rows(
        [Button(text=t.label("btn_cancel"), callback_data=StaffCb(action=StaffAction.MENU).pack())]
    )

"""Typed callback data. It comes from the client, so every handler re-checks what it says."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Bounds of what a row or a person can be: data beyond them is forged, and refused as it is
# unpacked (as a stale button) instead of overflowing a database column. Rows have 32-bit ids
# in the schema; Telegram ids are 64-bit.
MAX_ROW_ID = 2**31
RowId = Annotated[int, Field(gt=0, lt=MAX_ROW_ID)]
TelegramId = Annotated[int, Field(gt=0, lt=2**63)]


def row_id(text: str) -> int | None:
    """A row id carried in a button's free-form argument, or None for a forged one. ASCII digits
    only: "²" and "٣" are digits to str.isdigit, and int() refuses the first."""
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number < MAX_ROW_ID else None


class MenuAction(StrEnum):
    REQUEST = "request"
    OFFER = "offer"  # a standard offer: choose a product


class FormAction(StrEnum):
    AGREE = "agree"
    DECLINE = "decline"
    BACK = "back"
    CANCEL = "cancel"
    DROP = "drop"  # the summary's cancel, made sure of
    CONFIRM = "confirm"
    CONTINUE = "continue"
    RESTART = "restart"


class FormField(StrEnum):
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    COMPANY = "company"
    NEED = "need"
    TIMELINE = "timeline"
    BUDGET = "budget"
    CONTACT_METHOD = "contact_method"
    CONTACT_TIME = "contact_time"


class MenuCb(CallbackData, prefix="menu"):
    # No field may be added: the buttons already in people's chats would stop unpacking.
    action: MenuAction


class SourcedMenuCb(CallbackData, prefix="menus"):
    """The menu under the answer to a refused consent: the link that brought the visitor is
    kept on the button (we keep nothing of somebody who refused), so that a lead they leave
    after all is still the link's."""

    action: MenuAction
    source: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class ProspectOfferCb(CallbackData, prefix="po"):
    """A prospect's choice of a product for a standard offer."""

    sku: str


class ProductsPageCb(CallbackData, prefix="pp"):
    """A page of the products a prospect chooses from."""

    page: int


class FormCb(CallbackData, prefix="form"):
    action: FormAction


class ChoiceCb(CallbackData, prefix="pick"):
    field: FormField
    value: str


class EditCb(CallbackData, prefix="edit"):
    field: FormField


# --- staff -----------------------------------------------------------------------------------


class StaffAction(StrEnum):
    MENU = "menu"
    DEALS = "deals"
    SEARCH = "search"
    NEW_LEAD = "new_lead"
    TODAY = "today"
    LINK = "link"
    MANAGERS = "managers"
    INVITE = "invite"
    REMINDERS = "reminders"
    SETTINGS = "settings"
    CATALOGUE = "catalogue"
    CATALOGUE_FILE = "catalogue_file"  # the catalogue as XLSX, to edit and send back
    TEMPLATES = "templates"


class StaffCb(CallbackData, prefix="staff"):
    action: StaffAction


class ListPick(StrEnum):
    NONE = ""
    STAGE = "stage"
    TEMPERATURE = "temp"
    MANAGER = "manager"  # an admin's


NOBODY = "none"  # ListCb.manager: the deals nobody has


class ListCb(CallbackData, prefix="dl"):
    """A page of the deal list with its filters ("" = any)."""

    page: int = 0
    stage: str = ""
    temp: str = ""
    pick: ListPick = ListPick.NONE  # show the options of a filter instead of the list
    # an admin's: whose deals, a Telegram id or NOBODY
    # (18 digits at most: a Telegram id, well inside the database's 64-bit integer)
    manager: Annotated[str, Field(pattern=rf"^(|{NOBODY}|[1-9][0-9]{{0,17}})$")] = ""
    lost: bool = False  # the lost deals instead of the open and won ones

    def carried(self, **changes: Any) -> ListCb:
        """The same filters with `changes`: the first page, the list shown."""
        kept = {"stage": self.stage, "temp": self.temp, "manager": self.manager, "lost": self.lost}
        return ListCb(**{**kept, **changes})


class SearchCb(CallbackData, prefix="sr"):
    """A page of search results. The query travels with the page (escaped, see
    bot.desk_keyboards.search_data), so a page stays right after a restart and for any later
    search; a forged one is only a search the viewer could have typed."""

    page: int
    query: str


class TodayCb(CallbackData, prefix="td"):
    """A page of "today": hot, new and idle deals."""

    page: int = 0


class DealAction(StrEnum):
    OPEN = "open"  # arg: "" the whole card (a deal opened), BACK its short form
    DETAILS = "details"  # the short card shown in full, in place
    HISTORY = "history"
    NEXT = "next"  # to the next stage, through the gate
    STAGES = "stages"  # the stage picker
    MOVE = "move"  # arg: the target stage
    QUESTIONS = "questions"
    ASK = "ask"  # arg: a question id, or "" for every missing one
    ANSWER = "answer"  # arg: "<question id>.<choice id | yes | no | AS_BEFORE>"
    SKIP = "skip"  # skip an optional question in a walk
    OBJECTIONS = "objections"
    OBJECTION = "objection"  # arg: an objection id, or "" for "other" (typed)
    LOG = "log"  # arg: "" for the menu, or an activity kind
    TEMPERATURE = "temperature"  # arg: "" for the menu, or the temperature to set
    WON = "won"
    LOST = "lost"  # arg: "" for the menu, or a lost reason id
    REASSIGN = "reassign"  # arg: "" for the list, or the manager's Telegram id
    REPLY = "reply"
    AMOUNT = "amount"
    STEP = "step"
    TAKE = "take"
    REMIND = "remind"  # arg: "" for the choices, or a QuickTime
    UNREMIND = "unremind"  # cancel the viewer's reminders about the deal
    OFFER = "offer"  # arg: "" for the screen, or "<command>.<value>" (handlers/offers.py)
    OFFER_DOCX = "docx"  # arg: a document id
    SOURCE = "source"  # a manager's own lead: arg "<channel>.<initiative>", where it came from
    CLIENT = "client"  # arg: "" for the client's details, a ClientField to ask, "clear.<field>"
    REOPEN = "reopen"  # an admin's: arg "" asks, "yes.<won|lost>" reopens a closed deal


BACK = "back"  # DealAction.OPEN from a screen of the deal: the card was just seen
AS_BEFORE = "~"  # DealAction.ANSWER: the answer the client's earlier deal has (not an id's sign)


class DealCb(CallbackData, prefix="d"):
    action: DealAction
    deal: RowId
    arg: str = ""


class ManagerAction(StrEnum):
    ASK_OFF = "ask_off"  # the list's button: asks before it switches anybody off
    DEACTIVATE = "off"
    ACTIVATE = "on"
    HANDOVER = "handover"  # choose whom to give the manager's open deals
    HAND_TO = "to"
    KEEP = "keep"  # the switch-off question's "cancel": its buttons go, the list comes back


class ManagerCb(CallbackData, prefix="mg"):
    action: ManagerAction
    manager: TelegramId
    # HAND_TO: whom the deals go to (0: nobody chosen yet); DEACTIVATE: the manager's last change
    # when the question was asked (bot.handlers.admin._stamp; 0 from an older version)
    target: Annotated[int, Field(ge=0, lt=2**63)] = 0


class InviteCb(CallbackData, prefix="iv"):
    """Withdraw an invitation not used yet; `key`: the start of its token's hash."""

    key: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    listed: bool = False  # pressed under the managers' list (not the link's own message)


class KeepCb(CallbackData, prefix="kp"):
    """Keep a text or voice a member of staff sent when nothing waited for it, as a note to the
    deal; `message`: the id of what they sent (only the latest such message is kept)."""

    deal: RowId
    message: Annotated[int, Field(gt=0, lt=2**31)]


class TemplateAction(StrEnum):
    GET = "get"  # the template in use, as a file
    RESTORE = "restore"  # back to the shipped one (the replaced one is sent first)


class TemplateCb(CallbackData, prefix="tpl"):
    action: TemplateAction
    name: Annotated[str, Field(pattern=r"^[^:/\\]{1,52}$")]  # a template's file name


class PlayCb(CallbackData, prefix="play"):
    """Replay a voice note logged on a deal."""

    event: RowId


class ReminderAction(StrEnum):
    DONE = "done"
    SNOOZE = "snooze"  # arg: 15m, 1h or tomorrow
    CANCEL = "cancel"  # arg "list": from /reminders, where the row then offers to restore it
    RESTORE = "restore"


class ReminderCb(CallbackData, prefix="rm"):
    action: ReminderAction
    reminder: RowId
    arg: str = ""


class SettingsAction(StrEnum):
    TIMEZONES = "tzs"  # the time zone picker
    ZONE = "tz"  # arg: a key of bot.domain.hours.CITY_ZONES
    HOURS = "hours"  # the working hours picker
    SET_HOURS = "set_hours"  # arg: "9-18"


class SettingsCb(CallbackData, prefix="st"):
    action: SettingsAction
    arg: str = ""

"""FSM states of the conversations."""

from aiogram.fsm.state import State, StatesGroup


class LeadForm(StatesGroup):
    consent = State()
    name = State()
    phone = State()
    email = State()
    company = State()
    need = State()
    timeline = State()
    budget = State()
    contact_method = State()
    contact_time = State()
    confirm = State()


class DealWork(StatesGroup):
    """A manager's typed input about a deal; the deal id is in the FSM data."""

    answering = State()  # a walk through stage questions
    objection = State()  # "other" objection, typed
    activity = State()  # a call / meeting / note: text or voice
    amount = State()
    next_step = State()
    lost_reason = State()  # "other" lost reason, typed
    reply = State()  # a message to the prospect
    remind = State()  # when to remind, typed
    offer_quantity = State()  # the quantity of an item of an offer, typed
    offer_discount = State()  # an offer's discount in percent, typed
    offer_validity = State()  # for how many days an offer is valid, typed
    client_field = State()  # a correction of the client's name, phone, e-mail or company


class StaffInput(StatesGroup):
    search = State()
    timezone = State()
    hours = State()
    lead_name = State()
    lead_phone = State()

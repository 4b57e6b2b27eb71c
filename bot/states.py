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

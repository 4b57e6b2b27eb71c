"""Use cases: they take and return domain data, never aiogram objects."""

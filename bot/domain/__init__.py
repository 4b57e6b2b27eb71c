"""Pure sales rules: no aiogram, no database, no Jinja2; `now` is always an argument."""

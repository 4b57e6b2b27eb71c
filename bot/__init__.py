"""salesbot: a Telegram sales assistant for small businesses."""

"""Thin Telegram handlers: read the update, call bot services, send the reply."""

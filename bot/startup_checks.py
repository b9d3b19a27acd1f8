"""Settings that load and work, but are probably mistakes: each gets one warning line at start."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url

from bot.settings import Settings


def database_warnings(settings: Settings) -> list[str]:
    """A PostgreSQL URL without a database name; a SQLite file in a folder that does not exist yet."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql" and not url.database:
        return [
            "DATABASE_URL names no database: the server's default database (often 'postgres') would be "
            "migrated and used; add /<database> to the URL"
        ]
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        folder = Path(database).parent
        if not folder.exists() and folder.resolve() != settings.data_dir.resolve():
            return [f"the folder of the SQLite database, {folder}, does not exist; it will be created (a typo?)"]
    return []


def webhook_warnings(settings: Settings) -> list[str]:
    """A webhook over plain http, or without a secret token."""
    if not settings.webhook_url:
        return []
    found = []
    if urlparse(settings.webhook_url).scheme != "https":
        found.append("WEBHOOK_URL is plain http: Telegram delivers webhooks only to https URLs")
    if not settings.webhook_secret:
        found.append("WEBHOOK_SECRET is not set: set one so that only Telegram can post updates to the webhook")
    return found

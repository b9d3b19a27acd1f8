"""Settings are read once and validated in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_API_BASE_URL, SettingsError, load_settings


def test_defaults_use_sqlite_in_the_data_dir() -> None:
    settings = load_settings({}, dotenv=None)
    assert settings.database_url == "sqlite:///data/factbot.sqlite3"
    assert settings.telegram_api_base_url == DEFAULT_API_BASE_URL
    assert settings.retention_days == 90
    assert settings.telegram_bot_token is None


def test_heroku_postgres_urls_use_psycopg() -> None:
    settings = load_settings({"DATABASE_URL": "postgres://u:p@host:5432/db"}, dotenv=None)
    assert settings.database_url == "postgresql+psycopg://u:p@host:5432/db"


def test_admin_ids_and_kb_dirs(tmp_path: Path) -> None:
    settings = load_settings({"FACTBOT_ADMIN_IDS": "1, 22,333", "FACTBOT_KB_DIR": str(tmp_path)}, dotenv=None)
    assert settings.admin_ids == {1, 22, 333}
    assert settings.kb_dirs == (tmp_path,)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FACTBOT_ADMIN_IDS", "12,abc"),
        ("PORT", "http"),
        ("PORT", "70000"),
        ("DATABASE_URL", "mysql://x/y"),
        ("TELEGRAM_API_BASE_URL", "not a url"),
        ("WEBHOOK_URL", "ftp://x"),
        ("WEBHOOK_SECRET", "has spaces in it"),
        ("LOG_LEVEL", "LOUD"),
        ("FACTBOT_KB_DIR", "/no/such/dir"),
        ("FACTBOT_LOG_TEXT", "maybe"),
        ("FACTBOT_RETENTION_DAYS", "-1"),
        ("FACTBOT_MATCH_STRONG", "150"),
        ("FACTBOT_MATCH_CACHE", "-1"),
        ("FACTBOT_MATCH_CACHE", "lots"),
    ],
)
def test_malformed_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({name: value}, dotenv=None)
    assert info.value.variable == name
    assert str(info.value).startswith(f"{name}: ")


def test_dotenv_fills_in_what_the_environment_lacks(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_BOT_TOKEN=from-file\nLOG_LEVEL=debug\n", encoding="utf-8")
    settings = load_settings({"LOG_LEVEL": "WARNING"}, dotenv=env_file)
    assert settings.telegram_bot_token == "from-file"
    assert settings.log_level == "WARNING"


def test_missing_token_is_a_clear_error() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings({}, dotenv=None).require_token()


def test_match_cache_size_reaches_the_matcher() -> None:
    assert load_settings({}, dotenv=None).matcher_options == {"recent": 2048}
    given = load_settings({"FACTBOT_MATCH_CACHE": "0", "FACTBOT_MATCH_STRONG": "90"}, dotenv=None)
    assert given.matcher_options == {"recent": 0, "strong": 90.0}

"""Hostile input through the real Application and the CLI: odd numbers, spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from bot.db.models import User
from factbot_testing import fake_telegram as tgf
from tests.harness import ADMIN_ID, USER_ID, Harness

FORMULAS = [
    '=HYPERLINK("http://attacker.example/","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3 is what they say",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 behind a tab",
    "\r=1+1 behind a carriage return",
]


def _texts(calls: list[tgf.Call]) -> list[str]:
    return [c.params["text"] for c in calls if c.method == "sendMessage"]


@pytest.mark.parametrize(
    ("command", "args", "usage"),
    [
        ("/grant", "99999999999999999999999 admin", "Usage: /grant"),
        ("/grant", "²³ admin", "Usage: /grant"),
        ("/grant", "0 admin", "Usage: /grant"),
        ("/revoke", "99999999999999999999999", "Usage: /revoke"),
        ("/queue", "²", "Usage: /queue"),
        ("/logs", "²", "Usage: /logs"),
        ("/logs", "٣", "Usage: /logs"),
    ],
)
async def test_odd_numbers_get_the_usage(tg: Harness, command: str, args: str, usage: str) -> None:
    calls = await tg.send(tgf.command(ADMIN_ID, command, args=args))
    texts = _texts(calls)
    assert len(texts) == 1 and texts[0].startswith(usage), texts
    with tg.runtime.sessions() as session:
        assert session.scalar(select(User).where(User.role == "admin", User.telegram_id != ADMIN_ID)) is None


async def test_numbers_in_range_still_work(tg: Harness) -> None:
    assert _texts(await tg.send(tgf.command(ADMIN_ID, "/grant", args="4001 moderator"))) == [
        "User 4001 is now moderator."
    ]
    assert _texts(await tg.send(tgf.command(ADMIN_ID, "/logs", args="3")))[0].startswith("<b>Latest 0 checks</b>")
    assert _texts(await tg.send(tgf.command(ADMIN_ID, "/queue", args="3"))) == ["The queue is empty. 🎉"]
    huge = "99999999999999999999999"  # more than /queue shows anyway: the most it shows
    assert _texts(await tg.send(tgf.command(ADMIN_ID, "/queue", args=huge))) == ["The queue is empty. 🎉"]


def test_admin_ids_with_unicode_digits_are_a_settings_error() -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="FACTBOT_ADMIN_IDS"):
        load_settings({"FACTBOT_ADMIN_IDS": "1000,²"}, dotenv=None)


def _assert_defused(rows: list[dict[str, str]]) -> None:
    texts = {r["text"] for r in rows}
    for formula in FORMULAS:
        assert "'" + formula in texts, (formula, texts)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


async def test_export_defuses_spreadsheet_formulas(
    tg: Harness, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for formula in FORMULAS:
        await tg.send(tgf.private_text(USER_ID, formula))
    (document,) = [c for c in await tg.send(tgf.command(ADMIN_ID, "/export")) if c.method == "sendDocument"]
    rows = list(csv.DictReader(io.StringIO(document.files["document"].content.decode("utf-8"))))
    assert len(rows) == len(FORMULAS)
    _assert_defused(rows)

    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["logs", "export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(FORMULAS)
    _assert_defused(rows)
    # JSON Lines is data, not a spreadsheet: texts stay exactly as sent.
    assert main(["logs", "export", "--format", "jsonl"]) == 0
    assert {json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()} == set(FORMULAS)

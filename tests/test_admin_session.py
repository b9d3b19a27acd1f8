"""After a scripted session of checks and feedback, /stats, the chart, /logs, /export,
`factbot stats --json` and `factbot eval` all report the same, correct numbers."""

from __future__ import annotations

import csv
import io
import json
import struct

import pytest

from bot.cli import main
from factbot_testing import fake_telegram as tgf
from tests.harness import ADMIN_ID, FALSE_CLAIM_RU, Harness

USER_A, USER_B = 2101, 2102
SHORT = "Суджа освобождена"  # too short for a verdict: a 'possible' match
UNRELATED = "Рецепт борща: свёкла, капуста, картофель, морковь и лук, варить два часа"


def sends(calls: list[tgf.Call], method: str = "sendMessage") -> list[tgf.Call]:
    return [c for c in calls if c.method == method]


async def scripted_session(tg: Harness) -> None:
    cards = []
    for user in (USER_A, USER_A, USER_B):
        cards.append(sends(await tg.send(tgf.private_text(user, FALSE_CLAIM_RU)))[0])
    possible = sends(await tg.send(tgf.private_text(USER_B, SHORT)))[0]
    assert "may be related" in possible.params["text"]
    for user in (USER_A, USER_B):
        assert "nothing on this yet" in sends(await tg.send(tgf.private_text(user, UNRELATED)))[0].params["text"]
    await tg.press(cards[0], "👍")
    down = await tg.press(cards[1], "👎")
    reasons = next(c for c in down if c.method == "editMessageReplyMarkup")
    data = next(
        b["callback_data"]
        for row in reasons.params["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "Wrong claim"
    )
    await tg.send(tgf.callback(USER_A, data, message_id=cards[1].result["message_id"]))


async def test_every_report_agrees(
    tg: Harness, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await scripted_session(tg)

    stats_calls = await tg.send(tgf.command(ADMIN_ID, "/stats"))
    text = sends(stats_calls)[0].params["text"]
    today = text.split("<b>7 days</b>")[0]
    assert "Checks: 6 · users: 2" in today
    assert "Strong 3 (50%) · possible 1 (17%) · none 2 (33%)" in today
    assert "Feedback: 👍 1 · 👎 1" in today
    assert "1. kursk-no-foreign-help — 3" in text
    assert "×2 Рецепт борща" in text
    (photo,) = sends(stats_calls, "sendPhoto")
    png = photo.files["photo"].content
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width > 0 and height > 0

    logs = sends(await tg.send(tgf.command(ADMIN_ID, "/logs", args="20")))[0].params["text"]
    assert logs.startswith("<b>Latest 6 checks</b>")
    assert logs.count("kursk-no-foreign-help") == 3 and logs.count("no match") == 2

    (document,) = sends(await tg.send(tgf.command(ADMIN_ID, "/export")), "sendDocument")
    rows = list(csv.DictReader(io.StringIO(document.files["document"].content.decode("utf-8"))))
    assert len(rows) == 6
    assert sorted(r["result"] for r in rows) == ["none", "none", "possible", "strong", "strong", "strong"]
    assert sorted(r["feedback"] for r in rows) == ["", "", "", "", "down", "up"]

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("FACTBOT_SECRET", "test-secret")
    assert main(["stats", "--days", "1", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["checks"], figures["unique_users"]) == (6, 2)
    assert (figures["strong"], figures["possible"], figures["none"]) == (3, 1, 2)
    assert figures["feedback"] == {"up": 1, "down": 1}
    assert figures["top_claims"][0] == {"claim_id": "kursk-no-foreign-help", "count": 3}
    assert figures["queue"] == 0
    latencies = sorted(float(r["latency_ms"]) for r in rows)
    assert figures["latency_ms"]["p50"] == pytest.approx(latencies[2], abs=0.01)  # nearest rank: 3rd of 6
    assert figures["latency_ms"]["p95"] == pytest.approx(latencies[5], abs=0.01)

    assert main(["eval", "--feedback", "--json"]) == 0
    quality = json.loads(capsys.readouterr().out)["feedback"]
    assert (quality["judged"], quality["right"], quality["wrong"]) == (2, 1, 1)
    assert quality["p_at_1"] == 0.5 and quality["strong_wrong_share"] == 0.5


async def test_non_admins_are_refused(tg: Harness) -> None:
    for command in ("/stats", "/logs", "/export"):
        calls = await tg.send(tgf.command(USER_A, command))
        assert [c.params["text"] for c in sends(calls)] == ["Not allowed."]
        assert not sends(calls, "sendPhoto") and not sends(calls, "sendDocument")


async def test_admin_commands_with_bad_arguments(tg: Harness) -> None:
    (reply,) = sends(await tg.send(tgf.command(ADMIN_ID, "/logs", args="lots")))
    assert reply.params["text"].startswith("Usage: /logs [N]")
    (reply,) = sends(await tg.send(tgf.command(ADMIN_ID, "/export", args="yesterday")))
    assert reply.params["text"].startswith("Usage: /export [from] [to]")

"""`factbot run` as a real process, pointed by TELEGRAM_API_BASE_URL at a Bot API server on loopback."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from factbot_testing import fake_telegram as tgf
from tests.bot_api_server import (
    BotApiServer,
    Fault,
    connection_reset,
    first_reply_then_stop,
    server_error,
    start_factbot,
    too_many_requests,
    unhandled_in_inbox,
)

FORWARDED = (
    "‼️ Бойцы «Шквала» из 129-й бригады ТрО ВСУ — бывшие зэки из украинских колоний, им разрешили грабить "
    "и расстреливать мирных жителей Курской области. Подписывайтесь на канал!"
)
POSSIBLE = "Суджа освобождена"  # too short to state a verdict: at most 'possible'
UNKNOWN = "В Калуге открылся новый зоопарк, вход для детей бесплатный"


def test_run_answers_through_a_loopback_bot_api(tmp_path: Path) -> None:
    with BotApiServer() as api:
        api.push(
            tgf.forwarded_from_channel(
                2001,
                FORWARDED,
                channel_id=-1001234,
                channel_username="avc_group_example",
                channel_title="AVC Group",
                channel_message_id=5,
            ),
            tgf.private_text(2001, POSSIBLE),
            tgf.private_text(2001, UNKNOWN),
        )
        process = start_factbot(api, tmp_path / "run.sqlite3", FACTBOT_MATCH_PROCESS="on")
        try:
            sent = api.wait_for("sendMessage", 3, timeout=90)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        assert "Traceback" not in output
    # The checks were matched in worker processes, which stopped with the bot.
    workers = [int(pid) for pid in re.findall(r"matching in worker process (\d+)", output)]
    assert workers and process.pid not in workers
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "State:\tZ" in Path(f"/proc/{pid}/status").read_text()

    # Updates are handled concurrently, so replies may come in any order: pick them by what they answer.
    card = next(m for m in sent if "Unproven" in m["text"])
    possible = next(m for m in sent if "may be related" in m["text"])
    unknown = next(m for m in sent if "nothing on this yet" in m["text"])
    assert card["parse_mode"] == "HTML" and card["text"].startswith("❓ <b>Unproven</b>")
    assert "This channel has spread" in card["text"]
    assert possible["text"].startswith("We have no exact match, but this may be related to:")
    labels = [b["text"] for row in possible["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[-1] == "None of these" and len(labels) >= 2
    assert "has nothing on this yet" in unknown["text"]
    assert [b["text"] for row in unknown["reply_markup"]["inline_keyboard"] for b in row] == ["Send to moderators"]
    commands = api.sent("setMyCommands")
    assert {c.get("language_code") for c in commands} == {None, "uk", "ru"}


def test_run_with_an_unreachable_bot_api_is_one_clear_error(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # nothing listens on the discard port
        "DATABASE_URL": f"sqlite:///{(tmp_path / 'down.sqlite3').as_posix()}",
    }
    result = subprocess.run([sys.executable, "-m", "bot", "run"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("factbot: cannot reach the Telegram Bot API at http://127.0.0.1:9/bot")
    )
    assert "123:TEST" not in result.stderr


def test_an_update_the_library_cannot_read_is_skipped_once(tmp_path: Path) -> None:
    """A batch with an update python-telegram-bot cannot parse (its chat is a string), then a normal
    one: the normal one is answered, the bad one is logged once without its content, not retried."""
    unreadable = tgf.private_text(2001, "UNREADABLE-PRIVATE-TEXT")
    unreadable["message"]["chat"] = "not a chat"
    with BotApiServer() as api:
        api.push(unreadable, tgf.private_text(2002, UNKNOWN))
        process = start_factbot(api, tmp_path / "bad.sqlite3")
        try:
            (reply,) = api.wait_for("sendMessage", 1, timeout=90)
            time.sleep(1.0)  # a bot stuck on the batch would keep fetching it meanwhile
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
    assert reply["chat_id"] == 2002 and "nothing on this yet" in reply["text"]
    assert len(output) < 5_000, f"{len(output)} characters of log"
    assert output.count(f"skipped update {unreadable['update_id']}") == 1, output
    assert "UNREADABLE-PRIVATE-TEXT" not in output and "2001" not in output
    assert "Traceback" not in output
    fetches = len(api.sent("getUpdates"))
    assert fetches < 30, f"{fetches} getUpdates calls"


def test_a_slow_group_does_not_hold_up_private_chats(tmp_path: Path) -> None:
    """Telegram makes the bot wait before each reply in a busy group (here 1 s per message): the group's
    updates may take only a few of the concurrent handling slots, so a private check sent after ten
    group requests is answered before most of the group's replies, not behind them."""
    group = -100555
    asked = [tgf.group_text(group, 3100 + n, FORWARDED, mention_bot=True) for n in range(10)]
    with BotApiServer() as api:
        api.delays[group] = 1.0
        api.push(*asked, tgf.private_text(2001, UNKNOWN))
        process = start_factbot(api, tmp_path / "fair.sqlite3")
        try:
            api.wait_for("sendMessage", len(asked) + 1, timeout=120)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
    order = [int(p["chat_id"]) for p in api.sent()]
    assert sorted(order) == sorted([group] * len(asked) + [2001])
    assert order.index(2001) <= 2, order


def test_bot_api_faults_are_waited_out_and_every_update_answered_once(tmp_path: Path) -> None:
    """Telegram failing under the running bot: getUpdates and sendMessage answered with 429 (retry_after),
    500, 502, or a reset connection. The bot waits and retries; every update is answered exactly once."""
    users = [2101, 2102, 2103, 2104, 2105]
    with BotApiServer() as api:
        for method in ("getUpdates", "sendMessage"):
            for fault in (too_many_requests(1), server_error(500), server_error(502), connection_reset()):
                api.fail_next(method, fault)
        api.push(*(tgf.private_text(user, UNKNOWN) for user in users))
        process = start_factbot(api, tmp_path / "faults.sqlite3")
        try:
            api.wait_until(lambda: {int(m["chat_id"]) for m in api.sent()} >= set(users), 90)
            api.push(tgf.private_text(users[0], POSSIBLE))  # still fetching after all that
            api.wait_for("sendMessage", len(users) + 1, timeout=60)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        assert "Traceback" not in output
        assert len(api.failed) == 8, api.failed  # every injected fault was met
    assert sorted(int(m["chat_id"]) for m in api.sent()) == sorted([*users, users[0]])


def test_a_locked_database_does_not_stop_the_running_bot(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock. Every update is stored before it is handled, but the
    store must not wait out the lock with every update behind it: a newcomer's /start is answered
    while the lock is still held (handled from memory, acknowledged once handled)."""
    db = tmp_path / "locked.sqlite3"
    with BotApiServer() as api:
        process = start_factbot(api, db)
        try:
            api.push(tgf.command(2001, "/start"))
            api.wait_for("sendMessage", 1, timeout=90)
            api.wait_until(lambda: unhandled_in_inbox(db) == 0, 30)  # nothing of it is left to write
            holder = sqlite3.connect(db, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            try:
                api.push(tgf.command(2002, "/start", language_code="uk"))
                (_, reply) = api.wait_for("sendMessage", 2, timeout=10)  # the lock is held all along
            finally:
                holder.rollback()
                holder.close()
            api.push(tgf.private_text(2003, UNKNOWN))  # and it goes on normally once the lock is gone
            api.wait_for("sendMessage", 3, timeout=60)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        assert "Traceback" not in output
    assert reply["chat_id"] == 2002 and reply["text"].startswith("Вітаю!")


def test_a_passing_conflict_with_the_previous_process_is_waited_out(tmp_path: Path) -> None:
    """During a restart (a deploy) the old process may still hold its getUpdates when the new one starts:
    Telegram answers the new one 409 Conflict for a few seconds. That is waited out, not fatal."""
    conflict = Fault(
        409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
    )
    with BotApiServer() as api:
        api.fail_next("getUpdates", conflict, times=2)
        api.push(tgf.private_text(2001, UNKNOWN))
        reply, _output = first_reply_then_stop(api, start_factbot(api, tmp_path / "conflict.sqlite3"))
    assert reply["chat_id"] == 2001


def test_a_passing_bot_api_failure_at_start_is_retried(tmp_path: Path) -> None:
    """Telegram answering 502 or dropping the connection for a moment while the bot starts (a restart
    during a Telegram hiccup) is retried, not a crash; only a lasting failure is the one-line error."""
    with BotApiServer() as api:
        api.fail_next("getMe", server_error(502))
        api.fail_next("getMe", connection_reset())
        api.fail_next("deleteWebhook", server_error(500))
        api.push(tgf.private_text(2001, UNKNOWN))
        reply, _output = first_reply_then_stop(api, start_factbot(api, tmp_path / "start.sqlite3"))
    assert reply["chat_id"] == 2001

"""Kill the bot in the middle of work, restart it, and compare: nothing the user was told was saved is lost."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from bot.db.models import Feedback, Submission
from factbot_testing import fake_telegram as tgf
from tests.bot_api_server import BotApiServer, start_factbot, unhandled_in_inbox

USERS = list(range(5001, 5041))
UNKNOWN = "В Калуге открылся новый зоопарк номер {n}, вход для детей бесплатный"
FALSE_CLAIM_RU = "Россия освобождает Курскую область собственными силами, без какой-либо иностранной помощи"


def button(message: dict[str, Any], text: str) -> str:
    return next(
        b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row if text in b["text"]
    )


def confirmed(api: BotApiServer, needle: str) -> set[str]:
    """Callback ids the bot answered with a confirmation."""
    return {str(p["callback_query_id"]) for p in api.sent("answerCallbackQuery") if needle in str(p.get("text", ""))}


def test_kill_in_the_middle_loses_nothing_that_was_confirmed(tmp_path: Path) -> None:
    """SIGKILL while fetched updates are still being handled: after the restart every update is answered.
    At least once: an update whose handler had answered but was not yet marked handled is answered again."""
    db = tmp_path / "kill.sqlite3"
    with BotApiServer() as api:
        originals = {}
        for n, user in enumerate(USERS):
            originals[user] = tgf.private_text(user, UNKNOWN.format(n=n))
            api.push(originals[user], tgf.private_text(user, FALSE_CLAIM_RU))
        process = start_factbot(api, db, FACTBOT_RATE_LIMIT="1000")
        try:
            replies = api.wait_for("sendMessage", 2 * len(USERS))
            presses = []
            for user in USERS:
                mine = [m for m in replies if m["chat_id"] == user]
                offer = next(m for m in mine if "nothing on this yet" in m["text"])
                card = next(m for m in mine if m["text"].startswith("❌"))
                presses.append(
                    tgf.callback(
                        user,
                        button(offer, "Send to moderators"),
                        message_id=1,
                        reply_to_message=originals[user]["message"],
                    )
                )
                presses.append(tgf.callback(user, button(card, "👍"), message_id=2))
            api.push(*presses)
            api.wait_until(lambda: len(api.sent("answerCallbackQuery")) >= 10)
            process.send_signal(signal.SIGKILL)  # no chance to finish anything
            process.wait(timeout=30)
            told_before_kill = confirmed(api, "Sent to the moderators") | confirmed(api, "Thank you")
            assert told_before_kill, "the kill came before any confirmation"
            answered_before_kill = Counter(str(p["callback_query_id"]) for p in api.sent("answerCallbackQuery"))
            in_flight = unhandled_in_inbox(db)
            assert in_flight, "the kill came after every fetched update was handled"
            process = start_factbot(api, db, FACTBOT_RATE_LIMIT="1000")
            # Every update fetched before the kill was stored before Telegram was told it arrived:
            # the restarted bot replays those it had not handled, then goes on with new ones.
            press_ids = {str(p["callback_query"]["id"]) for p in presses}
            api.wait_until(lambda: press_ids <= {str(p["callback_query_id"]) for p in api.sent("answerCallbackQuery")})
            after = tgf.private_text(USERS[0], "после перезапуска: " + FALSE_CLAIM_RU)
            api.push(after)
            api.wait_until(lambda: any(m["chat_id"] == USERS[0] and m["text"].startswith("❌") for m in
                                       api.sent("sendMessage")[2 * len(USERS):]))  # fmt: skip
            # Everything pushed has been taken by the restarted bot; SIGTERM lets what it holds finish.
            pushed = [int(u["update_id"]) for u in (*originals.values(), *presses, after)]
            api.wait_until(lambda: api.all_updates_confirmed(pushed))
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, output
        assert "Traceback" not in output

    by_id = {p["callback_query"]["id"]: p["callback_query"] for p in presses}
    told_saved = {int(by_id[i]["from"]["id"]) for i in confirmed(api, "Sent to the moderators") if i in by_id}
    # The 👍 button's data is "fb:<check id>:u" plus a signature: the check each "thank you" was for.
    thanked_checks = {int(by_id[i]["data"].split(":")[1]) for i in confirmed(api, "Thank you") if i in by_id}
    engine = create_engine(f"sqlite:///{db.as_posix()}")
    with engine.connect() as conn:
        stored_users = list(conn.execute(select(Submission.user_id)).scalars())
        votes = {row.check_id: row.value for row in conn.execute(select(Feedback.check_id, Feedback.value))}
    engine.dispose()
    assert told_saved and thanked_checks
    # Everyone told "saved" has their submission, stored once; every "thank you" has its 👍 on that check.
    assert told_saved <= set(stored_users)
    assert len(stored_users) == len(set(stored_users))
    assert {check_id: votes.get(check_id) for check_id in thanked_checks} == dict.fromkeys(thanked_checks, "up")
    # Every press is answered; one answered twice was already answered before the kill (its handler
    # had replied but not yet been marked handled): delivery is at least once, never lost.
    answers = Counter(str(p["callback_query_id"]) for p in api.sent("answerCallbackQuery"))
    assert set(answers) >= press_ids
    twice = {i for i, n in answers.items() if n > 1}
    assert twice <= set(answered_before_kill), twice
    # At most those being handled at the kill (8 at a time) and those whose "handled" mark was being written.
    assert len(twice) <= 12, f"{len(twice)} presses answered twice"

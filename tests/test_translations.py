"""Translations end to end: cards in the reader's language, the database, kb import/export, ClaimReview."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.db import make_engine, make_sessionmaker, session_scope, upgrade
from bot.services import kb_store
from bot.services.claimreview import read_claimreview, write_claimreview
from factbot_testing import fake_telegram as tgf
from knowledge.loader import load
from knowledge.schema import Claim
from tests.harness import MOD_ID, USER_ID, Harness, add_moderator, make_harness
from tests.harness import OTHER_USER_ID as OTHER

KB = Path(__file__).parent / "data" / "translated_kb"
SUDZHA = "test-sudzha-recaptured"
MOD_POST_RU = (
    "Минобороны России: подразделения группировки войск «Север» в результате активных наступательных "
    "действий освободили населённый пункт Суджа Курской области."
)
NO_HELP_RU = "Россия освобождает Курскую область собственными силами, без какой-либо иностранной помощи"
LINK = '<a href="https://example.org/sudzha?a=1&amp;b=2">Statement &lt;one&gt; &amp; notes</a>'
# What a reader of each language must see on the Sudzha card, and what must not be there.
CARD = {
    "uk": {
        "labels": ["✅ <b>Правда</b>", "<b>Твердження:</b>", "<b>Джерела:</b>", "Дата запису: 2025-03-17"],
        "claim": "Російські війська відбили місто Суджа в Курській області",
        "summary": "Обидві сторони це підтвердили: Росія оголосила про взяття, а Генштаб ЗСУ підтвердив відхід.",
    },
    "ru": {
        "labels": ["✅ <b>Правда</b>", "<b>Утверждение:</b>", "<b>Источники:</b>", "Дата записи: 2025-03-17"],
        "claim": "Российские войска освободили город Суджа в Курской области",
        "summary": "Обе стороны это подтвердили: Россия объявила об освобождении, а Генштаб ВСУ подтвердил отход.",
    },
    "en": {
        "labels": ["✅ <b>True</b>", "<b>Claim:</b>", "<b>Sources:</b>", "Entry date: 2025-03-17"],
        "claim": "Russian forces recaptured the town of Sudzha in the Kursk region",
        "summary": "Both sides confirmed it: Russia announced the recapture and Ukraine&#x27;s General Staff confirmed",
    },
}


def by_id(claims: list[Claim]) -> dict[str, Claim]:
    return {c.id: c for c in claims}


def seed(db_url: str) -> None:
    """The test KB (and nothing else) in the database, so the bot does not seed the bundled one."""
    engine = make_engine(db_url)
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        kb_store.import_claims(session, load([KB]).claims)
    engine.dispose()


@pytest.fixture
async def bot(db_url: str) -> AsyncIterator[Harness]:
    seed(db_url)
    harness = make_harness(db_url)
    async with harness.app:
        yield harness
    harness.runtime.close()
    assert harness.errors == []


def assert_card_in(lang: str, card: str) -> None:
    expected = CARD[lang]
    for label in expected["labels"]:
        assert label in card, (lang, label)
    assert expected["claim"] in card and expected["summary"] in card
    assert LINK in card
    for other, texts in CARD.items():
        if other != lang:
            assert texts["claim"] not in card and texts["summary"] not in card, (lang, other)
            assert all(label not in card for label in texts["labels"] if label[:1] == "<"), (lang, other)
    # Nothing marks the card as an untranslated original: the reader got their own language.
    assert not re.search(r"<i>\([^)]*\)</i>", card)


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
async def test_forwarded_mod_post_gets_a_card_entirely_in_the_readers_language(bot: Harness, lang: str) -> None:
    calls = await bot.send(tgf.forwarded_from_channel(USER_ID, MOD_POST_RU, language_code=lang))
    (card,) = bot.texts(calls)
    assert_card_in(lang, card)
    assert CARD[lang]["claim"] in card.split("\n")[1]


async def test_untranslated_original_is_shown_marked_with_its_language(bot: Harness) -> None:
    (card,) = bot.texts(await bot.send(tgf.private_text(USER_ID, NO_HELP_RU, language_code="uk")))
    assert "<b>Твердження:</b> " + NO_HELP_RU + " <i>(російська)</i>" in card
    assert '<a href="https://example.org/dprk">Example report</a>' in card
    (card,) = bot.texts(await bot.send(tgf.private_text(USER_ID + 1, NO_HELP_RU, language_code="ru")))
    assert "<b>Утверждение:</b> " + NO_HELP_RU + "\n" in card  # a Russian reader reads the original unmarked


@pytest.mark.parametrize("lang", ["uk", "ru", "en"])
def test_factbot_check_lang_renders_the_card_in_that_language(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--kb", str(KB), "--lang", lang, MOD_POST_RU]) == 0
    out = capsys.readouterr().out
    expected = CARD[lang]
    assert expected["claim"] in out
    assert expected["summary"].replace("&#x27;", "'") in out
    assert "Statement <one> & notes (https://example.org/sudzha?a=1&b=2)" in out
    for other, texts in CARD.items():
        if other != lang:
            assert texts["claim"] not in out


def test_a_post_in_a_translations_language_matches_through_the_translation() -> None:
    from knowledge.matcher import Matcher

    claims = load([KB]).claims
    uk_post = "Російські війська відбили місто Суджа в Курській області, заявили в Москві"
    assert not any(v.lang == "uk" for c in claims for v in c.variants)
    matches = Matcher(claims).match(uk_post)
    assert [(m.claim_id, m.strength) for m in matches][:1] == [(SUDZHA, "strong")]


def test_kb_import_export_round_trips_translations(
    use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "import", str(KB)]) == 0
    assert capsys.readouterr().out.startswith("created 2, updated 0, unchanged 0")
    assert main(["kb", "import", str(KB)]) == 0
    assert capsys.readouterr().out.startswith("created 0, updated 0, unchanged 2")
    out = tmp_path / "export"
    assert main(["kb", "export", str(out)]) == 0
    exported = load([out])
    assert exported.errors == [] and by_id(exported.claims) == by_id(load([KB]).claims)
    assert dict(by_id(exported.claims)[SUDZHA].translations)["uk"].claim == CARD["uk"]["claim"]
    capsys.readouterr()
    assert main(["kb", "import", str(out)]) == 0
    assert capsys.readouterr().out.startswith("created 0, updated 0, unchanged 2")
    changed = tmp_path / "changed"
    changed.mkdir()
    text = (KB / "claims.yaml").read_text(encoding="utf-8").replace("відбили місто", "взяли місто")
    (changed / "claims.yaml").write_text(text, encoding="utf-8")
    assert main(["kb", "import", str(changed)]) == 0
    assert capsys.readouterr().out.startswith("created 0, updated 1, unchanged 1")


def test_claimreview_has_one_review_per_entry_and_language_and_round_trips(tmp_path: Path) -> None:
    claims = load([KB]).claims
    target = tmp_path / "reviews.json"
    write_claimreview(claims, target)
    reviews = json.loads(target.read_text(encoding="utf-8"))
    assert sorted((r["identifier"], r["inLanguage"]) for r in reviews) == [
        ("test-no-foreign-help", "ru"),
        (SUDZHA, "en"),
        (f"{SUDZHA}@ru", "ru"),
        (f"{SUDZHA}@uk", "uk"),
    ]
    uk = next(r for r in reviews if r["inLanguage"] == "uk")
    assert uk["claimReviewed"] == CARD["uk"]["claim"] and uk["reviewBody"] == CARD["uk"]["summary"]
    assert uk["translationOfWork"] == {"@type": "ClaimReview", "identifier": SUDZHA}
    assert uk["reviewRating"]["alternateName"] == "True" and uk["citation"][0]["url"].startswith("https://")
    again, problems = read_claimreview(target)
    assert problems == [] and again == claims


def test_claimreview_translation_problems_are_reported(tmp_path: Path) -> None:
    claims = load([KB]).claims
    target = tmp_path / "reviews.json"
    write_claimreview(claims, target)
    reviews = json.loads(target.read_text(encoding="utf-8"))
    orphan = dict(reviews[1], translationOfWork={"identifier": "nowhere"})
    twice = dict(reviews[2])
    target.write_text(json.dumps([*reviews, orphan, twice], ensure_ascii=False), encoding="utf-8")
    again, problems = read_claimreview(target)
    assert again == claims
    assert problems == [
        f"reviews.json: review 6: a second text in {reviews[2]['inLanguage']!r} for the same claim; skipped",
        "reviews.json: review 5: translates 'nowhere', which is not in the file; skipped",
    ]


def test_claimreview_cli_round_trip_changes_nothing(
    use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "import", str(KB)]) == 0
    target = tmp_path / "reviews.json"
    assert main(["kb", "export", "--format", "claimreview", str(target)]) == 0
    capsys.readouterr()
    assert main(["kb", "import", "--format", "claimreview", str(target)]) == 0
    assert capsys.readouterr().out.startswith("created 0, updated 0, unchanged 2")


# --- /translate in Telegram ---------------------------------------------------------------------------------

NO_HELP = "test-no-foreign-help"
UK_CLAIM = "Росія звільняє Курську область власними силами, без жодної іноземної допомоги"
UK_SUMMARY = "Північнокорейські військові брали участь у боях у Курській області."


@pytest.fixture
async def modbot(db_url: str) -> AsyncIterator[Harness]:
    """The bot as `factbot run` builds it (with the conversation persistence), the test KB and a moderator."""
    seed(db_url)
    harness = make_harness(db_url, persistent=True)
    async with harness.app:
        add_moderator(harness)
        yield harness
    harness.runtime.close()
    assert harness.errors == []


def stored(h: Harness, claim_id: str) -> Claim:
    with session_scope(h.runtime.sessions) as s:
        claim = kb_store.get_claim(s, claim_id)
    assert claim is not None
    return claim


def with_buttons(h: Harness, calls: list[tgf.Call]) -> tgf.Call:
    return [c for c in calls if c.method == "sendMessage" and c.params.get("reply_markup")][-1]


async def test_moderator_translates_an_entry_from_telegram(modbot: Harness) -> None:
    async def cmd(user_id: int, args: str) -> list[str]:
        return modbot.texts(await modbot.send(tgf.command(user_id, "/translate", args)))

    # Server-side role check: an ordinary user is refused and nothing starts.
    assert await cmd(USER_ID, f"{NO_HELP} uk") == ["Not allowed."]
    assert modbot.texts(await modbot.send(tgf.private_text(USER_ID, UK_CLAIM))) != []  # just a check, no step
    assert stored(modbot, NO_HELP).translations == ()
    usage = (
        "Usage: /translate &lt;claim id&gt; &lt;language code&gt;, for example /translate kursk-sudzha-recaptured uk"
    )
    assert await cmd(MOD_ID, NO_HELP) == [usage]
    assert await cmd(MOD_ID, f"{NO_HELP} ukrainian") == [usage]
    assert await cmd(MOD_ID, "no-such-claim uk") == ["There is no claim with the id «no-such-claim»."]
    assert await cmd(MOD_ID, f"{NO_HELP} ru") == [
        f"{NO_HELP} is written in Russian: change the original with /edit {NO_HELP}."
    ]

    assert await cmd(MOD_ID, f"{NO_HELP} uk") == [f"Send the claim in Ukrainian. The original (Russian):\n{NO_HELP_RU}"]
    asked = modbot.texts(await modbot.send(tgf.private_text(MOD_ID, UK_CLAIM)))
    assert asked == [
        "Send the summary in Ukrainian. The original (Russian):\n"
        "Северокорейские военные участвовали в боях в Курской области."
    ]
    preview = await modbot.send(tgf.private_text(MOD_ID, UK_SUMMARY))
    card = with_buttons(modbot, preview)
    assert card.params["text"].startswith("❌ <b>Неправда</b>\n<b>Твердження:</b> " + UK_CLAIM + "\n")
    assert UK_SUMMARY in card.params["text"] and "<i>(" not in card.params["text"]
    assert stored(modbot, NO_HELP).translations == ()  # nothing is saved before Save
    saved = modbot.texts(await modbot.press(card, "Save"))
    assert saved[-1] == f"Saved {NO_HELP} (changed: translations, updated)."
    translation = stored(modbot, NO_HELP).translation("uk")
    assert translation is not None and (translation.claim, translation.summary) == (UK_CLAIM, UK_SUMMARY)

    # Readers get it at once, and the change is in the audit log.
    (reader_card,) = modbot.texts(await modbot.send(tgf.private_text(OTHER, NO_HELP_RU, language_code="uk")))
    assert "<b>Твердження:</b> " + UK_CLAIM + "\n" in reader_card and UK_SUMMARY in reader_card
    history = modbot.texts(await modbot.send(tgf.command(MOD_ID, "/history", NO_HELP)))[0].splitlines()
    assert history[1].endswith(f" UTC · tg:{MOD_ID} · update · translations, updated")

    # Changing a translation shows the current text.
    asked = await cmd(MOD_ID, f"{SUDZHA} uk")
    assert asked[0].endswith("Current value:\n" + CARD["uk"]["claim"])


async def test_a_revoked_moderator_cannot_finish_a_translation(modbot: Harness) -> None:
    from bot.services import users

    await modbot.send(tgf.command(MOD_ID, "/translate", f"{NO_HELP} en"))
    await modbot.send(tgf.private_text(MOD_ID, "Russia is liberating Kursk region on its own"))
    with session_scope(modbot.runtime.sessions) as s:
        users.set_role(s, MOD_ID, "user")
    refused = modbot.texts(await modbot.send(tgf.private_text(MOD_ID, "North Korean troops fought there.")))
    assert refused == ["Not allowed."]
    assert stored(modbot, NO_HELP).translations == ()

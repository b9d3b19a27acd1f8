"""A post that says the claim's opposite in the claim's own terms is related at best: an opposite predicate,
the claim's negated word asserted, the opposite bound on one of its figures, the other side encircled, a
"не" before the other aspect of the claim's verb. The same words said the claim's way keep their card."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.consistency import check, claim_facts, text_facts
from knowledge.loader import load
from knowledge.matcher import Matcher
from knowledge.negation import denied_words, denies_a_claim_word, shares
from knowledge.normalize import normalize
from knowledge.opposites import opposes
from knowledge.schema import Claim

BUNDLED = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "claims"
ACCEPTED = ["Ukraine has accepted the US proposal for a 30-day ceasefire.",
            "Украина приняла предложение США о 30-дневном перемирии."]  # fmt: skip
NO_MERCY = ["In Kursk, Putin ordered that Ukrainian soldiers not be spared.",
            "Путин в Курске приказал не щадить украинских солдат"]  # fmt: skip
MERCENARIES = ["The Ukrainian soldiers fighting in the Kursk region are lawless mercenaries.",
               "На Курщині воюють не солдати, а наймані бандити"]  # fmt: skip
LOSSES = ["Ukraine lost more than 340 servicemen in the Kursk direction in a single day."]


def test_an_opposite_predicate_in_either_direction() -> None:
    assert opposes(ACCEPTED, "Ukraine refused the US proposal for a 30-day ceasefire.") == (
        "stance", "the post says the opposite (accepted)")  # fmt: skip
    assert opposes(ACCEPTED, "Украина отказалась от 30-дневного перемирия")
    refused = ["Ukraine has rejected the US proposal for a ceasefire."]
    assert opposes(refused, "Ukraine has accepted the US proposal for a ceasefire.")
    assert opposes(["Ukraine allows some convicts to serve in its army."], "Ukraine bans convicts from its army")
    assert opposes(["Ukrainian forces tried to strike the Kursk nuclear power plant."],
                   "Ukrainian forces tried to protect the Kursk nuclear power plant.")  # fmt: skip


def test_no_opposite_where_the_post_negates_it_or_says_the_claims_word_too() -> None:
    assert opposes(ACCEPTED, "Ukraine did not refuse the US proposal for a ceasefire.") is None
    assert opposes(ACCEPTED, "Russia refused the ceasefire that Ukraine accepted.") is None
    assert opposes(ACCEPTED, "Ukraine has accepted the US proposal for a 30-day ceasefire.") is None
    assert opposes(["Ukraine allows some convicts to serve in its army."], "Ukraine's bank bans nothing") is None


def test_the_claims_negated_word_asserted() -> None:
    assert opposes(NO_MERCY, "Putin ordered that the Ukrainian soldiers in Kursk be spared.") == (
        "stance", "the post asserts what the claim denies")  # fmt: skip
    assert opposes(NO_MERCY, "Путин приказал щадить украинских солдат")
    assert opposes(NO_MERCY, "Путин приказал не щадить украинских солдат") is None  # the claim's own "не"
    assert opposes(NO_MERCY, "Putin: not one Ukrainian soldier will be spared") is None  # a negation in the sentence
    # "не солдати, а найманці": the claim sets the word against another; a post saying "soldiers" agrees.
    assert opposes(MERCENARIES, "Українські солдати на Курщині — безправні найманці") is None


def test_words_of_other_senses_are_no_opposites() -> None:
    recaptured = ["Russian forces have recaptured the town of Sudzha.", "Российские войска вернули Суджу"]
    assert opposes(recaptured, "Russian forces recaptured Sudzha; evacuated residents are still waiting.") is None
    encircled = ["Thousands of Ukrainian troops are completely surrounded by the Russian military"]
    assert opposes(encircled, "Ukrainian troops are surrounded in Kursk; their withdrawal has stalled.") is None
    assert opposes(["Ukrainian forces tried to strike the Kursk nuclear power plant."],
                   "Ukrainian forces tried to strike the plant, the Russian National Guard said.") is None  # fmt: skip
    assert opposes(ACCEPTED, "It is false that Ukraine rejected the US proposal for a ceasefire.") is None
    assert opposes(NO_MERCY, "Путін у Курську віддав наказ щодо українських солдатів.") is None  # щадити / щодо


def test_the_opposite_bound_on_the_same_figure() -> None:
    assert opposes(LOSSES, "Украина потеряла менее 340 военнослужащих за сутки") == (
        "figures", "figures: less than 340, not more than 340")  # fmt: skip
    assert opposes(LOSSES, "Ukraine lost fewer than 340 servicemen in a day")
    assert opposes(LOSSES, "ВСУ потеряли не более 340 военнослужащих")
    assert opposes(LOSSES, "ВСУ потеряли более 340 военнослужащих") is None
    assert opposes(LOSSES, "ВСУ потеряли не менее 340 военнослужащих") is None  # "at least": the claim's side
    assert opposes(LOSSES, "Ukraine lost no fewer than 340 servicemen") is None
    assert opposes(LOSSES, "Ukraine lost no more than 340 servicemen")
    assert opposes(LOSSES, "ВСУ потеряли менее чем 340 военнослужащих")
    assert opposes(LOSSES, "ЗСУ втратили не менше ніж 340 військових") is None
    assert opposes(LOSSES, "Ukraine lost less than 500 servicemen") is None  # another figure: not this check's


def test_another_count_before_the_same_word() -> None:
    captured = ["Ukraine has captured two North Korean soldiers in Russia's Kursk region.",
                "Україна взяла в полон двох північнокорейських солдатів у Курській області Росії."]  # fmt: skip
    assert opposes(captured, "Ukraine has captured two hundred North Korean soldiers") == (
        "figures", "figures differ: 200 vs 2")  # fmt: skip
    assert opposes(captured, "Україна взяла в полон 200 північнокорейських солдатів")
    assert opposes(captured, "Ukraine captured 2 North Korean soldiers") is None
    assert opposes(captured, "Ukraine captured 2 North Korean soldiers; 200 North Korean soldiers died") is None
    assert opposes(captured, "Ukraine captured two North Korean soldiers in January 2025") is None


def test_a_not_before_the_other_aspect_of_the_claims_verb() -> None:
    blown_up = ["Українські військові, відступаючи, підірвали газовимірювальну станцію в Суджі"]
    assert denies_a_claim_word(blown_up, denied_words(normalize("ЗСУ не підривали станцію в Суджі")))
    assert shares("vzriva", {"vzorv", "vzorva"})  # взрывали / взорвали
    assert not shares("pidtrim", {"pidtverd"})  # підтримали / підтвердили: other consonants
    assert not shares("vivod", {"vivest"})
    assert not shares("schad", {"schod"}) and not shares("spared", {"spread"})  # щадить / щодо: no prefix


def test_who_is_encircled() -> None:
    assert text_facts("ВСУ замкнули котёл: тысячи российских солдат в окружении").encircled == {"russia"}
    assert text_facts("Thousands of Ukrainian troops are encircled by Russian forces").encircled == {"ukraine"}
    assert text_facts("Тисячі бійців ЗСУ потрапили в котел на Курщині").encircled == {"ukraine"}
    # The encircling side's own verb or noun: the side after it is the encircled one.
    assert text_facts("Russian forces have surrounded thousands of Ukrainian troops").encircled == {"ukraine"}
    assert text_facts("Russian forces encircled thousands of Ukrainian troops").encircled == {"ukraine"}
    assert text_facts("Российская армия завершает окружение группировки ВСУ").encircled == {"ukraine"}
    assert text_facts("Путин пообещал пощадить окружённых украинских военных").encircled == {"ukraine"}
    assert text_facts("ВСУ замкнули котёл под Курском").encircled == frozenset()


@pytest.fixture(scope="module")
def bundled() -> Matcher:
    return Matcher(load([BUNDLED]).claims)


def _checked(entry: Claim, post: str) -> tuple[str, ...]:
    return tuple(text for _kind, text in check(claim_facts(entry), text_facts(post), entry, post).conflicts)


@pytest.mark.parametrize(
    ("post", "claim_id", "why"),
    [
        ("ВСУ замкнули котёл: тысячи российских солдат в окружении в Курской области.", "kursk-ukrainians-encircled",
         "Russia encircled, not Ukraine"),
        ("Thousands of Russian troops are encircled by Ukrainian forces in the Kursk region.",
         "kursk-ukrainians-encircled", "Russia encircled"),
        ("Українські військові не підривали газовимірювальну станцію в Суджі.", "kursk-sudzha-gas-station-blown-up",
         "denies"),
        ("Ukraine refused the US proposal for a 30-day ceasefire.", "kursk-ukraine-accepted-truce", "opposite"),
        ("Putin ordered that the Ukrainian soldiers in Kursk be spared.", "kursk-putin-ordered-no-mercy", "asserts"),
        ("Ukraine forbids convicts from serving in its army in exchange for parole.",
         "kursk-ukraine-convict-parole-law", "opposite"),
        ("Украина потеряла менее 340 военнослужащих на курском направлении за сутки, по данным Минобороны России.",
         "kursk-340-killed-one-day", "less than 340"),
        ("Ukrainian forces tried to protect the Kursk nuclear power plant.", "kursk-nuclear-plant-attack", "opposite"),
        ("Russian troops withdrew from Sudzha under Ukrainian fire.", "kursk-sudzha-recaptured", "Russia gives way"),
        ("Российские войска отступили из Суджи.", "kursk-sudzha-recaptured", "Russia gives way"),
        ("Ukraine's Kursk incursion achieved everything it set out to do.", "kursk-incursion-achieved-nothing",
         "asserts"),
        ("Russian forces failed to recapture Sudzha.", "kursk-sudzha-recaptured", "denies"),
        ("Росія не звільнила Суджу: місто досі під контролем ЗСУ.", "kursk-sudzha-recaptured", "denies"),
        ("Ukraine has captured two hundred North Korean soldiers in Russia's Kursk region.", "kursk-north-korean-pows",
         "200 vs 2"),
    ],
)  # fmt: skip
def test_the_claims_opposite_is_never_strong(bundled: Matcher, post: str, claim_id: str, why: str) -> None:
    listed = {m.claim_id: m for m in bundled.match(post)}
    assert claim_id in listed and listed[claim_id].strength == "possible", listed
    assert why in listed[claim_id].reason, listed[claim_id].reason
    entry = bundled.get(claim_id)
    assert entry is not None and any(why in text for text in _checked(entry, post))


@pytest.mark.parametrize(
    ("post", "claim_id"),
    [
        ("Более 340 военнослужащих ВСУ потеряли за сутки на курском направлении — Минобороны России.",
         "kursk-340-killed-one-day"),
        ("Russian forces have surrounded thousands of Ukrainian troops in the Kursk region.",
         "kursk-ukrainians-encircled"),
        ("Українські військові, відступаючи, навмисно підірвали газовимірювальну станцію в Суджі.",
         "kursk-sudzha-gas-station-blown-up"),
        ("Ukraine has accepted the American proposal of a 30-day ceasefire, Kyiv says; Moscow has not yet responded.",
         "kursk-ukraine-accepted-truce"),
        ("Украина разрешила части заключённых служить в армии в обмен на условно-досрочное освобождение.",
         "kursk-ukraine-convict-parole-law"),
        ("Російські війська змогли відбити Суджу, вибивши звідти українські війська.", "kursk-sudzha-recaptured"),
        ("Russian forces encircled thousands of Ukrainian troops in the Kursk region.", "kursk-ukrainians-encircled"),
        ("ВСУ отступили из Суджи, потеряв более 340 военнослужащих за сутки.", "kursk-340-killed-one-day"),
        ("Ukrainian troops withdrew from Sudzha; Russian forces have recaptured the town.", "kursk-sudzha-recaptured"),
        ("North Korean troops fled the Kursk region after heavy losses.", "kursk-nk-heavy-losses"),
        # A second review's agreeing posts: the side gave way before and now advances, parole is no liberation,
        # "двоих" is two, and a "not" taken back by the post's own "strike".
        ("Russia lost Sudzha in August 2024, but Russian forces have now recaptured the town.",
         "kursk-sudzha-recaptured"),
        ("Верховна Рада ухвалила закон про мобілізацію засуджених з умовно-достроковим звільненням; українські війська "
         "відступають.", "kursk-ukraine-convict-parole-law"),
        ("ВСУ взяли в плен двоих северокорейских военных из 11 000 северокорейских военных в Курской области.",
         "kursk-north-korean-pows"),
        ("Ukraine attempted a drone strike on the Kursk nuclear power plant; the drone was downed and did not target "
         "the reactor itself.", "kursk-nuclear-plant-attack"),
    ],
)  # fmt: skip
def test_the_claim_said_its_own_way_keeps_its_card(bundled: Matcher, post: str, claim_id: str) -> None:
    res = bundled.match(post)
    assert res and res[0].claim_id == claim_id and res[0].strength == "strong", res

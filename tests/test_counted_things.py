"""A figure is what it counts: "340 беспилотников" is not the claim's "340 военнослужащих", and "1,000 square miles"
is not "1,000 square kilometres". Such a post is related at best; a post that counts the claim's thing, or does not
say what its figure counts, keeps its card."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from knowledge.consistency import check, claim_facts, text_facts
from knowledge.figures import other_things, periods, read_figures
from knowledge.loader import load
from knowledge.matcher import Matcher
from knowledge.normalize import normalize
from knowledge.normalize.text import TERM_RE
from knowledge.schema import Claim

BUNDLED = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "claims"


@cache
def _matcher() -> Matcher:
    return Matcher(load([BUNDLED]).claims)


def _counted(text: str) -> set[tuple[float, str]]:
    words = TERM_RE.findall(normalize(text))
    return set(read_figures(words)[2])


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("ВСУ потеряли 340 беспилотников", {(340.0, "drones")}),
        ("340 российских военнослужащих", {(340.0, "military")}),
        ("600 North Korean troops", {(600.0, "military")}),
        ("340 мирных жителей", {(340.0, "civilians")}),
        ("эвакуировали 120 тысяч людей", {(120000.0, "people")}),
        ("120,000 tonnes of grain", {(120000.0, "tonnes")}),
        ("67 150 снарядів", {(67150.0, "munitions")}),
        ("1000 кв. км", {(1000.0, "square kilometres")}),
        ("1,000 square miles", {(1000.0, "square miles")}),
        ("1 000 гектаров", {(1000.0, "hectares")}),
        ("392 танка и 2428 автомобилей", {(392.0, "armour"), (2428.0, "vehicles")}),
        # The figure's own phrase does not say: "in a drone attack" is not what 340 counts.
        ("lost 340 in a drone attack", {(340.0, "")}),
        ("потеряли 340 за сутки", {(340.0, "")}),
        ("340 единиц военной техники", {(340.0, "")}),
    ],
)
def test_what_a_figure_counts(text: str, want: set[tuple[float, str]]) -> None:
    assert _counted(text) == want


def test_other_things_needs_both_to_say_and_none_to_agree() -> None:
    claim = frozenset({(340.0, "military")})
    assert other_things(claim, frozenset({(340.0, "drones")}), 0.03) == (340.0, "drones", "military")
    assert other_things(claim, frozenset({(340.0, "military")}), 0.03) is None
    assert other_things(claim, frozenset({(340.0, "civilians")}), 0.03) == (340.0, "civilians", "military")
    # "340 people", "340 killed" may be soldiers: no conflict either way.
    assert other_things(claim, frozenset({(340.0, "people")}), 0.03) is None
    assert other_things(frozenset({(340.0, "people")}), frozenset({(340.0, "military")}), 0.03) is None
    # A claim that says "people" in one wording and "soldiers" in another is about soldiers.
    both = frozenset({(340.0, "people"), (340.0, "military")})
    assert other_things(both, frozenset({(340.0, "civilians")}), 0.03) == (340.0, "civilians", "military")
    assert other_things(claim, frozenset({(340.0, "")}), 0.03) is None  # the post does not say
    assert other_things(frozenset({(340.0, "")}), frozenset({(340.0, "drones")}), 0.03) is None
    assert other_things(claim, frozenset({(1200.0, "drones")}), 0.03) is None  # not a shared figure
    # Another shared figure that counts the same thing: the post is about the claim's report.
    report = frozenset({(67150.0, "people"), (392.0, "armour")})
    assert other_things(report, frozenset({(67150.0, "munitions"), (392.0, "armour")}), 0.03) is None


def test_the_conflict_is_the_cards_reason() -> None:
    claim = Claim("t-340", "Ukraine lost 340 servicemen in the Kursk region in one day.", "false", "s", ())
    result = check(claim_facts(claim), text_facts("Ukraine lost 340 drones in the Kursk region in one day."))
    assert ("figures", "340 drones, not 340 soldiers") in result.conflicts
    agreeing = check(claim_facts(claim), text_facts("Ukraine lost 340 soldiers in the Kursk region in one day."))
    assert agreeing.agrees_on("figures") and not agreeing.conflicts_on("figures")


@pytest.mark.parametrize(
    ("post", "claim_id"),
    [
        ("Минобороны: за сутки ВСУ потеряли 340 беспилотников в Курской области", "kursk-340-killed-one-day"),
        ("Ukraine now holds 1,000 square miles of the Kursk region", "kursk-ukraine-1000-km2"),
        ("ВСУ удерживают 1000 гектаров Курской области", "kursk-ukraine-1000-km2"),
    ],
)
def test_a_post_that_counts_other_things_gets_no_verdict(post: str, claim_id: str) -> None:
    found = {m.claim.id: m for m in _matcher().match(post)}
    assert claim_id in found  # still related: the same figure in the same place
    assert found[claim_id].strength == "possible"
    assert "not" in found[claim_id].reason


@pytest.mark.parametrize(
    ("post", "claim_id"),
    [
        ("В Курской области ВСУ потеряли 340 военнослужащих за сутки", "kursk-340-killed-one-day"),
        ("ВСУ потеряли в Курской области 67 150 военнослужащих и 392 танка", "kursk-mod-losses-67150"),
        ("ЗСУ контролюють 1000 кв. км Курської області", "kursk-ukraine-1000-km2"),
    ],
)
def test_a_post_that_counts_the_claims_things_keeps_its_card(post: str, claim_id: str) -> None:
    top = _matcher().match(post)[0]
    assert (top.claim.id, top.strength) == (claim_id, "strong")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("340 killed over the whole of 2024", {"year"}),
        ("за 2024 год ВСУ потеряли", {"year"}),
        ("340 в год", {"year"}),
        ("щомісяця", {"month"}),
        ("за сутки", {"day"}),
        # When, not how long.
        ("6 августа 2024 года", set()),
        ("earlier this year", set()),
    ],
)
def test_the_period_a_figure_is_counted_over(text: str, want: set[str]) -> None:
    assert set(periods(TERM_RE.findall(normalize(text)))) == want


@pytest.mark.parametrize(
    "post",
    [
        "Ukraine lost 340 soldiers in the Kursk region over the whole of 2024",
        "За 2024 год ВСУ потеряли в Курской области 340 военнослужащих",
    ],
)
def test_the_claims_figure_over_a_year_is_not_its_day(post: str) -> None:
    found = {m.claim.id: m for m in _matcher().match(post)}
    assert found["kursk-340-killed-one-day"].strength == "possible"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("340 военнопленных", {(340.0, "prisoners")}),
        ("вывезли 120 тысяч заключённых", {(120000.0, "prisoners")}),
        ("евакуювали 120 тисяч голів худоби", {(120000.0, "livestock")}),
        ("о 30-часовом прекращении огня", {(30.0, "hours")}),
        ("30-денне перемир'я", {(30.0, "days")}),
    ],
)
def test_prisoners_livestock_and_the_length_of_a_truce(text: str, want: set[tuple[float, str]]) -> None:
    assert _counted(text) == want


@pytest.mark.parametrize(
    ("post", "claim_id"),
    [
        ("Путин предложил Украине 30-часовое прекращение огня", "kursk-ukraine-accepted-truce"),
        ("За сутки из плена вернулись 340 военнопленных с курского направления", "kursk-340-killed-one-day"),
        ("За весь март ВСУ потеряли в Курской области более 340 военнослужащих", "kursk-340-killed-one-day"),
    ],
)
def test_other_things_and_periods_in_the_claims_words(post: str, claim_id: str) -> None:
    found = {m.claim.id: m for m in _matcher().match(post)}
    assert claim_id not in found or found[claim_id].strength == "possible"


def test_a_sides_people_are_soldiers_civilians_or_either() -> None:
    assert text_facts("Украина взяла в плен двух северокорейских журналистов").people == (("north-korea", "civilians"),)
    assert text_facts("North Korean construction workers suffered losses").people == (("north-korea", "civilians"),)
    assert text_facts("Ukraine has captured two North Korean soldiers").people == (("north-korea", "military"),)
    # A prisoner of war is a soldier here.
    assert text_facts("двое северокорейских военнопленных").people == (("north-korea", "military"),)


@pytest.mark.parametrize(
    ("post", "claim_id"),
    [
        ("Украина взяла в плен двух северокорейских журналистов в Курской области", "kursk-north-korean-pows"),
        ("Ukraine has captured two North Korean engineers in Russia's Kursk region", "kursk-north-korean-pows"),
        ("North Korean construction workers in the Kursk region have suffered heavy losses", "kursk-nk-heavy-losses"),
    ],
)
def test_other_people_of_the_claims_side_get_no_verdict(post: str, claim_id: str) -> None:
    found = {m.claim.id: m for m in _matcher().match(post)}
    assert claim_id not in found or found[claim_id].strength == "possible"


def test_the_claims_people_said_another_way_keep_the_card() -> None:
    top = _matcher().match("ЗСУ взяли в полон двох північнокорейських військових на Курщині")[0]
    assert (top.claim.id, top.strength) == ("kursk-north-korean-pows", "strong")


@pytest.mark.parametrize(
    ("post", "claim_id"),
    [
        # The figure's own period ("за последние 24 часа") is the post's, whatever else it compares with.
        (
            "Минобороны: за последние 24 часа потери ВСУ в Курской области превысили 340 человек — это максимум за "
            "несколько недель",
            "kursk-340-killed-one-day",
        ),
        ("После нескольких недель давления Киев принял предложение США о 30-дневном прекращении огня",
         "kursk-ukraine-accepted-truce"),
        ("Nearly a year after the incursion began, Russia's MoD says Ukraine lost more than 340 servicemen in the "
         "Kursk region in the past 24 hours", "kursk-340-killed-one-day"),
        # "головорезов" are no heads of cattle.
        ("ВСУ за сутки потеряли в Курской области 340 головорезов — сводка Минобороны России",
         "kursk-340-killed-one-day"),
        # A shared figure that may count the claim's thing: the other count is another matter.
        ("Минобороны: за сутки в Курской области противник потерял свыше 340 ВСУшников, сбиты 24 беспилотника",
         "kursk-340-killed-one-day"),
        # A headline of a side's losses: that side is the claim's subject.
        ("600 North Korean soldiers killed by Ukrainian forces in Kursk, 4,700 casualties in total, Seoul's spy "
         "agency says", "kursk-nk-heavy-losses"),
    ],
)
def test_what_the_review_of_these_rules_found_keeps_its_card(post: str, claim_id: str) -> None:
    top = _matcher().match(post)[0]
    assert (top.claim.id, top.strength) == (claim_id, "strong")


def test_a_plural_period_is_one_only_after_a_figure() -> None:
    assert periods(TERM_RE.findall(normalize("за два тижні"))) == {"week"}
    assert periods(TERM_RE.findall(normalize("максимум за несколько недель"))) == frozenset()
    assert periods(TERM_RE.findall(normalize("за последние 24 часа")), ((24.0, "hours"),)) == {"day"}

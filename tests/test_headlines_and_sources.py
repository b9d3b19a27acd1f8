"""Whose deed and whose report a short post names: a headline's passive without its "be" ("soldiers captured by
Ukrainian forces"), an agency's report that opens "NIS: North Korea has ...", and "war crimes", which is no
Crimea."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from knowledge.consistency import text_facts
from knowledge.loader import load
from knowledge.matcher import Matcher

BUNDLED = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "claims"


@cache
def _matcher() -> Matcher:
    return Matcher(load([BUNDLED]).claims)


def test_a_headline_passive_names_its_agent_as_the_side_that_acts() -> None:
    facts = text_facts("Two North Korean soldiers captured alive by Ukrainian forces in Russia's Kursk region")
    assert facts.subjects == {"ukraine"}
    assert text_facts("Sudzha liberated by Russian troops").direct_subjects == {"russia"}
    # Sides that help act too: "backed by" is no passive of a deed done to a side.
    assert text_facts("Russian troops backed by North Korean soldiers recaptured Sudzha").subjects == {"russia"}


def test_a_report_that_opens_with_its_source_does_not_lend_it_the_next_side() -> None:
    facts = text_facts("NIS: North Korea has suffered about 4,700 casualties in Kursk, some 600 of them killed")
    assert "north-korea" not in facts.sources
    assert text_facts("Минобороны: ВСУ потеряли 340 военнослужащих").sources == {"russia"}
    assert text_facts("Генштаб ЗСУ: росіяни втратили 1000 солдатів").sources == {"ukraine"}


def test_war_crimes_are_no_place() -> None:
    assert text_facts("Shkval fighters committed war crimes in Donetsk").places == {"donetsk"}
    assert text_facts("crimes against humanity").places == frozenset()
    assert text_facts("the Crimean bridge").places == {"crimea"}


@pytest.mark.parametrize(
    ("post", "claim_id"),
    [
        ("Two North Korean soldiers captured alive by Ukrainian forces in Russia's Kursk", "kursk-north-korean-pows"),
        ("NIS: North Korea has suffered about 4,700 casualties in Kursk, 600 of them killed", "kursk-nk-heavy-losses"),
    ],
)
def test_the_claim_said_as_a_headline_or_an_agencys_report_keeps_its_card(post: str, claim_id: str) -> None:
    top = _matcher().match(post)[0]
    assert (top.claim.id, top.strength) == (claim_id, "strong")


def test_a_date_the_post_writes_comes_before_the_forwards() -> None:
    """A forward's date says when it was posted; a date in its text, what it is about."""
    from datetime import date

    post = "Ukraine stopped Russian gas transit through the Sudzha metering station on 1 January 2025"
    for posted in (None, date(2024, 6, 14), date(2025, 3, 9)):
        found = {m.claim.id: m for m in _matcher().match(post, posted=posted)}
        assert found.get("kursk-sudzha-gas-station-blown-up") is None or (
            found["kursk-sudzha-gas-station-blown-up"].strength == "possible"
        ), posted

"""Figures written in words are figures: "триста", "три тисячі чотириста", "две дюжины", "thirty-four", "тридцятиденне".
A unit alone, "тысячи людей", "dozens" and a date's ordinal stay words."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from knowledge.loader import load
from knowledge.matcher import Matcher
from knowledge.normalize import normalize
from knowledge.normalize.numwords import numbers_in_words

BUNDLED = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "claims"


@cache
def _matcher() -> Matcher:
    return Matcher(load([BUNDLED]).claims)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("потеряли триста сорок военнослужащих", "потеряли 340 военнослужащих"),
        ("три тисячі чотириста військових", "3400 військових"),
        ("сто двадцать тысяч человек", "120 тысяч человек"),  # as channels write it
        ("две дюжины военнослужащих", "24 военнослужащих"),
        ("a dozen north korean soldiers", "12 north korean soldiers"),
        ("thirty-four servicemen", "34 servicemen"),
        ("a ninety-day ceasefire", "a 90-day ceasefire"),
        ("тридцятиденне перемир'я", "30 денне перемир'я"),
        ("сорок-пятьдесят", "40-50"),  # a range, not ninety
        # No figure: a unit alone, vague plurals, a date's ordinal, a word that starts like a number.
        ("две стороны", "две стороны"),
        ("тысячи людей", "тысячи людей"),
        ("сотни людей", "сотни людей"),
        ("dozens of soldiers", "dozens of soldiers"),
        ("несколько десятков", "несколько десятков"),
        ("в две тысячи двадцать четвертом году", "в две тысячи двадцать четвертом году"),
        ("сім'я", "сім'я"),
        ("one of them", "one of them"),
    ],
)
def test_numbers_in_words(text: str, want: str) -> None:
    assert numbers_in_words(text) == want
    assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize(
    "post",
    [
        "Минобороны: за сутки ВСУ на курском направлении потеряли триста военнослужащих",
        "За добу ЗСУ на Курщині втратили три тисячі чотириста військових",
        "Russian MoD: Ukraine lost thirty-four servicemen in the Kursk region in a single day",
    ],
)
def test_another_figure_in_words_gets_no_verdict(post: str) -> None:
    found = {m.claim.id: m for m in _matcher().match(post)}
    assert "kursk-340-killed-one-day" not in found or found["kursk-340-killed-one-day"].strength == "possible"


def test_the_claims_figure_in_words_keeps_its_card() -> None:
    top = _matcher().match("Минобороны: за сутки ВСУ в Курской области потеряли триста сорок военнослужащих")[0]
    assert (top.claim.id, top.strength) == ("kursk-340-killed-one-day", "strong")

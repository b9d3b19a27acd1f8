"""A plain "not" before one of the claim's own words denies the claim; a "not" of a modal, an order, a
contrast or a quantity does not, nor one the claim itself has."""

from __future__ import annotations

from knowledge.negation import denied_words, denies_a_claim_word
from knowledge.normalize import normalize

DEMANDS = ["Russia demands that Ukraine withdraw its troops as a condition for a ceasefire.",
           "Росія вимагає виведення українських військ як умови припинення вогню."]  # fmt: skip
NO_MERCY = ["In Kursk, Putin ordered that Ukrainian soldiers not be spared.",
            "Путин приказал не щадить украинских военных в Курской области."]  # fmt: skip


def denies(claim: list[str], post: str) -> bool:
    return denies_a_claim_word(claim, denied_words(normalize(post)))


def test_a_not_before_the_claims_verb_denies_it() -> None:
    assert denies(DEMANDS, "Росія не вимагає виведення українських військ")
    assert denies(DEMANDS, "Russia does not demand that Ukraine withdraw")
    assert denies(DEMANDS, "Russia doesn't demand a withdrawal")
    liberation = ["The liberation of the Kursk region is about to be completed."]
    assert denies(liberation, "The liberation of the Kursk region is far from complete.")
    assert not denies(liberation, "Far from Moscow, the liberation of the Kursk region is completed.")


def test_other_nots_do_not() -> None:
    assert not denies(DEMANDS, "Russia demands that Ukraine withdraw its troops")
    assert not denies(DEMANDS, "Ukraine should not withdraw, Russia demands it")  # a modal
    assert not denies(DEMANDS, "Do not withdraw! Russia demands a retreat")  # an order
    assert not denies(DEMANDS, "Russia demands a withdrawal, not a ceasefire")  # a contrast
    assert not denies(DEMANDS, "Russia demands not only that Ukraine withdraw")  # a quantity
    assert not denies(NO_MERCY, "Путин приказал не щадить украинских солдат")  # the claim's own "не"
    assert not denies(DEMANDS, "Зеленський не поїхав до Москви")  # a word the claim does not have

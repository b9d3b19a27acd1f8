"""Ids made from a claim's text: one rule for /add and for ClaimReview import."""

from __future__ import annotations

from knowledge.schema import ID_RE, claim_id_from_text, free_id


def test_an_id_is_whole_transliterated_words_within_the_limit() -> None:
    claim_id = claim_id_from_text("Зеленский купил две яхты за 75 миллионов долларов на деньги помощи", limit=40)
    assert claim_id == "zelenskii-kupil-dve-jahti-za-75"
    assert ID_RE.match(claim_id)


def test_a_long_first_word_is_cut_and_a_text_without_letters_gets_a_stable_hash() -> None:
    assert claim_id_from_text("y" * 100, limit=10) == "y" * 10
    emoji = claim_id_from_text("🔥🔥🔥")
    assert emoji.startswith("claim-") and ID_RE.match(emoji)
    assert claim_id_from_text("🔥🔥🔥") == emoji != claim_id_from_text("🔥")


def test_a_taken_id_gets_the_next_free_number() -> None:
    assert free_id("same", set()) == "same"
    assert free_id("same", {"same", "same-2"}) == "same-3"

"""Typos in Cyrillic posts: an unknown word is read as the known stem one edit away."""

from __future__ import annotations

from knowledge.matcher import Matcher
from knowledge.normalize import normalize
from knowledge.normalize.spelling import Speller, compound_splits, one_edit, unglued
from knowledge.normalize.terms import PREFIX_LEN, words_and_terms
from knowledge.schema import Claim, Source


def test_one_edit() -> None:
    assert one_edit("oblast", "obast")  # dropped
    assert one_edit("obast", "oblast")  # added
    assert one_edit("osvobod", "osvodod")  # replaced
    assert one_edit("kontrataki", "kontartaki")  # swapped
    assert not one_edit("oblast", "oblast")
    assert not one_edit("oblast", "obas")


def test_speller_reads_unknown_cyrillic_words_only() -> None:
    speller = Speller()
    speller.sync(["oblast", "kursk", "naemnik"])
    known = {"oblast", "kursk", "naemnik"}
    groups = speller.spelled(words_and_terms(normalize("курскую обасть наемнеки")), known, PREFIX_LEN)
    assert [g[0] for g in groups] == ["kursk", "oblast", "naemnik"]
    # An English typo is read as the known stem too (no prefix term); a word one edit from nothing known
    # is read as written.
    assert speller.spelled([("obast", ("obast",))], known, PREFIX_LEN) == [("oblast",)]
    assert speller.spelled([("zzzzzz", ("zzzzzz",))], known, PREFIX_LEN) == [("zzzzzz",)]
    assert speller.near("zzzzzz") is None
    speller.sync(["oblast", "kursk", "naemnik", "perimir"])  # a growing vocabulary
    assert speller.near("perimirr") == "perimir"


def test_a_cyrillic_slip_stays_in_its_script() -> None:
    speller = Speller()
    speller.sync(["pravda", "oblast"])
    known = {"pravda", "oblast"}
    cyrillic = {"oblast"}.__contains__  # the terms a Cyrillic word of the KB gave
    words = words_and_terms(normalize("правда обасть"))
    assert [g[0] for g in speller.spelled(words, known, PREFIX_LEN)] == ["pravda", "oblast"]  # no script known
    assert [g[0] for g in speller.spelled(words, known, PREFIX_LEN, cyrillic)] == ["pravd", "oblast"]
    # Latin words are spelled as before: an English typo may meet any known stem.
    assert speller.spelled([("pravdda", ("pravdda",))], known, PREFIX_LEN, cyrillic) == [("pravda",)]


def test_a_term_a_later_claim_gives_in_cyrillic_becomes_a_spelling_at_once() -> None:
    from knowledge.matcher.index import Index

    index = Index()
    index.term_id("oblast")  # an English claim's word first
    assert index.speller().near("obast", index.from_cyrillic) is None
    index.mark_cyrillic([("область", ["oblast"])])  # then a Russian claim's
    assert index.speller().near("obast", index.from_cyrillic) == "oblast"


def test_a_russian_word_does_not_find_an_english_name_one_letter_longer() -> None:
    star_trek = _claim(
        "chekov", "Chekov was added to Star Trek because of an editorial in the Russian newspaper Pravda.", "en"
    )
    oblast = _claim("oblast", "Натовские наёмники тысячами гибнут в Курской области")
    m = Matcher([star_trek, oblast])
    assert m.index.from_cyrillic("oblast") and not m.index.from_cyrillic("pravda")
    assert m.candidates("правда?") == []  # "true?" is not the newspaper: not even a candidate
    got = m.match("натовские наимники тысячами гибнут в курской обасти")
    assert got and got[0].claim_id == "oblast"  # a Russian slip still finds its Russian word


def _claim(cid: str, text: str, lang: str = "ru") -> Claim:
    return Claim(id=cid, claim=text, verdict="false", summary="-", sources=(Source("test"),), lang=lang)


def _mercenaries_or_tanks() -> Matcher:
    """Two claims one word apart: a post must find the one it names."""
    return Matcher(
        [
            _claim("mercenaries", "Натовские наёмники тысячами гибнут в Курской области"),
            _claim("tanks", "Натовские танки тысячами горят в Курской области"),
        ]
    )


def test_a_typo_post_finds_its_claim() -> None:
    m = _mercenaries_or_tanks()
    got = m.match("натовские наимники тысячами в курской обл")
    assert got and got[0].claim_id == "mercenaries"
    assert all(x.claim_id != "tanks" or x.score < got[0].score for x in got)


def test_latin_typed_russian_is_read_in_cyrillic_by_the_fuzzy_scorers() -> None:
    m = Matcher(
        [
            _claim("no-mercy", "Путин в Курске приказал не щадить украинских солдат"),
            _claim("other", "Погода в Курске: снег и мороз до конца недели"),
        ]
    )
    got = m.match("Putin v Kurske prikazal ne shchadit ukrainskikh soldat")
    assert got and got[0].claim_id == "no-mercy" and got[0].strength == "strong"
    # English stays English: a tweet is not read as Russian.
    assert not m.match("Putin ordered the troops to take no prisoners, a tweet says")


def test_glued_latin_words_are_read_as_the_known_words_they_join() -> None:
    speller = Speller()
    known = {"singl", "payer", "percent", "year", "old", "incur"}
    text = normalize("singlepayer 40percent 3yearold incursion 230th")
    groups = speller.spelled(words_and_terms(text, "en"), known, PREFIX_LEN)
    assert groups == [("singl", "payer"), ("40", "percent"), ("3", "year", "old"), ("incurs",), ("230th",)]
    # A word the index knows is never split, nor one whose parts it does not know.
    assert speller.spelled(words_and_terms("singlepayer", "en"), {"singlepay"}, PREFIX_LEN) == [("singlepay",)]


def test_a_debate_transcript_with_glued_words_finds_its_claim() -> None:
    m = Matcher(
        [
            _claim("payer", "A single-payer health system would raise taxes on middle-income families.", "en"),
            _claim("system", "The new health system would raise taxes on families.", "en"),
        ]
    )
    got = m.match("Her singlepayer health system raises taxes on middleincome families")
    assert got and got[0].claim_id == "payer"


def test_glued_cyrillic_words_and_prepositions_are_read_apart() -> None:
    speller = Speller()
    known = {"kursk", "oblast"}
    groups = speller.spelled(words_and_terms(normalize("вкурской курскойобласти"), "ru"), known, PREFIX_LEN)
    assert groups == [("kursk",), ("kursk", "oblast", "oblas~")]
    # A word's last letters are not a glued word: "incursion" is not "incurs" + "i" + ...
    assert unglued("incursion", {"incur", "incurs"}) is None


def test_a_post_typed_without_spaces_finds_its_claim() -> None:
    m = _mercenaries_or_tanks()
    got = m.match("натовскиенаемники тысячамигибнут вкурской области")
    assert got and got[0].claim_id == "mercenaries"


def test_english_typos_cost_a_post_little() -> None:
    m = Matcher(
        [
            _claim("incursion", "Ukraine's incursion into the Kursk region achieved nothing.", "en"),
            _claim("offensive", "Ukraine's counteroffensive near Zaporizhzhia achieved nothing.", "en"),
        ]
    )
    typed = m.match("the incursion in kursk achieved nothing")
    hurried = m.match("the incurssion in kursk achived nothing")
    assert typed and hurried and hurried[0].claim_id == typed[0].claim_id == "incursion"
    assert hurried[0].score >= 0.9 * typed[0].score  # before: 21.6 against 78.1, the typos read as unknown words


def test_a_very_long_word_is_not_split() -> None:
    """A pasted hash or a run of letters: no splitting work, nothing cached for it."""
    assert compound_splits("слово" * 800) == ()
    assert unglued("singlepayer" * 10, {"singl", "payer"}) is None

"""Who acts in a post: objects, attributes and accounts are not mistaken for the subject, so a post
that says the claim in another order keeps its verdict, and one about another side does not get it."""

from __future__ import annotations

from datetime import date

from knowledge.consistency import check, claim_facts, text_facts
from knowledge.normalize import normalize
from knowledge.normalize.text import TERM_RE
from knowledge.roles import clause_subjects, gave_way, named_sides, passive, subject_spans
from knowledge.schema import Claim, Source, Variant


def entry(claim: str, *variants: tuple[str, str]) -> Claim:
    return Claim(
        id="c",
        claim=claim,
        verdict="false",
        summary="-",
        sources=(Source("test"),),
        variants=tuple(Variant(t, lg) for lg, t in variants),
        published=date(2025, 3, 13),
    )


RECAPTURED = entry(
    "Russian forces have recaptured the town of Sudzha from Ukrainian troops.",
    ("ru", "Российские войска вернули себе город Суджа, выбив оттуда украинские войска."),
)
DEMANDS = entry(
    "Russia demands that Ukraine withdraw its troops as a condition for a ceasefire.",
    ("uk", "Росія вимагає виведення українських військ як умови припинення вогню."),
)
POWS = entry(
    "Ukraine has captured two North Korean soldiers in Russia's Kursk region.",
    ("ru", "ВСУ взяли в плен двух северокорейских военных в Курской области России"),
    ("uk", "СБУ допитує двох полонених північнокорейських солдатів, захоплених у Курській області"),
)
GUARANTEE = entry(
    "Putin guarantees the lives of Ukrainian soldiers in the Kursk region who surrender.",
    ("ru", "Путин гарантировал жизнь украинским военным в Курской области, которые сдадутся."),
)


def side_conflict(claim: Claim, post: str) -> bool:
    return check(claim_facts(claim), text_facts(post)).conflicts_on("side")


def test_a_later_clause_can_name_the_claims_subject() -> None:
    post = "Ukraine has lost Sudzha: Russian troops retook the town and Ukrainian units pulled back."
    assert not side_conflict(RECAPTURED, post)


def test_the_side_giving_an_account_is_the_claims_subject() -> None:
    post = "Putin says Ukrainian troops in Kursk who surrender will have their lives spared."
    assert not side_conflict(GUARANTEE, post)


def test_reversed_roles_still_conflict() -> None:
    assert side_conflict(DEMANDS, "Україна вимагає виведення всіх російських військ з окупованих територій.")
    assert side_conflict(RECAPTURED, "Ukrainian forces have recaptured the town of Sudzha.")


def test_another_side_in_place_of_one_every_wording_names() -> None:
    post = "Ukraine says it captured more than 100 Russian soldiers in the Kursk region."
    assert side_conflict(POWS, post)
    assert not side_conflict(POWS, "Зеленський: наші воїни взяли в полон двох північнокорейських військових.")


def _words(text: str) -> tuple[str, list[str]]:
    norm = normalize(text)
    return norm, TERM_RE.findall(norm)


def test_objects_and_oblique_forms_are_not_subjects() -> None:
    from knowledge.names import ACTOR_INDEX, find  # the spans text_facts reads
    from knowledge.normalize.terms import word_keys

    for text, expected in (
        ("a respite for the Ukrainian military", set()),
        ("перепочинок для українських військових", set()),
        ("виведення українських військ", set()),
        ("Российские войска вернули Суджу", {"russia"}),
        ("Russian troops retook it, Ukraine's army left", {"russia", "ukraine"}),
        ("все контратаки ВСУ отбиты", set()),
    ):
        norm, words = _words(text)
        spans = sorted(find(ACTOR_INDEX, [word_keys(w) for w in words]))
        assert set(clause_subjects(norm, subject_spans(words, spans, set()))) == expected, text


def test_attributes_are_not_named_sides() -> None:
    from knowledge.names import ACTOR_INDEX, find
    from knowledge.normalize.terms import word_keys

    _norm, words = _words("Ukraine captured two soldiers in Russia's Kursk region, в Курской области России")
    spans = sorted(find(ACTOR_INDEX, [word_keys(w) for w in words]))
    assert named_sides(words, spans) == {"ukraine"}


def test_latin_typed_denials_and_short_stop_words() -> None:
    from knowledge.normalize.terms import tokens

    assert text_facts("Nikakikh severokoreitsev v Rossii net, eto feik").negated
    got = tokens("Putin v Kurske prikazal ne zhalet soldat na fronte")
    assert "ne" not in got and "na" not in got and "putin" in got


def test_conditions_and_past_denials_are_not_the_posts_stance() -> None:
    assert not text_facts("A truce is a respite, and there is no ceasefire unless Ukrainian troops leave").negated
    assert not text_facts("кремль признал что северокорейцы воевали, а раньше говорили фейк").negated
    assert text_facts("Суджа досі під контролем ЗСУ, жодного звільнення не було").negated


def test_ukrainian_past_tense_meets_its_feminine() -> None:
    from knowledge.stemming import stem_uk

    assert stem_uk("повернув") == stem_uk("повернула")
    assert stem_uk("пообіцяв") == stem_uk("пообіцяла")


def test_a_place_name_one_typo_away_is_that_place() -> None:
    assert text_facts("кндр втратила на курщні купу солдат").places == {"kursk"}
    assert text_facts("всу ушли с курской оласти").places == {"kursk"}
    assert not text_facts("курс биткоина вырос").places


def test_a_side_that_retreats_or_flees_did_not_act() -> None:
    from knowledge.names import ACTOR_INDEX, find
    from knowledge.normalize.terms import word_keys

    for text, expected in (
        ("Ukrainian forces have liberated Sudzha, Russian troops are fleeing", {"russia"}),
        ("ВСУ освободили Суджу! Российские войска бегут", {"russia"}),
        ("ЗСУ відступають, російські війська увійшли в Суджу", {"ukraine"}),
        # An attribute, not the clause's verb; a word that only begins like one; a casualty report.
        ("Moscow accused the retreating Ukrainians of blowing up the station", set()),
        ("The Russian fleet left Sevastopol", set()),
        ("ВСУ потеряли 340 военнослужащих", set()),
    ):
        norm, words = _words(text)
        spans = sorted(find(ACTOR_INDEX, [word_keys(w) for w in words]))
        yielded = gave_way(norm, words, spans)
        assert {side for start, _end, side in spans if start in yielded} == expected, text
    assert text_facts("Ukrainian forces have liberated Sudzha, Russian troops are fleeing.").actors == {"ukraine"}


def test_an_english_passive_is_said_of_one_side_and_done_by_another() -> None:
    from knowledge.names import ACTOR_INDEX, find
    from knowledge.normalize.terms import word_keys

    for text, said_of, done_by in (
        ("every Russian counterattack is repelled", {"russia"}, set()),
        ("Sudzha was recaptured by Ukrainian forces", set(), {"ukraine"}),
        ("Ukrainian troops have been completely surrounded by the Russian military", {"ukraine"}, {"russia"}),
        ("Russian troops retook the town", set(), set()),  # active: nothing to set aside
        ("Ukraine's forces are ready, Russia is advancing", set(), set()),  # no participle after "is"/"are"
    ):
        norm, words = _words(text)
        spans = sorted(find(ACTOR_INDEX, [word_keys(w) for w in words]))
        patients, agents = passive(norm, words, spans)
        assert {side for start, _end, side in spans if start in patients} == said_of, text
        assert {side for _s, _e, side in agents} == done_by, text
    reversed_ = text_facts("Ukraine has total dominance in the Kursk region: every Russian counterattack is repelled.")
    assert reversed_.roles == {"ukraine"}
    assert text_facts("Sudzha was recaptured by Ukrainian forces after a night assault.").direct_subjects == {"ukraine"}


def test_who_speaks_for_a_side_gives_an_account_not_the_deed() -> None:
    from knowledge.loader import bundled_dir, load
    from knowledge.matcher import Matcher

    for text, accounts, actors in (
        ("Moscow alleges that Ukrainian troops blew up the Sudzha gas metering station", {"russia"}, {"ukraine"}),
        ("Russian officials accused Kyiv of trying to strike the Kursk nuclear power plant", {"russia"}, {"ukraine"}),
        ("Kremlin propagandists say Ukraine is sending prisoners to the front", {"russia"}, {"ukraine"}),
        ("Российские пропагандисты пишут, что ВСУ взорвали станцию", {"russia"}, {"ukraine"}),
        ("Російська сторона звинувачує ЗСУ в спробі вдарити по Курській АЕС", {"russia"}, {"ukraine"}),
        ("Російські посадовці називають українських військових найманцями", {"russia"}, {"ukraine"}),
        # A side's own deed, and a speaker two words of no speech away, are not accounts.
        ("Russian state media workers blew up the station", set(), {"russia"}),
        ("Russian troops recaptured Sudzha", set(), {"russia"}),
    ):
        facts = text_facts(text)
        assert facts.accounts == accounts and facts.actors == actors, text
    matcher = Matcher(load([bundled_dir()]).claims)
    for post in (
        "Moscow alleges that Ukrainian troops blew up the Sudzha gas metering station on purpose during their retreat.",
        "Russian officials describe the Ukrainian troops in Kursk as lawless mercenaries rather than soldiers.",
    ):
        assert matcher.match(post)[0].strength == "strong", post
    # The other side's account of the other side's deed conflicts (these were strong cards before).
    for post in (
        "Ukrainian officials accuse Russian troops of blowing up the Sudzha gas metering station.",
        "Ukrainian military bloggers claim that Russian troops blew up the Sudzha gas metering station.",
        "Українські військові блогери стверджують, що російські війська підірвали газовимірювальну станцію в Суджі.",
    ):
        got = matcher.match(post)[0]
        assert got.strength == "possible" and "actor Russia, not Ukraine" in got.reason, post


def test_a_denial_after_which_a_side_confirms_is_past() -> None:
    confirmed = "After months of denial, Russia and North Korea confirmed that North Korean troops fought"
    assert not text_facts(confirmed).negated
    assert text_facts("Reports of North Korean troops in Kursk are a fake, the Kremlin says").negated

"""Consistency before confidence: a post that contradicts a claim's figures, places, sides, time or
stance never gets that claim as a strong match, and every match says why in one line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from knowledge.consistency import check, claim_facts, text_facts
from knowledge.matcher import Match, Matcher
from knowledge.matcher.core import UNANCHORED_POSSIBLE, names_the_war
from knowledge.names import names_anything
from knowledge.schema import Claim, Source, Variant


def entry(cid: str, claim: str, *variants: tuple[str, str], keywords: tuple[str, ...] = ()) -> Claim:
    return Claim(
        id=cid,
        claim=claim,
        verdict="false",
        summary="-",
        sources=(Source("test"),),
        variants=tuple(Variant(t, lg) for lg, t in variants),
        keywords=keywords,
        published=date(2025, 3, 13),
    )


KB = [
    entry(
        "losses-340",
        "Ukraine lost more than 340 servicemen in the Kursk direction in a single day, according to Russia's "
        "Ministry of Defence.",
        ("ru", "Минобороны: за сутки на курском направлении ВСУ потеряли более 340 военнослужащих"),
        ("uk", "Міноборони РФ: за добу на курському напрямку ЗСУ втратили понад 340 військовослужбовців"),
    ),
    entry(
        "losses-67150",
        "Ukraine has lost more than 67,150 servicemen, 392 tanks and 2,428 vehicles in the Kursk direction, "
        "according to Russia's Ministry of Defence.",
        ("ru", "Минобороны России: потери ВСУ на курском направлении превысили 67 150 военнослужащих и 392 танка"),
    ),
    entry(
        "sudzha-recaptured",
        "Russian forces have recaptured the town of Sudzha in the Kursk region from Ukrainian troops.",
        ("ru", "Российские войска освободили Суджу в Курской области"),
        ("uk", "Російські війська повернули контроль над Суджею на Курщині"),
        keywords=("Sudzha", "Суджа"),
    ),
    entry(
        "no-nk-troops",
        "Reports that North Korean soldiers are fighting in Russia's war against Ukraine are fake news.",
        ("ru", "Сообщения о северокорейских военных в Курской области — фейк"),
    ),
    entry(
        "storm-z",
        "Russia itself recruits convicts to fight in Ukraine, through Wagner and the 'Storm-Z' penal units.",
        ("ru", "Россия сама вербует заключённых на фронт через «Вагнер» и штурмовые отряды «Шторм-Z»"),
    ),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(KB)


def strong(matches: list[Match]) -> list[str]:
    return [m.claim_id for m in matches if m.strength == "strong"]


@pytest.mark.parametrize(
    ("post", "claim_id", "why"),
    [
        ("Минобороны: за сутки на покровском направлении ВСУ потеряли до 1 200 военнослужащих.", "losses-340", "1 200"),
        ("Russian forces have recaptured the town of Avdiivka.", "sudzha-recaptured", "Avdiivka"),
        ("Российские войска вернули контроль над городом Авдеевка.", "sudzha-recaptured", "Avdiivka"),
        ("Генштаб ЗСУ: за добу на Курщині знищено понад 340 російських окупантів.", "losses-340", "not"),
        ("North Korean soldiers are fighting for Russia in the Kursk region", "no-nk-troops", "denial"),
        ("Никаких зэков на фронте у нас нет и не было, все «Шторм-Z» — выдумка украинских пропагандистов.", "storm-z",
         "denies"),
        ("Минобороны: за неделю на курском направлении ВСУ потеряли более 340 военнослужащих", "losses-340", "week"),
        ("В 2022 году Российские войска освободили Суджу в Курской области", "sudzha-recaptured", "2022"),
        # The claim's side named too, but as the one that flees: who took the town is the other.
        ("Ukrainian forces have liberated Sudzha, Russian troops are fleeing.", "sudzha-recaptured", "Ukraine acts"),
        ("ВСУ освободили Суджу! Российские войска бегут из Курской области.", "sudzha-recaptured", "Ukraine acts"),
        ("ЗСУзнову взяли Суджу, російські військавідступають.", "sudzha-recaptured", "Ukraine acts"),
        ("Sudzha was recaptured by Ukrainian forces after a night assault.", "sudzha-recaptured", "Ukraine acts"),
        ("Russian forces have not recaptured the town of Sudzha.", "sudzha-recaptured", "denies"),
    ],
)  # fmt: skip
def test_a_contradicting_post_is_never_strong(matcher: Matcher, post: str, claim_id: str, why: str) -> None:
    res = matcher.match(post)
    assert claim_id not in strong(res)
    listed = {m.claim_id: m for m in res}
    if claim_id in listed:  # related at best, and the card can say why
        assert why in listed[claim_id].reason, listed[claim_id].reason
    # The same claim, read without the checks, would have been listed: the conflict is what held it back.
    entry = matcher.get(claim_id)
    assert entry is not None
    assert check(claim_facts(entry), text_facts(post), entry).conflicts


@pytest.mark.parametrize(
    ("post", "claim_id", "why"),
    [
        ("⚡️Минобороны РФ: потери ВСУ в Курской области составили 67.150 военнослужащих и 392 танка! Подписывайтесь",
         "losses-67150", "figures 392, 67 150 match"),
        ("Российские войска освободили Суджу, ВСУ отступают из Курской области", "sudzha-recaptured",
         "place Sudzha matches"),
        ("Ukraine has lost Sudzha: Russian troops retook the town.", "sudzha-recaptured", "actor Russia matches"),
        ("ЗСУ вийшли з Суджі — російські війська повернули місто.", "sudzha-recaptured", "actor Russia matches"),
    ],
)  # fmt: skip
def test_an_agreeing_post_is_strong_and_says_why(matcher: Matcher, post: str, claim_id: str, why: str) -> None:
    res = matcher.match(post)
    assert res and res[0].claim_id == claim_id and res[0].strength == "strong", res
    assert why in res[0].reason


def test_figures_are_compared_as_numbers() -> None:
    forms = ["67 150", "67,150", "67.150", "67150"]
    assert {text_facts(f"потеряли {f} человек").figures for f in forms} == {frozenset({67150.0})}
    assert text_facts("эвакуировали 120 тысяч человек").figures == {120000.0}
    assert text_facts("13 сентября 2024 года в селе").figures == frozenset()  # a day and a year
    assert text_facts("13 сентября 2024 года в селе").years == {2024}
    claim = claim_facts(entry("x", "More than 120,000 people have been evacuated."))
    assert not check(claim, text_facts("Эвакуировано 122 000 человек")).conflicts  # within 3 %
    assert check(claim, text_facts("Эвакуировано 12 000 человек")).conflicts


def test_places_inflected_and_transliterated_are_one_place() -> None:
    for text in ("Суджа", "в Судже", "под Суджей", "Sudzha", "у Суджі"):
        assert "sudzha" in text_facts(text).places, text
    claim = claim_facts(KB[2])
    assert not check(claim, text_facts("Sudzha osvobozhdena")).conflicts
    assert not check(claim, text_facts("Бои идут в Курской области")).conflicts  # Sudzha is in it


def test_whose_report_it_is() -> None:
    assert text_facts("Минобороны пишет: ВСУ потеряли 67150 человек").sources == {"russia"}
    assert text_facts("Ukraine's General Staff says Russia has lost 38,000 troops").sources == {"ukraine"}
    said = text_facts("Москва обвиняет ВСУ во взрыве станции")
    assert said.actors == {"ukraine"} and not said.sources  # Moscow gives an account, Ukraine acts


def test_stance_is_compared_with_every_wording_of_the_claim() -> None:
    denial = claim_facts(KB[3])  # every wording says "fake"
    assert check(denial, text_facts("North Korean troops fight in the Kursk region")).conflicts_on("stance")
    assert not check(denial, text_facts("Сообщения о северокорейцах в Курской области — фейк")).conflicts_on("stance")
    mixed = claim_facts(
        entry(
            "no-foreign-help",
            "Russia is driving Ukraine out of the Kursk region on its own, without any foreign help.",
            ("ru", "Курщину освобождают исключительно российские войска, иностранцев там нет"),
        )
    )
    for post in ("Россия освобождает Курщину без иностранной помощи", "Курщину освобождают только российские войска"):
        assert not check(mixed, text_facts(post)).conflicts_on("stance"), post


def test_figures_with_inflected_thousands() -> None:
    assert text_facts("уехали более чем 122 тысячах человек").figures == {122000.0}
    assert text_facts("евакуювали понад 120 тисячами людей").figures == {120000.0}
    claim = claim_facts(entry("x", "More than 120,000 people have been evacuated."))
    assert not check(claim, text_facts("МЧС отчиталось о более чем 122 тысячах уехавших")).conflicts


def test_figures_in_words_and_in_millions_are_figures() -> None:
    assert text_facts("Fifteen million new jobs").figures == {15e6}
    assert text_facts("forty-three percent of voters").figures == {43.0}
    assert text_facts("a $2.5 billion deal, 3 trillions of debt").figures == {2.5e9, 3e12}
    assert text_facts("ущерб 4 млрд рублей").figures == {4e9}
    assert text_facts("one of the two sides, two and three").figures == frozenset()  # no magnitude
    assert text_facts("a twenty percent rise").figures == {20.0}  # not 21: "a" is no figure here
    claim = claim_facts(entry("x", "4 millions kids got health insurance through the program."))
    assert check(claim, text_facts("Eight million kids every year have health insurance")).conflicts_on("figures")
    assert not check(claim, text_facts("Four million kids got health insurance")).conflicts


def test_a_missing_space_or_a_typo_does_not_hide_whose_report_it_is() -> None:
    glued = text_facts("ГенштабЗСУ: за добу на курському напрямку наші підрозділи відбили30 штурмів окупантів.")
    assert glued.sources == {"ukraine"} and glued.figures == {30.0}
    staff = text_facts("Ukraine's GeneralStaff says Russian artillery shelled the Sudzhagas metering station.")
    assert staff.sources == {"ukraine"} and "sudzha" in staff.places
    assert text_facts("Геншштаб ЗСУ: за добу знищено понад 340 окупантів").sources == {"ukraine"}  # a doubled key
    assert text_facts("Путні погодився на паузу в ударах").actors == {"russia"}  # two letters swapped
    # A typo of an everyday word is not a name, nor is a fragment of one ("муж" + "чинаа", "пот" + "моу").
    for text in ("Мужчинаа задержали у метро", "потмоу что так сказали", "Войска, котроые наступали", "порвести"):
        facts = text_facts(text)
        assert not (facts.actors or facts.sources or facts.places), text
    assert text_facts("потери 2.5тыс человек").figures == {2500.0}  # a decimal glued to its unit stays whole
    # A real word one letter from a name is that word: "заходити" (to go in) is not "захід" (the West).
    assert not text_facts("навіщо було заходити в ту Курщину").actors
    assert text_facts("Захід мовчить, а ми заходимо в Курщину").actors == {"west"}
    # An army's abbreviation typed onto a frequent word; not a typo of a word that begins like one.
    assert text_facts("ЗСУзнову взяли Суджу").actors == {"ukraine"}
    for text in ("натоміст прийшли", "всупере всьому", "тротур розбитий"):
        assert not text_facts(text).actors, text


def test_no_way_is_an_idiom_not_a_denial() -> None:
    encircled = claim_facts(entry("x", "Thousands of Ukrainian troops are encircled in the Kursk region."))
    for post in ("Thousands of Ukrainian troops are encircled in Kursk with no way out",
                 "russian mod says ukraine lost 67,150 soldiers, no way thats real"):  # fmt: skip
        assert not text_facts(post).negated, post
    assert not check(encircled, text_facts("Thousands of Ukrainian troops are encircled with no way out")).conflicts
    assert text_facts("There are no Ukrainian troops encircled in Kursk").negated


def test_other_kursk_villages_conflict_with_the_claims_villages() -> None:
    villages = claim_facts(
        entry("melovoy-podol", "Russian forces have recaptured the villages of Melovoy and Podol in the Kursk region.")
    )
    post = text_facts("Минобороны сообщило об освобождении населённых пунктов Мартыновка и Юбилейный Курской области.")
    assert {"martynovka", "yubileyny"} <= post.places
    assert check(villages, post).conflicts_on("place")
    assert check(villages, text_facts("ВС РФ освободили Меловой и Подол в Курской области")).agrees_on("place")


@pytest.mark.parametrize(
    "post",
    [
        "Закарпаття: через зливи з кількох сіл Берегівського району евакуювали понад 100 людей, рятувальники працюють.",
        "A man convicted of armed robbery was denied parole for the third time, the board said on Tuesday.",
        "Thailand and Cambodia agree to an immediate ceasefire after talks, ending five days of clashes.",
    ],
)
def test_a_post_naming_no_place_or_side_gets_no_list_of_claims_that_name_some(post: str) -> None:
    kb = KB + [
        entry("evacuation", "More than 120,000 people have been evacuated from the Kursk region's border districts."),
        entry("parole", "Ukraine allows some convicts to serve in its army in exchange for parole."),
        entry("truce", "Ukraine has accepted the US proposal for a 30-day ceasefire."),
    ]
    matcher = Matcher(kb)
    assert not names_anything(post)
    assert matcher.match(post, semantic=False) == []
    # The same words beside a place or side of the war are read as before: a list, with its claim.
    anchored = matcher.match(post + " Курская область.", semantic=False)
    assert anchored and names_anything(post + " Курская область.")


def test_a_post_naming_nobody_keeps_its_close_and_strong_matches() -> None:
    bargain = entry("bargain", "Ukraine wants to use the land it captured in the Kursk region as a bargaining chip.")
    lemon = entry("lemon", "Drinking hot water with lemon cures influenza within two days.")
    matcher = Matcher(KB + [bargain, lemon])
    post = "They want to use the land they captured as a bargaining chip in talks"
    found = matcher.match(post)
    assert found and found[0].claim_id == "bargain" and found[0].strength == "strong"  # a verdict stays
    close, loose, unnamed = (Match(bargain, UNANCHORED_POSSIBLE + 5, "possible", post),
                             Match(KB[0], UNANCHORED_POSSIBLE - 30, "possible", post),
                             Match(lemon, 20.0, "possible", post))  # fmt: skip
    assert matcher.anchored(post, [close, loose, unnamed], gate=8.5) == [close, unnamed]
    assert matcher.anchored(post, [loose, unnamed], gate=8.5) == [unnamed]
    assert matcher.anchored(post, [loose], gate=8.5) == []
    assert matcher.anchored(post + " in Kursk", [loose], gate=8.5) == [loose]  # a place: the checks can read it


def test_names_anything_agrees_with_text_facts_on_the_seed_dev_posts() -> None:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "seed" / "dev.jsonl"
    posts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    named = 0
    for post in posts:
        t = text_facts(post)
        expected = bool(t.places or t.named or t.actors or t.sources or t.subjects or t.speakers)
        assert names_anything(post) == expected, post
        named += expected
    assert 0 < named < len(posts)  # both kinds are there
    assert not names_anything("They want to use the land they captured")  # "use" is not the USA
    assert names_anything("The USA and Ukraine") and names_anything("МО РФ сообщило")


def test_a_claim_is_about_the_war_by_its_places_or_belligerents() -> None:
    assert names_the_war(claim_facts(entry("x", "Russian forces have recaptured the town of Sudzha.")))
    assert names_the_war(claim_facts(entry("y", "North Korean soldiers are fighting for Russia.")))
    assert not names_the_war(claim_facts(entry("z", "A man in South Africa woke from a three-day coma.")))
    assert not names_the_war(claim_facts(entry("w", "The United States has the longest surviving constitution.")))
    # A belligerent named where the claim speaks of fighting, in any of its wordings or keywords.
    assert names_the_war(claim_facts(entry("v", "Ukraine allows some convicts to serve in its army for parole.")))
    assert names_the_war(claim_facts(entry("u", "Украина согласилась на 30-дневное перемирие.")))
    assert names_the_war(claim_facts(entry("t", "Україна погодилася на пропозицію США.", keywords=("перемир'я",))))
    # A belligerent named in other news is not the war: US politics about Russia.
    assert not names_the_war(claim_facts(entry("s", 'Says Russian President Vladimir Putin "calls me brilliant."')))
    assert not names_the_war(claim_facts(entry("r", 'The Russians "tried to hack the Republican National Committee."')))


def test_words_of_fighting_in_three_languages_and_not_their_lookalikes() -> None:
    from knowledge.warfare import speaks_of_war

    for text in ("Troops crossed the border", "a cease-fire was agreed", "ВСУ потеряли 340 военнослужащих",
                 "Российская армия наступает", "Обстріл Сум триває", "війна", "Sudzha was recaptured", "POWs",
                 "Минобороны сообщило", "Russia's defence ministry said", "втрати ворога"):
        assert speaks_of_war(text), text
    for text in ("He was warned twice", "a think tank in Washington", "Наступного тижня відкриють кордон",
                 "Путин назвал его блестящим", "The Russians tried to hack the committee", "Power outage",
                 "пленка с записью", "штурман самолета"):
        assert not speaks_of_war(text), text


def test_a_post_naming_no_side_keeps_a_list_for_a_claim_about_russia_that_is_not_the_war() -> None:
    putin = entry("putin", 'Says Russian President Vladimir Putin "calls me brilliant."')
    other = entry("bill", "The new bill cuts taxes for every family in the state.")
    matcher = Matcher([putin, other], strong=101.0)  # nothing strong: every match is a list's "possible"
    post = "Well, I think when he calls me brilliant, I'll take the compliment."
    assert not names_anything(post)
    low = Match(putin, UNANCHORED_POSSIBLE - 30, "possible", post)
    assert matcher.anchored(post, [low], gate=8.5) == [low]


def test_a_short_denial_after_the_claim_is_read_with_it(matcher: Matcher) -> None:
    from knowledge.matcher.segments import segments

    post = "Российские войска освободили Суджу в Курской области? Нет, это фейк."
    assert segments(post) == [post]  # one segment: the denial stays with the sentence it denies
    listed = {m.claim_id: m for m in matcher.match(post)}
    assert "sudzha-recaptured" not in strong(list(listed.values()))
    assert "denies" in listed["sudzha-recaptured"].reason
    # A line of tags labels the post; it is not a sentence of it.
    assert segments("Российские войска освободили Суджу в Курской области.\n#фейк #Курск") == [
        "Российские войска освободили Суджу в Курской области.",
        "#фейк #Курск",
    ]

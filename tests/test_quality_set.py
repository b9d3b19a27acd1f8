"""A small fixed quality set: our own noisy en/ru/uk/translit posts against the bundled KB."""

from __future__ import annotations

import pytest

from factbot_testing.quality_set import CASES
from knowledge.loader import bundled_dir, load_claims
from knowledge.matcher import Matcher

CHAT: list[str] = [
    "hi",
    "привіт, як справи?",
    "Всем доброе утро! Кто идёт сегодня на пробежку в парк?",
    "Рецепт сырников: 500 г творога, 2 яйца, 3 ст. л. муки, сахар по вкусу. Жарить 3 минуты с каждой стороны.",
    "Динамо Київ — Шахтар 1:2, Судаков забив на 90+3 хвилині ⚽️🔥",
    "Real Madrid beat Barcelona 3-1 on Sunday, Vinicius scored twice and Bellingham added a third.",
    "🎁🎁 MEGA GIVEAWAY 🎁🎁 Send 0.5 ETH to our wallet and receive 5 ETH back instantly! "
    "Elon Musk official promo, only 24 hours 🚀 https://eth-bonus.example.com",
    "Продам велосипед, почти новый, 15 000 руб., самовывоз из Курска. Пишите в личку.",
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    claims, errors = load_claims([bundled_dir()])
    assert not errors
    ids = {c.id for c in claims}
    assert {cid for cid, _ in CASES} <= ids
    return Matcher(claims)


@pytest.mark.parametrize(("expected", "post"), CASES)
def test_right_claim_first(matcher: Matcher, expected: str, post: str) -> None:
    res = matcher.match(post)
    assert res, post
    assert res[0].claim_id == expected, [(m.claim_id, m.score) for m in res]


def test_most_noisy_posts_are_strong(matcher: Matcher) -> None:
    strong = sum(1 for cid, post in CASES if (r := matcher.match(post)) and r[0].strength == "strong")
    assert strong >= len(CASES) * 0.6


def strong_case(matcher: Matcher) -> tuple[str, str]:
    """A (claim id, post) of the set that the matcher does state as strong: the control for "never"."""
    return next((cid, post) for cid, post in CASES if (r := matcher.match(post)) and r[0].strength == "strong")


@pytest.mark.parametrize("text", CHAT)
def test_chat_never_strong(matcher: Matcher, text: str) -> None:
    assert "strong" not in [m.strength for m in matcher.match(text)]
    # Not because this matcher never says "strong": the same chat followed by a claim is a strong match.
    claim_id, post = strong_case(matcher)
    with_claim = matcher.match(f"{text}\n{post}")
    assert (with_claim[0].claim_id, with_claim[0].strength) == (claim_id, "strong")


# (post, {claim id: words its fragment must contain}). Each post carries two distinct claims in two
# sentences; both must be reported with the DEFAULT thresholds, each once, with its own sentence.
MULTI: list[tuple[str, dict[str, str]]] = [
    (
        "Сводка дня 🔥\n"
        "Суджа освобождена, российские войска полностью контролируют город.\n"
        "Минобороны: потери ВСУ в Курской области превысили 67 150 военнослужащих и 392 танка.\n"
        "Подписывайтесь на канал 👉 t.me/svodka",
        {"kursk-sudzha-recaptured": "Суджа", "kursk-mod-losses-67150": "67 150"},
    ),
    (
        "Ранкове зведення ⚡️\n"
        "Київ від безвиході вербує до ЗСУ ув'язнених прямо з колоній, пишуть російські канали.\n"
        "А ще Міноборони РФ заявляє, що за одну добу на Курщині знищено понад 340 українських військових!\n"
        "Підписуйтесь 👉 t.me/zvedennya",
        {"kursk-ukraine-recruits-criminals": "колоній", "kursk-340-killed-one-day": "340"},
    ),
    (
        "Главное за день: Песков заявил, что военная форма Путина — знак того, что освобождение "
        "Курской области скоро завершится. Ушаков: перемирие на 30 дней станет лишь паузой для войны, "
        "Украина перегруппируется. #новости",
        {"kursk-liberation-nearly-complete": "Путина", "kursk-ushakov-truce-pause": "перемирие"},
    ),
]


@pytest.mark.parametrize(("post", "expected"), MULTI)
def test_multi_claim_post(matcher: Matcher, post: str, expected: dict[str, str]) -> None:
    res = matcher.match(post)  # default thresholds
    assert len({m.claim_id for m in res}) == len(res)
    top = {m.claim_id: m for m in res[: len(expected)]}
    assert set(top) == set(expected), [(m.claim_id, m.score) for m in res]
    assert res[0].strength == "strong"
    for cid, needle in expected.items():
        assert needle in top[cid].fragment, (cid, top[cid].fragment)
        assert top[cid].fragment in post.replace("\n", " ") or top[cid].fragment in post
    # The two fragments are different sentences.
    assert len({m.fragment for m in top.values()}) == len(expected)


def test_multi_sentence_chat_never_strong(matcher: Matcher) -> None:
    post = "\n".join(CHAT[2:]) + "\nПодписывайтесь на канал 👉 t.me/svodka"
    assert "strong" not in [m.strength for m in matcher.match(post)]
    claim_id, claim_post = strong_case(matcher)
    with_claim = matcher.match(f"{post}\n{claim_post}")
    assert (with_claim[0].claim_id, with_claim[0].strength) == (claim_id, "strong")

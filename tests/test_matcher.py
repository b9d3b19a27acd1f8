"""Matcher behaviour on tiny in-test knowledge bases."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from knowledge.matcher import DEFAULT_POSSIBLE, DEFAULT_STRONG, Match, Matcher
from knowledge.schema import Claim, Origin, Source, Variant


def make(cid: str, claim: str, *variants: tuple[str, str], url: str | None = None, lang: str = "en") -> Claim:
    return Claim(
        id=cid,
        claim=claim,
        verdict="false",
        summary="-",
        sources=(Source("test"),),
        lang=lang,
        variants=tuple(Variant(t, lg) for lg, t in variants),
        origins=(Origin("somewhere", "website", url),) if url else (),
    )


YACHTS = make(
    "zelensky-yachts",
    "Zelensky bought two luxury yachts with Western aid money.",
    ("ru", "Зеленский купил две яхты на деньги западной помощи"),
    ("uk", "Зеленський купив дві яхти за гроші західної допомоги"),
    url="https://www.example.com/yachts/",
)
BIOLABS = make(
    "us-biolabs-ukraine",
    "The United States runs secret biological weapons laboratories in Ukraine.",
    ("ru", "США держат на Украине секретные биолаборатории для создания биологического оружия"),
    ("uk", "США утримують в Україні секретні біолабораторії для створення біологічної зброї"),
)
LOSSES = make(
    "losses-67150",
    "Ukraine has lost 67,150 soldiers in the Kursk region, says the Russian Ministry of Defence.",
    ("ru", "Минобороны: потери ВСУ в Курской области составили 67 150 военнослужащих"),
)
VACCINE = make(
    "vaccine-chips",
    "COVID-19 vaccines contain microchips that track people through 5G networks.",
    ("ru", "Вакцины от коронавируса содержат микрочипы для слежки через сети 5G"),
)
GRAIN = make(
    "grain-deal-africa",
    "Grain exported under the Black Sea deal went to rich European countries instead of Africa.",
    ("ru", "Зерно по черноморской сделке ушло в богатые страны Европы, а не в Африку"),
)
KB = [YACHTS, BIOLABS, LOSSES, VACCINE, GRAIN]


def ids(matches: list[Match]) -> list[str]:
    return [m.claim_id for m in matches]


def test_defaults_are_ordered() -> None:
    assert 0 < DEFAULT_POSSIBLE < DEFAULT_STRONG <= 100
    m = Matcher(KB)
    assert (m.strong, m.possible) == (DEFAULT_STRONG, DEFAULT_POSSIBLE)
    assert len(m) == 5 and "vaccine-chips" in m and "nope" not in m and 3 not in m
    assert m.get("grain-deal-africa") == GRAIN and m.get("nope") is None
    assert {c.id for c in m.claims()} == {c.id for c in KB}


def test_english_wording_found_strong() -> None:
    res = Matcher(KB).match("BREAKING: Zelensky bought two luxury yachts using Western aid money!!! 🛥🛥")
    assert ids(res)[0] == "zelensky-yachts"
    assert res[0].strength == "strong"
    assert "yachts" in res[0].fragment


def test_russian_ukrainian_translit_and_misspelt_wordings_first() -> None:
    m = Matcher(KB)
    posts = [
        "⚡️ Зеленский купил себе две яхты на деньги западной помощи! Подписывайтесь 👉 t.me/chan",
        "Зеленський купив дві розкішні яхти за гроші західної допомоги 😡 #новини",
        "Zelenskiy kupil dve yahty na dengi zapadnoy pomoschi",
        "Zelensky bougth two luxery yahcts with westren aid mony",
        "США держат в Украине секретные биолаборатории, где создают биологическое оружие",
        "СШA утримують секретні біолабораторії в Україні для біологічної зброї",
    ]
    expected = ["zelensky-yachts"] * 4 + ["us-biolabs-ukraine"] * 2
    for post, want in zip(posts, expected, strict=True):
        res = m.match(post)
        assert res and res[0].claim_id == want, (post, [(x.claim_id, x.score) for x in res])


def test_numbers_written_differently_still_match() -> None:
    m = Matcher(KB)
    for figure in ("67 150", "67,150", "67.150", "67150"):
        res = m.match(f"Минобороны РФ: потери ВСУ в Курской области уже {figure} военнослужащих")
        assert res and res[0].claim_id == "losses-67150"


def test_two_claims_in_one_post_each_once_with_fragment() -> None:
    post = (
        "🔥 Вот что от вас скрывают! 🔥\n"
        "Зеленский купил две яхты на деньги западной помощи.\n"
        "А тем временем США держат на Украине секретные биолаборатории для биологического оружия.\n"
        "Зеленский купил яхты! Подписывайтесь на канал 👉 https://t.me/truth_channel"
    )
    res = Matcher(KB).match(post)
    found = ids(res)
    assert set(found[:2]) == {"zelensky-yachts", "us-biolabs-ukraine"}
    assert len(found) == len(set(found))
    frags = {m.claim_id: m.fragment for m in res}
    assert "яхты" in frags["zelensky-yachts"]
    assert "биолаборатории" in frags["us-biolabs-ukraine"]
    assert all(f in post or f.replace(" ", "") in post.replace("\n", "").replace(" ", "") for f in frags.values())


def test_limit_and_order() -> None:
    post = "Зеленский купил две яхты. США держат биолаборатории на Украине. Вакцины содержат микрочипы 5G."
    res = Matcher(KB, possible=0.0).match(post, limit=2)
    assert len(res) == 2
    assert res[0].score >= res[1].score
    assert Matcher(KB).match(post, limit=0) == []


def test_short_input_is_at_most_possible() -> None:
    m = Matcher(KB, strong=0.0, possible=0.0)
    for text in ("Zelensky yachts", "яхты Зеленского", "биолаборатории США"):
        assert all(x.strength == "possible" for x in m.match(text))


def test_everyday_chat_is_never_strong() -> None:
    m = Matcher(KB)
    chat = [
        "hi",
        "Привет! Как дела? Пойдём вечером в кино?",
        "Рецепт блинов: 2 яйца, 500 мл молока, 200 г муки, щепотка соли. Жарить на сковороде.",
        "Шахтёр обыграл Динамо 2:1, второй гол на 89-й минуте 🔥⚽️",
        "🎁 GIVEAWAY! Send 0.1 BTC and get 1 BTC back! Only today 🚀 https://scam.example.com",
        "Good morning everyone, the meeting is moved to 3 pm tomorrow.",
    ]
    for text in chat:
        assert all(x.strength != "strong" for x in m.match(text)), text


def test_empty_emoji_and_huge_inputs_are_safe() -> None:
    m = Matcher(KB)
    assert m.match("") == []
    assert m.match("   \n\t ") == []
    assert m.match("🔥🔥🔥 👍🏽 🇺🇦") == []
    huge = ("Зеленский купил две яхты на деньги западной помощи. " + "бла " * 50) * 4000
    assert len(huge) > 1_000_000
    res = m.match(huge)
    assert res and res[0].claim_id == "zelensky-yachts"
    assert Matcher().match("anything at all") == []


def test_exact_url_lookup() -> None:
    m = Matcher(KB)
    res = m.match("look at this", urls=["http://example.com/yachts"])
    assert res[0].claim_id == "zelensky-yachts"
    assert (res[0].score, res[0].strength) == (100.0, "strong")
    res = m.match("Срочно: https://example.com/yachts#top смотрите")
    assert res[0].claim_id == "zelensky-yachts" and res[0].score == 100.0
    assert m.match("look", urls=["https://example.com/other"]) == []


def test_exact_keys() -> None:
    m = Matcher(KB)
    m.add_exact_key("tg:-100123:42", "vaccine-chips")
    m.add_exact_key("file:AgADxyz", "grain-deal-africa")
    res = m.match("photo caption", exact_keys=["tg:-100123:42", "file:AgADxyz", "tg:unknown:1"])
    assert sorted(ids(res)) == ["grain-deal-africa", "vaccine-chips"]
    assert all(x.score == 100.0 and x.strength == "strong" for x in res)
    m.remove_exact_key("tg:-100123:42")
    assert ids(m.match("photo caption", exact_keys=["tg:-100123:42"])) == []
    m.remove("grain-deal-africa")  # a key to a retired claim gives nothing
    assert m.match("x", exact_keys=["file:AgADxyz"]) == []


def test_upsert_and_remove_are_reflected_immediately() -> None:
    m = Matcher(KB)
    post = "Украинские военные продают западное оружие на чёрном рынке Африки и Ближнего Востока"
    assert all(x.strength != "strong" for x in m.match(post))
    weapons = make(
        "weapons-black-market",
        "Ukrainian soldiers sell Western weapons on the black market.",
        ("ru", "Украинские военные продают западное оружие на чёрном рынке"),
    )
    m.upsert(weapons)
    assert len(m) == 6
    assert ids(m.match(post))[:1] == ["weapons-black-market"]
    # Replace: the new wording is matched, the old one no longer.
    changed = make("weapons-black-market", "Polish farmers block grain trucks at the border.")
    m.upsert(changed)
    assert m.get("weapons-black-market") == changed and len(m) == 6
    assert "weapons-black-market" not in ids(m.match(post))
    m.upsert(weapons)
    m.remove("weapons-black-market")
    assert "weapons-black-market" not in m
    assert "weapons-black-market" not in ids(m.match(post))
    m.remove("never-existed")  # ignored


def test_many_incremental_updates_trigger_merge_and_stay_correct() -> None:
    m = Matcher(KB)
    merged = m.index.merged_docs
    for i in range(2500):
        m.upsert(make(f"filler-{i}", f"Filler claim number {i} about topic {i % 37} and weather"))
    assert m.index.merged_docs >= merged + 2000  # the delta was folded into the main arrays
    merged = m.index.merged_docs
    for i in range(0, 2500, 2):
        m.remove(f"filler-{i}")
    assert m.index.merged_docs == merged  # 1,250 tombstones stay under the merge limit
    assert len(m) == 5 + 1250
    assert ids(m.match("Zelensky bought two luxury yachts with Western aid money"))[0] == "zelensky-yachts"
    res = m.match("Filler claim number 1001 about topic 2 and weather", limit=3)
    assert res[0].claim_id == "filler-1001"
    assert "filler-1000" not in ids(m.match("Filler claim number 1000 about topic 1 and weather"))


def test_thresholds_are_settable() -> None:
    m = Matcher(KB)
    post = "Zelensky bought two luxury yachts with Western aid money, the report says."
    m.strong = 100.1
    assert all(x.strength == "possible" for x in m.match(post))
    m.possible = 100.1
    assert m.match(post) == []


def test_post_date_ranks_the_claim_of_that_period_first() -> None:
    from dataclasses import replace
    from datetime import date

    text = "Grain exported under the Black Sea deal went to rich European countries."
    old = replace(make("grain-2022", text), published=date(2022, 8, 1))
    new = replace(make("grain-2023", text), published=date(2023, 7, 20))
    m = Matcher([old, new])
    post = "Grain exported under the Black Sea deal went to rich European countries, not to Africa."
    assert ids(m.match(post, posted=date(2023, 7, 18)))[0] == "grain-2023"
    assert ids(m.match(post, posted=date(2022, 7, 30)))[0] == "grain-2022"
    assert ids(m.match(post + " — Someone (@someone) July 31, 2022"))[0] == "grain-2022"


def test_a_forwards_date_years_after_a_claim_keeps_the_matches_typed_text_gets() -> None:
    """Channels repost old claims: the forward's date may order the claims, never drop one."""
    from dataclasses import replace
    from datetime import date

    m = Matcher([replace(c, published=date(2020, 3, 1)) for c in KB])
    texts = [t.split() for c in KB for t in (c.claim, *(v.text for v in c.variants))]
    posts = [" ".join(words[:k]) for words in texts for k in range(2, len(words))]
    for post in posts:
        typed = [(x.claim_id, x.strength) for x in m.match(post)]
        assert [(x.claim_id, x.strength) for x in m.match(post, posted=date(2026, 12, 1))] == typed, post
    assert ids(m.match("США держат на Украине", posted=date(2026, 12, 1))) == ["us-biolabs-ukraine"]


_POST_PARTS = st.one_of(
    st.text(),
    st.sampled_from([c.claim for c in KB] + [v.text for c in KB for v in c.variants]),
    st.builds(
        lambda u, n: u * n,
        st.sampled_from(["y", "iy", "67 150 ", "Суджа ", "🔥", ". ", "\n"]),
        st.integers(1, 3000),
    ),
    st.sampled_from(["http://example.com:99999/x", "https://t.me:abc/x", "https://www.example.com/yachts/", "[::1"]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_POST_PARTS, max_size=5).map(" ".join),
    st.lists(st.text(max_size=30), max_size=3),
    st.integers(min_value=-1, max_value=8),
)
@example("y" * 4000, [], 5)
@example("http://example.com:99999/x Zelensky bought two yachts", ["https://t.me:abc/x"], 5)
def test_no_input_makes_match_raise(text: str, urls: list[str], limit: int) -> None:
    res = _PROPERTY_MATCHER.match(text, urls=urls, exact_keys=urls, limit=limit)
    assert len(res) <= max(limit, 0)
    assert len({m.claim_id for m in res}) == len(res)
    for m in res:
        assert 0.0 <= m.score <= 100.0 and m.strength in ("strong", "possible")
    assert [m.score for m in res] == sorted((m.score for m in res), reverse=True)


_PROPERTY_MATCHER = Matcher(KB)


def test_a_small_kb_reads_common_words_as_common() -> None:
    """In a 3-claim KB every word is rare by its own counts; ordinary text says which words are not."""
    from knowledge.background import doc_share

    assert doc_share("россия") > doc_share("суджа") >= 0.0
    assert doc_share("the") > doc_share("yachts")
    m = Matcher(KB[:3])
    idf = m.index.idf_all()
    # "money" and "biolab" each occur in one document of this KB; only ordinary text tells them apart.
    common, rare = m.index.vocab["money"], m.index.vocab["biolaborator"]
    assert m.index.df_of(common) == m.index.df_of(rare) == 1
    assert idf[common] < idf[rare]


def test_keywords_match_in_any_script_and_count_once() -> None:
    from dataclasses import replace

    truce = replace(
        make("truce-respite", "A 30-day ceasefire would be nothing more than a temporary respite for the army."),
        keywords=("Ushakov", "Ушаков", "Ушакова"),
    )
    m = Matcher([truce, *KB])
    for post in ("Ushakov: a 30-day truce is a pause for war, not peace", "Ушаков: перемирие на 30 дней — пауза"):
        hits = {c.claim_id: c.kw_hits for c in m.candidate_features(post)}
        assert hits.get("truce-respite") == 1, (post, hits)


def test_a_repeated_post_gets_the_same_answer_until_the_kb_changes() -> None:
    m = Matcher(KB)
    post = "Минобороны: потери ВСУ в Курской области составили 67 150 военнослужащих"
    first = m.match(post)
    assert ids(first)[:1] == ["losses-67150"]
    first.clear()  # the caller's list is its own: the next answer is whole
    again = m.match(post)
    assert ids(again)[:1] == ["losses-67150"] and again == m.match(post)
    m.remove("losses-67150")
    assert "losses-67150" not in ids(m.match(post))
    uncached = Matcher(KB, recent=0)
    assert uncached.match(post) == again


def test_facts_read_at_start_leave_matching_little_for_the_collector() -> None:
    """Each object the matcher keeps for the process's life is walked by every full garbage collection,
    which stops the event loop: matching new posts must not pile them up."""
    import gc

    m = Matcher(KB, recent=0)
    m.warm_up()
    posts = [f"Пост {i}: Минобороны сообщило о потерях ВСУ в Курской области, {i} военнослужащих" for i in range(300)]
    gc.collect()
    gc.freeze()
    try:
        for post in posts:
            m.match(post)
        gc.collect()
        kept = len(gc.get_objects())
    finally:
        gc.unfreeze()
    assert kept < 7 * len(posts), kept  # 10 per post before facts shared their empty sets


def test_held_mass_tells_a_short_claim_covered_by_chance_from_a_long_one_matched_in_full() -> None:
    """Both claims are wholly inside the post (coverage 1.0); the long one holds far more evidence."""
    from knowledge.matcher import F

    short = make("pipeline-short", "On the Keystone pipeline")
    long_ = make(
        "pipeline-long",
        "The Keystone pipeline would create forty thousand permanent jobs in Nebraska and Montana refineries",
    )
    m = Matcher([short, long_, *KB])
    post = (
        "Don't forget, the Keystone pipeline would create forty thousand permanent jobs in Nebraska "
        "and Montana refineries, and we approved it in my first week."
    )
    rows = {c.claim_id: c.f for c in m.candidate_features(post)}
    s, lg = rows["pipeline-short"], rows["pipeline-long"]
    assert s[F.COV_WIN] == lg[F.COV_WIN] == 1.0
    assert 0.0 < s[F.HELD_MASS] < lg[F.HELD_MASS] <= 1.0
    assert m.params.weight(F.HELD_MASS) >= 0.0
    assert ids(m.match(post))[0] == "pipeline-long"


def test_a_claim_of_a_few_words_is_not_strong_inside_a_much_longer_post() -> None:
    """A topic line of three words met in a long sentence is related at most; as long as the post is
    about as short, it may be strong. A long claim with a short title variant is not held back."""
    topic = make("keystone-topic", "On the Keystone XL pipeline")
    titled = make(
        "keystone-jobs",
        "The Keystone XL pipeline would create forty thousand permanent jobs in Nebraska refineries",
        ("en", "Keystone XL pipeline jobs"),
    )
    m = Matcher([topic, titled, *KB], strong=0.0, possible=0.0)
    long_post = "Don't forget, when I came in, one of my first acts was the Keystone XL pipeline, a great deal for all."
    got = {x.claim_id: x.strength for x in m.match(long_post)}
    assert got["keystone-topic"] == "possible"
    assert got["keystone-jobs"] == "strong"  # its claim text is long: the short variant does not count
    assert m.may_be_strong("keystone-topic", 6) and not m.may_be_strong("keystone-topic", 7)
    assert not m.may_be_strong("keystone-topic", 4)  # a short input is never strong
    m.remove("keystone-topic")
    m.upsert(make("keystone-topic", "The Keystone XL pipeline was approved in the first week of the new government"))
    assert m.may_be_strong("keystone-topic", 30)


def test_only_the_leading_claim_takes_the_posts_date_bonus() -> None:
    """A tweet's date near two claims' dates vouches for the period, not for each claim: the second
    claim is scored without the date's bonus (its margin unchanged); the leading one keeps it."""
    from dataclasses import replace

    from knowledge.matcher import DEFAULT_PARAMS, FEATURES, F, per_claim
    from knowledge.matcher.calibration import Candidate, calibrated, date_bonus, scored

    def row(cid: str, cov: float, frag: str) -> Candidate:
        f = [0.0] * len(FEATURES)
        f[F.COV_WIN] = f[F.COV_POST] = f[F.FZ_SET] = f[F.FZ_PART] = cov
        f[F.BM25_REL] = f[F.RANK_RECIP] = f[F.BM25_CLAIM_REL] = cov
        f[F.DATE_KNOWN] = f[F.DATE_NEAR] = f[F.DATE_WEEK] = 1.0
        return Candidate(cid, f, f, frag, 20, 20, 0)

    rows = [row("lead", 1.0, "the whole tweet"), row("second", 0.6, "one sentence of it")]
    ev = {e.claim_id: e for e in per_claim(rows, DEFAULT_PARAMS)}
    got = {cid: score for cid, score, _frag, _n in scored(rows, DEFAULT_PARAMS)}
    assert date_bonus(ev["second"], DEFAULT_PARAMS) > 0.0
    assert got["lead"] == round(calibrated(ev["lead"], DEFAULT_PARAMS), 2)
    without = replace(ev["second"], z=ev["second"].z - date_bonus(ev["second"], DEFAULT_PARAMS))
    assert got["second"] == round(calibrated(without, DEFAULT_PARAMS), 2)
    assert got["second"] < calibrated(ev["second"], DEFAULT_PARAMS)
    # Alone, a claim is the leading one and keeps the bonus.
    alone = scored([rows[1]], DEFAULT_PARAMS)[0][1]
    assert alone == round(calibrated(per_claim([rows[1]], DEFAULT_PARAMS)[0], DEFAULT_PARAMS), 2)

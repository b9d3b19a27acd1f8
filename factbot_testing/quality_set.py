"""Realistic posts about claims in the bundled KB, each with the claim it must match first: a test set
(tests/test_quality_set.py) and a benchmark input (benchmarks/match_profile.py)."""

# (expected claim id, post). Written for this set, not copied from the KB's variants.
CASES: list[tuple[str, str]] = [
    (
        "kursk-mod-losses-67150",
        "⚡️Минобороны РФ отчиталось: потери ВСУ в Курской области составили 67.150 человек, 392 танка "
        "и 2428 орудий!!! 🔥🔥 #Курск #СВО\n\nПодписывайтесь на наш канал 👉 https://t.me/voenkor_z",
    ),
    (
        "kursk-mod-losses-67150",
        "Russian MoD claims Ukraine lost 67 150 servicemen and 392 tanks in the Kursk region 🤔 "
        "source: https://t.me/mod_russia/12345",
    ),
    (
        "kursk-340-killed-one-day",
        "‼️ За минувшие сутки на курском направлении противник потерял свыше 340 военнослужащих ‼️\n"
        "Подписаться | Прислать новость",
    ),
    (
        "kursk-340-killed-one-day",
        "Міноборони РФ знову вигадує: нібито за одну добу на Курщині загинули понад 340 українських "
        "військових 🙄 #фейк",
    ),
    (
        "kursk-sudzha-recaptured",
        "🇷🇺 СРОЧНО! Суджа полностью освобождена, российские войска взяли город под контроль, "
        "ВСУ отступают из Курской области!\nПодписывайтесь 👉 @frontline_news",
    ),
    ("kursk-sudzha-recaptured", "Sudzha osvobozhdena! Rossiyskie voyska vzyali gorod pod kontrol, VSU otstupayut 💪"),
    (
        "kursk-sudzha-recaptured",
        "Російські війська повернули собі контроль над Суджею, українські сили відходять з Курщини. "
        "Підписуйтесь на канал ✅",
    ),
    (
        "kursk-total-dominance",
        "Наша армия полностью контролирует ситуацию: все контратаки ВСУ в Курской области отбиты, "
        "враг несёт огромные потери 💥💥 #Курщина",
    ),
    (
        "kursk-ukraine-recruits-criminals",
        "Киев совсем отчаялся — вербует в ВСУ уголовников и зэков прямо из колоний 😂 Подписывайтесь!",
    ),
    (
        "kursk-ukraine-recruits-criminals",
        "Ukraine is now sending convicts and prisoners from its jails to the front lines, pro-Kremlin "
        "channels claim. #disinfo",
    ),
    (
        "kursk-liberation-nearly-complete",
        "Путин надел военную форму: освобождение Курской области от ВСУ близко к завершению, заявили в Кремле 🇷🇺",
    ),
    (
        "kursk-ushakov-truce-pause",
        "Ушаков заявил, что перемирие на 30 дней — это пауза для войны, а не для мира: Украина "
        "перегруппируется и усилит оборону. Подписывайтесь на канал",
    ),
    ("kursk-ushakov-truce-pause", "Ushakov: peremirie na 30 dney eto pauza dlya voyny, a ne dlya mira"),
    (
        "kursk-no-foreign-help",
        "Никаких северокорейцев в Курской области нет! Россия выбивает ВСУ своими силами, "
        "без иностранной помощи 💪 #Курск",
    ),
    (
        "kursk-incursion-achieved-nothing",
        "Курська авантюра Києва провалилася: вторгнення нічого не дало, крім величезних втрат ЗСУ. "
        "Так пишуть російські пропагандисти 🤡",
    ),
    (
        "kursk-avc-shkval-war-crimes",
        "AVC Group пишет: бойцы «Шквала» 129-й бригады ТрО — бывшие зэки, которые грабили и "
        "расстреливали мирных жителей в Плёхово 😡 #военныепреступления",
    ),
]

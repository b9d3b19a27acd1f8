"""A small curated gazetteer of the places and actors of this war, in ru / uk / en (and Latin-typed) forms.

Used by :mod:`knowledge.consistency` to tell whether a post and a claim speak of the same place and the
same side. Forms are matched on stems (:mod:`knowledge.normalize`), so inflected and transliterated
forms of one name meet (Суджа / Суджу / Суджею / Sudzha); adjectives are listed where their stem
differs (харьковский). Places are compared with places; actors (states, armies, their leaders and
spokesmen) with actors. Names a KB entry adds itself (its keywords) extend this list per claim.
"""

from __future__ import annotations

__all__ = ["ABBREVIATIONS", "ACTORS", "ARMIES", "PARENT", "PLACES", "SOURCES", "UNITS"]

# place id -> forms. Regions, towns and villages named in this war's news.
PLACES: dict[str, tuple[str, ...]] = {
    "kursk": ("Курск", "Курская", "курский", "Курщина", "Курськ", "Курська", "курський", "Курщина", "Kursk"),
    "sudzha": ("Суджа", "Суджанский", "Суджанський", "Sudzha", "Sudja", "Suja"),
    "belgorod": ("Белгород", "белгородский", "Бєлгород", "бєлгородський", "Бєлгородщина", "Belgorod"),
    "bryansk": ("Брянск", "брянский", "Брянськ", "брянський", "Bryansk"),
    "kharkiv": ("Харьков", "харьковский", "Харків", "харківський", "Харківщина", "Kharkiv", "Kharkov"),
    "donetsk": ("Донецк", "донецкий", "Донецьк", "донецький", "Донеччина", "Donetsk", "Донбасс", "Донбас", "Donbas"),
    "avdiivka": ("Авдеевка", "Авдіївка", "Avdiivka", "Avdeevka"),
    "pokrovsk": ("Покровск", "покровский", "Покровськ", "покровський", "Pokrovsk"),
    "toretsk": ("Торецк", "торецкий", "Торецьк", "торецький", "Toretsk"),
    "kupiansk": ("Купянск", "купянский", "Куп'янськ", "куп'янський", "Kupiansk", "Kupyansk"),
    "chasiv-yar": ("Часов Яр", "Часів Яр", "Chasiv Yar"),
    "bakhmut": ("Бахмут", "Артемовск", "Bakhmut"),
    "vuhledar": ("Угледар", "Вугледар", "Vuhledar"),
    "mariupol": ("Мариуполь", "Маріуполь", "Mariupol", "Азовсталь", "Azovstal"),
    "kherson": ("Херсон", "херсонский", "херсонський", "Херсонщина", "Kherson"),
    "zaporizhzhia": ("Запорожье", "запорожский", "Запоріжжя", "запорізький", "Zaporizhzhia", "Zaporozhye"),
    "enerhodar": ("Энергодар", "Енергодар", "Enerhodar", "Energodar"),
    "vovchansk": ("Волчанск", "Вовчанськ", "Vovchansk"),
    "bucha": ("Буча", "Bucha"),
    "irpin": ("Ирпень", "Ірпінь", "Irpin"),
    "izium": ("Изюм", "Ізюм", "Izium"),
    "crimea": ("Крым", "Крим", "Crimea"),
    "rostov": ("Ростов", "Rostov"),
    "luhansk": ("Луганск", "Луганськ", "Luhansk", "Lugansk"),
    "kurchatov": ("Курчатов", "Kurchatov"),
    "korenevo": ("Коренево", "Korenevo"),
    "glushkovo": ("Глушково", "Glushkovo"),
    "plyokhovo": ("Плёхово", "Пльохово", "Plyokhovo", "Plekhovo"),
    "gornal": ("Горналь", "Gornal"),
    "sverdlikovo": ("Свердликово", "Sverdlikovo"),
    "malaya-loknya": ("Малая Локня", "Мала Локня", "Malaya Loknya"),
    "melovoy": ("Меловой", "Меловий", "Melovoy"),
    "podol": ("Подол", "Podol"),
    "guevo": ("Гуево", "Гуєво", "Guevo"),
    "martynovka": ("Мартыновка", "Мартинівка", "Martynovka"),
    "yubileyny": ("Юбилейный", "Ювілейний", "Yubileyny", "Yubileiny"),
    "lebedevka": ("Лебедевка", "Лебедівка", "Lebedevka"),
    "makhnovka": ("Махновка", "Махнівка", "Makhnovka"),
    "nikolaevo-daryino": ("Николаево-Дарьино", "Ніколаєво-Дар'їно", "Nikolaevo-Daryino"),
    "tyotkino": ("Тёткино", "Теткино", "Тьоткіно", "Tyotkino", "Tetkino"),
    "rylsk": ("Рыльск", "Рильськ", "Rylsk"),
    "lgov": ("Льгов", "Льгів", "Lgov"),
    "sumy": ("Сумы", "Сумская", "сумской", "Суми", "Сумська", "сумський", "Сумщина", "Sumy"),
    "kurakhove": ("Курахово", "Курахове", "Kurakhove", "Kurakhovo"),
    "velyka-novosilka": ("Великая Новосёлка", "Велика Новосілка", "Velyka Novosilka"),
    "syria": ("Сирия", "Сирія", "Syria", "сирийский", "Syrian"),
    "africa": ("Африка", "Africa", "African", "африканский", "африканський"),
    "venezuela": ("Венесуэла", "Венесуела", "Venezuela"),
}

# actor id -> forms: a side of the war (its state, army, capital, leaders and spokesmen).
ACTORS: dict[str, tuple[str, ...]] = {
    "russia": (
        "Россия", "российский", "россияне", "русские", "РФ", "Росія", "російський", "росіяни", "рф", "Russia",
        "Russian", "Russians", "Кремль", "Kremlin", "Москва", "Moscow", "Путин", "Путін", "Putin", "Песков",
        "Пєсков", "Peskov", "Ушаков", "Ushakov", "Герасимов", "Gerasimov", "окупанти", "оккупанты", "рашисти",
        "ВС РФ", "Вагнер", "Wagner", "орки", "кацапы", "кацапи", "rashisty",
        # Kadyrov's units fight in Russia's army: "Ахмат освободил Суджу" is Russia's deed.
        "Chechen", "Chechens", "чеченский", "чеченський", "чеченцы", "чеченці", "Кадыров", "Кадиров", "Kadyrov",
        "Ахмат", "Akhmat",
    ),  # fmt: skip
    "ukraine": (
        "Украина", "украинский", "украинцы", "Україна", "український", "українці", "Ukraine", "Ukrainian",
        "Ukrainians", "Ukranian", "Ukrainan", "Ukrane",
        "ВСУ", "ЗСУ", "AFU", "Киев", "Київ", "Kyiv", "Kiev", "Зеленский", "Зеленський", "Zelensky",
        "Zelenskyy", "Сырский", "Сирський", "Syrskyi", "ТрО", "теробороны", "тероборони", "киевский",
        "СБУ", "SBU", "ГУР", "HUR", "Буданов", "Budanov", "хохлы", "укры", "укропы", "khokhly", "ukry",
    ),  # fmt: skip
    "north-korea": (
        "КНДР", "DPRK", "Северная Корея", "северокорейский", "северокорейцы", "Північна Корея",
        "північнокорейський", "північнокорейці", "North Korea", "North Korean", "North Koreans", "Ким Чен Ын",
        "Кім Чен Ин", "Kim Jong Un", "Pyongyang", "Пхеньян", "KCNA", "ЦТАК", "КЦТА",
    ),  # fmt: skip
    "usa": (
        "США", "Америка", "американский", "американський", "United States", "USA", "American", "Americans",
        "Вашингтон", "Washington",
    ),  # fmt: skip
    # The West as one side (mercenaries, weapons, "NATO's war"): a country of it names it too.
    "west": (
        "Запад", "западный", "Захід", "західний", "Western", "West", "NATO", "НАТО", "натовский", "натовський",
        "American", "Americans", "американский", "американський", "Polish", "польский", "польський", "поляки",
        "French", "французский", "французький", "British", "британский", "британський",
    ),  # fmt: skip
    "belarus": ("Беларусь", "Белоруссия", "Білорусь", "Belarus", "Лукашенко", "Lukashenko", "белорусский"),
    "iran": ("Иран", "Іран", "Iran", "Iranian", "иранский", "іранський"),
    "venezuela": ("Венесуэла", "Венесуела", "Venezuela", "Venezuelan"),
    "china": ("Китай", "China", "Chinese", "китайский", "китайський"),
    "syria": ("Сирия", "Сирія", "Syria", "Syrian", "сирийский", "сирійський", "сирийцы", "сирійці"),
    "south-korea": (
        "Южная Корея", "Південна Корея", "South Korea", "South Korean", "южнокорейский", "південнокорейський",
        "Сеул", "Seoul",
    ),  # fmt: skip
    "cuba": ("Cuban", "Cubans", "кубинский", "кубинський", "кубинцы", "кубинці"),  # not "Cuba": "cub", "куб"
}

# Named units, read on the raw text (capitals count: "шквал огня" is no unit): a post that names another unit than
# the claim's ("Storm-Z" for "Shkval") tells another story. id -> (display name, regular expression).
UNITS: dict[str, tuple[str, str]] = {
    "shkval": ("Shkval", r"\b(?:Шквал|Shkval)"),
    "storm-z": ("Storm-Z", r"\b(?:Storm|STORM|Шторм|ШТОРМ)[- ]?[ZVЗ]\b"),  # not the verb "stormed"
    "kraken": ("Kraken", r"\b(?:Kraken|Кракен)"),
    "wagner": ("Wagner", r"\b(?:Wagner|Вагнер)"),
    "akhmat": ("Akhmat", r"\b(?:Akhmat|Ахмат)"),
    "azov": ("Azov", r"(?<!Sea of )\bAzov\b|\bАзов(?!ск|стал|ье)"),  # not the sea, not Azovstal
}

# Armies: they name the side of a general staff ("Генштаб ЗСУ"), never of a ministry ("Минобороны: ВСУ ...").
ARMIES: dict[str, tuple[str, ...]] = {"ukraine": ("ВСУ", "ЗСУ", "AFU"), "russia": ("ВС РФ",)}
# The sides' indeclinable abbreviations, as normalised text writes them (Latin-typed ones too).
ABBREVIATIONS = frozenset("всу зсу vsu zsu рф кндр сша нато тро".split())

# Whose report a post relays: the side a ministry or general staff speaks for, when it names none.
SOURCES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "ministry": (
        ("Минобороны", "Міноборони", "министерство обороны", "міністерство оборони", "МО", "MoD",
         "Ministry of Defence", "Ministry of Defense", "defence ministry", "defense ministry"),
        "russia",
    ),  # fmt: skip
    "general-staff": (("Генштаб", "Генеральный штаб", "Генеральний штаб", "General Staff"), None),
    # An intelligence service speaks for the side named next to it ("South Korea's spy agency", "разведка КНДР").
    "intelligence": (("NIS", "spy agency", "intelligence service", "разведка", "розвідка"), None),
}

# town -> its region (so that Sudzha agrees with "the Kursk region" and Avdiivka does not).
PARENT: dict[str, str] = {
    **dict.fromkeys(
        ("sudzha", "kurchatov", "korenevo", "glushkovo", "plyokhovo", "gornal", "sverdlikovo", "malaya-loknya",
         "melovoy", "podol", "guevo", "martynovka", "yubileyny", "lebedevka", "makhnovka", "nikolaevo-daryino",
         "tyotkino", "rylsk", "lgov"),
        "kursk",
    ),  # fmt: skip
    **dict.fromkeys(
        ("avdiivka", "pokrovsk", "toretsk", "chasiv-yar", "bakhmut", "vuhledar", "mariupol", "kurakhove",
         "velyka-novosilka"),
        "donetsk",
    ),
    **dict.fromkeys(("kupiansk", "vovchansk", "izium"), "kharkiv"),
    **dict.fromkeys(("enerhodar",), "zaporizhzhia"),
    **dict.fromkeys(("bucha", "irpin"), "kyiv-region"),
}

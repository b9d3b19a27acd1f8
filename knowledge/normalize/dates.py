"""Calendar dates written in a post (a tweet's or a channel post's signature)."""

from __future__ import annotations

import re
from datetime import date

__all__ = ["find_date", "find_dates"]

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            # English, then Russian and Ukrainian in the genitive a date uses ("14 марта 2025", "14 березня")
            ("january", "jan", "января", "січня"),
            ("february", "feb", "февраля", "лютого"),
            ("march", "mar", "марта", "березня"),
            ("april", "apr", "апреля", "квітня"),
            ("may", "мая", "травня"),
            ("june", "jun", "июня", "червня"),
            ("july", "jul", "июля", "липня"),
            ("august", "aug", "августа", "серпня"),
            ("september", "sep", "sept", "сентября", "вересня"),
            ("october", "oct", "октября", "жовтня"),
            ("november", "nov", "ноября", "листопада"),
            ("december", "dec", "декабря", "грудня"),
        ),
        start=1,
    )
    for m in names
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(
    rf"\b(?:(?P<m1>{_MONTH_ALT})\.? (?P<d1>\d{{1,2}}),? (?P<y1>(?:19|20)\d\d)"  # January 14, 2020
    rf"|(?P<d2>\d{{1,2}}) (?P<m2>{_MONTH_ALT})\.?,? (?P<y2>(?:19|20)\d\d)"  # 14 January 2020
    r"|(?P<y3>(?:19|20)\d\d)-(?P<m3>\d\d)-(?P<d3>\d\d)"  # 2020-01-14
    r"|(?P<d4>\d\d)\.(?P<m4>\d\d)\.(?P<y4>(?:19|20)\d\d))\b",  # 14.01.2020
    re.IGNORECASE,
)


_YEAR_RE = re.compile(r"(?:19|20)\d\d")


def find_date(text: str) -> date | None:
    """The last calendar date written in `text` (a tweet's or post's signature), if any."""
    found = find_dates(text)
    return found[-1] if found else None


def find_dates(text: str) -> tuple[date, ...]:
    """Every calendar date written in `text`, in order."""
    found: list[date] = []
    if not text or not _YEAR_RE.search(text):  # cheap test first: most posts carry no year
        return ()
    for m in _DATE_RE.finditer(text):
        g = m.groupdict()
        try:
            if g["m1"]:
                found.append(date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"])))
            elif g["m2"]:
                found.append(date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"])))
            elif g["y3"]:
                found.append(date(int(g["y3"]), int(g["m3"]), int(g["d3"])))
            else:
                found.append(date(int(g["y4"]), int(g["m4"]), int(g["d4"])))
        except ValueError:
            continue
    return tuple(found)

"""Whether a text speaks of fighting: war, armies, soldiers, battles, weapons, ceasefires, the killed and
the captured, in ru / uk / en.

A claim that names Russia or Ukraine is about the war only if it also speaks of fighting (or names a place
of the war, :mod:`knowledge.gazetteer`): "Putin calls me brilliant" or "the Russians tried to hack the
Republican National Committee" are US politics, and the matcher's rule for claims about the war (offered to
a post that names no place or side only on a close reading) is not theirs. Every claim of the bundled KB
speaks of fighting.

Word starts, matched on the lower-cased text (ё read as е); a stem that would also start common words of
another sense is written out (``war`` but not ``warn``, ``наступ`` only as ``наступлени``/``наступає``).
"""

from __future__ import annotations

import re

__all__ = ["speaks_of_war"]

_EN = (
    r"wars?\b", r"wartime", r"warfare", r"militar", r"army", r"armies", r"armed\b", r"troop", r"soldier",
    r"servicem[ae]n", r"fight", r"fought", r"combat", r"battle", r"front ?lines?\b", r"offensive",
    r"invasion", r"invad", r"incursion", r"attack", r"shelling", r"drone", r"missile", r"rocket", r"artillery",
    r"(?<!think )tanks?\b", r"mercenar", r"cease-?fire", r"truce", r"armistice", r"encircl", r"recaptur", r"captur",
    r"occup", r"liberat", r"annex", r"killed", r"casualt", r"wounded", r"pows?\b", r"prisoners? of war",
    r"conscri", r"mobili[sz]", r"recruit", r"bomb", r"weapon", r"brigade", r"battalion",
    r"losses\b", r"ministry of defen[cs]e", r"defen[cs]e ministry", r"general staff",
)  # fmt: skip
_RU = (
    r"войн", r"воен", r"арми", r"войск", r"солдат", r"бойц", r"боев", r"бой\b", r"боя\b", r"боях",
    r"фронт", r"наступлени", r"контрнаступ", r"вторжени", r"атак", r"обстрел", r"дрон", r"беспилот", r"ракет",
    r"артилл", r"танк(?!ер)", r"наемн", r"перемири", r"прекращени[ея] огня", r"окружени", r"котел", r"котле",
    r"освобожд", r"освободи", r"захват", r"оккуп", r"погиб", r"убит", r"ранен", r"плен(?!ум|к|ит)", r"мобилиз",
    r"вербов", r"завербов", r"штурм(?!ан)", r"всу\b", r"сво\b", r"бригад", r"батальон", r"вагнер", r"шторм-?z",
    r"потери\b", r"минобороны", r"министерств[оа] обороны", r"генштаб",
)  # fmt: skip
_UK = (
    r"війн", r"військ", r"армі", r"бійц", r"бойов", r"наступає", r"вторгнен", r"обстріл", r"безпілот", r"артилер",
    r"найман", r"перемир", r"припиненн[яі] вогню", r"оточенн", r"звільнен", r"захопл", r"окупац", r"окупант",
    r"загин", r"загибл", r"вбит", r"поранен", r"полон", r"мобіліз", r"вербув", r"завербув", r"зсу\b", r"втрат",
    r"міноборони", r"міністерств[оа] оборони",
)  # fmt: skip

_WAR_RE = re.compile(r"(?<!\w)(?:" + "|".join(_EN + _RU + _UK) + ")")


def speaks_of_war(text: str) -> bool:
    """Whether `text` has a word of fighting (see the module's note)."""
    return _WAR_RE.search(text.lower().replace("ё", "е")) is not None

"""The semantic channel fused with the lexical score: which claims a post may be about, in what order.

A logistic model over, per claim: the lexical score's logit (claims the lexical path scored below
``lex_floor``, or did not retrieve, read as absent), the post's cosine with the claim's vector (the mean of
its texts'), that cosine's margin over the next claim's, and whether the lexical path found the claim at
all. It reorders the lexical candidates and adds the claims only the encoder finds, as "possible": whether
a match is *strong* stays the lexical engine's decision (with its consistency checks). Fitted with its
threshold by ``python -m benchmarks.semantic`` (it prints the DEFAULT_FUSION line) on CheckThat! 2A and 2B
train (the rule of benchmarks/tune.py: ``possible`` where 42 % of the gold-removed train posts still get a
list). When the fused score also decided strength, 2B train strong precision fell from 95.7 to 92.5 %.

``possible`` decides *whether* a post gets a list; once it does, the list goes on down to ``related``: the
model gives those alternatives at least a 1 % chance, and on the train splits 6.4 % of them (35 of 545 in
lists whose best was below strong) were the gold claim. A user picks from them; a post of another topic
still gets no list at all.

Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DEFAULT_FUSION", "FusionParams", "features", "fuse"]

_ABSENT_LOGIT = math.log(1e-4 / (1 - 1e-4))


@dataclass(frozen=True, slots=True)
class FusionParams:
    """p = sigmoid(bias + w_lex * logit(lexical / 100) + w_cos * cos + w_margin * margin + w_in_lex * found)."""

    bias: float
    w_lex: float
    w_cos: float
    w_margin: float
    w_in_lex: float
    possible: float  # a post whose best fused score is below this gets no list ("nothing yet")
    lex_floor: float = 1.0  # lexical scores below this are read as absent (the pruned path skips them)
    top: int = 20  # claims the encoder proposes per post
    related: float = 1.0  # once the best reaches `possible`, the next ones down to this fill its list


# Fitted by `python -m benchmarks.semantic` (2A + 2B train, USE multilingual v3): the line it prints.
DEFAULT_FUSION = FusionParams(
    bias=2.32, w_lex=0.9, w_cos=1.81, w_margin=8.96, w_in_lex=-2.99, possible=7.19, lex_floor=1.0, top=20, related=1.0
)


def _logit(score: float) -> float:
    p = min(max(score / 100.0, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def features(
    lexical: dict[str, float], cosines: list[tuple[str, float]], lex_floor: float
) -> dict[str, tuple[float, ...]]:
    """Per claim either channel proposes: (lexical logit, cosine, margin, found lexically).

    `lexical`: claim id -> lexical score (before the consistency checks); `cosines`: the encoder's top
    claims, best first. A claim the encoder did not rank is given the lowest cosine it ranked (it is at
    most that close); the margin is a claim's cosine minus the best other claim's (0 for two equally
    close texts: PolitiFact checks one statement several times).
    """
    lex = {cid: s for cid, s in lexical.items() if s >= lex_floor}
    cos = dict(cosines)
    ranked = sorted(cos.values(), reverse=True)
    floor = ranked[-1] if ranked else 0.0
    first, second = (ranked + [floor, floor])[:2]
    out: dict[str, tuple[float, ...]] = {}
    for cid in lex.keys() | cos.keys():
        c = cos.get(cid, floor)
        found = cid in lex
        margin = c - (second if cid in cos and c >= first else first)
        out[cid] = (_logit(lex[cid]) if found else _ABSENT_LOGIT, c, margin, float(found))
    return out


def fuse(lexical: dict[str, float], cosines: list[tuple[str, float]], params: FusionParams) -> dict[str, float]:
    """The fused 0-100 score of every claim either channel proposes (see :func:`features`)."""
    w = (params.w_lex, params.w_cos, params.w_margin, params.w_in_lex)
    out: dict[str, float] = {}
    for cid, f in features(lexical, cosines, params.lex_floor).items():
        z = params.bias + sum(a * b for a, b in zip(w, f, strict=True))
        out[cid] = 100.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    return out

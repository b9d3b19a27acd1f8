"""Channel reputation: how many KB claims a channel has spread, from the claims' origins."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.services.checks import ForwardOrigin
from knowledge.schema import Claim

_TME = re.compile(r"^https?://(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?([A-Za-z0-9_]{4,})", re.I)


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass
class ReputationIndex:
    """Claim ids by channel username, by channel name and by channel id."""

    by_username: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_name: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_chat_id: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    verdicts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, claims: Iterable[Claim], exact_keys: Iterable[tuple[str, str]] = ()) -> ReputationIndex:
        index = cls()
        for claim in claims:
            index.verdicts[claim.id] = claim.verdict
            for origin in claim.origins:
                if origin.kind != "telegram_channel":
                    continue
                index.by_name[_name_key(origin.name)].add(claim.id)
                match = _TME.match(origin.url or "")
                if match:
                    index.by_username[match.group(1).casefold()].add(claim.id)
                if origin.name.startswith("@"):
                    index.by_username[origin.name[1:].casefold()].add(claim.id)
        for key, claim_id in exact_keys:  # posts moderators linked: tg:<chat_id>:<message_id>
            parts = key.split(":")
            if len(parts) == 3 and parts[0] == "tg" and parts[1].lstrip("-").isdigit():
                index.by_chat_id[int(parts[1])].add(claim_id)
        return index

    def lookup(self, origin: ForwardOrigin | None) -> tuple[int, int] | None:
        """(claims spread, of which false) for a channel origin, or None when it has none in the KB."""
        if origin is None or origin.kind != "channel":
            return None
        ids: set[str] = set()
        if origin.username:
            ids |= self.by_username.get(origin.username.casefold(), set())
        if origin.title:
            ids |= self.by_name.get(_name_key(origin.title), set())
        if origin.chat_id is not None:
            ids |= self.by_chat_id.get(origin.chat_id, set())
        ids = {i for i in ids if i in self.verdicts}
        if not ids:
            return None
        return len(ids), sum(1 for i in ids if self.verdicts[i] == "false")

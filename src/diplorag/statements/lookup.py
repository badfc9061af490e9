"""From what a user types ("Lavrov", "Sergey Lavrov", "Putin's press secretary") to speakers.

Pure: works on the ``Speaker`` records of an index. A name matches in full or by surname (or
family name, for names written family name first); a role phrase matches the roles the
documents give people; otherwise the closest spellings are suggested ("Lavrow" → Sergei
Lavrov).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from diplorag.statements.people import matches, name_parts
from diplorag.statements.roles import role_match, role_signature, role_words
from diplorag.statements.rules import fold, load_rules
from diplorag.types import Speaker

How = Literal["name", "surname", "role", "none"]


@dataclass
class Resolution:
    query: str
    speakers: list[Speaker]  # best first
    how: How
    suggestions: list[str] = field(default_factory=list)
    fit: dict[str, float] = field(default_factory=dict)  # role fit by speaker_id (role only)


def _forms(s: Speaker) -> list[str]:
    return [s.name, *s.aliases]


def resolve(query: str, speakers: Sequence[Speaker], *, limit: int = 5) -> Resolution:
    """The speakers ``query`` can mean, best first, and how it matched."""
    rules = load_rules()
    parts = name_parts(query, rules)
    folded = " ".join(fold(query).split())
    if folded.startswith("the "):
        folded = folded[4:]
    exact, partial = [], []
    for s in speakers:
        if s.kind != "PERSON":
            if fold(s.name) == folded:
                exact.append(s)
            continue
        forms = [name_parts(f, rules) for f in _forms(s)]
        if any(f == parts for f in forms):
            exact.append(s)
        elif any(matches(parts, f) for f in forms):
            partial.append(s)

    def by_count(found: list[Speaker]) -> list[Speaker]:
        return sorted(found, key=lambda s: (-s.statements, s.name))

    if exact:
        return Resolution(query, by_count(exact), "name")
    if partial:
        return Resolution(query, by_count(partial), "surname")
    words = role_words(query)
    heads, _ = role_signature(words, rules)
    if heads:
        scored = []
        fits: dict[str, float] = {}
        countries = role_signature(words, rules)[1] - rules.domains
        same_country: set[str] = set()
        for s in speakers:
            fit = max((role_match(words, r, rules) for r in s.roles), default=0.0)
            if fit > 0:
                fits[s.speaker_id] = fit
                scored.append((fit + 0.25 * math.log1p(s.statements), s))
                if any(
                    role_match(words, r, rules) > 0
                    and countries & role_signature(role_words(r), rules)[1]
                    for r in s.roles
                ):
                    same_country.add(s.speaker_id)
        if countries and same_country:
            # "Beijing's defence ministry": someone whose role names China, not a spokesman
            # of another country's ministry whose role names no country.
            scored = [x for x in scored if x[1].speaker_id in same_country]
        if scored:
            # A closer fit wins; among equal fits, the person quoted more ("the Russian
            # foreign minister" is Lavrov, not a deputy once called that). A high count never
            # outweighs a worse fit: "Russia's ambassador in Oslo" is not the much-quoted
            # foreign minister whose "top diplomat" only resembles it.
            scored.sort(key=lambda x: (-fits[x[1].speaker_id], -x[0], x[1].name))
            best = [s for _, s in scored[:limit]]
            return Resolution(
                query, best, "role", fit={s.speaker_id: fits[s.speaker_id] for s in best}
            )
    return Resolution(query, [], "none", suggest(query, speakers, limit=limit))


def suggest(query: str, speakers: Sequence[Speaker], *, limit: int = 5) -> list[str]:
    """Names close in spelling to ``query`` (whole names, then surnames), most-quoted first."""
    by_form: dict[str, Speaker] = {}
    for s in speakers:
        for f in _forms(s):
            by_form.setdefault(fold(f), s)
            parts = f.split()
            if len(parts) > 1:
                by_form.setdefault(fold(parts[-1]), s)
    close = difflib.get_close_matches(fold(query), list(by_form), n=limit * 3, cutoff=0.6)
    seen: dict[str, Speaker] = {}
    for c in close:
        s = by_form[c]
        seen.setdefault(s.speaker_id, s)
    ranked = sorted(seen.values(), key=lambda s: -s.statements)
    return [s.name for s in ranked[:limit]]


def filter_speakers(query: str, speakers: Sequence[Speaker]) -> list[Speaker]:
    """Speakers whose name, an alias or a role contains ``query`` (diacritics ignored)."""
    q = fold(query)
    found = resolve(query, speakers, limit=50).speakers
    ids = {s.speaker_id for s in found}
    for s in speakers:
        if s.speaker_id not in ids and any(q in fold(f) for f in [*_forms(s), *s.roles]):
            found.append(s)
            ids.add(s.speaker_id)
    return sorted(found, key=lambda s: (-s.statements, s.name))

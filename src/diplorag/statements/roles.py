"""Role phrases ("Moscow's chief diplomat", "the Kremlin spokesman") and whether two fit."""

from __future__ import annotations

import re

from diplorag.statements.rules import Rules, fold, load_rules

_WORD = re.compile(r"[\w'.-]+")


def role_words(text: str) -> list[str]:
    return [fold(w).removesuffix(".") for w in _WORD.findall(text)]


def role_signature(words: list[str], rules: Rules) -> tuple[set[str], set[str]]:
    """The role heads ("minister", "foreign minister") and place keys of a role phrase."""
    heads: set[str] = set()
    for i, w in enumerate(words):
        if w in rules.role_heads:
            heads.add(w)
            if i > 0:
                heads.add(f"{words[i - 1]} {w}")
            if i + 2 < len(words) and words[i + 1] == "of":
                heads.add(f"{w} of {words[i + 2]}")
    return heads, rules.places(words)


def role_match(mention: list[str], role: str, rules: Rules | None = None) -> float:
    """How well a role phrase fits a person's role (0: not at all; more is better).

    The two must share a role head, or heads the rules call the same job ("chief diplomat" =
    "foreign minister"), and must not name different places ("Russian" vs "Japanese").
    """
    rules = rules or load_rules()
    heads_a, places_a = role_signature(mention, rules)
    heads_b, places_b = role_signature(role_words(role), rules)
    if not any(rules.same_role(a, b) for a in heads_a for b in heads_b):
        return 0.0
    countries_a, countries_b = places_a - rules.domains, places_b - rules.domains
    if countries_a and countries_b and not countries_a & countries_b:
        return 0.0
    fields_a, fields_b = places_a & rules.domains, places_b & rules.domains
    if fields_a and fields_b and not fields_a & fields_b:
        return 0.0  # a defence ministry's spokesman is not a foreign ministry's
    compound = any(" " in a and rules.same_role(a, b) for a in heads_a for b in heads_b)
    return 1.0 + len(places_a & places_b) + (0.5 if compound else 0.0)


def office(roles: list[str], rules: Rules | None = None) -> tuple[set[str], set[str], set[str]]:
    """The role heads, countries and fields of government of a person's first role that names
    a country, else of the first role ("Russian Foreign Minister" → {"minister", "foreign
    minister"}, {"russia"}, {"foreign-affairs"}). One role, the most frequent first: a
    person's rarer roles are often the parser's slips ("to Seoul by US Secretary of Defense")."""
    rules = rules or load_rules()
    first: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    for n, role in enumerate(roles):
        heads, places = role_signature(role_words(role), rules)
        found = heads, places - rules.domains, places & rules.domains
        if n == 0:
            first = found
        if found[1]:
            return found
    return first


def colleague(
    asked: list[str], roles: list[str], sentence: str, rules: Rules | None = None
) -> bool:
    """Whether a person with ``roles`` serves the same government, in the same field, as one
    with the roles ``asked`` ("Deputy Foreign Minister Mikhail Bogdanov says Russia …" for
    "Russian Foreign Minister" Lavrov). A person whose roles name no country takes the
    countries of the ``sentence`` that quotes them; someone with no role is no one's colleague."""
    rules = rules or load_rules()
    _, countries, fields = office(asked, rules)
    heads, theirs, their_fields = office(roles, rules)
    if not heads or not countries:
        return False
    if not theirs:
        theirs = rules.places(role_words(sentence)) - rules.domains
    if not theirs & countries:
        return False
    return not (fields and their_fields and not fields & their_fields)

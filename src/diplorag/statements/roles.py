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

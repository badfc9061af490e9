"""The attribution rules (``rules.toml`` beside this file), read once into plain sets and maps."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources


def fold(text: str) -> str:
    """Lower-case, diacritics removed, curly apostrophes straightened ("Anušić" → "anusic")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Rules:
    version: int
    speech: frozenset[str]
    with_particle: dict[str, frozenset[str]]
    light: frozenset[str]
    needs: dict[str, frozenset[str]]
    not_with_object: dict[str, frozenset[str]]
    not_with_xcomp: dict[str, frozenset[str]]
    question_marks: frozenset[str]
    silent_when_negated: frozenset[str]
    attempts: frozenset[str]
    not_yet: frozenset[str]
    intentions: frozenset[str]
    addressee: frozenset[str]
    negating_adverbs: frozenset[str]
    not_with_particle: dict[str, frozenset[str]]
    pronoun_content: frozenset[str]
    writer_marks: frozenset[str]
    absolute_preps: frozenset[str]
    mental: frozenset[str]
    votes: frozenset[str]
    pronoun_gender: dict[str, str]
    male: frozenset[str]
    female: frozenset[str]
    male_names: frozenset[str]
    female_names: frozenset[str]
    role_heads: frozenset[str]
    role_same: dict[str, frozenset[str]]
    place_of: dict[str, str]  # a word or phrase → its place key
    domains: frozenset[str]  # place keys that are fields of government ("defense")
    name_suffixes: tuple[tuple[str, str], ...]
    name_same: dict[str, str]  # a given-name spelling → the one form
    titles: frozenset[str]
    abbreviated_titles: frozenset[str]
    role_after: frozenset[str]
    family_first: frozenset[str]
    particles: frozenset[str]
    not_person_words: frozenset[str]
    media: frozenset[str]

    def predicate(self, lemma: str, particles: frozenset[str] = frozenset()) -> bool:
        if lemma in self.speech:
            return True
        wanted = self.with_particle.get(lemma)
        return wanted is not None and bool(wanted & particles)

    def places(self, words: list[str]) -> set[str]:
        """Place keys named by a sequence of folded words (single words and two-word phrases)."""
        found = set()
        for i, w in enumerate(words):
            if w in self.place_of:
                found.add(self.place_of[w])
            if i + 1 < len(words) and f"{w} {words[i + 1]}" in self.place_of:
                found.add(self.place_of[f"{w} {words[i + 1]}"])
        return found

    def same_role(self, a: str, b: str) -> bool:
        return a == b or b in self.role_same.get(a, frozenset()) or a in self.role_same.get(b, ())


@cache
def load_rules() -> Rules:
    data = tomllib.loads(resources.files("diplorag.statements").joinpath("rules.toml").read_text())
    pred = data["predicates"]
    place_of: dict[str, str] = {}
    for table in ("places", "domains"):
        for key, words in data[table].items():
            for w in words:
                place_of[fold(w)] = key
    name_same: dict[str, str] = {}
    for group in data["names"]["same"]:
        for w in group:
            name_same.setdefault(fold(w), fold(group[0]))
    return Rules(
        version=int(data["version"]),
        speech=frozenset(pred["speech"].split()),
        with_particle={k: frozenset(v) for k, v in pred["with_particle"].items()},
        light=frozenset(pred["light"]),
        needs={k: frozenset(v) for k, v in pred["needs"].items()},
        not_with_object={k: frozenset(v) for k, v in pred["not_with_object"].items()},
        not_with_xcomp={k: frozenset(v) for k, v in pred["not_with_xcomp"].items()},
        question_marks=frozenset(pred["question_marks"].split()),
        silent_when_negated=frozenset(pred["silent_when_negated"].split()),
        attempts=frozenset(pred["attempts"].split()),
        not_yet=frozenset(pred["not_yet"].split()),
        intentions=frozenset(pred["intentions"].split()),
        addressee=frozenset(pred["addressee"].split()),
        negating_adverbs=frozenset(pred["negating_adverbs"].split()),
        not_with_particle={k: frozenset(v) for k, v in pred["not_with_particle"].items()},
        pronoun_content=frozenset(data["content"]["pronouns"].split()),
        writer_marks=frozenset(data["content"]["writer_marks"]),
        absolute_preps=frozenset(data["content"]["absolute_preps"]),
        mental=frozenset(pred["mental"].split()),
        votes=frozenset(pred["votes"].split()),
        pronoun_gender=dict(data["speakers"]),
        male=frozenset(data["gender"]["male"]),
        female=frozenset(data["gender"]["female"]),
        male_names=frozenset(data["gender"]["male_names"].split()),
        female_names=frozenset(data["gender"]["female_names"].split()),
        role_heads=frozenset(data["roles"]["heads"].split()),
        role_same={k: frozenset(v) for k, v in data["roles"]["same"].items()},
        place_of=place_of,
        domains=frozenset(data["domains"]),
        name_suffixes=tuple((a, b) for a, b in data["names"]["suffix_rules"]),
        name_same=name_same,
        titles=frozenset(data["names"]["titles"].split()),
        abbreviated_titles=frozenset(data["names"]["abbreviated_titles"].split()),
        role_after=frozenset(data["names"]["role_after"].split()),
        family_first=frozenset(data["names"]["family_first"].split()),
        particles=frozenset(data["names"]["particles"]),
        not_person_words=frozenset(data["names"]["not_person_words"].split()),
        media=frozenset(data["names"]["media"].split()),
    )

"""People as entities: name keys, same-person tests, and merging names across documents.

Pure (no spaCy). A *name* is what a document writes ("Sergey Lavrov", "Mr Lavrov",
"Anušić"); its *parts* are the folded words without titles or possessives, hyphens split
("Kim Young-suk" → kim, young, suk), given-name spellings unified by the rules' variant table
(Sergey → sergei). Two names are one person when their first and last parts agree and the
middle parts of the shorter are a subsequence of the longer's (initials match a part's first
letter): "Donald J. Trump" = "Donald Trump", "Kim Jong Un" ≠ "Kim Jong Nam". A lone surname
joins a full name only where that is unambiguous.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from diplorag.statements.rules import Rules, fold, load_rules

_PART = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def name_parts(name: str, rules: Rules | None = None) -> list[str]:
    """The comparable parts of a person's name (titles, possessives and initials' dots dropped)."""
    if rules is None or rules is load_rules():
        return list(_default_parts(name))
    return _parts(name, rules)


@lru_cache(maxsize=1 << 17)
def _default_parts(name: str) -> tuple[str, ...]:
    """``name_parts`` under the shipped rules, memoised: a question compares the same names with
    thousands of speakers' names."""
    return tuple(_parts(name, load_rules()))


def _parts(name: str, rules: Rules) -> list[str]:
    words = _PART.findall(fold(name).replace("-", " "))
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    while len(words) > 1 and words[0] in rules.titles:
        words = words[1:]
    out = []
    for w in words:
        w = rules.name_same.get(w, w)
        for old, new in rules.name_suffixes:
            if len(w) > len(old) + 2 and w.endswith(old):
                w = w[: -len(old)] + new
                break
        out.append(rules.name_same.get(w, w))
    return out


def name_key(name: str, rules: Rules | None = None) -> str:
    """A stable key for one spelling family of a name: its parts joined by spaces."""
    return " ".join(name_parts(name, rules))


def _initial(part: str) -> bool:
    return len(part) == 1


def _subsequence(short: Sequence[str], long: Sequence[str]) -> bool:
    it = iter(long)
    for s in short:
        for candidate in it:
            if candidate == s or (_initial(s) and candidate.startswith(s)):
                break
        else:
            return False
    return True


def _one_edit(a: str, b: str) -> bool:
    """One letter inserted or dropped ("niki" / "nikki"); a changed letter is another name
    ("mary" / "marc")."""
    if len(a) == len(b):
        return a == b
    if abs(len(a) - len(b)) > 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def same_name(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two full names (as parts, two or more each) name one person.

    Given names may differ by one letter when both are at least four letters long and start
    alike (Niki / Nikki Haley): a spelling slip, not another person with that surname.
    """
    if len(a) < 2 or len(b) < 2:
        return False
    first_a, first_b = a[0], b[0]
    same_first = (
        first_a == first_b
        or (_initial(first_a) and first_b.startswith(first_a))
        or (_initial(first_b) and first_a.startswith(first_b))
        or (
            min(len(first_a), len(first_b)) >= 4
            and first_a[0] == first_b[0]
            and _one_edit(first_a, first_b)
        )
    )
    if not same_first:
        return False
    if a[-1] != b[-1]:
        return False
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if not _subsequence(short[1:-1], long[1:-1]):
        return False
    # George W. Bush ≠ George H. W. Bush: when the shorter name gives initials, the longer may
    # not add initials of its own.
    if any(_initial(p) for p in short[1:-1]):
        extra = [p for p in long[1:-1] if p not in short[1:-1]]
        if any(_initial(p) for p in extra):
            return False
    return True


def ends_with_name(long: Sequence[str], short: Sequence[str]) -> bool:
    """ "nations nikki haley" ends with "nikki haley": a full name with words glued before it
    (a title or an organisation the text ran into it)."""
    return len(short) >= 2 and len(long) > len(short) and list(long[-len(short) :]) == list(short)


def matches(query: Sequence[str], name: Sequence[str]) -> bool:
    """Whether what a user typed (parts) can mean ``name``: a full match or a surname.

    "Lavrov" matches "Sergei Lavrov"; "Kang" matches "Kang Insun" (family name first);
    "Sergey Lavrov" matches "Sergei Viktorovich Lavrov".
    """
    if not query or not name:
        return False
    if len(query) == 1:
        return query[0] in (name[0], name[-1]) if len(name) > 1 else query == list(name)
    return list(query) == list(name) or same_name(query, name)


@dataclass
class PersonName:
    """One person as a document names them (the input to the cross-document merge)."""

    key: str  # doc_id:local id
    name: str  # the fullest form the document gives
    aliases: set[str] = field(default_factory=set)
    gender: str | None = None  # "male" / "female" where the document tells
    # The document shows a person: they speak, or it gives them a title, a gender or a role.
    # A lone word without it ("the Ferguson police shooting") joins no one elsewhere.
    person_like: bool = True


@dataclass
class Entity:
    """A person across documents: one canonical name, many forms."""

    entity_id: str
    name: str
    members: list[str]  # PersonName.key of every document-level person
    forms: Counter[str] = field(default_factory=Counter)


def merge_people(people: Iterable[PersonName], rules: Rules | None = None) -> list[Entity]:
    """Merge document-level people into corpus-wide entities.

    Full names (two parts or more) merge when ``same_name`` holds; the canonical name is the
    most frequent full form (ties: the longest). A document-level person known only by one
    word ("Lavrov") joins the one entity whose surname or family name that is, when exactly
    one entity has it; otherwise it stays an entity of its own. A given name is no surname:
    a document that names someone only "Scott" or "Eva" does not join "Scott Pruitt" or "Eva
    Cosse", and the people with it as given name make it ambiguous ("Carlos" is not the one
    Dionardo Carlos); a first part joins only where names are written family name first ("Wang"
    of "Wang Yi", rules' ``family_first``). A person of one gender never joins one of the other.
    A lone surname that two full names of its own document share (Hans and Ola Rosling) is
    none of them there, and joins no one elsewhere; nor does a lone word its document gives no
    sign of being a person (no statement, title, gender or role: "Ferguson" of "the Ferguson
    police shooting" is the town, not Bob Ferguson).
    """
    rules = rules or load_rules()
    people = list(people)
    by_ends: dict[tuple[str, str], list[int]] = defaultdict(list)
    parts = [name_parts(p.name, rules) for p in people]
    parent = list(range(len(people)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, ps in enumerate(parts):
        if len(ps) >= 2:
            by_ends[(ps[0][0], ps[-1])].append(i)
    for group in by_ends.values():
        for x, i in enumerate(group):
            for j in group[:x]:
                if find(i) != find(j) and same_name(parts[i], parts[j]):
                    parent[find(i)] = find(j)
    full_names: dict[tuple[str, ...], int] = {}
    for i, ps in enumerate(parts):
        if len(ps) >= 2:
            full_names.setdefault(tuple(ps), i)
    for i, ps in enumerate(parts):
        for n in range(2, len(ps)):
            owner = full_names.get(tuple(ps[-n:]))
            if owner is not None and ends_with_name(ps, parts[owner]):
                parent[find(i)] = find(owner)
                break
    surname_roots: dict[str, set[int]] = defaultdict(set)  # surname or family name → roots
    given_roots: dict[str, set[int]] = defaultdict(set)  # a given name → roots (never joined)
    for i, ps in enumerate(parts):
        if len(ps) >= 2:
            surname_roots[ps[-1]].add(find(i))
            if ps[0] in rules.family_first:
                surname_roots[ps[0]].add(find(i))
            else:
                given_roots[ps[0]].add(find(i))
    size: Counter[int] = Counter(find(i) for i in range(len(people)))
    genders: dict[int, Counter[str]] = defaultdict(Counter)
    for i, p in enumerate(people):
        if p.gender:
            genders[find(i)][p.gender] += 1

    def fits(root: int, gender: str | None) -> bool:
        told = genders.get(root)
        return not (gender and told and told.most_common(1)[0][0] != gender)

    def doc_of(i: int) -> str:
        return people[i].key.split("\x00", 1)[0]

    in_doc: dict[tuple[str, str], set[tuple[str, ...]]] = defaultdict(set)
    for i, ps in enumerate(parts):
        if len(ps) >= 2:
            in_doc[(doc_of(i), ps[-1])].add(tuple(ps))
            if ps[0] in rules.family_first:
                in_doc[(doc_of(i), ps[0])].add(tuple(ps))

    lone: dict[tuple[str, str], int] = {}  # (document, name) → the first lone person
    unowned: dict[str, int] = {}
    for i, ps in enumerate(parts):
        if len(ps) != 1:
            continue
        if len({find(full_names[f]) for f in in_doc.get((doc_of(i), ps[0]), ())}) >= 2:
            continue  # a family of one story: the lone surname is ambiguous there
        if not people[i].person_like:
            continue  # a lone word nothing in its document shows to be a person: a place?
        owners = surname_roots.get(ps[0], set())
        gender = people[i].gender
        roots = sorted(
            {find(r) for r in owners if fits(find(r), gender)}, key=lambda r: (-size[r], r)
        )
        # People with it as given name make a lone word ambiguous without being candidates:
        # "Carlos" (the Jackal) is neither Carlos Slim nor Dionardo Carlos.
        rivals = [
            size[r]
            for r in {find(g) for g in given_roots.get(ps[0], set())} - set(roots)
            if fits(r, gender)
        ] + [size[r] for r in roots[1:]]
        # A lone surname is the person who has it, or the one who has it in at least three
        # times as many documents as anyone else ("Haley": Nikki Haley, not Brad Haley).
        if roots and (not rivals or size[roots[0]] >= 3 * max(rivals)):
            parent[i] = roots[0]
            continue
        if roots or rivals:
            continue  # ambiguous: stays on its own
        doc = doc_of(i)
        same_doc = lone.setdefault((doc, ps[0]), i)
        if same_doc != i:
            parent[find(i)] = find(same_doc)
        else:  # the same lone surname nobody else has, across documents: one person
            first = unowned.setdefault(ps[0], i)
            if first != i:
                parent[find(i)] = find(first)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(people)):
        clusters[find(i)].append(i)
    entities = []
    for members in clusters.values():
        forms: Counter[str] = Counter()
        for i in members:
            forms[people[i].name] += 1
            for alias in people[i].aliases:
                forms[alias] += 0
        full = [(n, c) for n, c in forms.items() if len(name_parts(n, rules)) >= 2 and c]
        pool = full or [(n, c) for n, c in forms.items() if c] or list(forms.items())
        name = max(pool, key=lambda nc: (nc[1], len(nc[0]), nc[0]))[0]
        entities.append(
            Entity(
                entity_id="p:" + name_key(name, rules).replace(" ", "-"),
                name=name,
                members=[people[i].key for i in members],
                forms=forms,
            )
        )
    _unique_ids(entities)
    return entities


def _unique_ids(entities: list[Entity]) -> None:
    seen: Counter[str] = Counter()
    for e in sorted(entities, key=lambda e: (-len(e.members), e.name)):
        seen[e.entity_id] += 1
        if seen[e.entity_id] > 1:
            e.entity_id = f"{e.entity_id}-{seen[e.entity_id]}"

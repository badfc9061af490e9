"""The statement index's tables, in the chunk store's SQLite file (same generation, same rules).

::

    mentions          doc_id, start, end, label, text, person      entity mentions with offsets
    persons           doc_id, local, name, aliases, roles, gender  the people of one document
    statements        statement_id, doc_id, sentence/content/mention spans, person | org,
                      predicate, direct, negated, speaker_id        who said what
    speakers          speaker_id, name, kind, aliases, roles        people (and organisations)
                                                                    across documents
    speaker_members   doc_id, local → speaker_id                    which document-level person
                                                                    is which corpus-wide one
    statement_vectors doc_id, sentence_start, vector                the embedding of each
                                                                    statement sentence's context

``speakers`` and ``speaker_members`` are derived: ``rebuild_speakers`` recomputes them from
``persons`` (and the organisations that speak) after every ingest that changed a document.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from diplorag.statements.people import PersonName, merge_people, name_key, name_parts
from diplorag.statements.roles import role_words
from diplorag.statements.rules import fold, load_rules
from diplorag.types import Speaker, Statement

if TYPE_CHECKING:  # the extractor is imported only by ingest, not by a search
    from diplorag.statements.extract import DocumentAnalysis

SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
    doc_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    label TEXT NOT NULL, text TEXT NOT NULL, person INTEGER
);
CREATE INDEX IF NOT EXISTS mentions_by_doc ON mentions(doc_id);
CREATE TABLE IF NOT EXISTS persons (
    doc_id TEXT NOT NULL, local INTEGER NOT NULL, name TEXT NOT NULL,
    aliases TEXT NOT NULL, roles TEXT NOT NULL, gender TEXT,
    PRIMARY KEY (doc_id, local)
);
CREATE TABLE IF NOT EXISTS statements (
    statement_id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    sentence_start INTEGER NOT NULL, sentence_end INTEGER NOT NULL,
    content_start INTEGER NOT NULL, content_end INTEGER NOT NULL,
    person INTEGER, org_label TEXT, org_name TEXT,
    mention TEXT NOT NULL, mention_start INTEGER, mention_end INTEGER,
    predicate TEXT NOT NULL, direct INTEGER NOT NULL, negated INTEGER NOT NULL,
    speaker_id TEXT
);
CREATE INDEX IF NOT EXISTS statements_by_doc ON statements(doc_id);
CREATE INDEX IF NOT EXISTS statements_by_speaker ON statements(speaker_id);
CREATE TABLE IF NOT EXISTS speakers (
    speaker_id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
    aliases TEXT NOT NULL, roles TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS speaker_members (
    doc_id TEXT NOT NULL, local INTEGER NOT NULL, speaker_id TEXT NOT NULL,
    PRIMARY KEY (doc_id, local)
);
CREATE TABLE IF NOT EXISTS statement_vectors (
    doc_id TEXT NOT NULL, sentence_start INTEGER NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (doc_id, sentence_start)
);
"""

CONTEXT_REACH = 240  # characters before a statement's sentence that its context includes


def statement_context(title: str, before: str, sentence: str) -> str:
    """What a statement is about, as it is embedded: the headline, the end of the sentence
    before (``before``: the ``CONTEXT_REACH`` characters ahead of it) and its own sentence.

    A statement is often about what the sentence before it says ("Japanese media reported…
    'This has nothing to do with reality,' Peskov said"), and the headline says what the
    story is about.
    """
    if " " in before:
        before = before.split(" ", 1)[1]  # from the first whole word
    return f"{title}. {before} {sentence}"


_STATEMENT_COLUMNS = """
    s.statement_id, s.doc_id, d.path, d.title, d.published, d.source,
    s.sentence_start, s.sentence_end, s.content_start, s.content_end,
    substr(d.text, s.sentence_start + 1, s.sentence_end - s.sentence_start),
    substr(d.text, s.content_start + 1, s.content_end - s.content_start),
    s.speaker_id, k.name, k.kind, s.mention, s.mention_start, s.mention_end,
    s.predicate, s.direct, s.negated
"""
_FROM = (
    "FROM statements s JOIN documents d USING (doc_id) "
    "LEFT JOIN speakers k ON k.speaker_id = s.speaker_id"
)


def outlet(source: str | None, path: str) -> str:
    """Where a document comes from: the host of its source URL, else its folder's name."""
    if source:
        host = urlparse(source).netloc or source
        return host.removeprefix("www.")
    parts = path.replace("\\", "/").rsplit("/", 2)
    return parts[-2] if len(parts) >= 2 else path


def org_id(label: str, name: str) -> str:
    return "o:" + "-".join(fold(name).replace("'s", "").split())


class StatementStore:
    """Reads and writes the statement tables of one open chunk store."""

    def __init__(self, db: sqlite3.Connection, *, readonly: bool = False) -> None:
        self._db = db
        if not readonly:
            db.executescript(SCHEMA)

    @property
    def present(self) -> bool:
        """Whether this index has statement tables at all (indexes from before have none)."""
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='statements'"
        ).fetchone()
        return row is not None

    # -- writing ---------------------------------------------------------------------------

    def delete_document(self, doc_id: str) -> None:
        for table in ("mentions", "persons", "statements", "speaker_members", "statement_vectors"):
            self._db.execute(f"DELETE FROM {table} WHERE doc_id=?", (doc_id,))

    def add_analysis(self, doc_id: str, analysis: DocumentAnalysis) -> None:
        self.delete_document(doc_id)
        self._db.executemany(
            'INSERT INTO mentions (doc_id, start, "end", label, text, person) VALUES (?,?,?,?,?,?)',
            [(doc_id, m.start, m.end, m.label, m.text, m.person) for m in analysis.mentions],
        )
        self._db.executemany(
            "INSERT INTO persons VALUES (?,?,?,?,?,?)",
            [
                (
                    doc_id,
                    i,
                    p.name,
                    json.dumps(sorted(p.aliases), ensure_ascii=False),
                    json.dumps(p.roles, ensure_ascii=False),
                    p.gender,
                )
                for i, p in enumerate(analysis.people)
            ],
        )
        self._db.executemany(
            "INSERT INTO statements (doc_id, sentence_start, sentence_end, content_start,"
            " content_end, person, org_label, org_name, mention, mention_start, mention_end,"
            " predicate, direct, negated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    doc_id,
                    s.sentence_start,
                    s.sentence_end,
                    s.content_start,
                    s.content_end,
                    s.speaker.person,
                    s.speaker.label,
                    s.speaker.name,
                    s.mention,
                    s.mention_start,
                    s.mention_end,
                    s.predicate,
                    int(s.direct),
                    int(s.negated),
                )
                for s in analysis.statements
            ],
        )

    def contexts_without_vectors(self) -> list[tuple[str, int, str]]:
        """``(doc_id, sentence_start, context)`` of each statement sentence not yet embedded."""
        sql = (
            "SELECT DISTINCT s.doc_id, s.sentence_start, d.title,"
            f" substr(d.text, max(1, s.sentence_start - {CONTEXT_REACH} + 1),"
            f" min(s.sentence_start, {CONTEXT_REACH})),"
            " substr(d.text, s.sentence_start + 1, s.sentence_end - s.sentence_start)"
            " FROM statements s JOIN documents d USING (doc_id)"
            " LEFT JOIN statement_vectors v"
            " ON v.doc_id = s.doc_id AND v.sentence_start = s.sentence_start"
            " WHERE v.doc_id IS NULL ORDER BY s.doc_id, s.sentence_start"
        )
        return [
            (str(doc_id), int(start), statement_context(str(title), str(before), str(sentence)))
            for doc_id, start, title, before, sentence in self._db.execute(sql)
        ]

    def add_vectors(self, keys: Sequence[tuple[str, int]], vectors: Any) -> None:
        """Store the context embeddings of statement sentences (``keys``: doc_id, start)."""
        import numpy as np

        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        self._db.executemany(
            "INSERT OR REPLACE INTO statement_vectors VALUES (?,?,?)",
            [
                (doc_id, start, row.tobytes())
                for (doc_id, start), row in zip(keys, rows, strict=True)
            ],
        )

    def vectors(self) -> tuple[list[tuple[str, int]], Any]:
        """Every stored context embedding: the keys ``(doc_id, sentence_start)`` and a
        float32 matrix, row by row (none in an index built before they were stored)."""
        import numpy as np

        if not self._has_vectors():
            return [], np.zeros((0, 0), np.float32)
        keys: list[tuple[str, int]] = []
        blobs: list[bytes] = []
        for doc_id, start, blob in self._db.execute(
            "SELECT doc_id, sentence_start, vector FROM statement_vectors"
        ):
            keys.append((str(doc_id), int(start)))
            blobs.append(bytes(blob))
        if not blobs:
            return [], np.zeros((0, 0), np.float32)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
        return keys, matrix

    def _has_vectors(self) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='statement_vectors'"
        ).fetchone()
        return row is not None

    def rebuild_speakers(self) -> int:
        """Merge document-level people into corpus-wide speakers; returns how many people."""
        rows = self._db.execute(
            "SELECT doc_id, local, name, aliases, roles, gender FROM persons"
        ).fetchall()
        speaking = set(
            self._db.execute(
                "SELECT DISTINCT doc_id, person FROM statements WHERE person IS NOT NULL"
            )
        )
        people = [
            PersonName(
                key=f"{doc_id}\x00{local}",
                name=name,
                aliases=set(json.loads(aliases)),
                gender=gender,
                person_like=bool(gender or json.loads(roles) or (doc_id, local) in speaking),
            )
            for doc_id, local, name, aliases, roles, gender in rows
        ]
        roles_of = {
            f"{doc_id}\x00{local}": json.loads(roles) for doc_id, local, _, _, roles, _ in rows
        }
        entities = merge_people(people)
        self._db.execute("DELETE FROM speakers")
        self._db.execute("DELETE FROM speaker_members")
        members = []
        speakers = []
        surname_of: dict[str, set[str]] = defaultdict(set)
        for e in entities:
            roles: Counter[str] = Counter()
            for key in e.members:
                doc_id, local = key.split("\x00")
                members.append((doc_id, int(local), e.entity_id))
                for r in roles_of.get(key, []):
                    roles[" ".join(r.split())] += 1
            aliases = sorted(f for f in e.forms if f != e.name)
            speakers.append(
                (
                    e.entity_id,
                    e.name,
                    "PERSON",
                    json.dumps(aliases, ensure_ascii=False),
                    json.dumps(_distinct(roles), ensure_ascii=False),
                )
            )
            parts = name_parts(e.name)
            if len(parts) >= 2:
                surname_of[parts[-1]].add(e.entity_id)
        self._db.executemany("INSERT INTO speaker_members VALUES (?,?,?)", members)
        # Organisations and places that speak ("the Kremlin said", "China called on"). A single
        # word that is one person's surname elsewhere in the corpus is that person, misread.
        orgs: dict[str, tuple[str, str]] = {}
        misread: dict[tuple[str, str], str] = {}
        for label, name in self._db.execute(
            "SELECT DISTINCT org_label, org_name FROM statements WHERE person IS NULL"
        ):
            if not name:
                continue
            parts = name_parts(name)
            owners = surname_of.get(parts[0], set()) if len(parts) == 1 else set()
            if label in ("ORG", "NORP") and len(owners) == 1:
                misread[(label, name)] = next(iter(owners))
                continue
            orgs.setdefault(org_id(label, name), (name, label))
        speakers += [(sid, name, label, "[]", "[]") for sid, (name, label) in sorted(orgs.items())]
        self._db.executemany("INSERT OR REPLACE INTO speakers VALUES (?,?,?,?,?)", speakers)
        self._db.execute(
            "UPDATE statements SET speaker_id = (SELECT m.speaker_id FROM speaker_members m"
            " WHERE m.doc_id = statements.doc_id AND m.local = statements.person)"
            " WHERE person IS NOT NULL"
        )
        self._db.executemany(
            "UPDATE statements SET speaker_id = ? WHERE person IS NULL AND org_label = ?"
            " AND org_name = ?",
            [(sid, label, name) for (label, name), sid in misread.items()]
            + [(sid, label, name) for sid, (name, label) in orgs.items()],
        )
        return len(entities)

    # -- reading ---------------------------------------------------------------------------

    def speakers(
        self,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        path_glob: str | None = None,
    ) -> list[Speaker]:
        """Every speaker with a statement in the documents that pass the filters."""
        where, args = document_filter(since, until, path_glob)
        cond = " AND ".join(["s.speaker_id IS NOT NULL", *where])
        stats = {
            sid: (n, docs, first, last)
            for sid, n, docs, first, last in self._db.execute(
                "SELECT s.speaker_id, COUNT(*), COUNT(DISTINCT s.doc_id), MIN(d.published),"
                f" MAX(d.published) FROM statements s JOIN documents d USING (doc_id) WHERE {cond}"
                " GROUP BY s.speaker_id",
                args,
            )
        }
        outlets: dict[str, Counter[str]] = defaultdict(Counter)
        for sid, source, path in self._db.execute(
            "SELECT DISTINCT s.speaker_id, d.source, d.path FROM statements s"
            f" JOIN documents d USING (doc_id) WHERE {cond}",
            args,
        ):
            outlets[sid][outlet(source, path)] += 1
        out = []
        for sid, name, kind, aliases, roles in self._db.execute(
            "SELECT speaker_id, name, kind, aliases, roles FROM speakers"
        ):
            if sid not in stats:
                continue
            n, docs, first, last = stats[sid]
            out.append(
                Speaker(
                    speaker_id=sid,
                    name=name,
                    kind=kind,
                    statements=n,
                    documents=docs,
                    aliases=json.loads(aliases),
                    roles=json.loads(roles),
                    outlets=[o for o, _ in outlets[sid].most_common()],
                    first_date=dt.date.fromisoformat(first) if first else None,
                    last_date=dt.date.fromisoformat(last) if last else None,
                )
            )
        out.sort(key=lambda s: (-s.statements, s.name))
        return out

    def statements(
        self,
        *,
        speaker_ids: Sequence[str] | None = None,
        doc_id: str | None = None,
        ids: Iterable[int] | None = None,
        sentences: Sequence[tuple[str, int]] | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        path_glob: str | None = None,
    ) -> list[Statement]:
        """Statements matching every given condition, newest first (undated last)."""
        where: list[str] = []
        args: list[object] = []
        if speaker_ids is not None:
            where.append(f"s.speaker_id IN ({','.join('?' * len(speaker_ids))})")
            args += list(speaker_ids)
        if doc_id is not None:
            where.append("s.doc_id = ?")
            args.append(doc_id)
        if ids is not None:
            wanted = list(ids)
            where.append(f"s.statement_id IN ({','.join('?' * len(wanted))})")
            args += wanted
        if sentences is not None:
            pairs = ",".join("(?,?)" for _ in sentences) or "(NULL,NULL)"
            where.append(f"(s.doc_id, s.sentence_start) IN (VALUES {pairs})")
            args += [x for key in sentences for x in key]
        more, more_args = document_filter(since, until, path_glob)
        where += more
        args += more_args
        sql = f"SELECT {_STATEMENT_COLUMNS} {_FROM}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY d.published IS NULL, d.published DESC, s.doc_id, s.sentence_start"
        return [_statement(row) for row in self._db.execute(sql, args)]

    def sentence_keys(
        self, since: dt.date | None, until: dt.date | None, path_glob: str | None
    ) -> set[tuple[str, int]]:
        """The ``(doc_id, sentence_start)`` of every statement in the documents a filter keeps."""
        where, args = document_filter(since, until, path_glob)
        sql = "SELECT DISTINCT s.doc_id, s.sentence_start FROM statements s JOIN documents d"
        sql += " USING (doc_id)" + (" WHERE " + " AND ".join(where) if where else "")
        return {(str(d), int(start)) for d, start in self._db.execute(sql, args)}

    def statements_in(self, doc_id: str, start: int, end: int) -> list[Statement]:
        """Statements whose sentence overlaps ``[start, end)`` of a document."""
        sql = (
            f"SELECT {_STATEMENT_COLUMNS} {_FROM} WHERE s.doc_id = ? AND s.sentence_start < ?"
            " AND s.sentence_end > ? ORDER BY s.sentence_start"
        )
        return [_statement(row) for row in self._db.execute(sql, (doc_id, end, start))]

    def counts(self) -> tuple[int, int]:
        """``(statements, people)`` in the index."""
        n = self._db.execute("SELECT COUNT(*) FROM statements").fetchone()[0]
        p = self._db.execute("SELECT COUNT(*) FROM speakers WHERE kind='PERSON'").fetchone()[0]
        return int(n), int(p)


def document_filter(
    since: dt.date | None, until: dt.date | None, path_glob: str | None
) -> tuple[list[str], list[str]]:
    """SQL conditions on ``documents d``: a document with no known date fails a date filter."""
    where, args = [], []
    if since:
        where.append("d.published >= ?")
        args.append(since.isoformat())
    if until:
        where.append("d.published <= ?")
        args.append(until.isoformat())
    if path_glob:
        where.append("(d.path GLOB ? OR d.source GLOB ?)")
        args += [path_glob, path_glob]
    return where, args


_LIST_BREAK = re.compile(r",|;|\band\b|\bincluding\b|\bwith\b|\bfrom\b|\bto\s+(?=[A-Z]\w+\s+[A-Z])")


def clean_role(role: str) -> str:
    """The role phrase proper: the last item of a list the parse ran into it, no article.

    "including Secretary of State Rex Tillerson and UN ambassador" → "UN ambassador".
    """
    pieces = [p.strip(" -–—") for p in _LIST_BREAK.split(role) if p.strip(" -–—")]
    rules = load_rules()
    with_head = [p for p in pieces if any(w in rules.role_heads for w in role_words(p))]
    best = with_head[-1] if with_head else (pieces[-1] if pieces else role)
    return re.sub(r"^(?:the|a|an)\s+", "", best, flags=re.IGNORECASE)


def _distinct(roles: Counter[str]) -> list[str]:
    seen: dict[str, str] = {}
    cleaned: Counter[str] = Counter()
    for role, n in roles.items():
        cleaned[clean_role(role)] += n
    for role, _ in cleaned.most_common():
        seen.setdefault(name_key(role), role)
    return list(seen.values())[:8]


def _statement(row: Sequence[object]) -> Statement:
    (sid, doc_id, path, title, published, source, ss, se, cs, ce, text, content) = row[:12]
    (speaker_id, speaker, kind, mention, ms, me, predicate, direct, negated) = row[12:]
    return Statement(
        statement_id=int(str(sid)),
        doc_id=str(doc_id),
        path=str(path),
        title=str(title),
        published=dt.date.fromisoformat(str(published)) if published else None,
        source=str(source) if source else None,
        sentence_start=int(str(ss)),
        sentence_end=int(str(se)),
        content_start=int(str(cs)),
        content_end=int(str(ce)),
        text=str(text),
        content=str(content),
        speaker_id=str(speaker_id) if speaker_id else None,
        speaker=str(speaker) if speaker else None,
        speaker_kind=kind if kind in ("PERSON", "ORG", "GPE", "NORP") else None,
        mention=str(mention),
        mention_start=int(str(ms)) if ms is not None else None,
        mention_end=int(str(me)) if me is not None else None,
        predicate=str(predicate),
        direct=bool(direct),
        negated=bool(negated),
    )

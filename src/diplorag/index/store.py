"""The chunk store: documents, chunks, offsets and metadata in one SQLite file.

The store owns the mapping from FAISS vector ids to chunks. ``vector_id`` is an
``AUTOINCREMENT`` key, so an id is never reused after its chunk is deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from diplorag.errors import IndexCorruptError
from diplorag.index.statement_store import StatementStore, document_filter
from diplorag.types import Chunk, Document, Hit

FILE_NAME = "chunks.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id       TEXT PRIMARY KEY,
    path         TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    title        TEXT NOT NULL,
    published    TEXT,
    source       TEXT,
    kind         TEXT NOT NULL,
    text         TEXT NOT NULL,
    body_start   INTEGER NOT NULL,
    ingested_at  TEXT NOT NULL,
    encoding     TEXT NOT NULL DEFAULT 'utf-8'
);
CREATE TABLE IF NOT EXISTS chunks (
    vector_id INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id  TEXT NOT NULL UNIQUE,
    doc_id    TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,
    start     INTEGER NOT NULL,
    "end"     INTEGER NOT NULL,
    text      TEXT NOT NULL,
    n_words   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS withheld (
    doc_id  TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    scanner TEXT NOT NULL,
    spans   TEXT NOT NULL
);
"""

_HIT_COLUMNS = """
    c.vector_id, c.chunk_id, c.doc_id, d.title, d.published, d.source, d.path,
    c.start, c."end", c.text, {encoding}
"""


def _read_only_uri(path: Path) -> str:
    """A ``file:`` URI for ``path`` that SQLite reads back exactly: ``#``, ``?``, ``%`` escaped."""
    return "file:" + urllib.parse.quote(str(path.absolute()), safe="/") + "?mode=ro"


class DocumentRecord(Document):
    """A stored document (``text`` included) and how many chunks it has."""

    n_chunks: int = 0


class ChunkStore:
    """SQLite-backed documents and chunks of one index generation."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        try:
            if readonly:
                if not path.exists():
                    raise IndexCorruptError(
                        f"{path} is missing", hint="rebuild it: diplorag ingest --rebuild PATH"
                    )
                # A read-only connection may move between threads: ``diplorag serve`` uses one
                # session from its worker threads, one thread at a time (``serve.warm``), and
                # Python's sqlite3 is built serialized (``sqlite3.threadsafety == 3``).
                self._db = sqlite3.connect(_read_only_uri(path), uri=True, check_same_thread=False)
            else:
                self._db = sqlite3.connect(path)
                self._db.executescript(_SCHEMA)
                self._add_encoding_column()
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("SELECT 1 FROM documents LIMIT 1").fetchall()
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
            # Generations written before encodings were recorded hold UTF-8 documents only.
            self._encoding = "d.encoding" if "encoding" in columns else "'utf-8'"
            self._has_withheld = bool(
                self._db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='withheld'"
                ).fetchone()
            )
            self.statements = StatementStore(self._db, readonly=readonly)
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(
                f"cannot read {path}: {exc}", hint="rebuild it: diplorag ingest --rebuild PATH"
            ) from None

    def _add_encoding_column(self) -> None:
        """Give a copied older store the column (its documents are all UTF-8)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        if "encoding" not in columns:
            self._db.execute(
                "ALTER TABLE documents ADD COLUMN encoding TEXT NOT NULL DEFAULT 'utf-8'"
            )

    def close(self) -> None:
        self._db.close()

    def commit(self) -> None:
        self._db.commit()

    # -- documents -------------------------------------------------------------------------

    def document_hashes(self) -> dict[str, tuple[str, str]]:
        """``path → (doc_id, content_hash)`` of every stored document."""
        rows = self._db.execute("SELECT path, doc_id, content_hash FROM documents")
        return {path: (doc_id, h) for path, doc_id, h in rows}

    def add_document(self, doc: Document, chunks: Sequence[Chunk]) -> list[int]:
        """Insert a document and its chunks; returns the new vector ids in chunk order."""
        self._db.execute(
            "INSERT INTO documents (doc_id, path, content_hash, title, published, source, kind, "
            "text, body_start, ingested_at, encoding) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                doc.doc_id,
                doc.path,
                doc.content_hash,
                doc.title,
                doc.published.isoformat() if doc.published else None,
                doc.source,
                doc.kind,
                doc.text,
                doc.body_start,
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                doc.encoding,
            ),
        )
        ids = []
        for c in chunks:
            cur = self._db.execute(
                'INSERT INTO chunks (chunk_id, doc_id, ordinal, start, "end", text, n_words) '
                "VALUES (?,?,?,?,?,?,?)",
                (c.chunk_id, c.doc_id, c.ordinal, c.start, c.end, c.text, c.n_words),
            )
            assert cur.lastrowid is not None
            ids.append(cur.lastrowid)
        return ids

    def delete_document(self, doc_id: str) -> list[int]:
        """Delete a document and its chunks; returns the vector ids that went with them."""
        ids = [
            r[0] for r in self._db.execute("SELECT vector_id FROM chunks WHERE doc_id=?", (doc_id,))
        ]
        self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self._db.execute("DELETE FROM withheld WHERE doc_id=?", (doc_id,))
        self._db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
        self.statements.delete_document(doc_id)
        return ids

    # -- planted instructions ---------------------------------------------------------------

    def unscanned(self, scanner: str) -> Iterator[tuple[str, str]]:
        """``(doc_id, text)`` of the documents with no withheld spans found by ``scanner``."""
        yield from self._db.execute(
            "SELECT d.doc_id, d.text FROM documents d LEFT JOIN withheld w USING (doc_id) "
            "WHERE w.scanner IS NOT ? ORDER BY d.doc_id",
            (scanner,),
        ).fetchall()

    def has_unscanned(self, scanner: str) -> bool:
        """Whether some document has no withheld spans found by ``scanner``."""
        if not self._has_withheld:
            return bool(self._db.execute("SELECT 1 FROM documents LIMIT 1").fetchone())
        return bool(
            self._db.execute(
                "SELECT 1 FROM documents d LEFT JOIN withheld w USING (doc_id) "
                "WHERE w.scanner IS NOT ? LIMIT 1",
                (scanner,),
            ).fetchone()
        )

    def set_withheld(self, doc_id: str, scanner: str, spans: Sequence[tuple[int, int]]) -> None:
        """Record what ``scanner`` withholds in a document (``text.untrusted.withheld_spans``)."""
        self._db.execute(
            "INSERT OR REPLACE INTO withheld (doc_id, scanner, spans) VALUES (?,?,?)",
            (doc_id, scanner, json.dumps([list(s) for s in spans])),
        )

    def withheld(self, doc_id: str, scanner: str) -> list[tuple[int, int]] | None:
        """A document's stored withheld spans, or None when ``scanner`` did not find them
        (a generation from before they were stored, or from another scanner)."""
        if not self._has_withheld:
            return None
        row = self._db.execute(
            "SELECT spans FROM withheld WHERE doc_id=? AND scanner=?", (doc_id, scanner)
        ).fetchone()
        if row is None:
            return None
        return [(int(a), int(b)) for a, b in json.loads(row[0])]

    def iter_documents(self) -> Iterator[tuple[str, str, int]]:
        """``(doc_id, text, body_start)`` of every stored document."""
        yield from self._db.execute("SELECT doc_id, text, body_start FROM documents")

    def chunk_ids_covering(self, spans: Iterable[tuple[str, int, int]]) -> dict[int, int]:
        """For ``(doc_id, start, end)`` spans: span index → vector id of a chunk holding it."""
        out: dict[int, int] = {}
        for i, (doc_id, start, end) in enumerate(spans):
            row = self._db.execute(
                'SELECT vector_id FROM chunks WHERE doc_id=? AND start<=? AND "end">=?'
                " ORDER BY ordinal LIMIT 1",
                (doc_id, start, end),
            ).fetchone()
            if row is not None:
                out[i] = int(row[0])
        return out

    def document(self, doc_id: str) -> DocumentRecord | None:
        row = self._db.execute(
            "SELECT doc_id, path, content_hash, title, published, source, kind, text, body_start,"
            " (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id), "
            + self._encoding
            + " FROM documents d WHERE doc_id=?",
            (doc_id,),
        ).fetchone()
        if row is None:
            return None
        return DocumentRecord(
            doc_id=row[0],
            path=row[1],
            content_hash=row[2],
            title=row[3],
            published=dt.date.fromisoformat(row[4]) if row[4] else None,
            source=row[5],
            kind=row[6],
            text=row[7],
            body_start=row[8],
            n_chunks=row[9],
            encoding=row[10],
        )

    def text_by_path(self, path_or_name: str) -> str | None:
        """A document's stored text by its path, or by file name when that is unique."""
        row = self._db.execute(
            "SELECT text FROM documents WHERE path=?", (path_or_name,)
        ).fetchone()
        if row is None and "/" not in path_or_name:
            rows = self._db.execute(
                "SELECT text FROM documents WHERE path LIKE ? ESCAPE '\\'",
                ("%/" + path_or_name.replace("%", "\\%").replace("_", "\\_"),),
            ).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return None if row is None else str(row[0])

    def counts(self) -> tuple[int, int]:
        docs = self._db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)

    # -- chunks ----------------------------------------------------------------------------

    def iter_chunk_texts(self) -> Iterator[tuple[int, str]]:
        """``(vector_id, text)`` of every chunk, in id order."""
        yield from self._db.execute("SELECT vector_id, text FROM chunks ORDER BY vector_id")

    def hits(self, scored: Iterable[tuple[int, float]]) -> list[Hit]:
        """Turn ``(vector_id, score)`` pairs into ranked ``Hit``s (unknown ids are skipped)."""
        scored = list(scored)
        if not scored:
            return []
        ids = [vid for vid, _ in scored]
        rows = {}
        for i in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            part = ids[i : i + 900]
            marks = ",".join("?" * len(part))
            for row in self._db.execute(
                f"SELECT {_HIT_COLUMNS.format(encoding=self._encoding)} "
                "FROM chunks c JOIN documents d USING (doc_id) "
                f"WHERE c.vector_id IN ({marks})",
                part,
            ):
                rows[row[0]] = row
        hits: list[Hit] = []
        for vid, score in scored:
            row = rows.get(vid)
            if row is None:
                continue
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    score=score,
                    chunk_id=row[1],
                    doc_id=row[2],
                    title=row[3],
                    published=dt.date.fromisoformat(row[4]) if row[4] else None,
                    source=row[5],
                    path=row[6],
                    start=row[7],
                    end=row[8],
                    text=row[9],
                    encoding=row[10],
                )
            )
        return hits

    def vector_ids_where(
        self,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        path_glob: str | None = None,
    ) -> set[int]:
        """Vector ids of chunks whose document passes the filters.

        A document with no known date never passes a date filter: unknown is not "in range".
        """
        where, args = document_filter(since, until, path_glob)
        sql = "SELECT c.vector_id FROM chunks c JOIN documents d USING (doc_id)"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return {r[0] for r in self._db.execute(sql, args)}

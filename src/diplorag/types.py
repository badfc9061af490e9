"""Pydantic models shared by every component, and the stable ``--json`` schemas.

The JSON printed by ``diplorag search --json`` is ``SearchResult.model_dump(mode="json")``;
``ask --json`` prints ``Answer``. Fields are only ever added, never renamed or removed, within
one ``schema_version``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from diplorag.errors import ConfigError

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Document(_Model):
    """One source file, as a loader read it.

    ``text`` is what chunk offsets point into. For ``.txt`` and ``.md`` it is the file's decoded
    content, unchanged (line endings included), so
    ``open(path, encoding=doc.encoding, newline="").read()[start:end]`` gives a chunk
    back. For ``.html`` it is the extracted main text, stored in the index.
    ``body_start`` skips front matter: chunking begins there. ``encoding`` is the Python codec
    the file was read with (``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp1252`` …).
    """

    doc_id: str
    path: str
    content_hash: str
    title: str
    published: dt.date | None = None
    source: str | None = None
    kind: Literal["txt", "md", "html"]
    text: str
    body_start: int = 0
    encoding: str = "utf-8"


class Chunk(_Model):
    """A run of whole sentences of a document, with exact offsets into ``Document.text``."""

    chunk_id: str
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    n_words: int


class Hit(_Model):
    """One retrieved passage.

    ``start``/``end`` are offsets into the document text: for ``.txt`` and ``.md`` files
    ``open(path, encoding=hit.encoding, newline="").read()[start:end] == text``. ``withheld``
    lists the ``(start, end)`` offsets *into text* of instruction-like sentences planted in the
    document: they are never put in a prompt, never cited, and shown only as withheld (in
    ``ask`` evidence the characters themselves are blanked with spaces, offsets unchanged).
    """

    rank: int
    score: float
    chunk_id: str
    doc_id: str
    title: str
    published: dt.date | None
    source: str | None
    path: str
    start: int
    end: int
    text: str
    encoding: str = "utf-8"
    withheld: list[tuple[int, int]] = Field(default_factory=list)
    speakers: list[str] = Field(default_factory=list)  # who makes statements in this passage


class SearchResult(_Model):
    schema_version: int = SCHEMA_VERSION
    query: str
    index: str
    mode: str
    k: int
    hits: list[Hit]


class SkippedFile(_Model):
    path: str
    reason: str


class IngestReport(_Model):
    schema_version: int = SCHEMA_VERSION
    index: str
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    chunks_embedded: int = 0
    documents_parsed: int = 0  # documents (re)parsed into the statement index
    total_documents: int = 0
    total_chunks: int = 0
    seconds: float = 0.0


class ChunkerSettings(_Model):
    target_words: int = 150
    max_words: int = 200
    overlap_sentences: int = 1


class Manifest(_Model):
    """``manifest.json`` of one index generation."""

    format_version: int
    diplorag_version: str
    embedding_model: str
    embedding_dim: int
    # How the documents were embedded (onnx-int8, onnx, torch); None: before runtimes were
    # recorded, i.e. torch, whose vectors the fp32 ONNX export reproduces.
    embedding_runtime: str | None = None
    normalized: bool = True
    metric: Literal["inner_product"] = "inner_product"
    chunker: ChunkerSettings
    documents: int
    chunks: int
    statements_version: int | None = None  # rules the statement index was built with
    generation: int
    created_at: dt.datetime
    updated_at: dt.datetime
    # Size in bytes of every file of the generation (not the manifest), by relative path;
    # empty in generations written before sizes were recorded (then nothing is checked).
    files: dict[str, int] = Field(default_factory=dict)
    sha256: dict[str, str] = Field(default_factory=dict)  # the same files' contents


class IndexStatus(_Model):
    name: str
    path: str
    manifest: Manifest
    size_bytes: int


@dataclass(frozen=True)
class Filters:
    """Metadata filters on documents. A document with no known date fails a date filter."""

    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None  # glob on the path (``*`` prefixed unless absolute) or source

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ConfigError(
                f"--since {self.since} is after --until {self.until}", hint="swap the dates"
            )
        if self.source is not None:
            problem = _glob_problem(self.source)
            if problem:
                raise ConfigError(
                    f"invalid --source pattern {self.source!r}: {problem}",
                    hint="use * for any text, ? for one character, [abc] for one of a set",
                )

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.source)

    def path_glob(self) -> str | None:
        if not self.source:
            return None
        s = self.source
        return s if s.startswith(("/", "*")) else "*" + s


def _glob_problem(pattern: str) -> str | None:
    """Why SQLite's GLOB could never match ``pattern`` as meant, or ``None``."""
    if not pattern.strip():
        return "it is empty"
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            j = i + 1
            j += pattern[j : j + 1] == "^"
            j += pattern[j : j + 1] == "]"  # "[]…]" and "[^]…]" hold a literal "]"
            close = pattern.find("]", j)
            if close < 0:
                return "a '[' is never closed by ']'"
            i = close
        i += 1
    return None


class VerificationStatus(StrEnum):
    VERIFIED = "verified"  # the cited passage supports the sentence
    CORRECTED = "corrected"  # citations fixed (bad ones removed, a supporting one added)
    UNVERIFIED = "unverified"  # no given passage supports it; shown marked, never as fact
    DROPPED = "dropped"  # removed from the answer (reason says why)


class Citation(_Model):
    """A quote from a passage that supports one answer sentence."""

    n: int  # the [n] the answer uses; 1-based position in the evidence list
    chunk_id: str
    doc_id: str
    title: str
    path: str
    published: dt.date | None = None
    quote: str
    quote_start: int  # offsets into the document text: text[quote_start:quote_end] == quote
    quote_end: int
    speaker: str | None = None
    score: float = 0.0  # support score of the quote for the sentence, 0..1

    @classmethod
    def of(cls, hit: Hit, n: int, speaker: str | None, score: float) -> Citation:
        """The citation ``[n]`` of a whole retrieved passage or evidence sentence."""
        return cls(
            n=n,
            chunk_id=hit.chunk_id,
            doc_id=hit.doc_id,
            title=hit.title,
            path=hit.path,
            published=hit.published,
            quote=hit.text,
            quote_start=hit.start,
            quote_end=hit.end,
            speaker=speaker,
            score=round(score, 4),
        )


class AnswerSentence(_Model):
    text: str
    status: VerificationStatus
    reason: str | None = None
    citations: list[Citation] = Field(default_factory=list)


Outcome = Literal["answered", "quoted", "abstained"]


class Answer(_Model):
    """What ``ask`` returns; ``answer`` is the text the user reads as the answer.

    ``outcome`` is ``answered`` (the model's checked sentences), ``quoted`` (no sentence of the
    model survived its check, so the best evidence sentences are the answer, under "The
    documents say:") or ``abstained`` (the documents do not answer; ``answer`` says why and, for
    a statement someone else made, quotes it).
    """

    schema_version: int = SCHEMA_VERSION
    question: str
    answer: str
    abstained: bool
    abstain_reason: str | None = None
    outcome: Outcome = "answered"
    speaker: str | None = None  # the person the question asks about, as the parser resolved it
    sentences: list[AnswerSentence] = Field(default_factory=list)
    evidence: list[Hit] = Field(default_factory=list)
    model: str | None = None
    interrupted: bool = False  # the user stopped the answer (Ctrl-C); what came is verified
    removed_instructions: int = 0  # instruction-like sentences kept out of the prompt
    timings: dict[str, float] = Field(default_factory=dict)


class Statement(_Model):
    """One attributed statement: who said (urged, denied, …) what, with exact offsets.

    Offsets are into the document's stored text: ``text == doc[sentence_start:sentence_end]``
    and ``content == doc[content_start:content_end]``.
    """

    statement_id: int
    doc_id: str
    path: str
    title: str
    published: dt.date | None = None
    source: str | None = None
    sentence_start: int
    sentence_end: int
    content_start: int
    content_end: int
    text: str  # the sentence that carries the statement
    content: str  # what was said (the quote, or the reported clause)
    speaker_id: str | None = None  # resolved entity; None when the parser could not resolve it
    speaker: str | None = None  # that entity's canonical name ("Sergei Lavrov")
    speaker_kind: Literal["PERSON", "ORG", "GPE", "NORP"] | None = None
    mention: str  # the speaker as written at this statement ("He", "the Kremlin spokesman")
    mention_start: int | None = None
    mention_end: int | None = None
    predicate: str  # lemma of the speech or stance predicate: say, urge, deny, according to
    direct: bool = False  # a direct quote, not reported speech
    negated: bool = False  # the predicate is negated ("did not say", "refused to confirm")
    score: float = 0.0  # relevance to a topic, when ranked (0 otherwise)


class Speaker(_Model):
    """A person (or organisation) the statement index knows, across all documents."""

    speaker_id: str
    name: str  # canonical name: the fullest form the documents give
    kind: Literal["PERSON", "ORG", "GPE", "NORP"]
    statements: int
    documents: int
    aliases: list[str] = Field(default_factory=list)  # other spellings and short forms seen
    roles: list[str] = Field(
        default_factory=list
    )  # "Russian Foreign Minister", "Kremlin spokesman"
    outlets: list[str] = Field(default_factory=list)
    first_date: dt.date | None = None
    last_date: dt.date | None = None


class SpeakersResult(_Model):
    """``diplorag speakers --json``."""

    schema_version: int = SCHEMA_VERSION
    index: str
    query: str | None = None
    people: int  # person entities in the whole index
    speakers: list[Speaker]


class SaidResult(_Model):
    """``diplorag said PERSON --json``: a person's statements, newest first or by topic."""

    schema_version: int = SCHEMA_VERSION
    index: str
    query: str
    about: str | None = None
    speaker: Speaker | None = None  # whom the query was resolved to; None if nobody
    matched_by: Literal["name", "surname", "role", "none"] = "none"
    others: list[Speaker] = Field(default_factory=list)  # other people the query can mean
    suggestions: list[str] = Field(default_factory=list)  # close names, when nobody matched
    total: int = 0  # statements of the speaker that pass the filters
    statements: list[Statement] = Field(default_factory=list)

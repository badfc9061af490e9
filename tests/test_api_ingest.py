"""Ingest, incremental updates, index safety and search through ``diplorag.api`` (hash embedder)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from diplorag import api
from diplorag.config import Settings, load_settings
from diplorag.errors import IndexBusyError, IndexMismatchError, IndexNotFoundError
from diplorag.index.layout import IndexLock, current_generation, open_index

CORPUS_FILES = sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*.txt"))


def settings(**kw: object) -> Settings:
    kw.setdefault("embedding_model", "hash-256")
    return load_settings(**kw)


def test_first_ingest_indexes_every_seed(corpus: Path) -> None:
    s = settings()
    report = api.ingest([corpus], s)
    assert len(report.added) == 3
    assert report.skipped == [] and report.removed == [] and report.updated == []
    assert report.total_documents == 3
    assert report.chunks_embedded == report.total_chunks >= 3
    handle = open_index(s.index_path)
    assert handle.manifest.embedding_model == "hash-256"
    assert handle.manifest.embedding_dim == 256
    assert len(handle.vectors) == report.total_chunks == len(handle.bm25)
    handle.close()


def test_chunk_offsets_slice_the_source_files(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    result = api.search("defense", s, k=50, mode="bm25")
    assert result.hits
    for hit in result.hits:
        source = Path(hit.path).read_text(encoding="utf-8")
        assert source[hit.start : hit.end] == hit.text


def test_second_ingest_of_unchanged_folder_embeds_nothing(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    gen = current_generation(s.index_path)
    again = api.ingest([corpus], s)
    assert again.chunks_embedded == 0
    assert len(again.unchanged) == 3 and not again.added and not again.updated
    assert current_generation(s.index_path) == gen  # no new generation written


def test_changed_file_is_reembedded_and_removed_file_dropped(corpus: Path) -> None:
    s = settings()
    first = api.ingest([corpus], s)
    files = sorted(corpus.glob("*.txt"))
    files[0].write_text(files[0].read_text() + "\nA new closing line about zeppelins.\n")
    files[1].unlink()
    report = api.ingest([corpus], s)
    assert [Path(p).name for p in report.updated] == [files[0].name]
    assert [Path(p).name for p in report.removed] == [files[1].name]
    assert report.unchanged and report.chunks_embedded > 0
    assert report.total_documents == 2
    assert report.total_chunks < first.total_chunks + report.chunks_embedded
    hits = api.search("zeppelins", s, mode="bm25").hits
    assert hits and Path(hits[0].path).name == files[0].name
    found = {Path(h.path).name for h in api.search("Kang", s, k=50).hits}
    assert found == {files[0].name, files[2].name}  # every chunk of what is left, none removed


def test_ingesting_another_folder_keeps_the_first(corpus: Path, tmp_path: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.md").write_text("# Note\n\nThe Arctic Council met in Tromsø.\n")
    report = api.ingest([other], s)
    assert len(report.added) == 1 and not report.removed
    assert report.total_documents == 4


def test_bad_files_are_skipped_and_the_rest_indexed(corpus: Path) -> None:
    (corpus / "empty.txt").write_text("   \n")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (corpus / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (corpus / "slides.pdf").write_bytes(b"%PDF-1.4")
    report = api.ingest([corpus], settings())
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "slides.pdf"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "unsupported" in reasons["slides.pdf"]
    assert sorted(Path(p).name for p in report.added) == sorted(
        [p.name for p in CORPUS_FILES] + ["latin1.txt"]
    )


def test_unreadable_file_is_skipped(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = corpus / "locked.txt"
    locked.write_text("secret")
    if os.geteuid() == 0:  # root reads any file whatever its mode: make opening it fail instead
        real_open = Path.open

        def guarded(self: Path, *args: object, **kwargs: object) -> object:
            if self.name == "locked.txt":
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(Path, "open", guarded)
    else:
        locked.chmod(0)
    report = api.ingest([corpus], settings())
    assert [(Path(s.path).name, "permission" in s.reason) for s in report.skipped] == [
        ("locked.txt", True)
    ]
    assert len(report.added) == 3


def test_file_skipped_later_keeps_its_previous_version(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    victim = sorted(corpus.glob("*.txt"))[0]
    victim.write_bytes(b"\x00broken")
    report = api.ingest([corpus], s)
    assert [Path(p.path).name for p in report.skipped] == [victim.name]
    assert not report.removed
    assert report.total_documents == 3


def test_huge_file_is_skipped(corpus: Path) -> None:
    (corpus / "huge.txt").write_text("word " * 300_000)
    report = api.ingest([corpus], settings(max_file_mb=1))
    assert [Path(s.path).name for s in report.skipped] == ["huge.txt"]
    assert "too large" in report.skipped[0].reason


def test_search_on_missing_index_names_the_command() -> None:
    with pytest.raises(IndexNotFoundError) as exc:
        api.search("anything", settings())
    assert "diplorag ingest" in str(exc.value)


def test_search_with_another_embedding_model_is_refused(corpus: Path) -> None:
    api.ingest([corpus], settings())
    with pytest.raises(IndexMismatchError) as exc:
        api.search("Kang", settings(embedding_model="hash-128"))
    assert "hash-256" in str(exc.value)
    # Without an explicit model, the index's own model is used.
    assert api.search("Kang", load_settings()).hits


def test_ingest_with_another_embedding_model_needs_rebuild(corpus: Path) -> None:
    api.ingest([corpus], settings())
    with pytest.raises(IndexMismatchError):
        api.ingest([corpus], settings(embedding_model="hash-128"))
    report = api.ingest([corpus], settings(embedding_model="hash-128"), rebuild=True)
    assert len(report.added) == 3
    assert open_index(settings().index_path).manifest.embedding_dim == 128


def test_concurrent_ingest_is_refused_with_a_clear_message(corpus: Path) -> None:
    s = settings()
    with IndexLock(s.index_path), pytest.raises(IndexBusyError) as exc:
        api.ingest([corpus], s)
    assert "another ingest" in str(exc.value) and "--wait" in str(exc.value)
    assert current_generation(s.index_path) is None  # nothing was written


def test_failed_ingest_leaves_previous_index_and_no_debris(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = settings()
    api.ingest([corpus], s)
    gen = current_generation(s.index_path)
    before = api.search("New START", s).hits
    (corpus / "new.txt").write_text("Brand new text about submarines.\n")

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("diplorag.index.layout.IndexWriter.commit", boom)
    with pytest.raises(RuntimeError):
        api.ingest([corpus], s)
    assert current_generation(s.index_path) == gen
    assert not list(s.index_path.glob("*.tmp-*"))
    assert api.search("New START", s).hits == before


def test_filters_by_date_and_source(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    dated = api.search("defense", s, k=50, filters=api.Filters(since=dt.date(2024, 9, 1)))
    assert dated.hits and {Path(h.path).name[:3] for h in dated.hits} == {"000"}
    none = api.search("defense", s, filters=api.Filters(until=dt.date(2000, 1, 1)))
    assert none.hits == []
    by_path = api.search("defense", s, k=50, filters=api.Filters(source="*002_*"))
    assert by_path.hits and {Path(h.path).name[:3] for h in by_path.hits} == {"002"}


def test_status_lists_indexes(corpus: Path) -> None:
    s = settings()
    assert api.status(s) == []
    api.ingest([corpus], s)
    api.ingest([corpus], settings(index="second"))
    rows = api.status(s)
    assert [r.name for r in rows] == ["default", "second"]
    assert rows[0].manifest.documents == 3 and rows[0].size_bytes > 0


def test_documents_are_parsed_on_another_thread_while_chunks_are_embedded(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import diplorag.statements as statements
    from diplorag.statements.extract import DocumentAnalysis

    parsed_on: list[str] = []

    def analyse(documents: list[tuple[str, str, int]], **_: object) -> object:
        for doc_id, _text, _start in documents:
            parsed_on.append(threading.current_thread().name)
            yield doc_id, DocumentAnalysis()

    monkeypatch.setattr(statements, "analyse_documents", analyse)
    report = api.ingest([corpus], settings(statements=True))
    assert report.documents_parsed == 3
    assert parsed_on == ["diplorag-parser"] * 3


def test_a_parser_failure_fails_the_ingest_and_keeps_no_half_index(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import diplorag.statements as statements

    def analyse(documents: object, **_: object) -> object:
        raise RuntimeError("the parser broke")
        yield

    monkeypatch.setattr(statements, "analyse_documents", analyse)
    s = settings(statements=True)
    with pytest.raises(RuntimeError, match="the parser broke"):
        api.ingest([corpus], s)
    assert current_generation(s.index_path) is None

"""Careless and hostile input: links out of the folder, slips, hostile titles, I/O failures."""

from __future__ import annotations

import codecs
import errno
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from diplorag import api
from diplorag.cli import cli
from diplorag.config import Settings, load_settings
from diplorag.errors import (
    ConfigError,
    DiskFullError,
    IndexCorruptError,
    RemovalRefusedError,
)
from diplorag.generate.fake import ScriptedGenerator
from diplorag.index.layout import CURRENT, current_generation, open_index

KANG = "001_116f389413386f53.txt"


def settings(**kw: object) -> Settings:
    kw.setdefault("embedding_model", "hash-256")
    return load_settings(**kw)


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def paths_in_index(s: Settings) -> set[str]:
    handle = open_index(s.index_path)
    try:
        return set(handle.store.document_hashes())
    finally:
        handle.close()


# -- symbolic links --------------------------------------------------------------------------


def test_a_link_out_of_the_folder_is_skipped_not_followed(corpus: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root nologin secret\n", encoding="utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "other.txt").write_text("Other folder text about nologin.\n", encoding="utf-8")
    (corpus / "p.txt").symlink_to(secret)
    (corpus / "folder").symlink_to(outside)
    s = settings()
    report = api.ingest([corpus], s)
    reasons = {Path(r.path).name: r.reason for r in report.skipped}
    assert reasons == {
        "p.txt": "symbolic link to outside the folder (not followed)",
        "folder": "symbolic link to outside the folder (not followed)",
    }
    assert len(report.added) == 3
    assert paths_in_index(s) == {str(p) for p in corpus.glob("*.txt") if not p.is_symlink()}


def test_a_link_inside_the_folder_is_stored_as_given_and_removed_with_it(corpus: Path) -> None:
    (corpus / "alias").mkdir()
    link = corpus / "alias" / "kang.txt"
    (corpus / KANG).rename(corpus / "alias" / "real.txt")
    link.symlink_to(corpus / "alias" / "real.txt")
    s = settings()
    api.ingest([corpus], s)
    # The link comes first by name, so the file is indexed once, under the link's path.
    assert str(link) in paths_in_index(s)
    assert str(corpus / "alias" / "real.txt") not in paths_in_index(s)
    link.unlink()
    (corpus / "alias" / "real.txt").rename(corpus / KANG)
    report = api.ingest([corpus], s)
    assert len(report.removed) == 1 and len(report.added) == 1
    assert str(corpus / KANG) in paths_in_index(s)


# -- slips -----------------------------------------------------------------------------------


def test_a_missing_folder_removes_nothing(corpus: Path, tmp_path: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    corpus.rename(tmp_path / "corpus.away")
    with pytest.raises(ConfigError, match="does not exist"):
        api.ingest([corpus], s)
    assert len(paths_in_index(s)) == 3
    result = run("ingest", str(corpus), "--embedding-model", "hash-256")
    assert result.exit_code == 2 and "nothing was indexed or removed" in result.output
    assert "Traceback" not in result.output


def test_removing_most_of_a_folder_needs_prune(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    for path in sorted(corpus.glob("*.txt"))[:2]:
        path.unlink()
    with pytest.raises(RemovalRefusedError, match="2 of the 3"):
        api.ingest([corpus], s)
    assert len(paths_in_index(s)) == 3
    result = run("ingest", str(corpus), "--embedding-model", "hash-256")
    assert result.exit_code == 11 and "--prune" in result.output
    report = api.ingest([corpus], s, prune=True)
    assert len(report.removed) == 2 and report.total_documents == 1


# -- hostile text ----------------------------------------------------------------------------


HOSTILE_TITLE = (
    "Kang [/] [link=https://evil.example]click[/link] \x1b[2J\x1b]8;;https://x.example\x07"
)


@pytest.fixture
def hostile(corpus: Path) -> Settings:
    source = (corpus / KANG).read_text(encoding="utf-8")
    (corpus / KANG).write_text(
        f"# {HOSTILE_TITLE}\n\n{source}\x1b[31m red \x1b[0m\n", encoding="utf-8"
    )
    (corpus / KANG).rename(corpus / "hostile.md")
    s = settings()
    api.ingest([corpus], s)
    return s


def test_search_prints_hostile_titles_as_text(hostile: Settings) -> None:
    result = run("search", "Kang New START", "--mode", "bm25", "-k", "10", "--full")
    assert result.exit_code == 0, result.output
    assert "[/]" in result.output and "[link=https://evil.example]click[/link]" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_ask_prints_hostile_text_and_model_output_as_text(
    hostile: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = "Kang expressed concern over New START [1]. \x1b[2J[bold]done[/] [/]"
    generator = ScriptedGenerator([reply])
    monkeypatch.setattr(api.Session, "generator", property(lambda self: generator))
    result = run("ask", "What did Kang say about New START?")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "Evidence:" in result.output and "[/]" in result.output


# -- I/O failures ----------------------------------------------------------------------------


def test_an_index_dir_that_cannot_be_created_is_one_line(corpus: Path) -> None:
    result = run("ingest", str(corpus), "--embedding-model", "hash-256", "--index-dir", "/proc/x")
    assert result.exit_code == 12, result.output
    assert "Traceback" not in result.output and "error:" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_index_dir_is_one_line(corpus: Path, tmp_path: Path) -> None:
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run(
            "ingest", str(corpus), "--embedding-model", "hash-256", "--index-dir", str(locked)
        )
        assert result.exit_code == 12 and "Traceback" not in result.output
    finally:
        locked.chmod(0o755)


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        sqlite3.OperationalError("database or disk is full"),
        RuntimeError("Error in faiss::FileIOWriter: write error, errno 28 No space left"),
    ],
)
def test_a_full_disk_is_exit_13_and_keeps_the_index(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    from diplorag.index.faiss_backend import FaissIndex

    s = settings()
    api.ingest([corpus], s)
    before = current_generation(s.index_path)
    (corpus / "new.txt").write_text("A new article about Seoul.\n", encoding="utf-8")

    def full(self: object, folder: Path) -> None:
        raise failure

    monkeypatch.setattr(FaissIndex, "save", full)
    with pytest.raises(DiskFullError):
        api.ingest([corpus], s)
    assert current_generation(s.index_path) == before
    assert len(paths_in_index(s)) == 3
    monkeypatch.undo()
    assert api.ingest([corpus], s).added == [str(corpus / "new.txt")]


# -- damaged index ---------------------------------------------------------------------------


@pytest.mark.parametrize("pointer", [b"\xff\xfe\x00garbage", b"gen-../../etc", b""])
def test_a_garbage_pointer_is_corrupt(corpus: Path, pointer: bytes) -> None:
    s = settings()
    api.ingest([corpus], s)
    (s.index_path / CURRENT).write_bytes(pointer)
    result = run("search", "Kang")
    assert result.exit_code == 5 and "--rebuild" in result.output
    assert api.ingest([corpus], s, rebuild=True).total_documents == 3


def test_a_deleted_pointer_beside_generations_is_corrupt(corpus: Path) -> None:
    s = settings()
    api.ingest([corpus], s)
    (s.index_path / CURRENT).unlink()
    assert run("search", "Kang").exit_code == 5
    assert run("status").exit_code == 5


def test_a_leftover_pointer_is_removed_and_an_interrupted_first_build_finished(
    corpus: Path,
) -> None:
    s = settings()
    api.ingest([corpus], s)
    root = s.index_path
    gen = current_generation(root)
    assert gen is not None
    (root / f"{CURRENT}.tmp-99999").write_text("gen-999999\n")
    api.ingest([corpus], s)  # nothing changed, and still it tidies up
    assert not list(root.glob(f"{CURRENT}.tmp-*"))
    # The first build killed between renaming its generation and swapping the pointer:
    os.replace(root / CURRENT, root / f"{CURRENT}.tmp-4242")
    assert run("search", "Kang").exit_code == 3
    assert api.ingest([corpus], s).unchanged  # recovered: nothing re-embedded
    assert current_generation(root) == gen


@pytest.mark.parametrize("damage", ["truncate-faiss", "delete-bm25", "grow-sqlite"])
def test_status_checks_file_sizes(corpus: Path, damage: str) -> None:
    s = settings()
    api.ingest([corpus], s)
    gen = current_generation(s.index_path)
    assert gen is not None
    if damage == "truncate-faiss":
        faiss_file = gen / "vectors.faiss"
        faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    elif damage == "delete-bm25":
        next(p for p in (gen / "bm25").rglob("*") if p.is_file()).unlink()
    else:
        with open(gen / "chunks.sqlite", "ab") as f:
            f.write(b"\0" * 10)
    result = run("status")
    assert result.exit_code == 5 and "--rebuild" in result.output
    with pytest.raises(IndexCorruptError):
        api.search("Kang", s)


@pytest.mark.parametrize("name", ["with#hash", "what?", "100%", "sp ace", "semi;colon"])
def test_any_character_in_the_index_path_works(corpus: Path, tmp_path: Path, name: str) -> None:
    s = settings(index_dir=tmp_path / name)
    api.ingest([corpus], s)
    assert api.search("Kang", s, mode="bm25").hits
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["default"]


# -- encodings and offsets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "newline", "expected"),
    [
        ("utf-8", "\n", "utf-8"),
        ("utf-8-sig", "\n", "utf-8-sig"),
        ("utf-8", "\r\n", "utf-8"),
        ("utf-16", "\r\n", "utf-16"),
        ("cp1252", "\r\n", "cp1252"),
    ],
)
def test_the_readme_offset_recipe_slices_back_exactly(
    tmp_path: Path, encoding: str, newline: str, expected: str
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    lines = [
        "Séoul, 9 septembre — Le ministre a déclaré « coopération ».",
        "Kang’s remarks on New START drew comment from Brekelmans.",
        "The meeting lasted an hour, officials said.",
    ]
    path = folder / "doc.txt"
    path.write_bytes(newline.join(lines).encode(encoding))
    s = settings()
    api.ingest([folder], s)
    hits = api.search("Brekelmans New START", s, mode="bm25").hits
    assert hits
    for hit in hits:
        assert hit.encoding == expected
        with open(hit.path, encoding=hit.encoding, newline="") as f:
            assert f.read()[hit.start : hit.end] == hit.text


def test_a_utf16_file_without_bom_is_not_mistaken_for_text(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "wide.txt").write_bytes("Title\nBody".encode("utf-16-le"))
    report = api.ingest([folder], settings())
    assert [r.reason for r in report.skipped] == ["binary file"]


# -- option validation -----------------------------------------------------------------------


def test_invalid_options_are_exit_2_with_the_reason(corpus: Path) -> None:
    assert run("ingest", str(corpus), "--embedding-model", "hash-256").exit_code == 0
    for args, reason in [
        (["search", ""], "empty"),
        (["search", "   "], "empty"),
        (["ask", ""], "empty"),
        (["ingest", str(corpus), "--max-file-mb", "-1"], "greater than 0"),
        (["ingest", str(corpus), "--wait", "-5"], "greater than or equal to 0"),
        (["search", "Kang", "--source", "["], "never closed"),
        (["search", "Kang", "--source", ""], "empty"),
        (["search", "Kang", "--since", "2024-10-01", "--until", "2024-09-01"], "after"),
    ]:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert reason in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_search_and_ask_read_a_dash_from_stdin(corpus: Path) -> None:
    run("ingest", str(corpus), "--embedding-model", "hash-256")
    long_query = "Brekelmans " + "New START " * 30_000  # longer than the argument limit
    result = run("search", "-", "--mode", "bm25", "--json", input=long_query)
    assert result.exit_code == 0, result.output
    assert '"query": "Brekelmans' in result.output


def test_models_dir_is_absolute_and_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIPLORAG_MODELS_DIR")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    models_dir = load_settings().models_dir
    assert models_dir.is_absolute()
    assert elsewhere not in (models_dir, *models_dir.parents)


def test_a_utf16_bom_file_keeps_its_encoding(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "wide.txt").write_bytes(
        codecs.BOM_UTF16_LE + "Title\nKang spoke.".encode("utf-16-le")
    )
    s = settings()
    api.ingest([folder], s)
    [hit] = api.search("Kang", s, mode="bm25").hits
    assert hit.encoding == "utf-16"

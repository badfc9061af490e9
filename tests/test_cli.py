"""The command line as a user types it: exit codes, one-line errors, --json, start-up cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from diplorag.cli import cli
from diplorag.types import IngestReport, SearchResult


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_lists_commands_and_exit_codes() -> None:
    result = run("--help")
    assert result.exit_code == 0  # type: ignore[attr-defined]
    for word in ("ingest", "search", "status", "Exit codes"):
        assert word in result.output  # type: ignore[attr-defined]


def test_search_without_index_is_one_line_and_exit_3() -> None:
    result = CliRunner().invoke(cli, ["search", "New START"])
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert "diplorag ingest corpus/" in result.output


def test_ingest_then_search_json(corpus: Path) -> None:
    ingested = run("ingest", str(corpus), "--embedding-model", "hash-256", "--json")
    report = IngestReport.model_validate_json(ingested.output)  # type: ignore[attr-defined]
    assert len(report.added) == 3
    found = run("search", "New START", "--json", "-k", "2", "--mode", "bm25")
    result = SearchResult.model_validate_json(found.output)  # type: ignore[attr-defined]
    assert result.k == 2 and result.mode == "bm25" and 1 <= len(result.hits) <= 2
    assert "New START" in result.hits[0].text
    data = json.loads(found.output)  # type: ignore[attr-defined]
    assert set(data["hits"][0]) >= {"score", "title", "published", "path", "start", "end", "text"}


def test_human_output_and_summary(corpus: Path) -> None:
    (corpus / "bad.txt").write_bytes(b"\x00\x00")
    ingested = run("ingest", str(corpus), "--embedding-model", "hash-256")
    assert "3 added" in ingested.output and "1 skipped" in ingested.output  # type: ignore[attr-defined]
    assert "binary" in ingested.output  # type: ignore[attr-defined]
    again = run("ingest", str(corpus), "--embedding-model", "hash-256")
    assert "3 unchanged" in again.output and "0 chunks embedded" in again.output  # type: ignore[attr-defined]
    found = run("search", "Brekelmans", "--mode", "bm25")
    assert "Brekelmans" in found.output and "2024-09-09" in found.output  # type: ignore[attr-defined]
    status = run("status")
    assert "hash-256" in status.output and "default" in status.output  # type: ignore[attr-defined]


def test_ingest_in_a_log_reports_each_phase_in_a_line_and_quiet_reports_none(
    corpus: Path,
) -> None:
    logged = CliRunner().invoke(cli, ["ingest", str(corpus), "--embedding-model", "hash-256"])
    assert "Reading 3/3 · " in logged.stderr and "Embedding " in logged.stderr
    quiet = CliRunner().invoke(
        cli, ["ingest", str(corpus), "--embedding-model", "hash-256", "--rebuild", "-q"]
    )
    assert quiet.exit_code == 0 and "Reading" not in quiet.stderr


def test_bad_option_values_are_clear(corpus: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "x", "--since", "yesterday"])
    assert result.exit_code == 2 and "not a date" in result.output
    result = CliRunner().invoke(cli, ["search", "x", "--index", "../etc"])
    assert result.exit_code == 2 and "plain name" in result.output


def test_help_and_status_do_not_import_heavy_modules(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from diplorag.cli import main\n"
        "sys.argv = ['diplorag', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'llama_cpp', 'bm25s')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    for command in ("--help", "status"):
        done = subprocess.run(
            [sys.executable, "-c", probe, command], capture_output=True, text=True, check=True
        )
        assert "HEAVY []" in done.stdout, (command, done.stdout, done.stderr)


def test_the_command_uses_one_blas_thread_unless_the_user_sets_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from diplorag.cli import main

    monkeypatch.setattr(sys, "argv", ["diplorag", "--help"])
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "0")  # so that teardown restores the original
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    with pytest.raises(SystemExit):
        main()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    with pytest.raises(SystemExit):
        main()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"

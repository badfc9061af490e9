"""A real full disk: the index lives on a small tmpfs that an ingest fills up.

Needs root (to mount); CI and the development machines run as root. Elsewhere it is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def diplorag(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diplorag.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if k != "DIPLORAG_DEBUG"},
        timeout=600,
    )


def test_full_disk_is_one_line_and_keeps_the_index(
    corpus: Path, small_disk: Path, tmp_path: Path
) -> None:
    index = ["--index-dir", str(small_disk), "--embedding-model", "hash-64"]
    first = diplorag("ingest", str(corpus), *index, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    # Enough new text that the next generation cannot be written on 1.5 MB.
    big = corpus / "big.txt"
    sentence = "The delegation discussed maritime security and sanctions in detail. "
    big.write_text(sentence * 12000)
    second = diplorag("ingest", str(corpus), *index, "-q", cwd=tmp_path)  # no progress lines
    assert second.returncode == 13, (second.returncode, second.stderr)
    assert "Traceback" not in second.stderr
    assert len(second.stderr.strip().splitlines()) <= 2  # the error line and its hint
    big.unlink()
    found = diplorag(
        "search", "New START", "--index-dir", str(small_disk), "--mode", "bm25", cwd=tmp_path
    )
    assert found.returncode == 0, found.stderr
    assert "001_116f389413386f53.txt" in found.stdout

"""One line describing the machine a benchmark ran on (CPU, cores, memory, Python, libraries)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "?"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def describe_machine() -> str:
    libs = ", ".join(
        f"{d} {_version(d)}"
        for d in ("torch", "sentence-transformers", "faiss-cpu", "bm25s", "llama-cpp-python")
    )
    return (
        f"machine: {_cpu_model()}, {os.cpu_count()} cores, {_memory_gib()} RAM, no GPU; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; {libs}; "
        f"run {dt.datetime.now().isoformat(timespec='minutes')}"
    )


def markdown_table(rows: list[dict[str, str]]) -> str:
    """Rows of equal keys as a Markdown table (the keys are the header)."""
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(row[c] for c in cols) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe_machine())

"""Time to first token and generation speed of the known LLMs on this machine.

Each model answers the same ~500-token prompt (system prompt + passages from corpus/ + question,
built by diplorag's own prompt builder) a few times with greedy decoding; the table shows the
median. Prints a Markdown table with the machine it ran on.

    python benchmarks/llm_speed.py                         # all installed known models
    python benchmarks/llm_speed.py --models smollm2-135m --runs 1
    python benchmarks/llm_speed.py --models /path/to/other.gguf

Load average is printed before and after: the machine is shared, and llama.cpp's threads slow
down sharply when another process holds a core, so compare rows of one quiet run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine

from diplorag.errors import DiploragError
from diplorag.generate.llama import LlamaGenerator
from diplorag.generate.models import KNOWN_MODELS, resolve_model
from diplorag.generate.prompts import build_prompt
from diplorag.sentences import split_sentences
from diplorag.types import Hit

REPO = Path(__file__).resolve().parent.parent
# Asks for a summary so every model writes a long enough answer to time its generation speed.
QUESTION = "Summarise what the passages say about the meetings and what was agreed."


def passages(target_words: int) -> list[Hit]:
    """Whole sentences of corpus/ in ~120-word passages, about ``target_words`` in total."""
    hits: list[Hit] = []
    total = 0
    for path in sorted((REPO / "corpus").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        spans = split_sentences(text)
        i = 0
        while i < len(spans) and total < target_words:
            start = end = spans[i][0]
            words = 0
            while i < len(spans) and words < 120:
                end = spans[i][1]
                words += len(text[spans[i][0] : end].split())
                i += 1
            total += words
            hits.append(
                Hit(
                    rank=len(hits) + 1,
                    score=1.0,
                    chunk_id=f"{path.stem}:{len(hits)}",
                    doc_id=path.stem,
                    title=" ".join(text.split()[3:11]),
                    published=dt.date(2024, 9, 9),
                    source=None,
                    path=str(path),
                    start=start,
                    end=end,
                    text=text[start:end],
                )
            )
    return hits


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=list(KNOWN_MODELS), help="names or paths")
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--runs", type=int, default=2, help="timed runs per model (median)")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--prompt-words", type=int, default=220, help="≈ 500 prompt tokens")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    prompt = build_prompt(QUESTION, passages(args.prompt_words))
    print(describe_machine())
    print(f"threads: {args.threads}; load average before: {load_average()}")
    print()
    print(
        "| model | GGUF size | load s | prompt tokens | time to first token s "
        "| prompt tokens/s | generated tokens | generation tokens/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models:
        try:
            path = resolve_model(name, args.models_dir)
        except DiploragError as exc:
            print(f"| {name} | not installed: {exc} | | | | | | |")
            continue
        started = time.perf_counter()
        gen = LlamaGenerator(path, n_ctx=2048, n_threads=args.threads, name=name)
        load = time.perf_counter() - started
        ttft: list[float] = []
        speed: list[float] = []
        produced: list[int] = []
        prompt_tokens = 0
        with gen:
            # One untimed run: page the weights in from disk (mmap) and warm the caches.
            for _ in gen.stream(prompt.messages, max_tokens=4):
                pass
            for _ in range(args.runs):
                for _ in gen.stream(prompt.messages, max_tokens=args.max_tokens):
                    pass
                stats = gen.last_stats
                assert stats is not None
                prompt_tokens = stats.prompt_tokens
                ttft.append(stats.first_token_seconds)
                speed.append(stats.tokens_per_second)
                produced.append(stats.completion_tokens)
        first = statistics.median(ttft)
        print(
            f"| {name} | {path.stat().st_size / 1e6:,.0f} MB | {load:.1f} | {prompt_tokens} "
            f"| {first:.1f} | {prompt_tokens / first:.0f} | {statistics.median(produced):.0f} "
            f"| {statistics.median(speed):.1f} |",
            flush=True,
        )
    print()
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

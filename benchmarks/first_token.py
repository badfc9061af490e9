"""Where the first token goes in a warm `chat`: evidence, prompt reading, and llama.cpp's own clock.

One process holds the index and the model (as `chat` and `serve` do) and answers the
development questions, with the system prompt's KV state reused (the product) and, for
comparison, with the whole prompt read every time, alternating question by question so both
see the same load. For each answer it records the time from the question to the evidence and
to the first token, the prompt tokens, how many of them were actually read, and llama.cpp's
own prompt-eval timing (``llama_perf_context``) to compare our prefill rate with its figure.

    python benchmarks/first_token.py ../shared/eval/dev_news_qa.jsonl --index-dir IDX --index news
    python benchmarks/first_token.py ../shared/eval/dev_seed_qa.jsonl --limit 5 --llm smollm2-135m
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from machine import describe_machine

from diplorag import api
from diplorag.config import load_settings
from diplorag.generate.llama import LlamaGenerator
from diplorag.generate.models import resolve_model


def llama_prompt_eval(gen: LlamaGenerator) -> tuple[float, int]:
    """llama.cpp's own prompt-eval milliseconds and token count since the last reset."""
    import llama_cpp

    data = llama_cpp.llama_perf_context(gen._llm._ctx.ctx)
    return float(data.t_p_eval_ms), int(data.n_p_eval)


def one(session: api.Session, gen: LlamaGenerator, question: str) -> dict[str, Any] | None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(gen._llm._ctx.ctx)
    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def on_evidence(hits: Any, reason: Any) -> None:
        marks.setdefault("evidence", time.perf_counter() - t0)

    def on_token(piece: str) -> None:
        marks.setdefault("token", time.perf_counter() - t0)

    session.ask(question, on_evidence=on_evidence, on_token=on_token)
    stats = gen.last_stats
    if "token" not in marks or stats is None:
        return None  # answered without the model (refused before generation)
    ms, n = llama_prompt_eval(gen)
    return {
        "evidence": marks.get("evidence", 0.0),
        "first_token": marks["token"],
        "generator_first": stats.first_token_seconds,
        "prompt_tokens": stats.prompt_tokens,
        "read_tokens": n,
        "llama_ms": ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("questions", type=Path, help="a dev_*_qa.jsonl file")
    parser.add_argument("--index-dir", type=Path, default=Path("indexes"))
    parser.add_argument("--index", default="default")
    parser.add_argument("--llm", default="qwen2.5-coder-1.5b")
    parser.add_argument("--limit", type=int, default=0, help="first N questions only")
    args = parser.parse_args()

    rows = [json.loads(x) for x in args.questions.read_text().splitlines() if x.strip()]
    questions = [r["question"] for r in rows][: args.limit or None]
    settings = load_settings(index_dir=args.index_dir, index=args.index, llm=args.llm)
    path = resolve_model(settings.llm, settings.models_dir)
    gens = {
        reuse: LlamaGenerator(
            path,
            n_ctx=settings.llm_context,
            n_threads=settings.llm_threads,
            name=args.llm,
            reuse_system_prompt=reuse,
        )
        for reuse in (True, False)
    }
    results: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    sessions = {reuse: api.Session(settings, generator=gen) for reuse, gen in gens.items()}
    sessions[True].ask("warm up: what did the minister say?")  # loads the parser and embedder
    sessions[False].ask("warm up: what did the minister say?")
    for i, q in enumerate(questions):
        for reuse in (True, False) if i % 2 == 0 else (False, True):
            r = one(sessions[reuse], gens[reuse], q)
            if r is not None:
                results[reuse].append(r)
        print(f"{i + 1}/{len(questions)}", file=sys.stderr, flush=True)

    def med(reuse: bool, key: str) -> float:
        return statistics.median(r[key] for r in results[reuse])

    print(describe_machine())
    print(
        f"\n{args.questions.name}, index {args.index}, model {args.llm}, "
        f"{settings.llm_threads} threads; {len(questions)} questions, medians over those the "
        f"model answered; load average {os.getloadavg()[0]:.2f} at the end. System prompt "
        f"tokens kept: {gens[True].prefix_tokens}.\n"
    )
    header = [
        "system prompt",
        "answers",
        "evidence s",
        "first token s",
        "prompt tokens",
        "tokens read",
        "prefill tok/s (ours)",
        "prefill tok/s (llama.cpp)",
    ]
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for reuse in (True, False):
        if not results[reuse]:
            continue
        ours = statistics.median(
            r["read_tokens"] / max(1e-9, r["generator_first"]) for r in results[reuse]
        )
        theirs = statistics.median(
            r["read_tokens"] / max(1e-9, r["llama_ms"] / 1000) for r in results[reuse]
        )
        table.append(
            "| "
            + " | ".join(
                [
                    "reused (product)" if reuse else "read every time",
                    str(len(results[reuse])),
                    f"{med(reuse, 'evidence'):.2f}",
                    f"{med(reuse, 'first_token'):.2f}",
                    f"{med(reuse, 'prompt_tokens'):.0f}",
                    f"{med(reuse, 'read_tokens'):.0f}",
                    f"{ours:.1f}",
                    f"{theirs:.1f}",
                ]
            )
            + " |"
        )
    print("\n".join(table))
    for s in sessions.values():
        s.close()


if __name__ == "__main__":
    main()

"""Answer speed per model on corpus/: time to first shown evidence, to first token, tokens/s.

Runs the real ``Session.ask`` (retrieval, evidence selection, prompt, llama.cpp, verification)
over the answerable dev questions and prints a Markdown table of medians with the machine.

    python benchmarks/ask.py                                  # every installed model
    python benchmarks/ask.py --models smollm2-135m --questions 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine, markdown_table

from diplorag import api
from diplorag.config import load_settings
from diplorag.evaluation import load_questions

REPO = Path(__file__).resolve().parent.parent
DEV = REPO.parent / "shared" / "eval" / "dev_seed_qa.jsonl"
MODELS = ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--questions", type=int, default=8, help="answerable dev questions to ask")
    parser.add_argument("--dev", type=Path, default=DEV)
    args = parser.parse_args()

    installed = {m.name for m in api.list_models(load_settings()) if m.installed}
    questions = [r.question for r in load_questions(args.dev) if r.answerable][: args.questions]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "indexes"
        api.ingest([REPO / "corpus"], load_settings(index_dir=index_dir))
        for name in args.models:
            if name not in installed:
                print(f"skipping {name}: not installed (diplorag models install {name})")
                continue
            settings = load_settings(index_dir=index_dir, llm=name, models_dir=REPO / "models")
            with api.Session(settings) as session:
                t0 = time.perf_counter()
                session.search("warm up")  # embedding model, FAISS, BM25
                _ = session.generator  # load the GGUF once, outside the timings
                load_s = time.perf_counter() - t0
                evidence, first, speed, prompt, verified = [], [], [], [], 0
                for q in questions:
                    answer = session.ask(q)
                    t = answer.timings
                    evidence.append(t["evidence_s"])
                    if "first_token_s" in t:
                        first.append(t["first_token_s"])
                        speed.append(t.get("tokens_per_s", 0.0))
                        prompt.append(t.get("prompt_tokens", 0.0))
                    verified += not answer.abstained
            rows.append(
                {
                    "model": name,
                    "load s (+ MiniLM)": f"{load_s:.1f}",
                    "questions": str(len(questions)),
                    "evidence shown p50 s": f"{statistics.median(evidence):.2f}",
                    "first token p50 s": f"{statistics.median(first):.2f}" if first else "–",
                    "tokens/s p50": f"{statistics.median(speed):.1f}" if speed else "–",
                    "prompt tokens p50": f"{statistics.median(prompt):.0f}" if prompt else "–",
                    "answered (verified)": f"{verified}/{len(questions)}",
                }
            )
    print(describe_machine())
    print("corpus/: 3 seed articles; each question: retrieval → evidence → llama.cpp → verify\n")
    if not rows:
        return
    print(markdown_table(rows))


if __name__ == "__main__":
    main()

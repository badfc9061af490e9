"""Relevance trade-off: wrong abstentions against answered unanswerables, over thresholds.

For every question of the dev sets, the pipeline's routes are scored once (no language model:
relevance is decided before generation), then ``answer.pipeline.decide`` is replayed for each
threshold. An answerable question that ``decide`` abstains on is a wrong abstention; an
unanswerable one routed to ``own`` or ``topic`` is an answered unanswerable (``others``, naming
who did say it, counts as an abstention, as it is one for the asked person).

    python benchmarks/relevance.py --index-dir /work/idx --index news \\
        ../shared/eval/dev_news_qa.jsonl
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe_machine

from diplorag.answer.pipeline import Signals, decide
from diplorag.answer.query import build_query
from diplorag.answer.relevance import RelevancePolicy
from diplorag.api import Session
from diplorag.config import load_settings
from diplorag.evaluation import load_questions

THRESHOLDS = [round(0.20 + 0.025 * i, 3) for i in range(17)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, nargs="+")
    parser.add_argument("--index-dir", type=Path, action="append", required=True)
    parser.add_argument("--index", action="append", required=True)
    args = parser.parse_intermixed_args()
    rows: list[tuple[str, bool, str, Signals]] = []
    policy = RelevancePolicy()
    for qfile, index_dir, index in zip(args.questions, args.index_dir, args.index, strict=True):
        settings = load_settings(index_dir=index_dir, index=index)
        with Session(settings) as session:
            pipeline = session.pipeline()
            for row in load_questions(qfile):
                query = build_query(row.question, None, pipeline.statements)
                sig = pipeline.signals(query)
                rows.append((row.id, row.answerable, row.kind_name, sig))
                best = max(
                    (r.relevance.score for r in (sig.topic, sig.own, sig.others) if r is not None),
                    default=0.0,
                )
                print(
                    f"  {row.id:5} {row.kind_name:20} topic {sig.topic.relevance.score:.3f} "
                    f"own {sig.own.relevance.score if sig.own else float('nan'):.3f} "
                    f"others {sig.others.relevance.score if sig.others else float('nan'):.3f} "
                    f"best {best:.3f} speaker={query.speaker_name}",
                    file=sys.stderr,
                )
    answerable = [r for r in rows if r[1]]
    unanswerable = [r for r in rows if not r[1]]
    print(describe_machine())
    print()
    print(f"{len(answerable)} answerable, {len(unanswerable)} unanswerable questions")
    print()
    print("| threshold | wrong abstentions | answered unanswerables | others (named) |")
    print("|---:|---:|---:|---:|")
    for t in THRESHOLDS:
        at = replace(policy, min_score=t)
        wrong = sum(decide(sig, at) not in ("own", "topic") for _, _, _, sig in answerable)
        answered = sum(decide(sig, at) in ("own", "topic") for _, _, _, sig in unanswerable)
        named = sum(decide(sig, at) == "others" for _, _, _, sig in unanswerable)
        print(f"| {t:.3f} | {wrong}/{len(answerable)} | {answered}/{len(unanswerable)} | {named} |")


if __name__ == "__main__":
    main()

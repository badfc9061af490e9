"""Evidence quality without a language model: do the sentences the model reads hold the facts?

For every question of a dev set the pipeline is run up to the evidence (query → routes →
``decide`` → ``select_evidence``), as ``ask`` does before generation. Per question it reports
the route, and whether every gold fact is in (a) the sentences ``ask`` quotes (two) when the
model's answer fails ("The documents say:") and (b) all the evidence sentences the model reads,
and whether a gold article is among them. Seconds per run, so evidence ranking can be tuned
without a 15-minute model evaluation.

    python benchmarks/evidence.py ../shared/eval/dev_news_qa.jsonl --index-dir /work/idx \\
        --index news [--show dn06]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe_machine

from diplorag.answer.evidence import select_evidence
from diplorag.answer.query import build_query
from diplorag.api import Session
from diplorag.config import load_settings
from diplorag.evaluation import fact_recall, load_questions, same_document
from diplorag.types import Answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--show", action="append", default=[], help="print this id's evidence")
    parser.add_argument("--quotes", type=int, default=2, help="sentences ask quotes (2)")
    args = parser.parse_args()
    settings = load_settings(index_dir=args.index_dir, index=args.index)
    totals: Counter[tuple[str, str]] = Counter()
    with Session(settings) as session:
        pipeline = session.pipeline()
        for row in load_questions(args.questions):
            query = build_query(row.question, None, pipeline.statements)
            route = pipeline._route(query)
            if isinstance(route, Answer):
                label = "others" if route.sentences else "abstain"
                named = route.sentences[0].citations[0].speaker if route.sentences else None
                text = route.answer
                quoted = shown = text
                gold = any(same_document(h.path, g) for h in route.evidence for g in row.gold_docs)
            else:
                label = "answer"
                named = None
                _, candidates, documents, _, query = route
                ev = select_evidence(candidates, documents, pipeline.evidence_policy)
                on_show = {(h.doc_id, h.start) for h in ev.sentences}
                shown_c = [c for c in ev.candidates if (c.hit.doc_id, c.hit.start) in on_show]
                top = sorted(shown_c, key=lambda c: not c.typed)[: args.quotes]
                quoted = " ".join(c.hit.text for c in top)
                shown = " ".join(h.text for h in ev.sentences)
                gold = any(same_document(h.path, g) for h in ev.sentences for g in row.gold_docs)
                text = "\n".join(
                    f"   [{h.rank}] {s or '-'}: {' '.join(h.text.split())[:160]}"
                    for h, s in zip(ev.sentences, ev.speakers, strict=True)
                )
            in_quotes = row.answerable and fact_recall(quoted, row.facts) == 1.0
            in_shown = row.answerable and fact_recall(shown, row.facts) == 1.0
            kind = row.kind_name
            totals[(kind, "n")] += 1
            totals[(kind, label)] += 1
            totals[(kind, "quotes")] += in_quotes
            totals[(kind, "shown")] += in_shown
            totals[(kind, "gold")] += gold
            print(
                f"{row.id:6} {kind:18} {label:7} speaker={query.speaker_name!s:24.24} "
                f"quotes={'Y' if in_quotes else '.'} shown={'Y' if in_shown else '.'} "
                f"gold={'Y' if gold else '.'}" + (f" names={named}" if named else "")
            )
            if row.id in args.show:
                print(f"   Q: {row.question}\n   facts: {row.facts}\n{text}")
    print()
    print(describe_machine())
    print()
    print(
        "| kind | questions | answer route | others | abstain | facts in 2 quotes | "
        "facts in evidence | gold article in evidence |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in dict.fromkeys(k for k, _ in totals):
        t = {
            m: totals[(kind, m)]
            for m in ("n", "answer", "others", "abstain", "quotes", "shown", "gold")
        }
        print(
            f"| {kind} | {t['n']} | {t['answer']} | {t['others']} | {t['abstain']} | "
            f"{t['quotes']} | {t['shown']} | {t['gold']} |"
        )


if __name__ == "__main__":
    main()

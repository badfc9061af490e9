"""The naive pipeline, scored like diplorag: top 5 passages, a plain prompt, no checks.

What a RAG tutorial does with the same two models (MiniLM for retrieval, the same GGUF for
answers): retrieve the 5 best passages, ask "answer from the context or say you don't know",
take the reply as it comes. Its answers are scored with ``diplorag.evaluation`` exactly as
``diplorag eval`` scores diplorag's; a naive reply "cites" its whole context (it has no
citations of its own), so "fully right" means every fact present with a gold article among
the 5 passages. With ``--diplorag FILE`` (the ``--answers-out`` of ``diplorag eval`` on the
same questions) the table compares both, per kind of question.

    python benchmarks/naive.py ../shared/eval/dev_news_qa.jsonl --index-dir /work/idx \\
        --index news --diplorag answers.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe_machine, markdown_table

from diplorag.answer.markers import is_abstention
from diplorag.api import Session
from diplorag.config import load_settings
from diplorag.evaluation import EvalReport, load_questions, run_eval
from diplorag.generate import ChatMessage
from diplorag.types import Answer, AnswerSentence, Citation, Hit, VerificationStatus

SYSTEM = (
    "Answer the question using only the context below. If the context does not contain the "
    'answer, say "I don\'t know".'
)


def naive_answer(session: Session, question: str) -> Answer:
    hits = session.search(question, k=5)
    context = "\n\n".join(f"{h.title}\n{h.text}" for h in hits)
    messages: list[ChatMessage] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}"},
    ]
    text = "".join(
        session.generator.stream(messages, max_tokens=session.settings.llm_max_tokens)
    ).strip()
    abstained = not text or is_abstention(text) or "don't know" in text.lower()
    citations = [
        Citation(
            n=n,
            chunk_id=h.chunk_id,
            doc_id=h.doc_id,
            title=h.title,
            path=h.path,
            published=h.published,
            quote=h.text,
            quote_start=h.start,
            quote_end=h.end,
        )
        for n, h in enumerate(hits, start=1)
    ]
    return Answer(
        question=question,
        answer=text,
        abstained=abstained,
        outcome="abstained" if abstained else "answered",
        sentences=[]
        if abstained
        else [AnswerSentence(text=text, status=VerificationStatus.VERIFIED, citations=citations)],
        evidence=hits,
        model=session.generator.name,
    )


def _kind_rows(name: str, report: EvalReport) -> list[dict[str, str]]:
    rows = []
    for kind, k in report.summary.by_kind.items():
        rows.append(
            {
                "pipeline": name,
                "kind": kind,
                "questions": str(k.questions),
                "answered": str(k.answered + k.quoted),
                "abstained": str(k.abstained),
                "fully right": str(k.fully_right) if k.answerable else "–",
            }
        )
    s = report.summary
    rows.append(
        {
            "pipeline": name,
            "kind": "all",
            "questions": str(s.questions),
            "answered": f"wrong abstentions {100 * (s.wrong_abstentions or 0):.0f}%",
            "abstained": f"abstention accuracy {100 * (s.abstention_accuracy or 0):.0f}%",
            "fully right": f"fact recall {100 * (s.fact_recall or 0):.0f}%",
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--index", default="default")
    parser.add_argument("--model", default=None, help="default: the settings' model")
    parser.add_argument("--diplorag", type=Path, help="answers.jsonl of diplorag eval")
    parser.add_argument("--answers-out", type=Path, help="write the naive answers here")
    args = parser.parse_args()
    rows = load_questions(args.questions)
    settings = load_settings(index_dir=args.index_dir, index=args.index, llm=args.model)
    reports: list[tuple[str, EvalReport]] = []
    with Session(settings) as session:
        sink = args.answers_out.open("w") if args.answers_out else None

        def search(q: str) -> tuple[list[Hit], float]:
            return session.search(q, k=5), 0.0

        def ask(q: str) -> Answer:
            answer = naive_answer(session, q)
            if sink is not None:
                sink.write(answer.model_dump_json() + "\n")
            return answer

        reports.append(
            (
                "naive",
                run_eval(rows, search=search, ask=ask, doc_text=session.handle.store.text_by_path),
            )
        )
        if args.diplorag is not None:
            saved = {}
            for line in args.diplorag.read_text().splitlines():
                data = json.loads(line)
                data.pop("id"), data.pop("kind")
                saved[data["question"]] = Answer.model_validate(data)
            reports.append(
                (
                    "diplorag",
                    run_eval(
                        rows,
                        search=search,
                        ask=lambda q: saved[q],
                        doc_text=session.handle.store.text_by_path,
                    ),
                )
            )
        if sink is not None:
            sink.close()
    print(describe_machine())
    print(f"\n{args.questions.name}, model {settings.llm}\n")
    print(markdown_table([r for name, rep in reports for r in _kind_rows(name, rep)]))


if __name__ == "__main__":
    main()

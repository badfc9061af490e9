"""Evaluation metrics on hand-made hits and answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diplorag.errors import ConfigError
from diplorag.evaluation import (
    QARow,
    fact_recall,
    find_spans,
    load_questions,
    locate_support,
    phrase_occurs,
    run_eval,
    summarize,
    support_rank,
)
from diplorag.types import Answer, AnswerSentence, Citation, Hit, VerificationStatus

# Two lines of the shared seed question file, verbatim.
SEED_LINES = """\
{"id": "d01", "question": "Who is the Dutch defense minister who met Kim Young-suk?", \
"answerable": true, "gold_doc": "000_6b018a2f3c46da3d.txt", \
"support": ["Dutch Defense Minister Ruben Brekelmans"], "facts": [["Brekelmans"]]}
{"id": "d09", "question": "What did Kim Young-suk say about the population of Seoul?", \
"answerable": false}
"""

DOC = (
    "Seoul, September 9, 2024 — Vice Minister Kang spoke. "
    "He highlighted the urgent need to establish international norms on AI in the military. "
    "He also said the talks went well. The Dutch Defense Minister Ruben Brekelmans attended."
)
GOLD = "001_gold.txt"
GOLD_PATH = f"/data/corpus/{GOLD}"
SUPPORT = "the urgent need to establish international norms on AI"
S_START = DOC.index(SUPPORT)
S_END = S_START + len(SUPPORT)


def hit(path: str, start: int, end: int, rank: int = 1, text: str | None = None) -> Hit:
    return Hit(
        rank=rank,
        score=1.0 / rank,
        chunk_id=f"c{start}",
        doc_id="d" + Path(path).stem,
        title="t",
        published=None,
        source=None,
        path=path,
        start=start,
        end=end,
        text=DOC[start:end] if text is None else text,
    )


def cite(path: str, start: int, end: int, n: int = 1) -> Citation:
    return Citation(
        n=n,
        chunk_id="c",
        doc_id="d",
        title="t",
        path=path,
        quote=DOC[start:end],
        quote_start=start,
        quote_end=end,
    )


def answer(
    text: str,
    *,
    abstained: bool = False,
    citations: list[Citation] | None = None,
    status: VerificationStatus = VerificationStatus.VERIFIED,
    timings: dict[str, float] | None = None,
) -> Answer:
    sentences = [AnswerSentence(text=text, status=status, citations=citations or [])]
    return Answer(
        question="q",
        answer=text,
        abstained=abstained,
        sentences=[] if abstained else sentences,
        timings=timings or {},
    )


def qa(qid: str = "q1", **kw: object) -> QARow:
    data: dict[str, object] = {
        "id": qid,
        "question": "What norms?",
        "answerable": True,
        "gold_doc": GOLD,
        "support": [SUPPORT],
        "facts": [["artificial intelligence", "AI"]],
    }
    data.update(kw)
    return QARow.model_validate(data)


def no_q(qid: str = "u1") -> QARow:
    return QARow(id=qid, question="What is the capital of Australia?", answerable=False)


def docs(path: str) -> str | None:
    return DOC if Path(path).name == GOLD else None


# -- loading ------------------------------------------------------------------------------------


def test_load_questions_reads_the_seed_format(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(SEED_LINES)
    rows = load_questions(path)
    assert [r.id for r in rows] == ["d01", "d09"]
    assert rows[0].gold_doc == "000_6b018a2f3c46da3d.txt" and rows[0].facts == [["Brekelmans"]]
    assert not rows[1].answerable and rows[1].support == []


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"id": "x", "question": "q"}', "answerable"),
        ('{"id": "x", "question": "q", "answerable": true}', "gold_doc"),
        ('{"id": "x", "question": "q", "answerable": "maybe"}', "answerable"),
        ('{"id": "x", "question": "q", "answerable": false, "support": ["s"]}', "unanswerable"),
        ('{"id": "x", "question": "q", "answerable": false, "colour": 1}', "colour"),
        (
            '{"id": "x", "question": "q", "answerable": true, "gold_doc": "a.txt", '
            '"support": ["s"], "facts": [[]]}',
            "facts",
        ),
    ],
)
def test_malformed_line_names_its_line(tmp_path: Path, line: str, needle: str) -> None:
    good = json.dumps({"id": "ok", "question": "q?", "answerable": False})
    path = tmp_path / "qa.jsonl"
    path.write_text(f"{good}\n\n{line}\n")
    with pytest.raises(ConfigError) as info:
        load_questions(path)
    assert f"{path}:3" in str(info.value)
    assert needle in str(info.value)


def test_duplicate_ids_and_missing_file(tmp_path: Path) -> None:
    line = json.dumps({"id": "a", "question": "q?", "answerable": False})
    path = tmp_path / "qa.jsonl"
    path.write_text(f"{line}\n{line}\n")
    with pytest.raises(ConfigError, match=r"qa.jsonl:2: id 'a' repeats line 1"):
        load_questions(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_questions(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(ConfigError, match="no questions"):
        load_questions(tmp_path / "empty.jsonl")


# -- text matching ------------------------------------------------------------------------------


def test_word_boundaries_ai_is_not_in_said() -> None:
    assert not phrase_occurs("AI", "He said the talks went well.")
    assert phrase_occurs("AI", "norms on AI, he said")
    assert phrase_occurs("ai", "(AI)")
    assert not phrase_occurs("ten", "rising tensions")
    assert not phrase_occurs("10", "a 100-day plan")


def test_a_stem_of_four_letters_or_more_matches_inside_a_word() -> None:
    # dev_news_qa.md: facts are stems matched as substrings ("deni", "cooperat").
    assert phrase_occurs("deni", "Tillerson denied that it was true")
    assert phrase_occurs("cooperat", "international cooperation")
    assert not phrase_occurs("deni", "a Yemeni official")  # only from the start of a word


def test_phrases_ignore_case_diacritics_white_space_and_dashes() -> None:
    assert phrase_occurs("Anusic", "Minister Anušić spoke")
    assert phrase_occurs("Kim Ji-yoon", "moderated by KIM\n  Ji\u2011yoon.")
    assert phrase_occurs("political will", "renew their political\twill")
    assert phrase_occurs("U.S.", "the U.S. said")
    assert not phrase_occurs("", "anything")


def test_fact_recall_counts_facts_not_phrasings() -> None:
    facts = [["North Korea"], ["nuclear", "missile"], ["Russia"]]
    assert fact_recall("North Korea's missile tests", facts) == pytest.approx(2 / 3)
    assert fact_recall("nuclear and missile", [["nuclear", "missile"]]) == 1.0
    assert fact_recall("Nothing relevant.", facts) == 0.0
    assert fact_recall("anything", []) is None


def test_find_spans_finds_every_occurrence() -> None:
    assert find_spans("abcabc", "bc") == [(1, 3), (4, 6)]
    assert find_spans("abc", "x") == []
    assert find_spans("abc", "") == []


# -- retrieval ----------------------------------------------------------------------------------


def test_hit_must_overlap_the_support_span_in_the_gold_document() -> None:
    gold = locate_support(GOLD, [SUPPORT], DOC)
    assert gold.spans == ((S_START, S_END),) and not gold.unlocated
    before = hit(GOLD_PATH, 0, S_START)  # ends exactly where the support starts: no overlap
    touching = hit(GOLD_PATH, 0, S_START + 1)
    other_doc = hit("/data/corpus/002_other.txt", S_START, S_END)
    assert not gold.hit_matches(before)
    assert gold.hit_matches(touching)
    assert not gold.hit_matches(other_doc)
    assert support_rank([other_doc, before, touching], gold) == 3
    assert support_rank([], gold) is None


def test_without_document_text_the_hit_text_must_contain_the_support() -> None:
    gold = locate_support(GOLD, [SUPPORT], None)
    assert gold.unlocated == (SUPPORT,)
    whole = hit(GOLD_PATH, 0, len(DOC))
    partial = hit(GOLD_PATH, 0, S_START + 10)  # overlaps, but cannot be known without offsets
    assert gold.hit_matches(whole)
    assert not gold.hit_matches(partial)


def test_run_eval_retrieval_ranks_and_mrr() -> None:
    rows = [qa("q1"), qa("q2"), qa("q3"), no_q()]
    results = {
        "q1": [hit(GOLD_PATH, S_START, S_END)],
        "q2": [hit("/x/other.txt", 0, 10), hit("/x/other.txt", 0, 5), hit(GOLD_PATH, 0, S_END)],
        "q3": [],  # no hits at all
    }
    order = iter(["q1", "q2", "q3", "u1"])
    done: list[int] = []

    def search(q: str) -> tuple[list[Hit], float]:
        return results.get(next(order), []), 0.01

    report = run_eval(rows, search=search, ask=None, doc_text=docs, progress=done.append)
    r1, r2, r3, u = report.rows
    assert (r1.retrieval_rank, r2.retrieval_rank, r3.retrieval_rank) == (1, 3, None)
    assert (r2.hit_at_1, r2.hit_at_3, r2.hit_at_5) == (False, True, True)
    assert r3.hit_at_5 is False and r3.reciprocal_rank == 0.0
    assert u.retrieval_rank is None and u.hit_at_1 is None  # unanswerable: no retrieval score
    s = report.summary
    assert s.hit_at_1 == pytest.approx(1 / 3)
    assert s.hit_at_3 == pytest.approx(2 / 3)
    assert s.mrr == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert s.search_p50_s == pytest.approx(0.01)
    assert done == [1, 2, 3, 4]
    assert not s.generated and s.citation_precision is None and s.abstention_accuracy is None
    hit3 = next(t for t in s.targets if t.name.startswith("hit@3"))
    assert hit3.passed is False and hit3.value == pytest.approx(2 / 3)
    others = [t for t in s.targets if t is not hit3]
    assert others and {t.passed for t in others} == {None}  # no answers: nothing to judge


def test_support_not_found_in_document_falls_back_and_warns() -> None:
    row = qa(support=["a sentence that is not in the document"])
    report = run_eval(
        [row],
        search=lambda q: ([hit(GOLD_PATH, 0, len(DOC))], 0.0),
        ask=None,
        doc_text=docs,
    )
    r = report.rows[0]
    assert r.retrieval_rank is None
    assert any("support not found" in w for w in r.warnings)


def test_unavailable_document_text_falls_back_to_hit_text() -> None:
    def broken(path: str) -> str | None:
        raise FileNotFoundError(path)

    report = run_eval(
        [qa()], search=lambda q: ([hit(GOLD_PATH, 0, len(DOC))], 0.0), ask=None, doc_text=broken
    )
    r = report.rows[0]
    assert r.retrieval_rank == 1
    assert any("FileNotFoundError" in w for w in r.warnings)


# -- answers ------------------------------------------------------------------------------------


def test_citation_precision_counts_gold_overlaps_only() -> None:
    good = cite(GOLD_PATH, S_START + 5, S_END + 3)
    wrong_place = cite(GOLD_PATH, 0, 20)
    wrong_doc = cite("/x/other.txt", S_START, S_END)
    dropped = cite("/x/other.txt", 0, 5)
    ans = answer("It stressed norms on AI [1][2][3].", citations=[good, wrong_place, wrong_doc])
    ans.sentences.append(
        AnswerSentence(text="x", status=VerificationStatus.DROPPED, citations=[dropped])
    )
    report = run_eval(
        [qa()],
        search=lambda q: ([hit(GOLD_PATH, S_START, S_END)], 0.0),
        ask=lambda q: ans,
        doc_text=docs,
    )
    r = report.rows[0]
    assert (r.correct_citations, r.citations) == (1, 3)
    assert r.citation_precision == pytest.approx(1 / 3)
    assert r.fact_recall == 1.0
    assert report.summary.citation_precision == pytest.approx(1 / 3)


def test_no_citations_gives_no_precision_and_unanswerable_citations_do_not_count() -> None:
    answers = {
        "What norms?": answer("AI norms."),
        "What is the capital of Australia?": answer(
            "Canberra [1].", citations=[cite("/x/other.txt", 0, 5)]
        ),
    }
    report = run_eval(
        [qa(), no_q()],
        search=lambda q: ([], 0.0),
        ask=lambda q: answers[q],
        doc_text=docs,
    )
    assert report.rows[0].citation_precision is None
    s = report.summary
    assert s.citations == 0 and s.citation_precision is None
    assert s.abstention_accuracy == 0.0  # answered the unanswerable question
    target = next(t for t in s.targets if t.name.startswith("abstention"))
    assert target.passed is False


def test_all_abstain() -> None:
    rows = [qa("a1"), qa("a2"), no_q("u1"), no_q("u2")]
    report = run_eval(
        rows,
        search=lambda q: ([hit(GOLD_PATH, S_START, S_END)], 0.0),
        ask=lambda q: answer("I cannot answer that from the documents.", abstained=True),
        doc_text=docs,
    )
    s = report.summary
    assert s.abstention_accuracy == 1.0
    assert s.wrong_abstentions == 1.0
    assert s.fact_recall == 0.0
    assert s.citation_precision is None
    assert [r.correct_abstention for r in report.rows] == [False, False, True, True]
    assert next(t for t in s.targets if t.name.startswith("abstention")).passed is True


def test_timings_are_summarised_and_missing_keys_tolerated() -> None:
    timings = iter(
        [
            {"retrieval_s": 0.1, "first_token_s": 1.0, "tokens_per_s": 10.0},
            {"first_token_s": 3.0, "tokens_per_s": 20.0},
            {},
        ]
    )
    report = run_eval(
        [qa("a"), qa("b"), no_q()],
        search=lambda q: ([], 0.5),
        ask=lambda q: answer("x", timings=next(timings)),
        doc_text=docs,
    )
    s = report.summary
    assert s.first_token_p50_s == pytest.approx(2.0)
    assert s.tokens_per_s_mean == pytest.approx(15.0)
    assert s.retrieval_p50_s == pytest.approx(0.1)
    assert s.generation_p50_s is None


def test_an_error_is_recorded_and_the_run_continues() -> None:
    def search(q: str) -> tuple[list[Hit], float]:
        if q == "boom":
            raise RuntimeError("index gone")
        return [hit(GOLD_PATH, S_START, S_END)], 0.0

    def ask(q: str) -> Answer:
        if q == "boom":
            raise ValueError("model crashed")
        return answer("AI")

    report = run_eval([qa("a", question="boom"), qa("b")], search=search, ask=ask, doc_text=docs)
    bad, good = report.rows
    assert bad.error is not None and "index gone" in bad.error and "model crashed" in bad.error
    assert bad.hit_at_3 is False and bad.abstained is False and bad.fact_recall == 0.0
    assert good.error is None and good.hit_at_1 is True
    assert report.summary.errors == 1
    assert report.summary.hit_at_3 == 0.5


def test_summary_of_nothing() -> None:
    s = summarize([], generated=False)
    assert s.questions == 0 and s.hit_at_3 is None and s.passed

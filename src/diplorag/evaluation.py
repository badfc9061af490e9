"""Question-answering evaluation: load a question file, score retrieval and answers, summarise.

Pure: the caller passes ``search``, ``ask`` and ``doc_text`` callables, so this module imports no
model, index or generator and is tested with hand-made ``Hit`` and ``Answer`` values.

The question file is JSON Lines, one question per line::

    {"id": "d01", "question": "...", "answerable": true, "gold_doc": "000_6b01.txt",
     "support": ["exact substring of the gold document"], "facts": [["Brekelmans"]]}
    {"id": "d09", "question": "...", "answerable": false}

Definitions (every rate is a fraction in ``[0, 1]``):

- A retrieved ``Hit`` *hits* a support passage when its file name is the gold document's and
  its character span ``[start, end)`` overlaps an occurrence of the passage in the document
  text. Without the document text (or when the passage is not found in it) the hit counts when
  its text contains the passage (whitespace-normalised), which misses a passage split across
  two chunks. The *retrieval rank* is the 1-based position of the first hit that hits any
  support passage. hit@k, MRR: over answerable questions; a question with no such hit
  (or whose search failed) scores 0.
- *Fact recall* of an answer: the fraction of its facts for which any phrasing occurs in the
  answer text, compared case-insensitively, without diacritics, with runs of white space as one
  space and at the start of a word ("AI" does not occur in "said"). A phrase of four or more
  characters that ends in a letter is a stem and may end inside a word ("deni" occurs in
  "denied", "cooperat" in "cooperation", as ``dev_news_qa.md`` defines its facts); a shorter
  one must end with the word ("ten" does not occur in "tensions"). The summary averages it over
  answerable questions with facts, abstentions included (they usually score 0).
- A *citation* is one ``Citation`` of a sentence the user is shown (status other than
  ``DROPPED``). It is *correct* when its file name is the gold document's and its quote span
  ``[quote_start, quote_end)`` overlaps an occurrence of a support passage (without the
  document text: when the quote and a passage contain one another). A quote that supports the
  sentence from another document still counts as incorrect: the gold document is the reference.
  *Citation precision* is micro-averaged over answerable questions: correct citations / all
  citations; citations given for unanswerable questions are not counted (answering them at all
  is an abstention error). ``None`` when no citation was given.
- *Abstention accuracy*: the fraction of unanswerable questions whose answer abstained.
  *Wrong abstentions*: the fraction of answerable questions whose answer abstained.
- A question whose ``ask`` failed counts as not abstained, with fact recall 0 and no citations.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from diplorag.errors import ConfigError
from diplorag.text.analyze import fold
from diplorag.types import SCHEMA_VERSION, Answer, Hit, VerificationStatus

Span = tuple[int, int]
DocText = Callable[[str], str | None]

HIT_AT = (1, 3, 5)
TARGET_HIT_AT_3 = 1.0
TARGET_ABSTENTION_ACCURACY = 0.90
TARGET_CITATION_PRECISION = 0.95


# -- questions ----------------------------------------------------------------------------------


class QARow(BaseModel):
    """One evaluation question."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answerable: bool
    # A file name or stem, or a list of them (a path is reduced to its name); any one counts.
    gold_doc: str | list[str] | None = None
    support: list[str] = Field(default_factory=list)  # exact substrings of the gold document
    facts: list[list[str]] = Field(default_factory=list)  # each fact: acceptable phrasings
    kind: str | None = None  # said, fact, unanswerable-topic, misattribution, absent

    @property
    def gold_docs(self) -> list[str]:
        if self.gold_doc is None:
            return []
        return [self.gold_doc] if isinstance(self.gold_doc, str) else list(self.gold_doc)

    @property
    def kind_name(self) -> str:
        return self.kind or ("answerable" if self.answerable else "unanswerable")

    @field_validator("support")
    @classmethod
    def _support_not_blank(cls, v: list[str]) -> list[str]:
        if any(not s.strip() for s in v):
            raise ValueError("support passages must not be empty")
        return v

    @field_validator("facts")
    @classmethod
    def _facts_not_blank(cls, v: list[list[str]]) -> list[list[str]]:
        for fact in v:
            if not fact or any(not p.strip() for p in fact):
                raise ValueError("each fact is a non-empty list of non-empty phrasings")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> QARow:
        if self.answerable and not (self.gold_docs and self.support):
            raise ValueError("an answerable question needs gold_doc and at least one support")
        if not self.answerable and (self.support or self.facts or self.gold_docs):
            raise ValueError("an unanswerable question has no support or facts")
        return self


def load_questions(path: Path | str) -> list[QARow]:
    """Read a JSON Lines question file; blank lines are skipped.

    Args:
        path: The ``.jsonl`` file.

    Returns:
        The questions in file order.

    Raises:
        ConfigError: the file cannot be read, a line is not a JSON object, a field is missing or
            has the wrong type, or an id repeats; the message names the line.
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read question file {p}: {exc}") from None
    rows: list[QARow] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{p}:{number}"
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{where}: not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a JSON object, got {type(data).__name__}")
        try:
            row = QARow.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(x) for x in first["loc"]) or "question"
            raise ConfigError(f"{where}: {field}: {first['msg']}") from None
        if row.id in seen:
            raise ConfigError(f"{where}: id {row.id!r} repeats line {seen[row.id]}")
        seen[row.id] = number
        rows.append(row)
    if not rows:
        raise ConfigError(f"question file {p} holds no questions")
    return rows


# -- text matching ------------------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower-case, strip diacritics, unify dashes and quotes, one space for any white space."""
    return _SPACE.sub(" ", fold(text).translate(_DASHES).translate(_QUOTES)).strip()


def phrase_occurs(phrase: str, text: str) -> bool:
    """True if ``phrase`` occurs in ``text`` from the start of a word (after ``normalize``);
    a phrase shorter than four characters, or ending in no letter, must end with a word."""
    p = normalize(phrase)
    if not p:
        return False
    stem = len(p) >= 4 and p[-1].isalpha()
    end = "" if stem else r"(?!\w)"
    return re.search(r"(?<!\w)" + re.escape(p) + end, normalize(text)) is not None


def fact_recall(answer_text: str, facts: Sequence[Sequence[str]]) -> float | None:
    """Fraction of ``facts`` with at least one phrasing in ``answer_text``; None without facts."""
    if not facts:
        return None
    found = sum(any(phrase_occurs(p, answer_text) for p in fact) for fact in facts)
    return found / len(facts)


def same_document(path: str, gold_doc: str) -> bool:
    """True if ``path`` names the gold document (by file name, or by stem: "3632" = "3632.md")."""
    if not path:
        return False
    p, g = PurePath(path), PurePath(gold_doc)
    return p.name == g.name or (not g.suffix and p.stem == g.name)


def find_spans(text: str, passage: str) -> list[Span]:
    """Every occurrence of ``passage`` in ``text`` as ``(start, end)``, in order."""
    spans: list[Span] = []
    if not passage:
        return spans
    at = text.find(passage)
    while at != -1:
        spans.append((at, at + len(passage)))
        at = text.find(passage, at + 1)
    return spans


def overlaps(a: Span, b: Span) -> bool:
    """True if the half-open spans share at least one character."""
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class GoldSupport:
    """Where one question's support passages lie in its gold document.

    Attributes:
        gold_doc: File name of the gold document.
        spans: Located occurrences of the passages in the document text.
        unlocated: Passages matched by text instead (no document text, or not found in it).
    """

    gold_doc: str
    spans: tuple[Span, ...]
    unlocated: tuple[str, ...]

    def hit_matches(self, hit: Hit) -> bool:
        """True if ``hit`` overlaps a support passage (see the module docstring)."""
        if not same_document(hit.path, self.gold_doc):
            return False
        if any(overlaps((hit.start, hit.end), s) for s in self.spans):
            return True
        text = normalize(hit.text)
        return any(normalize(p) in text for p in self.unlocated)

    def quote_matches(self, path: str, start: int, end: int, quote: str) -> bool:
        """True if a quote from ``path`` overlaps a support passage."""
        if not same_document(path, self.gold_doc):
            return False
        if end > start and any(overlaps((start, end), s) for s in self.spans):
            return True
        q = normalize(quote)
        return bool(q) and any(q in (n := normalize(p)) or n in q for p in self.unlocated)


def locate_support(gold_doc: str, support: Sequence[str], doc_text: str | None) -> GoldSupport:
    """Find each support passage in the gold document's text (``None``: text unavailable)."""
    spans: list[Span] = []
    unlocated: list[str] = []
    for passage in support:
        found = find_spans(doc_text, passage) if doc_text is not None else []
        if found:
            spans += found
        else:
            unlocated.append(passage)
    return GoldSupport(gold_doc, tuple(spans), tuple(unlocated))


@dataclass(frozen=True)
class GoldSet:
    """The support of every gold document of a question: a match in any one counts."""

    golds: tuple[GoldSupport, ...]

    @property
    def unlocated(self) -> tuple[str, ...]:
        return tuple(p for g in self.golds for p in g.unlocated)

    def hit_matches(self, hit: Hit) -> bool:
        return any(g.hit_matches(hit) for g in self.golds)

    def quote_matches(self, path: str, start: int, end: int, quote: str) -> bool:
        return any(g.quote_matches(path, start, end, quote) for g in self.golds)

    def from_gold_document(self, path: str) -> bool:
        return any(same_document(path, g.gold_doc) for g in self.golds)


def support_rank(hits: Sequence[Hit], gold: GoldSupport | GoldSet) -> int | None:
    """1-based position of the first hit that overlaps a support passage, or None."""
    for position, hit in enumerate(hits, start=1):
        if gold.hit_matches(hit):
            return position
    return None


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


def shown_citations(answer: Answer) -> list[tuple[str, int, int, str]]:
    """``(path, quote_start, quote_end, quote)`` of every citation of a sentence that is shown."""
    return [
        (c.path, c.quote_start, c.quote_end, c.quote)
        for s in answer.sentences
        if s.status is not VerificationStatus.DROPPED
        for c in s.citations
    ]


def citation_counts(answer: Answer, gold: GoldSupport | GoldSet) -> tuple[int, int]:
    """``(correct, total)`` citations of ``answer`` against the gold support."""
    cited = shown_citations(answer)
    return sum(gold.quote_matches(*c) for c in cited), len(cited)


def median(values: Iterable[float]) -> float | None:
    """p50 of ``values``, or None when there are none."""
    vs = list(values)
    return statistics.median(vs) if vs else None


def mean(values: Iterable[float]) -> float | None:
    vs = list(values)
    return statistics.fmean(vs) if vs else None


# -- report -------------------------------------------------------------------------------------


class EvalRow(BaseModel):
    """The outcome of one question. Retrieval fields are None for unanswerable questions."""

    id: str
    question: str
    answerable: bool
    kind: str = "answerable"
    gold_doc: str | None = None
    retrieval_rank: int | None = None
    hits_returned: int = 0
    hit_at_1: bool | None = None
    hit_at_3: bool | None = None
    hit_at_5: bool | None = None
    reciprocal_rank: float | None = None
    search_s: float | None = None
    generated: bool = False
    answer: str | None = None
    abstained: bool | None = None
    outcome: str | None = None  # answered, quoted, abstained
    fully_right: bool | None = None  # every fact present and a citation from a gold document
    correct_abstention: bool | None = None  # abstained on unanswerable, answered on answerable
    fact_recall: float | None = None
    citations: int = 0
    correct_citations: int = 0
    citation_precision: float | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    error: str | None = None


class Target(BaseModel):
    name: str
    value: float | None  # None: not measured in this run
    threshold: float
    passed: bool | None  # None: not measured


class KindSummary(BaseModel):
    """Outcomes of one kind of question (said, fact, unanswerable-topic, …)."""

    questions: int = 0
    answerable: bool = True
    answered: int = 0  # the model's checked sentences
    quoted: int = 0  # evidence sentences shown as the answer
    abstained: int = 0
    fully_right: int = 0  # answerable: every fact present, cited to a gold document
    errors: int = 0


class EvalSummary(BaseModel):
    questions: int
    answerable: int
    unanswerable: int
    errors: int
    generated: bool
    hit_at_1: float | None = None
    hit_at_3: float | None = None
    hit_at_5: float | None = None
    mrr: float | None = None
    fact_recall: float | None = None
    citations: int = 0
    correct_citations: int = 0
    citation_precision: float | None = None
    abstention_accuracy: float | None = None
    wrong_abstentions: float | None = None
    search_p50_s: float | None = None
    retrieval_p50_s: float | None = None
    first_token_p50_s: float | None = None
    generation_p50_s: float | None = None
    tokens_per_s_mean: float | None = None
    by_kind: dict[str, KindSummary] = Field(default_factory=dict)
    targets: list[Target] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True if no measured target failed."""
        return all(t.passed is not False for t in self.targets)


class EvalReport(BaseModel):
    schema_version: int = SCHEMA_VERSION
    summary: EvalSummary
    rows: list[EvalRow]


def _target(name: str, value: float | None, threshold: float) -> Target:
    passed = None if value is None else value >= threshold - 1e-12
    return Target(name=name, value=value, threshold=threshold, passed=passed)


def summarize(rows: Sequence[EvalRow], *, generated: bool) -> EvalSummary:
    """Aggregate per-question rows into the summary and its targets."""
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]

    def rate(flags: Sequence[bool | None]) -> float | None:
        return sum(bool(f) for f in flags) / len(flags) if flags else None

    s = EvalSummary(
        questions=len(rows),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        errors=sum(r.error is not None for r in rows),
        generated=generated,
        search_p50_s=median(r.search_s for r in rows if r.search_s is not None),
    )
    if answerable:
        s.hit_at_1 = rate([r.hit_at_1 for r in answerable])
        s.hit_at_3 = rate([r.hit_at_3 for r in answerable])
        s.hit_at_5 = rate([r.hit_at_5 for r in answerable])
        s.mrr = mean(r.reciprocal_rank or 0.0 for r in answerable)
    if generated:
        s.fact_recall = mean(r.fact_recall for r in answerable if r.fact_recall is not None)
        s.citations = sum(r.citations for r in answerable)
        s.correct_citations = sum(r.correct_citations for r in answerable)
        s.citation_precision = s.correct_citations / s.citations if s.citations else None
        s.abstention_accuracy = rate([r.abstained for r in unanswerable])
        s.wrong_abstentions = rate([r.abstained for r in answerable])
        s.retrieval_p50_s = median(_timing(rows, "retrieval_s"))
        s.first_token_p50_s = median(_timing(rows, "first_token_s"))
        s.generation_p50_s = median(_timing(rows, "generation_s"))
        s.tokens_per_s_mean = mean(_timing(rows, "tokens_per_s"))
    for r in rows:
        k = s.by_kind.setdefault(r.kind, KindSummary(answerable=r.answerable))
        k.questions += 1
        k.errors += r.error is not None
        if r.outcome == "answered":
            k.answered += 1
        elif r.outcome == "quoted":
            k.quoted += 1
        elif r.outcome == "abstained":
            k.abstained += 1
        k.fully_right += bool(r.fully_right)
    s.targets = [
        _target("hit@3 = 100 %", s.hit_at_3, TARGET_HIT_AT_3),
        _target("abstention accuracy ≥ 90 %", s.abstention_accuracy, TARGET_ABSTENTION_ACCURACY),
        _target("citation precision ≥ 95 %", s.citation_precision, TARGET_CITATION_PRECISION),
    ]
    return s


def _timing(rows: Sequence[EvalRow], key: str) -> list[float]:
    return [v for r in rows if (v := r.timings.get(key)) is not None]


# -- run ----------------------------------------------------------------------------------------


class _DocTexts:
    """Calls ``doc_text`` once per path; a failure is remembered as "unavailable"."""

    def __init__(self, doc_text: DocText) -> None:
        self._doc_text = doc_text
        self._cache: dict[str, str | None] = {}
        self.failures: dict[str, str] = {}

    def get(self, path: str) -> str | None:
        if path not in self._cache:
            try:
                self._cache[path] = self._doc_text(path)
            except Exception as exc:  # a missing or unreadable file: fall back to text matching
                self._cache[path] = None
                self.failures[path] = f"{type(exc).__name__}: {exc}"
        return self._cache[path]


def _gold_path(gold_doc: str, hits: Sequence[Hit], answer: Answer | None) -> str:
    """The gold document's path as the index knows it (from a hit or citation), else its name."""
    paths = [h.path for h in hits]
    if answer is not None:
        paths += [c[0] for c in shown_citations(answer)] + [h.path for h in answer.evidence]
    return next((p for p in paths if same_document(p, gold_doc)), gold_doc)


def run_eval(
    rows: Sequence[QARow],
    *,
    search: Callable[[str], tuple[list[Hit], float]],
    ask: Callable[[str], Answer] | None,
    doc_text: DocText,
    progress: Callable[[int], None] | None = None,
) -> EvalReport:
    """Run every question through retrieval (and generation) and score it.

    Args:
        rows: The questions (``load_questions``).
        search: ``question -> (hits, seconds)``; ask it for at least 5 hits so hit@5 means
            something.
        ask: ``question -> Answer``; ``None`` scores retrieval only (``--no-generate``).
        doc_text: ``path -> text`` of an indexed document (the text hit and quote offsets point
            into), or ``None`` if unavailable; called with a hit's or citation's path, or with
            the gold file name when no retrieved item comes from the gold document.
        progress: Called with the number of questions done after each one.

    Returns:
        Per-question rows and the summary. An exception raised by ``search`` or ``ask`` is
        recorded in that question's ``error`` and the run goes on.
    """
    texts = _DocTexts(doc_text)
    out: list[EvalRow] = []
    for done, row in enumerate(rows, start=1):
        out.append(_run_one(row, search, ask, texts))
        if progress is not None:
            progress(done)
    return EvalReport(summary=summarize(out, generated=ask is not None), rows=out)


def _run_one(
    row: QARow,
    search: Callable[[str], tuple[list[Hit], float]],
    ask: Callable[[str], Answer] | None,
    texts: _DocTexts,
) -> EvalRow:
    result = EvalRow(
        id=row.id,
        question=row.question,
        answerable=row.answerable,
        kind=row.kind_name,
        gold_doc=", ".join(row.gold_docs) or None,
    )
    errors: list[str] = []
    hits: list[Hit] = []
    try:
        hits, result.search_s = search(row.question)
        result.hits_returned = len(hits)
    except Exception as exc:
        errors.append(f"search: {type(exc).__name__}: {exc}")
    answer: Answer | None = None
    if ask is not None:
        result.generated = True
        try:
            answer = ask(row.question)
        except Exception as exc:
            errors.append(f"ask: {type(exc).__name__}: {exc}")
    if answer is not None:
        result.answer = answer.answer
        result.abstained = answer.abstained
        result.outcome = answer.outcome
        result.timings = dict(answer.timings)
    elif ask is not None:
        result.abstained = False
    if result.abstained is not None:
        result.correct_abstention = result.abstained != row.answerable

    if row.answerable:
        golds = []
        for gold_doc in row.gold_docs:
            path = _gold_path(gold_doc, hits, answer)
            text = texts.get(path)
            if text is None:
                why = texts.failures.get(path, "doc_text gave None")
                result.warnings.append(f"no text for {path} ({why}): support matched by its words")
            gold_one = locate_support(gold_doc, row.support, text)
            if text is not None:
                result.warnings += [
                    f"support not found in {path}: {p!r}" for p in gold_one.unlocated
                ]
            golds.append(gold_one)
        gold = GoldSet(tuple(golds))
        result.retrieval_rank = support_rank(hits, gold)
        result.reciprocal_rank = reciprocal_rank(result.retrieval_rank)
        rank = result.retrieval_rank
        result.hit_at_1, result.hit_at_3, result.hit_at_5 = (
            rank is not None and rank <= k for k in HIT_AT
        )
        if ask is not None:
            result.fact_recall = fact_recall(answer.answer if answer else "", row.facts)
            if answer is not None:
                result.correct_citations, result.citations = citation_counts(answer, gold)
                if result.citations:
                    result.citation_precision = result.correct_citations / result.citations
                cited_gold = any(gold.from_gold_document(c[0]) for c in shown_citations(answer))
                result.fully_right = (
                    not answer.abstained
                    and (result.fact_recall is None or result.fact_recall == 1.0)
                    and cited_gold
                )
    result.error = "; ".join(errors) or None
    return result

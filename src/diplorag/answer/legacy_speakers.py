"""A stand-in ``StatementSource`` and ``SpeakerCheck`` over the old heuristic attribution.

Temporary: the statement index (issue 8) implements both protocols from a real parse; this
file and ``diplorag.attribution`` are then deleted. Everything here is derived on the fly from
the documents that a search returns.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import Counter
from collections.abc import Callable

from diplorag.answer.query import asked_speaker
from diplorag.attribution import Attribution, speaker_spans
from diplorag.attribution import same_person as _same_person
from diplorag.text.analyze import content_terms, terms
from diplorag.types import Filters, Hit, Speaker, Statement

__all__ = ["LegacySpeakers"]

Search = Callable[[str, int, Filters | None], list[Hit]]
DocumentText = Callable[[str], str | None]


class LegacySpeakers:
    """Both protocols, from ``attribution.speaker_spans`` over searched documents."""

    def __init__(self, search: Search, document_text: DocumentText) -> None:
        self._search = search
        self._text = document_text
        self._spans: dict[str, list[Attribution]] = {}
        self._meta: dict[str, Hit] = {}

    # -- helpers ----------------------------------------------------------------------------

    def _attributions(self, doc_id: str) -> list[Attribution]:
        if doc_id not in self._spans:
            text = self._text(doc_id)
            self._spans[doc_id] = speaker_spans(text) if text else []
        return self._spans[doc_id]

    def _statement(self, doc_id: str, a: Attribution) -> Statement:
        text = self._text(doc_id) or ""
        meta = self._meta.get(doc_id)
        sentence = text[a.start : a.end]
        mention = text[a.mention[0] : a.mention[1]] if a.mention else (a.speaker or "")
        key = f"{doc_id}:{a.start}".encode()
        return Statement(
            statement_id=int.from_bytes(hashlib.blake2b(key, digest_size=6).digest(), "big"),
            doc_id=doc_id,
            path=meta.path if meta else "",
            title=meta.title if meta else "",
            published=meta.published if meta else None,
            source=meta.source if meta else None,
            sentence_start=a.start,
            sentence_end=a.end,
            content_start=a.start,
            content_end=a.end,
            text=sentence,
            content=sentence,
            speaker_id=a.speaker,
            speaker=a.speaker,
            speaker_kind="PERSON",
            mention=mention,
            mention_start=a.mention[0] if a.mention else None,
            mention_end=a.mention[1] if a.mention else None,
            predicate="say",
            direct=any(q in sentence for q in '"“”'),
        )

    def _docs(self, query: str, k: int, filters: Filters | None) -> list[str]:
        hits = self._search(query, k, filters)
        for h in hits:
            self._meta.setdefault(h.doc_id, h)
        return list(dict.fromkeys(h.doc_id for h in hits))

    def _statements_by(self, name: str, docs: list[str]) -> list[Statement]:
        out = []
        for doc_id in docs:
            for a in self._attributions(doc_id):
                if a.speaker and _same_person(a.speaker, name):
                    out.append(self._statement(doc_id, a))
        return out

    @staticmethod
    def _rank(statements: list[Statement], about: str, k: int) -> list[Statement]:
        wanted = set(content_terms(about))
        scored = []
        for st in statements:
            found = set(terms(st.text)) & wanted
            score = len(found) / len(wanted) if wanted else 0.0
            scored.append(st.model_copy(update={"score": round(score, 4)}))
        scored.sort(key=lambda s: -s.score)
        return scored[:k]

    # -- StatementSource ----------------------------------------------------------------------

    def find_speaker(self, question: str) -> Speaker | None:
        name = asked_speaker(question)
        if name is None:
            return None
        found = self._statements_by(name, self._docs(name, 20, None))
        if not found:
            return None
        names = Counter(st.speaker for st in found if st.speaker)
        canonical = max(names, key=lambda n: (names[n], len(n)))
        return Speaker(
            speaker_id=name,
            name=canonical,
            kind="PERSON",
            statements=len(found),
            documents=len({st.doc_id for st in found}),
            aliases=sorted(set(names) - {canonical}),
        )

    def said(self, speaker_id: str, about: str, k: int, filters: Filters | None) -> list[Statement]:
        docs = self._docs(f"{speaker_id} {about}", 30, filters)
        docs += [d for d in self._docs(speaker_id, 20, filters) if d not in docs]
        return self._rank(self._statements_by(speaker_id, docs), about, k)

    def who_said(self, topic: str, k: int, filters: Filters | None) -> list[Statement]:
        hits = self._search(topic, 15, filters)
        out: list[Statement] = []
        for h in hits:
            self._meta.setdefault(h.doc_id, h)
            for a in self._attributions(h.doc_id):
                if a.speaker and h.start <= a.start and a.end <= h.end:
                    out.append(self._statement(h.doc_id, a))
        unique = list({st.statement_id: st for st in out}.values())
        return self._rank(unique, topic, k)

    def suggest(self, name: str) -> list[str]:
        seen: set[str] = set()
        for part in name.split():
            for doc_id in self._docs(part, 10, None):
                seen |= {a.speaker for a in self._attributions(doc_id) if a.speaker}
        last = name.split()[-1] if name.split() else name
        close = difflib.get_close_matches(name, sorted(seen), n=3, cutoff=0.6)
        close += difflib.get_close_matches(last, sorted(seen), n=3, cutoff=0.75)
        close += [
            s
            for s in sorted(seen)
            if difflib.SequenceMatcher(None, last, s.split()[-1]).ratio() > 0.8
        ]
        return list(dict.fromkeys(close))[:5]

    # -- SpeakerCheck -------------------------------------------------------------------------

    def statements_in(self, doc_id: str, start: int, end: int) -> list[Statement]:
        return [
            self._statement(doc_id, a)
            for a in self._attributions(doc_id)
            if a.speaker and a.start < end and start < a.end
        ]

    def same_person(self, name: str, speaker_id: str) -> bool:
        return _same_person(name, speaker_id)

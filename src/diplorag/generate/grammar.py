"""The GBNF grammar an answer must follow: sentences that end in valid citation markers.

llama.cpp applies it while sampling (``LlamaGrammar``), so even a 135M model can only write

* ``The documents do not say.``, or
* one to three sentences, each ending ``… [n].`` or ``… . [n]`` (up to three markers), where every
  ``n`` is the number of a given evidence sentence and every digit belongs to a number that
  the evidence contains ("55.7", "7,400", "2017"): a number that was not given cannot be
  written at all, and two given numbers cannot be glued into a new one.

The output stays plain text, so the terminal streams it as it comes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from diplorag.generate.prompts import NO_ANSWER

__all__ = ["MAX_SENTENCES", "MAX_WORDS", "answer_grammar", "surface_numbers"]

MAX_SENTENCES = 3
MAX_WORDS = 60  # a long source sentence fits whole; fewer words made models glue words
_SURFACE = re.compile(r"\d+(?:[.,]\d+)*")


def surface_numbers(texts: Iterable[str]) -> list[str]:
    """Every number as the texts write it ("7,400", "55.7"), longest first, each once."""
    found = {m.group(0).rstrip(".,") for t in texts for m in _SURFACE.finditer(t)}
    return sorted(found, key=lambda n: (-len(n), n))


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def answer_grammar(n_sources: int, numbers: Iterable[str] = ()) -> str:
    """The GBNF grammar for an answer over ``n_sources`` numbered sentences.

    Args:
        n_sources: How many evidence sentences were given (markers ``[1]..[n_sources]``).
        numbers: The numbers the evidence contains, as written.

    Returns:
        Grammar text for ``llama_cpp.LlamaGrammar.from_string``.
    """
    nums = [n for n in dict.fromkeys(numbers) if _SURFACE.fullmatch(n)]
    sources = " | ".join(_literal(str(i)) for i in range(1, max(1, n_sources) + 1))
    # A letter run never holds a digit or the characters of markers and sentence ends; a full
    # stop inside a word is allowed only before a capital ("U.S" in "U.S-led").
    rules = [
        f'root ::= abstain | claim (" " claim){{0,{MAX_SENTENCES - 1}}}',
        f"abstain ::= {_literal(NO_ANSWER)}",
        # "… text [2]." or "… text. [2]": both parse the same (``answer.markers``).
        f'claim ::= word (" " word){{0,{MAX_WORDS - 1}}} (" "? cite "." | ". " cite)',
        'cite ::= "[" source "]" ("[" source "]"){0,2}',
        f"source ::= {sources}",
        "letters ::= lchar+",
        'lchar ::= [^ \\t\\n\\r0-9.!?\\[\\]] | "." [A-Z]',
    ]
    if nums:
        rules.append(
            "word ::= number (letters number)* letters? | letters (number letters)* number?"
        )
        rules.append("number ::= " + " | ".join(_literal(n) for n in nums))
    else:
        rules.append("word ::= letters")
    return "\n".join(rules) + "\n"

"""Document-derived text made inert for a terminal: no control characters, no escape sequences.

Titles, passages, quotes, paths and the model's answers come from files nobody vetted. Before
any of them is printed, ``plain`` removes what a terminal would act on: ANSI/VT escape sequences
(CSI such as ``ESC[2J``, OSC such as ``ESC]8;;url`` hyperlinks, DCS/APC/PM strings), every other
C0/C1 control character, and the Unicode bidirectional overrides that reorder what is shown.
Rich markup (``[bold]``, ``[link=…]``) is a separate matter: the CLI hands such text to rich as
``Text``, never as markup, so brackets print as brackets.

Pure and dependency-free.
"""

from __future__ import annotations

import re

__all__ = ["plain", "plain_line"]

# ESC-introduced sequences first (so their parameters go with them), then the 8-bit C1 forms,
# then any control character left over.
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI … final byte
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS, SOS, PM, APC … ST/BEL
    r"|\x1b[ -/]*[0-~]?"  # two-character and nF escapes (ESC c, ESC ( B, …)
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # 8-bit OSC/DCS/…
)
# C0 except tab and line feed, DEL, C1; bidi embeddings, overrides and isolates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")


def plain(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` without escape sequences and control characters, safe to print.

    Args:
        text: Any string from a document, a file name or a model.
        keep_newlines: Keep line breaks (normalised to ``\\n``) and tabs; otherwise all white
            space runs become one space and the result is stripped (for one-line fields).

    Returns:
        The printable text; letters, digits, punctuation and brackets are unchanged.
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", _ESCAPE.sub("", text))
    if not keep_newlines:
        text = _SPACES.sub(" ", text).strip()
    return text


def plain_line(text: str) -> str:
    """``plain(text, keep_newlines=False)``: one line, for titles, paths and reasons."""
    return plain(text, keep_newlines=False)

"""Plain text files (``.txt``): the text is the file, unchanged."""

from __future__ import annotations

from typing import Final

from diplorag.ingest.metadata import ParsedText, date_from_dateline, plain_text_title


class TextLoader:
    """Backend for ``.txt`` files: title from the first line, date from a dateline."""

    kind: Final = "txt"
    suffixes: Final = (".txt",)

    def parse(self, text: str, *, fallback_title: str) -> ParsedText:
        """Read the title and dateline of a plain text.

        Args:
            text: The decoded file; it becomes ``Document.text`` unchanged.
            fallback_title: Title to use when the text has no usable line (the file's stem).

        Returns:
            The text with its title and publication date (``None`` without a dateline).
        """
        return ParsedText(
            text=text,
            title=plain_text_title(text) or fallback_title,
            published=date_from_dateline(text),
        )

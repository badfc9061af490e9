"""Markdown files (``.md``, ``.markdown``): the text is the file, front matter skipped by offset."""

from __future__ import annotations

from typing import Final

from diplorag.ingest.metadata import (
    ParsedText,
    date_from_dateline,
    front_matter_date,
    markdown_title,
    parse_front_matter,
    shorten_title,
)


class MarkdownLoader:
    """Backend for Markdown: front matter, then the first ``#`` heading, then a dateline."""

    kind: Final = "md"
    suffixes: Final = (".md", ".markdown")

    def parse(self, text: str, *, fallback_title: str) -> ParsedText:
        """Read front matter, title and date of a Markdown file.

        The text stays the whole file (markup included) so offsets slice the file;
        ``body_start`` points just after the front matter, where chunking begins.

        Args:
            text: The decoded file.
            fallback_title: Title to use when nothing names one (the file's stem).

        Returns:
            The text with its title, date (front matter ``published:``/``date:``, else a dateline
            atop the body) and source (front matter ``source:``).
        """
        fields, body_start = parse_front_matter(text)
        title = shorten_title(fields.get("title", "")) or markdown_title(text, body_start)
        published = front_matter_date(fields) or date_from_dateline(text, body_start)
        return ParsedText(
            text=text,
            title=title or fallback_title,
            published=published,
            source=fields.get("source") or None,
            body_start=body_start,
        )

"""Title, publication date and source of a document: pure functions shared by the loaders.

A date is never guessed. It comes from a dateline at the top of the text ("Seoul, September 9,
2024 — …"), from front matter or from HTML metadata, and it must name a year; a date mentioned in
the body ("on February 26") is not a publication date, and an unknown date stays ``None``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

TITLE_MAX_CHARS = 100  # a first line of running text makes a long title: keep it scannable
DATELINE_TITLE_WORDS = 12
# How many non-empty lines at the top of a body may hold the dateline (after a headline, say).
DATELINE_MAX_LINES = 3
ELLIPSIS = "…"


@dataclass(frozen=True)
class ParsedText:
    """What a loader made of one decoded file, before ids and hashes are added.

    Attributes:
        text: What chunk offsets point into (the decoded file, or the main text of a page).
        title: Never empty.
        published: Publication date, if the file states one.
        source: The publication (``og:site_name``, front-matter ``source:``), if stated.
        body_start: Offset in ``text`` where the body starts (after front matter).
    """

    text: str
    title: str
    published: dt.date | None = None
    source: str | None = None
    body_start: int = 0


# --- dates -------------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12,
}  # fmt: skip
_MONTH = r"(?i:(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r"))\.?"
_DAY = r"(?P<day>\d{1,2})(?i:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_WEEKDAY = (
    r"(?:(?i:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?i:day|nesday|sday|urday)?\.?,?\s+)?"
)
_DATE_FORMS = (
    rf"{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}",  # September 9, 2024
    rf"{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}",  # 9 September 2024
    r"(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})",  # 2024-09-09
)
_PLACE_WORD = r"[A-Z][\w.'’-]*"
# "Seoul", "NEW YORK", "Washington, D.C.", "Portland, Maine": up to four words, two more parts.
_PLACE = (
    rf"{_PLACE_WORD}(?:[ ]+[A-Za-z][\w.'’-]*){{0,3}}"
    rf"(?:,[ ]+{_PLACE_WORD}(?:[ ]+{_PLACE_WORD}){{0,2}}){{0,2}}"
)
_AGENCY = r"(?:\s*\([^()\n]{1,40}\))?(?:\s*/[^/\n]{1,40}/)?"
_SEPARATOR = r"\s*(?:[-–—―]{1,2}|:)"
# A dateline opens a line: optional place, the date with a year, optional agency, then a dash
# ("Seoul, September 9, 2024 — …") or nothing else on the line.
_DATELINES = tuple(
    re.compile(
        rf"(?:{_PLACE}{_AGENCY},[ ]+)?{form}{_AGENCY}(?:{_SEPARATOR}\s*(?P<rest>.*)|\s*$)",
        re.DOTALL,
    )
    for form in _DATE_FORMS
)
_DATE_LABEL = re.compile(r"(?i:release date|published|posted|dated|date)\b\s*:?\s*")
_DATE_VALUES = (
    *(re.compile(form + r"(?!\d)") for form in _DATE_FORMS),
    re.compile(r"(?P<year>\d{4})/(?P<mnum>\d{1,2})/(?P<day>\d{1,2})(?!\d)"),
    re.compile(r"(?P<year>\d{4})(?P<mnum>\d{2})(?P<day>\d{2})(?:$|T)"),
)
_MIN_YEAR, _MAX_YEAR = 1900, 2100


def _date_from_match(m: re.Match[str]) -> dt.date | None:
    """The calendar date named by a match of a date pattern, if it is a real one."""
    groups = m.groupdict()
    year, day = int(groups["year"]), int(groups["day"])
    month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS[groups["month"].lower()]
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(value: str) -> dt.date | None:
    """Read a date from a metadata value.

    Accepts ISO dates and date-times (``2024-09-09``, ``2024-09-09T08:00:00+09:00`` — the date
    as written, not converted to UTC), ``2024/09/09``, ``20240909``, ``September 9, 2024``,
    ``9 Sept. 2024``, ``Mon, 09 Sep 2024 08:00:00 GMT``. Ambiguous forms (``09/10/2024``) and
    dates without a year give ``None``.

    Args:
        value: The text of a front-matter field, ``<meta content>`` or ``<time datetime>``.

    Returns:
        The date, or ``None`` if ``value`` does not name one.
    """
    v = value.strip().strip("\"'").strip()
    label = _DATE_LABEL.match(v)
    if label is not None:
        v = v[label.end() :]
    for pattern in _DATE_VALUES:
        m = pattern.match(v)
        if m is not None:
            return _date_from_match(m)
    return None


def _top_lines(text: str, start: int, limit: int) -> Iterator[str]:
    """The first ``limit`` non-blank lines of ``text[start:]``, stripped."""
    found = 0
    for line in text[start:].splitlines():
        stripped = line.strip()
        if stripped:
            yield stripped
            found += 1
            if found >= limit:
                return


def _unmark(line: str) -> str:
    """A line without Markdown heading, quote and emphasis marks."""
    return line.lstrip("#> \t").replace("**", "").replace("__", "").strip("*_ \t")


def match_dateline(line: str) -> tuple[dt.date, str] | None:
    """Match a dateline at the start of one line.

    Args:
        line: One line of text, e.g. ``"GENEVA, Feb. 26, 2024 - The vice minister …"``.

    Returns:
        ``(date, rest of the line after the dash)``, or ``None`` if the line does not open with a
        dateline that names a full date, or the date is not a real one.
    """
    for pattern in _DATELINES:
        m = pattern.match(line)
        if m is not None:
            date = _date_from_match(m)
            if date is not None:
                return date, (m.group("rest") or "").strip()
    return None


def date_from_dateline(text: str, start: int = 0) -> dt.date | None:
    """Publication date from a dateline among the first lines of a text.

    A dateline is a line that opens with an optional place, a full date with a year and a dash
    ("Seoul, September 9, 2024 — …", "GENEVA, Feb. 26, 2024 - …", "9 September 2024 – …"), or a
    line that holds only a date ("September 9, 2024", "Published: 2024-09-09"). Only the first
    ``DATELINE_MAX_LINES`` non-blank lines are looked at, so a headline may come first.

    Args:
        text: The document text.
        start: Where the body starts (after front matter).

    Returns:
        The date, or ``None``: dates further down or without a year are never used.
    """
    for line in _top_lines(text, start, DATELINE_MAX_LINES):
        plain = _unmark(line)
        found = match_dateline(plain)
        if found is not None:
            return found[0]
        labelled = _DATE_LABEL.match(plain)
        if labelled is not None:
            found = match_dateline(plain[labelled.end() :])
            if found is not None and not found[1]:
                return found[0]
    return None


# --- titles ------------------------------------------------------------------------------------


def collapse_whitespace(text: str) -> str:
    """``text`` with every run of white space turned into one space, and trimmed."""
    return " ".join(text.split())


def shorten_title(text: str, max_chars: int = TITLE_MAX_CHARS) -> str:
    """Cut a title to at most about ``max_chars`` characters at a word boundary, adding "…"."""
    text = collapse_whitespace(text)
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars + 1)
    head = text[:cut] if cut > max_chars // 2 else text[:max_chars]
    return head.rstrip(" ,;:-–—") + ELLIPSIS


def _first_words(text: str, n: int) -> str:
    """The first ``n`` words of ``text``, with "…" if there were more."""
    parts = text.split()
    if len(parts) <= n:
        return " ".join(parts)
    return " ".join(parts[:n]).rstrip(" ,;:-–—") + ELLIPSIS


def plain_text_title(text: str, start: int = 0) -> str | None:
    """Title of a plain text: its first non-blank line.

    A first line that is a dateline-led sentence ("Seoul, September 9, 2024 — South Korean
    Defense Minister …") gives its first ``DATELINE_TITLE_WORDS`` words after the dateline and
    "…"; a dateline alone on its line is skipped. Other lines are cut to about
    ``TITLE_MAX_CHARS`` characters at a word boundary.

    Args:
        text: The document text.
        start: Where the body starts.

    Returns:
        The title, or ``None`` if the text has no usable line.
    """
    for line in text[start:].splitlines():
        stripped = collapse_whitespace(line)
        if not stripped:
            continue
        dateline = match_dateline(stripped)
        if dateline is not None:
            if dateline[1]:
                return shorten_title(_first_words(dateline[1], DATELINE_TITLE_WORDS))
            continue
        return shorten_title(stripped)
    return None


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(\S(?:.*?\S)?)\1")
_MD_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_MD_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_MD_FENCE = re.compile(r" {0,3}(```|~~~)")


def strip_markdown(text: str) -> str:
    """Inline Markdown (links, images, emphasis, code marks) reduced to its words."""
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    return collapse_whitespace(text.replace("`", ""))


def markdown_title(text: str, start: int = 0) -> str | None:
    """Title of a Markdown body: its first level-1 heading (``# …`` or ``===`` underlined).

    Falls back to the first heading of any level, then to ``plain_text_title`` of the body with
    inline markup removed. Headings inside fenced code blocks are ignored.

    Args:
        text: The document text.
        start: Where the body starts (after front matter).

    Returns:
        The title, or ``None`` if the body has no usable line.
    """
    lines = text[start:].splitlines()
    headings: list[tuple[int, str]] = []
    in_fence = False
    previous = ""
    for line in lines:
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            previous = ""
            continue
        if in_fence:
            continue
        atx = _MD_ATX.match(line)
        setext = _MD_SETEXT.match(line)
        if atx is not None and atx.group(2):
            headings.append((len(atx.group(1)), atx.group(2)))
        elif setext is not None and previous.strip() and not _MD_ATX.match(previous):
            headings.append((1 if setext.group(1)[0] == "=" else 2, previous))
        previous = line
    # sorted() is stable: the first heading of the highest level present.
    for _, heading in sorted(headings, key=lambda h: h[0]):
        title = shorten_title(strip_markdown(heading))
        if title:
            return title
    body = "\n".join(strip_markdown(_unmark(line)) for line in lines)
    return plain_text_title(body)


# --- front matter ------------------------------------------------------------------------------

_FRONT_MATTER_OPEN = re.compile(r"---[ \t]*(?:\r\n|\n|\r)")
_FRONT_MATTER_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_YAML_KEY_VALUE = re.compile(r"([A-Za-z_][\w.-]*)[ \t]*:(?:[ \t]+(.*))?")
_YAML_OTHER = re.compile(r"[ \t]+\S.*|[ \t]*-(?:[ \t].*)?|[ \t]*#.*|[ \t]*")


def _yaml_scalar(value: str) -> str:
    """A simple YAML scalar without quotes or a trailing comment."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return re.sub(r"[ \t]+#.*$", "", value).strip()


def parse_front_matter(text: str) -> tuple[dict[str, str], int]:
    """Read simple YAML front matter (``---`` lines around ``key: value`` lines) at the top.

    Only top-level ``key: value`` pairs are kept (keys lower-cased); nested values and lists are
    skipped. A block with a line that does not look like YAML is not front matter (a Markdown
    file may open with a ``---`` rule).

    Args:
        text: The decoded file.

    Returns:
        ``(fields, body_start)`` where ``body_start`` is the offset just after the closing
        ``---`` line, or ``({}, 0)`` when there is no front matter.
    """
    opening = _FRONT_MATTER_OPEN.match(text)
    if opening is None:
        return {}, 0
    fields: dict[str, str] = {}
    offset = opening.end()
    for line in text[offset:].splitlines(keepends=True):
        offset += len(line)
        content = line.rstrip("\r\n")
        if _FRONT_MATTER_CLOSE.fullmatch(content):
            return fields, offset
        pair = _YAML_KEY_VALUE.fullmatch(content)
        if pair is not None:
            value = _yaml_scalar(pair.group(2) or "")
            if value:
                fields.setdefault(pair.group(1).lower(), value)
        elif not _YAML_OTHER.fullmatch(content):
            return {}, 0
    return {}, 0


FRONT_MATTER_DATE_KEYS = ("published", "date", "pubdate", "publish_date", "published_at")


def front_matter_date(fields: dict[str, str]) -> dt.date | None:
    """Publication date from front-matter fields (``published:``, ``date:`` …), if one parses."""
    for key in FRONT_MATTER_DATE_KEYS:
        if key in fields:
            date = parse_date(fields[key])
            if date is not None:
                return date
    return None

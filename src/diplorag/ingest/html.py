"""HTML pages (``.html``, ``.htm``): main text and metadata with the standard library's parser.

The main text drops scripts, styles, navigation, headers, footers, asides, forms and elements
whose class, id or role marks them as boilerplate (menus, sidebars, cookie banners, share
buttons, related links, comments, adverts). When the page has an ``<article>`` (or ``<main>``),
only the largest one is kept. Block elements end a line: the result has one paragraph per line,
white space inside a paragraph collapsed and entities unescaped. ``Document.text`` is this
extracted text; chunk offsets point into it, not into the HTML file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Final

from diplorag.ingest.metadata import (
    ParsedText,
    collapse_whitespace,
    date_from_dateline,
    parse_date,
    shorten_title,
)

# Elements whose content is never main text.
_DROPPED_TAGS = frozenset(
    """
    script style noscript nav header footer aside form svg iframe template button select
    textarea canvas object audio video map dialog title
    """.split()
)
_VOID_TAGS = frozenset(
    """
    area base br col embed hr img input keygen link meta param source track wbr
    """.split()
)
_BLOCK_TAGS = frozenset(
    """
    address article aside blockquote body caption center dd details div dl dt fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p
    pre section summary table tbody tfoot thead tr ul br
    """.split()
)
_CELL_TAGS = frozenset({"td", "th"})
# A start tag of one of these closes an open element of the same group (HTML's implied ends).
_IMPLIED_END = {
    "li": ({"li"}, {"ul", "ol", "menu"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr", "td", "th"}, {"table", "tbody", "thead", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "option": ({"option"}, {"select", "datalist", "optgroup"}),
}
# Elements never dropped for their class: "<body class='has-sidebar'>" is still the page.
_NEVER_CLASS_DROPPED = frozenset({"html", "body", "article", "main"})
_BOILERPLATE_PARTS = frozenset(
    """
    nav navbar navigation menu menubar footer sidebar cookie cookies consent gdpr share sharing
    sharebar social related comment comments advert advertisement adverts ad ads banner
    breadcrumb breadcrumbs newsletter subscribe popup modal promo sponsored skip
    """.split()
)
# Matched as the start of a one-word name ("sidebarleft", "relatedposts"); not "comment" or
# "share", which would catch "commentary" and "shareholders".
_BOILERPLATE_PREFIXES = (
    "navbar",
    "navigation",
    "sidebar",
    "footer",
    "cookie",
    "related",
    "advert",
    "breadcrumb",
    "newsletter",
)
# "content-with-sidebar", "no-comments": the keyword describes a neighbour, not this element.
_NEGATING_PARTS = frozenset({"has", "no", "with", "without", "is"})
_BOILERPLATE_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
)
_SPLIT_NAME = re.compile(r"[-_\s]+")

_DATE_META_KEYS = (
    "article:published_time",
    "datepublished",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "citation_publication_date",
    "og:published_time",
)
# Share of the page's text an <article> or <main> must hold to be taken as the story.
MIN_CONTAINER_SHARE = 0.2
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")


def _is_boilerplate_name(value: str) -> bool:
    """True if a class or id token names navigation, ads, comments and the like."""
    for token in value.lower().split():
        parts = [p for p in _SPLIT_NAME.split(token) if p]
        for i, part in enumerate(parts):
            if i > 0 and parts[i - 1] in _NEGATING_PARTS:
                continue
            if part in _BOILERPLATE_PARTS or (
                i == 0 and len(parts) == 1 and part.startswith(_BOILERPLATE_PREFIXES)
            ):
                return True
    return False


def _is_boilerplate(tag: str, attrs: dict[str, str]) -> bool:
    """True if an element looks like page furniture by its class, id, role or visibility."""
    if tag in _NEVER_CLASS_DROPPED:
        return False
    if "hidden" in attrs or attrs.get("aria-hidden", "").lower() == "true":
        return True
    if attrs.get("role", "").lower() in _BOILERPLATE_ROLES:
        return True
    return _is_boilerplate_name(attrs.get("class", "")) or _is_boilerplate_name(attrs.get("id", ""))


@dataclass
class _Open:
    """One open element and the state it gives its content."""

    tag: str
    dropped: bool  # inside an element that is never main text
    boilerplate: bool  # inside an element that looks like page furniture
    articles: tuple[int, ...]
    mains: tuple[int, ...]
    pre: bool
    header: bool  # inside a <header> of an <article> or <main>


@dataclass
class _Segment:
    """A piece of text (or a line break, when ``text`` is None) and where it was found."""

    text: str | None
    boilerplate: bool
    articles: tuple[int, ...]
    mains: tuple[int, ...]


class _PageParser(HTMLParser):
    """Collects main-text segments and metadata in one pass; tolerant of unclosed tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.segments: list[_Segment] = []
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.h1s: list[tuple[str, tuple[int, ...]]] = []
        self.header_times: list[str] = []
        self.marked_times: list[str] = []
        self.json_ld: list[str] = []
        self.stack: list[_Open] = []
        self._containers = 0
        self._h1: list[str] | None = None
        self._h1_depth = 0
        self._in_title = False
        self._in_json_ld = False

    # state of the innermost open element
    def _top(self) -> _Open:
        if self.stack:
            return self.stack[-1]
        return _Open("#root", False, False, (), (), False, False)

    def _break(self) -> None:
        top = self._top()
        if not top.dropped:
            self.segments.append(_Segment(None, top.boilerplate, top.articles, top.mains))

    def _close_implied(self, tag: str) -> None:
        if tag in _IMPLIED_END:
            closes, scope = _IMPLIED_END[tag]
            for i in range(len(self.stack) - 1, -1, -1):
                name = self.stack[i].tag
                if name in closes:
                    self._pop_to(i)
                    return
                if name in scope:
                    return
        elif tag in _BLOCK_TAGS and self.stack and self.stack[-1].tag == "p":
            self._pop_to(len(self.stack) - 1)

    def _pop_to(self, index: int) -> None:
        while len(self.stack) > index:
            closed = self.stack.pop()
            if closed.tag in _BLOCK_TAGS:
                self._break()
            if self._h1 is not None and len(self.stack) < self._h1_depth:
                self.h1s.append((collapse_whitespace("".join(self._h1)), closed.articles))
                self._h1 = None
            if closed.tag == "title":
                self._in_title = False
            if closed.tag == "script":
                self._in_json_ld = False

    def close_all(self) -> None:
        """Close the elements left open at the end of the page."""
        self._pop_to(0)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        self._close_implied(tag)
        if tag == "meta":
            self._meta(a)
        elif tag == "time" and a.get("datetime"):
            if "pubdate" in a or a.get("itemprop", "").lower() == "datepublished":
                self.marked_times.append(a["datetime"])
            elif self._top().header:
                self.header_times.append(a["datetime"])
        if tag in _BLOCK_TAGS:
            self._break()
        elif tag in _CELL_TAGS:
            self._text(" ")
        if tag in _VOID_TAGS:
            return
        top = self._top()
        container = self._containers + 1
        is_article = tag == "article" or a.get("itemprop", "").lower() == "articlebody"
        is_main = tag == "main" or a.get("role", "").lower() == "main"
        if is_article or is_main:
            self._containers = container
        self.stack.append(
            _Open(
                tag=tag,
                dropped=top.dropped or tag in _DROPPED_TAGS,
                boilerplate=top.boilerplate or _is_boilerplate(tag, a),
                articles=(*top.articles, container) if is_article else top.articles,
                mains=(*top.mains, container) if is_main else top.mains,
                pre=top.pre or tag in {"pre", "textarea"},
                header=top.header or (tag == "header" and bool(top.articles or top.mains)),
            )
        )
        if tag == "title" and not self.title_parts and all(o.tag != "svg" for o in self.stack):
            self._in_title = True
        elif tag == "h1" and self._h1 is None:
            self._h1 = []
            self._h1_depth = len(self.stack)
        elif tag == "script" and a.get("type", "").lower() == "application/ld+json":
            self._in_json_ld = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # "</br>" is read as "<br>" by browsers
            self._break()
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                self._pop_to(i)
                return

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        if self._in_json_ld:
            self.json_ld.append(data)
        if self._h1 is not None and not self._top().dropped:
            self._h1.append(data)
        if self._top().pre:
            lines = data.split("\n")
            for i, line in enumerate(lines):
                if i:
                    self._break()
                self._text(line)
        else:
            self._text(data)

    def _text(self, data: str) -> None:
        top = self._top()
        if data and not top.dropped:
            self.segments.append(_Segment(data, top.boilerplate, top.articles, top.mains))

    def _meta(self, a: dict[str, str]) -> None:
        content = a.get("content", "").strip()
        if not content:
            return
        for key_attr in ("property", "name", "itemprop"):
            key = a.get(key_attr, "").strip().lower()
            if key:
                self.meta.setdefault(key, content)


def _lines(segments: list[_Segment]) -> list[str]:
    """Join segments into paragraphs, one per line, white space collapsed."""
    lines: list[str] = []
    current: list[str] = []
    for segment in [*segments, _Segment(None, False, (), ())]:
        if segment.text is not None:
            current.append(segment.text)
            continue
        paragraph = collapse_whitespace("".join(current))
        if paragraph:
            lines.append(paragraph)
        current = []
    return lines


def _main_text(segments: list[_Segment]) -> tuple[str, tuple[int, ...]]:
    """The text of the largest ``<article>``, else the largest ``<main>``, else the whole page.

    A container holding less than ``MIN_CONTAINER_SHARE`` of the page's text is a teaser or a
    card, not the story, and is passed over. Returns the text and the chosen article (if any).
    """
    kept = [s for s in segments if not s.boilerplate]
    total = sum(len(s.text.strip()) for s in kept if s.text is not None)
    for attribute in ("articles", "mains"):
        sizes: dict[int, int] = {}
        for segment in kept:
            if segment.text is not None:
                for container in getattr(segment, attribute):
                    sizes[container] = sizes.get(container, 0) + len(segment.text.strip())
        if not sizes:
            continue
        best = max(sizes, key=lambda c: (sizes[c], -c))
        if sizes[best] > 0 and sizes[best] >= MIN_CONTAINER_SHARE * total:
            inside = [s for s in kept if best in getattr(s, attribute)]
            return "\n".join(_lines(inside)), (best,) if attribute == "articles" else ()
    text = "\n".join(_lines(kept))
    if not text:
        # The boilerplate guess removed everything: better the whole page than nothing.
        text = "\n".join(_lines(segments))
    return text, ()


def _json_ld_dates(blocks: list[str]) -> list[str]:
    """Every ``datePublished`` value in the page's JSON-LD blocks."""
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "datePublished" and isinstance(value, str):
                    found.append(value)
                else:
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for block in blocks:
        try:
            visit(json.loads(block))
        except (ValueError, RecursionError):
            continue
    return found


def _published(parser: _PageParser, text: str) -> dt.date | None:
    """The page's publication date from metadata, else from a dateline atop its main text."""
    candidates = [parser.meta[k] for k in _DATE_META_KEYS[:2] if k in parser.meta]
    candidates += _json_ld_dates(parser.json_ld)
    candidates += [parser.meta[k] for k in _DATE_META_KEYS[2:] if k in parser.meta]
    candidates += parser.marked_times + parser.header_times
    for value in candidates:
        date = parse_date(value)
        if date is not None:
            return date
    return date_from_dateline(text)


def _without_site_name(title: str, site: str | None) -> str:
    """``"Headline | Site"`` → ``"Headline"`` when ``Site`` is the page's site name."""
    if not site:
        return title
    for separator in _TITLE_SEPARATORS:
        head, sep, tail = title.rpartition(separator)
        if sep and head and tail.strip().lower() == site.strip().lower():
            return head.strip()
    return title


def _title(parser: _PageParser, article: tuple[int, ...], site: str | None) -> str | None:
    """og:title, else ``<title>`` (without a trailing site name), else the first ``<h1>``."""
    h1s = [h for h, where in parser.h1s if h and (not article or article[0] in where)]
    h1s += [h for h, _ in parser.h1s if h]
    for candidate in (
        parser.meta.get("og:title", ""),
        _without_site_name(collapse_whitespace("".join(parser.title_parts)), site),
        *h1s[:1],
    ):
        title = shorten_title(candidate)
        if title:
            return title
    return None


class HtmlLoader:
    """Backend for ``.html`` and ``.htm`` files."""

    kind: Final = "html"
    suffixes: Final = (".html", ".htm")

    def parse(self, text: str, *, fallback_title: str) -> ParsedText:
        """Extract main text, title, date and site name from a page.

        Args:
            text: The decoded file.
            fallback_title: Title to use when the page names none (the file's stem).

        Returns:
            The extracted text (what offsets point into) and the page's metadata.
        """
        parser = _PageParser()
        try:
            parser.feed(text)
            parser.close()
        except (AssertionError, ValueError, IndexError):
            pass  # keep what was read: html.parser gives up on a few malformed declarations
        parser.close_all()
        main, article = _main_text(parser.segments)
        source = parser.meta.get("og:site_name") or None
        return ParsedText(
            text=main,
            title=_title(parser, article, source) or fallback_title,
            published=_published(parser, main),
            source=collapse_whitespace(source) if source else None,
        )

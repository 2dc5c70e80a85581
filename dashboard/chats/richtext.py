"""Chat message HTML: the one place where it is made safe, turned into text, and scanned for videos.

Why this module exists. Chat messages are written by staff and by clients in a rich-text editor, so
they arrive as HTML that somebody else controls. They are shown to the other party inside the
portal, a page driven by htmx. Two layers protect that page:

* Messages are rendered inside an ``hx-disable`` container, so htmx ignores any ``hx-*``
  attribute that might slip through.
* ``sanitize()`` below is the only way chat HTML is made safe. Every message goes through it before
  it is stored, and templates render only its output with ``|safe``. Nothing else in the code base
  may mark chat HTML as safe.

The first layer does not replace the second: ``hx-disable`` stops htmx, not the browser (scripts,
event handlers, ``javascript:`` links, forms, ``<base>``, ``<meta http-equiv=refresh>``). So the
sanitizer works from a narrow allowlist: text formatting, lists, quotes, code and links. Anything
not on the list is dropped. That covers images, scripts, styles, iframes, forms, SVG/MathML,
``<base>``/``<meta>``, all attributes except ``href`` on ``<a>``, and so every ``on*``, ``hx-*``,
``data-*``, ``class``, ``style`` and ``id``. Links may only use http, https or mailto. Each link
opens in a new tab with ``rel="noopener noreferrer"``.

The parsing and cleaning are done by nh3 (Rust's ammonia on html5ever), which parses the input the
way a browser does and serializes a fresh tree. This avoids mutation-XSS tricks that fool
regex-based cleaners.

The other helpers:

* ``plain_to_html()`` turns text typed without the editor (and email replies) into the same safe
  HTML.
* ``to_text()`` gives the plain-text form used for email bodies and previews. It is *text*, so it
  must be escaped again (Jinja's autoescape does this) wherever it is put into HTML.
* ``video_embed()`` and ``find_videos()`` implement spec C8. They recognize Loom, Vimeo, YouTube
  and Google Drive links and return the privacy-friendly player URL, which is always rebuilt from
  a validated id and never copied from the message.
"""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import nh3

__all__ = [
    "MAX_INPUT_CHARS",
    "MAX_VIDEOS",
    "find_videos",
    "plain_to_html",
    "sanitize",
    "to_text",
    "video_embed",
]

MAX_INPUT_CHARS = 50_000
"""Longest message (in characters, before cleaning) that sanitize() and plain_to_html() accept."""

MAX_VIDEOS = 3
"""Most video players find_videos() returns for one message."""

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "ul",
        "ol",
        "li",
        "a",
        "blockquote",
        "code",
        "pre",
    }
)
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

# Tags removed together with everything inside them. Without this, their text would be kept when
# the tag is dropped. Script and style code would then show up as message text, and SVG/MathML
# content (the classic namespace-confusion mXSS vectors) is better dropped whole. Must be disjoint
# from ALLOWED_TAGS (nh3 raises otherwise).
_DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "noembed",
        "noframes",
        "xmp",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "title",
        "head",
        "textarea",
        "select",
        "option",
        "canvas",
        "audio",
        "video",
        "picture",
    }
)

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(_DROP_WITH_CONTENT),
    # "*" must be given explicitly: left out, ammonia keeps its default generic attributes
    # (lang, title) on every tag.
    attributes={"*": set(), "a": {"href"}},
    # `rel` is set by nh3 itself on every <a>, and `target` is forced. Any value the author put in
    # either attribute is replaced, not kept.
    link_rel=LINK_REL,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    # Relative and protocol-relative links ("/logout", "//evil.test") are dropped. A chat message
    # has no business pointing into the portal's own URL space.
    url_relative="deny",
    generic_attribute_prefixes=set(),
    strip_comments=True,
)


def _clean(html: str) -> str:
    """nh3 with the chat allowlist, without the length cap (for re-reading stored messages)."""
    if not isinstance(html, str):
        raise TypeError(f"expected str, got {type(html).__name__}")
    return _CLEANER.clean(html)


def sanitize(html: str) -> str:
    """Clean editor HTML down to the chat allowlist. The result is safe to render with ``|safe``.

    Raises ValueError when the input is longer than MAX_INPUT_CHARS characters. The output can be
    somewhat longer than the input, because every link gains ``target`` and ``rel``.
    """
    if not isinstance(html, str):
        raise TypeError(f"expected str, got {type(html).__name__}")
    if len(html) > MAX_INPUT_CHARS:
        raise ValueError(f"message is longer than {MAX_INPUT_CHARS} characters")
    return _clean(html)


_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)*")


def plain_to_html(text: str) -> str:
    """Plain text (typed without the editor, or an email) as chat HTML.

    The text is HTML-escaped. Blank lines separate paragraphs (``<p>``) and single line breaks
    become ``<br>``. The result has already been through the sanitizer. The cap applies to the
    *text*: escaping can make the HTML longer than the cap, so store this output as it is rather
    than passing it through sanitize() again.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        raise ValueError(f"message is longer than {MAX_INPUT_CHARS} characters")
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    paragraphs = []
    for block in _BLANK_LINES.split(text):
        if not block.strip():
            continue
        lines = [html_lib.escape(line, quote=True) for line in block.split("\n")]
        paragraphs.append("<p>" + "<br>".join(lines) + "</p>")
    return _clean("".join(paragraphs))


class _TextExtractor(HTMLParser):
    """Walks sanitized chat HTML and writes it out as plain text (see to_text)."""

    _PARAGRAPHS = frozenset({"p", "blockquote", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._pre = 0
        self._lists: list[int | None] = []  # per open list: next number (ol) or None (ul)
        self._links: list[tuple[str | None, int]] = []  # (href, index in parts where text starts)

    def _tail_newlines(self) -> int:
        """How many line breaks the text written so far ends with (a lot, at the very start)."""
        count = 0
        for part in reversed(self.parts):
            stripped = part.rstrip("\n")
            count += len(part) - len(stripped)
            if stripped:
                return count
        return 99

    def _break(self, count: int) -> None:
        """End the current line and leave (count - 1) blank lines, without stacking them up."""
        missing = count - self._tail_newlines()
        if missing > 0:
            self.parts.append("\n" * missing)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self._PARAGRAPHS:
            self._break(1 if self._lists else 2)
            if tag == "pre":
                self._pre += 1
        elif tag in {"ul", "ol"}:
            self._break(1 if self._lists else 2)
            self._lists.append(1 if tag == "ol" else None)
        elif tag == "li":
            self._break(1)
            indent = "  " * max(len(self._lists) - 1, 0)
            number = self._lists[-1] if self._lists else None
            if number is None:
                self.parts.append(f"{indent}- ")
            else:
                self._lists[-1] = number + 1
                self.parts.append(f"{indent}{number}. ")
        elif tag == "a":
            self._links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._PARAGRAPHS:
            if tag == "pre":
                self._pre = max(self._pre - 1, 0)
            self._break(1 if self._lists else 2)
        elif tag in {"ul", "ol"}:
            if self._lists:
                self._lists.pop()
            self._break(1 if self._lists else 2)
        elif tag == "li":
            self._break(1)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            label = "".join(self.parts[start:]).strip()
            if href:
                shown = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
                if shown not in label:
                    self.parts.append(f" ({shown})" if label else shown)

    def handle_data(self, data: str) -> None:
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
            if self._tail_newlines():
                data = data.lstrip(" ")
        if data:
            self.parts.append(data)


def to_text(html: str) -> str:
    """A chat message as plain text, for email bodies and previews.

    Tags are stripped and entities unescaped. Paragraphs are separated by a blank line, ``<br>``
    becomes a line break, and list items go on their own lines with "- " or "1. ". A link whose
    address is not already in its text is followed by the address in parentheses, so nothing is
    lost in a plain-text email. The result is text: escape it again before putting it into HTML.
    """
    parser = _TextExtractor()
    parser.feed(_clean(html))
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


# --- Video embeds (spec C8) -------------------------------------------------------------------

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
# Loom ids are 32 hex characters. Share links sometimes put the video title in front of the id
# ("/share/Quarterly-review-<id>").
_LOOM_ID = re.compile(r"(?:[A-Za-z0-9_-]{1,200}-)?([0-9a-f]{32})")
_VIMEO_ID = re.compile(r"[0-9]{1,12}")
_VIMEO_HASH = re.compile(r"[0-9a-f]{6,20}")  # unlisted videos: vimeo.com/<id>/<hash>
_DRIVE_ID = re.compile(r"[A-Za-z0-9_-]{20,100}")

_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com"})
_LOOM_HOSTS = frozenset({"loom.com", "www.loom.com"})
_VIMEO_HOSTS = frozenset({"vimeo.com", "www.vimeo.com"})
_DRIVE_HOSTS = frozenset({"drive.google.com"})

# Printable ASCII only, without the characters browsers and Python parse differently (backslash)
# or that end a URL in text. Anything else means "not a link we recognize".
_URL_CHARS = re.compile(r"[!#-;=?-\[\]-~]+")
_MAX_URL_CHARS = 2048


def _segments(path: str) -> list[str]:
    """Path segments without the empty ones from a leading or trailing slash."""
    parts = path.split("/")
    if parts and parts[0] == "":
        parts = parts[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    return parts


def video_embed(url: str) -> str | None:
    """The privacy-friendly player URL for a Loom, Vimeo, YouTube or Google Drive link, else None.

    Only the exact hosts of those services are recognized, over http or https, without user
    info or a port. The id is checked against a strict pattern and the embed URL is rebuilt from
    it, always over https.
    """
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > _MAX_URL_CHARS or not _URL_CHARS.fullmatch(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or port is not None:
        return None
    if "@" in parts.netloc or parts.hostname is None:
        return None
    host = parts.hostname  # lower-cased by urlsplit
    segments = _segments(parts.path)

    if host in _YOUTUBE_HOSTS:
        if segments == ["watch"]:
            values = parse_qs(parts.query).get("v", [])
            video_id = values[0] if len(values) == 1 else ""
        elif len(segments) == 2 and segments[0] == "shorts":
            video_id = segments[1]
        else:
            return None
        if _YOUTUBE_ID.fullmatch(video_id):
            return f"https://www.youtube-nocookie.com/embed/{video_id}"
        return None

    if host == "youtu.be":
        if len(segments) == 1 and _YOUTUBE_ID.fullmatch(segments[0]):
            return f"https://www.youtube-nocookie.com/embed/{segments[0]}"
        return None

    if host in _LOOM_HOSTS:
        if len(segments) == 2 and segments[0] == "share":
            match = _LOOM_ID.fullmatch(segments[1])
            if match:
                return f"https://www.loom.com/embed/{match.group(1)}"
        return None

    if host in _VIMEO_HOSTS:
        if len(segments) == 1 and _VIMEO_ID.fullmatch(segments[0]):
            return f"https://player.vimeo.com/video/{segments[0]}?dnt=1"
        if (
            len(segments) == 2
            and _VIMEO_ID.fullmatch(segments[0])
            and _VIMEO_HASH.fullmatch(segments[1])
        ):
            return f"https://player.vimeo.com/video/{segments[0]}?h={segments[1]}&dnt=1"
        return None

    if host in _DRIVE_HOSTS:
        if (
            len(segments) in {3, 4}
            and segments[:2] == ["file", "d"]
            and _DRIVE_ID.fullmatch(segments[2])
            and (len(segments) == 3 or segments[3] in {"view", "preview"})
        ):
            return f"https://drive.google.com/file/d/{segments[2]}/preview"
        return None

    return None


_BARE_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


class _LinkCollector(HTMLParser):
    """Candidate URLs in document order: <a href> values and bare URLs in the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.urls.append(href)

    def handle_data(self, data: str) -> None:
        for match in _BARE_URL.finditer(data):
            self.urls.append(match.group(0).rstrip(_TRAILING_PUNCTUATION))


def find_videos(html: str) -> list[str]:
    """Embed URLs for the video links in a message, in order, without duplicates, at most 3."""
    collector = _LinkCollector()
    collector.feed(_clean(html))
    collector.close()
    embeds: list[str] = []
    for url in collector.urls:
        embed = video_embed(url)
        if embed and embed not in embeds:
            embeds.append(embed)
            if len(embeds) == MAX_VIDEOS:
                break
    return embeds

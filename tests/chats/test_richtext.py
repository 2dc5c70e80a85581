"""dashboard.chats.richtext: the only way chat HTML is made safe, turned into text and scanned for
videos. XSS_CORPUS is shared with test_xss_browser.py, which renders the same outputs in Chromium.
"""

from __future__ import annotations

import re

import pytest

from dashboard.chats.richtext import (
    MAX_INPUT_CHARS,
    find_videos,
    plain_to_html,
    sanitize,
    to_text,
    video_embed,
)

# (id, hostile input). Every sanitized output must be free of FORBIDDEN, case-insensitively.
XSS_CORPUS: list[tuple[str, str]] = [
    ("script", "<script>alert(1)</script>"),
    ("javascript-href", '<a href="javascript:alert(1)">x</a>'),
    ("javascript-href-mixed-case", '<a href="JaVaScRiPt:alert(1)">x</a>'),
    ("javascript-href-leading-space", '<a href=" javascript:alert(1)">x</a>'),
    ("javascript-href-tab", '<a href="java\tscript:alert(1)">x</a>'),
    ("javascript-href-newline-entity", '<a href="jav&#x0A;ascript:alert(1)">x</a>'),
    ("javascript-href-decimal-entity", '<a href="&#106;avascript:alert(1)">x</a>'),
    ("javascript-href-hex-entities", '<a href="&#x6A;&#x61;vascript&colon;alert(1)">x</a>'),
    ("javascript-href-colon-entity", '<a href="javascript&colon;alert(1)">x</a>'),
    ("vbscript-href", '<a href="vbscript:msgbox(1)">x</a>'),
    ("data-href", '<a href="data:text/html,<script>alert(1)</script>">x</a>'),
    (
        "data-href-base64",
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    ),
    ("protocol-relative-href", '<a href="//evil.test/">x</a>'),
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("hx-get-load", '<div hx-get="/x" hx-trigger="load">x</div>'),
    ("hx-post-logout", '<p hx-post="/logout" hx-trigger="load">x</p>'),
    ("data-hx-get", '<p data-hx-get="/x" data-hx-trigger="load">x</p>'),
    ("hx-on-click", '<button hx-on:click="alert(1)">x</button>'),
    ("hx-on-load-on-allowed-tag", '<strong hx-on::load="alert(1)">x</strong>'),
    ("hx-on-link", '<a href="https://ok.test" hx-get="/x" hx-trigger="mouseover">x</a>'),
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("img-tracking-pixel", '<img src="https://evil.test/pixel.gif">'),
    ("iframe", '<iframe src="https://evil.test"></iframe>'),
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("form-logout", '<form action="/logout" method="post"><button>x</button></form>'),
    ("button-formaction", '<button formaction="javascript:alert(1)">x</button>'),
    ("input-autofocus", "<input autofocus onfocus=alert(1)>"),
    ("base", '<base href="https://evil.test/">'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=https://evil.test">'),
    ("link-stylesheet", '<link rel="stylesheet" href="https://evil.test/x.css">'),
    ("style", "<style>body{display:none}</style>"),
    ("style-import", "<style>@import 'https://evil.test/x.css';</style>"),
    ("a-onclick", '<a href="https://ok.test" onclick="alert(1)">x</a>'),
    ("p-style-javascript", '<p style="background:url(javascript:alert(1))">x</p>'),
    ("p-style-remote", '<p style="background:url(https://evil.test/x.png)">x</p>'),
    ("math-mglyph-mxss", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("noscript-mxss", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    ("template", "<template><img src=x onerror=alert(1)></template>"),
    ("textarea", "<textarea><img src=x onerror=alert(1)></textarea>"),
    ("comment", "<!--<img src=x onerror=alert(1)>-->"),
    ("comment-breakout", "<!--><img src=x onerror=alert(1)>-->"),
    ("object", '<object data="javascript:alert(1)"></object>'),
    ("embed", '<embed src="javascript:alert(1)">'),
    ("details-ontoggle", "<details open ontoggle=alert(1)>x</details>"),
    ("body-onload", "<body onload=alert(1)>x</body>"),
    ("video-source-onerror", "<video><source onerror=alert(1)></video>"),
    ("unknown-tag-handler", "<x onmouseover=alert(1)>x</x>"),
    ("split-script", "<scr<script>ipt>alert(1)</script>"),
    ("unclosed-attribute", '<a href="https://ok.test" onclick="alert(1)'),
    ("escape-container", '</div></div><img src=x onerror=alert(1)><div hx-get="/x">'),
    ("escape-container-button", "</p></div><button hx-post=/logout hx-trigger=load>x</button>"),
    ("select-style-mxss", "<select><option><style></option></select><img src=x onerror=alert(1)>"),
]

FORBIDDEN = [
    "<script",
    "onerror",
    "onload",
    "onclick",
    "javascript:",
    "hx-",
    "<iframe",
    "<form",
    "<base",
    "<meta",
    "<style",
    "<svg",
    "<img",
    "data:text/html",
    "<math",
    "<object",
    "<embed",
    "<link",
    "<button",
    "<input",
    "style=",
    "evil.test",
]


# --- sanitize: the XSS corpus --------------------------------------------------------------------


@pytest.mark.parametrize("payload", [p for _, p in XSS_CORPUS], ids=[i for i, _ in XSS_CORPUS])
def test_corpus_entry_comes_out_harmless(payload):
    """Does sanitize() leave none of the dangerous pieces of this XSS payload in its output?"""
    out = sanitize(payload).lower()
    found = [needle for needle in FORBIDDEN if needle in out]
    assert not found, f"{payload!r} -> {out!r} still contains {found}"


@pytest.mark.parametrize("payload", [p for _, p in XSS_CORPUS], ids=[i for i, _ in XSS_CORPUS])
def test_corpus_entry_uses_only_allowed_tags_and_attributes(payload):
    """Does the output only contain allowlisted tags, and are href/target/rel on <a> the only
    attributes it has?"""
    out = sanitize(payload)
    for closing, tag, attrs in re.findall(r"<(/?)([a-zA-Z0-9]+)([^>]*)>", out):
        assert tag in {
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
        }, out
        names = set(re.findall(r'\s([^\s=]+)="', attrs))
        assert names <= ({"href", "target", "rel"} if tag == "a" and not closing else set()), out


@pytest.mark.parametrize("payload", [p for _, p in XSS_CORPUS], ids=[i for i, _ in XSS_CORPUS])
def test_sanitize_is_idempotent_on_corpus(payload):
    """Is sanitizing already-sanitized output a no-op (so stored messages can be re-checked)?"""
    once = sanitize(payload)
    assert sanitize(once) == once


def test_script_and_style_content_is_dropped_not_shown():
    """Are the contents of <script> and <style> removed, not turned into visible text?"""
    out = sanitize("<p>before</p><script>alert(1)</script><style>p{}</style><p>after</p>")
    assert out == "<p>before</p><p>after</p>"


def test_text_around_forbidden_tags_survives():
    """When a forbidden wrapper (div, form, button) is removed, is the user's text kept?"""
    out = sanitize('<div class="x"><form><button>Send</button></form> the file</div>')
    assert out == "Send the file"


def test_javascript_link_keeps_text_but_loses_href():
    """Does a javascript: link keep its text while losing the dangerous href?"""
    out = sanitize('<a href="javascript:alert(1)">click me</a>')
    assert "href" not in out
    assert "click me" in out


@pytest.mark.parametrize("href", ["/logout", "logout", "../x", "?a=1", "#top", "ftp://x.test/f"])
def test_relative_and_other_scheme_links_lose_href(href):
    """Are relative links (into the portal itself) and non-http(s)/mailto schemes dropped?"""
    out = sanitize(f'<a href="{href}">x</a>')
    assert "href" not in out


# --- sanitize: what must survive ------------------------------------------------------------------


def test_formatting_survives():
    """Do bold, italic, underline, strike, quotes and code survive unchanged?"""
    html = (
        "<p><strong>bold</strong> <b>b</b> <em>italic</em> <i>i</i> <u>under</u> <s>gone</s></p>"
        "<blockquote>quoted</blockquote><pre><code>x &lt; 1\n  y</code></pre>"
    )
    assert sanitize(html) == html


def test_lists_survive():
    """Do ordered, unordered and nested lists survive?"""
    html = "<ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li></ul>"
    assert sanitize(html) == html


def test_links_get_rel_and_target():
    """Does an https link keep its href and gain rel="noopener noreferrer" and target="_blank"?"""
    out = sanitize('<a href="https://ok.test/doc?a=1&amp;b=2">the doc</a>')
    assert out == (
        '<a href="https://ok.test/doc?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">'
        "the doc</a>"
    )


def test_author_rel_and_target_are_replaced():
    """Are rel="opener" and target="_self" chosen by the author replaced by ours?"""
    out = sanitize('<a href="https://ok.test" rel="opener" target="_self">x</a>')
    assert out == '<a href="https://ok.test" target="_blank" rel="noopener noreferrer">x</a>'


@pytest.mark.parametrize("href", ["http://ok.test/", "HTTPS://OK.TEST/", "mailto:anna@ok.test"])
def test_allowed_schemes(href):
    """Are http, https (in any case) and mailto links kept?"""
    assert f'href="{href}"' in sanitize(f'<a href="{href}">x</a>')


def test_class_style_id_and_data_attributes_are_removed():
    """Are class, style, id, title, lang and data-* removed even from allowed tags?"""
    out = sanitize('<p class="a" style="color:red" id="b" title="t" lang="fr" data-x="1">x</p>')
    assert out == "<p>x</p>"


def test_emoji_and_unicode_are_kept():
    """Do emoji (including ZWJ sequences), accents, CJK and right-to-left text survive as is?"""
    text = "Bravo 🎉 👩‍👩‍👧 élève naïve — 日本語 العربية z̧"
    assert sanitize(f"<p>{text}</p>") == f"<p>{text}</p>"


def test_text_is_escaped_not_interpreted():
    """Is a literal "<" in text kept as an escaped character?"""
    assert sanitize("<p>1 &lt; 2 &amp; 3 &gt; 2</p>") == "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"


def test_comments_are_removed():
    """Are HTML comments removed?"""
    assert sanitize("<p>a<!-- secret -->b</p>") == "<p>ab</p>"


def test_empty_input():
    """Does an empty message stay empty?"""
    assert sanitize("") == ""


def test_length_cap():
    """Is a message of exactly 50,000 characters accepted and one of 50,001 refused?"""
    assert sanitize("a" * MAX_INPUT_CHARS) == "a" * MAX_INPUT_CHARS
    with pytest.raises(ValueError):
        sanitize("a" * (MAX_INPUT_CHARS + 1))


def test_non_string_is_refused():
    """Is bytes input refused rather than guessed at?"""
    with pytest.raises(TypeError):
        sanitize(b"<p>x</p>")  # type: ignore[arg-type]


# --- plain_to_html -----------------------------------------------------------------------------


def test_plain_text_is_escaped():
    """Is markup typed as plain text shown literally (escaped), not interpreted?"""
    out = plain_to_html('<b>hi</b> & "you" <script>alert(1)</script>')
    assert out == ('<p>&lt;b&gt;hi&lt;/b&gt; &amp; "you" &lt;script&gt;alert(1)&lt;/script&gt;</p>')


def test_line_breaks_and_paragraphs():
    """Does a single newline become <br> and a blank line (however many) start a paragraph?"""
    text = "Hello Anna,\nhere it is.\n\n\n\nBest,\r\nMarc\r\n"
    assert plain_to_html(text) == "<p>Hello Anna,<br>here it is.</p><p>Best,<br>Marc</p>"


def test_whitespace_only_blank_lines_split_paragraphs():
    """Does a line holding only spaces count as a blank line?"""
    assert plain_to_html("a\n   \nb") == "<p>a</p><p>b</p>"


@pytest.mark.parametrize("text", ["", "\n\n", "\r\n"])
def test_empty_plain_text(text):
    """Does an empty or newline-only text give an empty message?"""
    assert plain_to_html(text) == ""


@pytest.mark.parametrize("payload", [p for _, p in XSS_CORPUS], ids=[i for i, _ in XSS_CORPUS])
def test_plain_text_corpus_yields_only_p_and_br(payload):
    """When an XSS payload is typed as plain text, is <p>/<br> the only markup in the output?"""
    out = plain_to_html(payload)
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z]+)", out)) <= {"p", "br"}


@pytest.mark.parametrize(
    "text", ["simple", "a\nb\n\nc", "Bravo 🎉 <3 & co", "x" * 1000, "quote \"me\" 'here'"]
)
def test_plain_to_html_output_passes_sanitize(text):
    """Is plain_to_html() output already clean, so sanitize() leaves it unchanged?"""
    out = plain_to_html(text)
    assert sanitize(out) == out


def test_plain_text_length_cap():
    """Is plain text longer than 50,000 characters refused?"""
    plain_to_html("a" * MAX_INPUT_CHARS)
    with pytest.raises(ValueError):
        plain_to_html("a" * (MAX_INPUT_CHARS + 1))


# --- to_text -------------------------------------------------------------------------------------


def test_tags_are_stripped_and_entities_unescaped():
    """Are tags stripped and entities (&amp;, &lt;, &#233;) turned back into characters?"""
    assert to_text("<p><strong>Tom</strong> &amp; J&#233;r&ocirc;me &lt;3</p>") == "Tom & Jérôme <3"


def test_paragraphs_and_breaks():
    """Are paragraphs separated by a blank line and <br> kept as a line break?"""
    assert to_text("<p>Hello,<br>here it is.</p><p>Best,<br>Marc</p>") == (
        "Hello,\nhere it is.\n\nBest,\nMarc"
    )


def test_list_items_on_their_own_lines():
    """Does every list item go on its own line, bulleted or numbered, nested ones indented?"""
    html = "<p>Needed:</p><ul><li>ID</li><li>Payslips<ul><li>May</li></ul></li></ul>"
    html += "<ol><li>sign</li><li>send</li></ol>"
    assert to_text(html) == "Needed:\n\n- ID\n- Payslips\n  - May\n\n1. sign\n2. send"


def test_source_formatting_whitespace_is_collapsed():
    """Is the indentation of the HTML source collapsed like a browser would?"""
    assert to_text("<p>\n   Hello\n   world  </p>\n\n<p>  again</p>") == "Hello world\n\nagain"


def test_pre_keeps_its_whitespace():
    """Does preformatted text keep its spaces and newlines?"""
    assert to_text("<pre><code>a = 1\n    b = 2</code></pre>") == "a = 1\n    b = 2"


def test_link_address_is_kept():
    """Is a link's address added after its text, but not repeated when the text is the address?"""
    html = (
        '<p><a href="https://ok.test/doc">the doc</a>, '
        '<a href="https://ok.test/x">https://ok.test/x</a>, '
        '<a href="mailto:anna@ok.test">anna@ok.test</a></p>'
    )
    assert to_text(html) == "the doc (https://ok.test/doc), https://ok.test/x, anna@ok.test"


def test_unsafe_content_does_not_leak_into_text():
    """Does to_text() of raw HTML leave out script and style contents?"""
    assert to_text("<script>alert(1)</script><style>p{}</style><p>hi</p>") == "hi"


def test_emoji_in_text():
    """Does emoji survive to_text()?"""
    assert to_text("<p>Merci 🎉</p>") == "Merci 🎉"


def test_empty_html_gives_empty_text():
    """Is the text of an empty message empty?"""
    assert to_text("") == ""


@pytest.mark.parametrize(
    "text", ["Hello", "Hello Anna,\nhere it is.\n\nBest,\nMarc", "1 < 2 & <b>not bold</b> 🎉"]
)
def test_plain_text_round_trip(text):
    """Does to_text(plain_to_html(text)) give the text back?"""
    assert to_text(plain_to_html(text)) == text


# --- video_embed ---------------------------------------------------------------------------------

YT = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
LOOM_ID = "0281766fa2d04bb788eaf19e65135184"
DRIVE_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123_-"


@pytest.mark.parametrize(
    "url, embed",
    [
        # Loom
        (f"https://www.loom.com/share/{LOOM_ID}", f"https://www.loom.com/embed/{LOOM_ID}"),
        (f"https://loom.com/share/{LOOM_ID}?sid=abc-123", f"https://www.loom.com/embed/{LOOM_ID}"),
        (
            f"https://www.loom.com/share/Quarterly-review-for-Anna-{LOOM_ID}",
            f"https://www.loom.com/embed/{LOOM_ID}",
        ),
        (f"http://www.loom.com/share/{LOOM_ID}/", f"https://www.loom.com/embed/{LOOM_ID}"),
        # Vimeo
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("http://www.vimeo.com/76979871/", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://vimeo.com/76979871#t=30s", "https://player.vimeo.com/video/76979871?dnt=1"),
        (
            "https://vimeo.com/76979871/a1b2c3d4e5",
            "https://player.vimeo.com/video/76979871?h=a1b2c3d4e5&dnt=1",
        ),
        # YouTube
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", YT),
        ("https://youtube.com/watch?v=dQw4w9WgXcQ&t=42s&list=PL123", YT),
        ("https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ", YT),
        ("http://www.youtube.com/watch?v=dQw4w9WgXcQ", YT),
        ("HTTPS://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ", YT),
        ("https://youtu.be/dQw4w9WgXcQ", YT),
        ("https://youtu.be/dQw4w9WgXcQ?si=AbC123xyz", YT),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", YT),
        ("https://youtube.com/shorts/dQw4w9WgXcQ?feature=share", YT),
        ("  https://youtu.be/dQw4w9WgXcQ  ", YT),
        # Google Drive
        (
            f"https://drive.google.com/file/d/{DRIVE_ID}/view?usp=sharing",
            f"https://drive.google.com/file/d/{DRIVE_ID}/preview",
        ),
        (
            f"https://drive.google.com/file/d/{DRIVE_ID}/view",
            f"https://drive.google.com/file/d/{DRIVE_ID}/preview",
        ),
        (
            f"http://drive.google.com/file/d/{DRIVE_ID}/preview",
            f"https://drive.google.com/file/d/{DRIVE_ID}/preview",
        ),
        (
            f"https://drive.google.com/file/d/{DRIVE_ID}",
            f"https://drive.google.com/file/d/{DRIVE_ID}/preview",
        ),
    ],
)
def test_video_link_is_recognized(url, embed):
    """Is this Loom/Vimeo/YouTube/Drive link turned into its privacy-friendly https player URL?"""
    assert video_embed(url) == embed


@pytest.mark.parametrize(
    "url",
    [
        # lookalike and foreign hosts
        "https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.evil.test/watch?v=dQw4w9WgXcQ",
        "https://evil-youtube.com/watch?v=dQw4w9WgXcQ",
        "https://evilyoutube.com/watch?v=dQw4w9WgXcQ",
        "https://youtu.be.evil.test/dQw4w9WgXcQ",
        "https://evil.test/youtube.com/watch?v=dQw4w9WgXcQ",
        "https://evil.test/?u=https://youtu.be/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com.evil.test/embed/dQw4w9WgXcQ",
        "https://vimeo.com.evil.test/76979871",
        "https://notvimeo.com/76979871",
        f"https://loom.com.evil.test/share/{LOOM_ID}",
        f"https://drive.google.com.evil.test/file/d/{DRIVE_ID}/view",
        f"https://docs.google.com/file/d/{DRIVE_ID}/view",
        "https://youtube.com./watch?v=dQw4w9WgXcQ",
        # user info, ports, odd characters
        "https://www.youtube.com@evil.test/watch?v=dQw4w9WgXcQ",
        "https://evil.test@www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://evil.test\\@www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com:99999/watch?v=dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9W gXcQ",
        "https://youtu.be/dQw4w9WgXcQ\n<script>",
        # schemes
        "javascript:alert('https://youtu.be/dQw4w9WgXcQ')",
        "ftp://youtu.be/dQw4w9WgXcQ",
        "data:text/html,https://youtu.be/dQw4w9WgXcQ",
        "//www.youtube.com/watch?v=dQw4w9WgXcQ",
        "www.youtube.com/watch?v=dQw4w9WgXcQ",
        # bad ids and paths
        "https://www.youtube.com/watch?v=dQw4w9WgXc",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",
        "https://www.youtube.com/watch?v=dQw4w9WgX%3C",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&v=aaaaaaaaaaa",
        "https://www.youtube.com/watch",
        "https://www.youtube.com/watchlater?v=dQw4w9WgXcQ",
        "https://www.youtube.com/shorts/",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ/extra",
        "https://www.youtube.com/@channel",
        "https://youtu.be/",
        "https://youtu.be/dQw4w9WgXcQ/extra",
        "https://vimeo.com/channels/staffpicks",
        "https://vimeo.com/1234567890123",
        "https://vimeo.com/76979871/not-a-hash",
        "https://vimeo.com/",
        "https://www.loom.com/share/",
        "https://www.loom.com/share/not-a-loom-id",
        "https://www.loom.com/share/0281766fa2d04bb788eaf19e6513518",
        "https://www.loom.com/share/0281766FA2D04BB788EAF19E65135184",
        f"https://www.loom.com/looms/{LOOM_ID}",
        "https://drive.google.com/file/d/short/view",
        f"https://drive.google.com/drive/folders/{DRIVE_ID}",
        f"https://drive.google.com/file/d/{DRIVE_ID}/edit",
        f"https://drive.google.com/file/d/{DRIVE_ID}%3Cscript/view",
        "https://drive.google.com/open?id=" + DRIVE_ID,
        # not URLs
        "",
        "   ",
        "dQw4w9WgXcQ",
        "https://youtu.be/dQw4w9WgXcQ?" + "a" * 3000,
    ],
)
def test_other_links_are_not_videos(url):
    """Is this lookalike, foreign, malformed or unsupported link refused (None)?"""
    assert video_embed(url) is None


def test_non_string_is_not_a_video():
    """Does video_embed() return None for something that is not a string?"""
    assert video_embed(None) is None  # type: ignore[arg-type]


# --- find_videos ---------------------------------------------------------------------------------

VIMEO = "https://player.vimeo.com/video/76979871?dnt=1"
LOOM = f"https://www.loom.com/embed/{LOOM_ID}"
DRIVE = f"https://drive.google.com/file/d/{DRIVE_ID}/preview"


def test_videos_from_links_and_bare_urls_in_order():
    """Are video links found both in <a href> and as bare URLs in the text, in message order?"""
    html = sanitize(
        '<p>First <a href="https://vimeo.com/76979871">this one</a>, then '
        "https://youtu.be/dQw4w9WgXcQ.</p>"
    )
    assert find_videos(html) == [VIMEO, YT]


def test_duplicates_are_removed():
    """Is the same video linked several ways (href, text, short and long URL) embedded once?"""
    html = sanitize(
        '<p><a href="https://youtu.be/dQw4w9WgXcQ">https://youtu.be/dQw4w9WgXcQ</a> '
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=1s</p>"
    )
    assert find_videos(html) == [YT]


def test_at_most_three_videos():
    """Are at most three players returned, the first three in the message?"""
    html = plain_to_html(
        f"https://vimeo.com/76979871\nhttps://youtu.be/dQw4w9WgXcQ\n"
        f"https://www.loom.com/share/{LOOM_ID}\n"
        f"https://drive.google.com/file/d/{DRIVE_ID}/view"
    )
    assert find_videos(html) == [VIMEO, YT, LOOM]


def test_trailing_punctuation_is_not_part_of_the_url():
    """Is a URL followed by punctuation or in parentheses still recognized?"""
    html = plain_to_html(
        f"(see https://drive.google.com/file/d/{DRIVE_ID}/view?usp=sharing), "
        "or https://vimeo.com/76979871!"
    )
    assert find_videos(html) == [DRIVE, VIMEO]


def test_non_video_and_hostile_links_are_ignored():
    """Are ordinary links, lookalike hosts and stripped javascript: links ignored?"""
    html = sanitize(
        '<p><a href="https://ok.test/">site</a> https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ '
        "<a href=\"javascript:alert('https://youtu.be/dQw4w9WgXcQ')\">x</a></p>"
    )
    assert find_videos(html) == []


def test_no_videos_in_plain_message():
    """Does a message without links give no videos?"""
    assert find_videos("<p>Hello 🎉</p>") == []
    assert find_videos("") == []


def test_found_videos_are_https_players_only():
    """Is every returned URL one of the four https player prefixes?"""
    html = plain_to_html(
        f"http://youtu.be/dQw4w9WgXcQ http://vimeo.com/76979871 http://www.loom.com/share/{LOOM_ID}"
    )
    prefixes = (
        "https://www.youtube-nocookie.com/embed/",
        "https://player.vimeo.com/video/",
        "https://www.loom.com/embed/",
        "https://drive.google.com/file/d/",
    )
    videos = find_videos(html)
    assert len(videos) == 3
    assert all(v.startswith(prefixes) for v in videos)

"""Status and profile text as the safe HTML Mastodon clients display.

We store plain text; Mastodon sends HTML. Everything is escaped first, then links are added for
what we recognise: http(s) URLs, @mentions that resolved to an account (the stored `mentions`
list, so an @word that named nobody stays text) and #hashtags, with the classes Mastodon uses
(`mention`, `hashtag`, `h-card`) so clients style and tap them as they do on Mastodon.
Paragraphs are separated by blank lines, line breaks become <br />.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape

# One pass over the escaped text: a URL, or an @mention, or a #hashtag (the same boundaries as
# socialapp.common.text: not after a word character).
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])"
    r"|(?<![\w@])@(?P<mention>[A-Za-z0-9_]{3,30})(?![A-Za-z0-9_])"
    r"|(?<![\w#&])#(?P<tag>[^\W][\w\u0300-\u036f]*)",
    re.UNICODE,
)


def _link_paragraph(text: str, base_url: str, mentioned: Mapping[str, str], tags: set[str]) -> str:
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        out.append(escape(text[position : match.start()], quote=False))
        position = match.end()
        if match.group("url"):
            url = match.group("url")
            out.append(f'<a href="{escape(url)}" rel="nofollow noopener noreferrer" target="_blank">{escape(url)}</a>')
        elif match.group("mention"):
            name = match.group("mention")
            username = mentioned.get(name.lower())
            if username is None:
                out.append(escape(match.group(0), quote=False))
            else:
                out.append(
                    f'<span class="h-card" translate="no"><a href="{base_url}/@{username}" class="u-url mention">'
                    f"@<span>{username}</span></a></span>"
                )
        else:
            tag = match.group("tag")
            if tag.lower() not in tags:
                out.append(escape(match.group(0), quote=False))
            else:
                out.append(
                    f'<a href="{base_url}/tags/{escape(tag.lower())}" class="mention hashtag" rel="tag">'
                    f"#<span>{escape(tag)}</span></a>"
                )
    out.append(escape(text[position:], quote=False))
    return "<br />".join("".join(out).split("\n"))


def render_html(
    text: str, *, base_url: str, mentions: Iterable[Mapping[str, object]] = (), hashtags: Iterable[str] = ()
) -> str:
    """`<p>`-wrapped, escaped, linked HTML of a stored plain-text body."""
    if not text:
        return ""
    mentioned = {str(m["username"]).lower(): str(m["username"]) for m in mentions}
    tags = {t.lower() for t in hashtags}
    paragraphs = [p for p in re.split(r"\n{2,}", text.strip()) if p]
    return "".join(f"<p>{_link_paragraph(p, base_url, mentioned, tags)}</p>" for p in paragraphs)

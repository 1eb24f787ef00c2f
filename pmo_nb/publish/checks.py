"""Self-containment check: every network resource an HTML page would load by itself."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

__all__ = ["external_refs"]

_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_REFS = re.compile(
    r"""@import\s+(?:url\(\s*)?['"]?([^'"\)\s;]+)|url\(\s*['"]?([^'"\)]+?)['"]?\s*\)""", re.IGNORECASE
)
# Attributes that make a browser fetch something by themselves (a plain <a href> is only a link).
_FETCH_ATTRS = {"src", "srcset", "data", "poster", "background", "xlink:href", "action", "formaction"}


def _css_refs(css: str) -> list[str]:
    found = []
    for match in _CSS_REFS.finditer(css):
        ref = (match.group(1) or match.group(2) or "").strip()
        if _REMOTE.match(ref):
            found.append(ref)
    return found


class _RefFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self.refs.extend(_css_refs(value))
            elif name == "srcset":
                self.refs.extend(p.split()[0] for p in value.split(",") if p.strip() and _REMOTE.match(p))
            elif name in _FETCH_ATTRS and _REMOTE.match(value):
                self.refs.append(value)
            elif name == "href" and tag in ("link", "image", "use", "script") and _REMOTE.match(value):
                self.refs.append(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs.extend(_css_refs(data))


def external_refs(markup: str) -> list[str]:
    """Every network resource an HTML page would load by itself.

    Looks at ``src``/``srcset``/``data``/``poster`` and similar attributes, ``<link href>`` (stylesheets,
    fonts, preloads), SVG ``<image>``/``<use>`` hrefs, and ``@import`` / ``url(...)`` in ``<style>`` blocks and
    ``style`` attributes; counts ``http:``, ``https:`` and protocol-relative ``//`` references. Plain links
    (``<a href>``) and text inside scripts are not resource references. Base64 ``data:`` SVG images are
    decoded and checked too.

    Returns
    -------
    list[str]
        The offending references in document order; empty for a self-contained page.
    """
    finder = _RefFinder()
    finder.feed(markup)
    finder.close()
    refs = list(finder.refs)
    for encoded in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", markup):
        svg = base64.b64decode(encoded).decode("utf-8", errors="replace")
        refs.extend(external_refs(svg))
    return refs

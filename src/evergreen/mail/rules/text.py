"""The plain-text part, made from the HTML part: paragraphs, lists, and links as "text (url)".

A small converter on the standard library's HTML parser rather than a dependency: email HTML
is simple (the renderer made it), and the one promise that matters, every link kept with its
address, is easier to keep in 100 lines than to configure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "div", "dl", "dt", "dd", "fieldset",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "main", "nav",
    "ol", "p", "pre", "section", "table", "tr", "ul",
})  # fmt: skip
_SKIP = frozenset({"head", "script", "style", "title", "template"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _Converter(HTMLParser):
    def __init__(self, on_text: Callable[[str], str] | None) -> None:
        super().__init__(convert_charrefs=True)
        self.on_text = on_text
        self.lines: list[str] = []
        self.line: list[str] = []
        self.skip = 0
        self.pre = 0
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in self.line)
        self.lists: list[list[int]] = []  # per open list: [is_ordered, next number]

    def _break(self, blank: bool = False) -> None:
        text = "".join(self.line).strip(" ")
        self.line = []
        if text:
            self.lines.append(text)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        values = dict(attrs)
        if tag == "br":
            self._break()
        elif tag == "hr":
            self._break(blank=True)
            self.lines.extend(["----", ""])
        elif tag == "pre":
            self._break(blank=True)
            self.pre += 1
        elif tag in ("ul", "ol"):
            self._break(blank=not self.lists)
            self.lists.append([tag == "ol", 1])
        elif tag == "li":
            self._break()
            indent = "  " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0]:
                self.line.append(f"{indent}{self.lists[-1][1]}. ")
                self.lists[-1][1] += 1
            else:
                self.line.append(f"{indent}- ")
        elif tag in ("td", "th"):
            if self.line and not "".join(self.line).endswith(" "):
                self.line.append("  ")
        elif tag in _BLOCK:
            self._break(blank=tag not in ("tr", "div", "dt", "dd"))
        elif tag in ("a", "area"):
            self.links.append((values.get("href") or "", len("".join(self.line))))
        elif tag == "img" and values.get("alt"):
            self.line.append(values["alt"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(self.skip - 1, 0)
            return
        if tag == "pre":
            self.pre = max(self.pre - 1, 0)
            self._break(blank=True)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._break(blank=not self.lists)
        elif tag in ("a", "area") and self.links:
            href, start = self.links.pop()
            text = "".join(self.line)[start:].strip()
            if href.startswith(("http://", "https://", "mailto:")) and href != text:
                shown = href.removeprefix("mailto:")
                self.line.append(f" ({shown})" if text and shown != text else shown)
        elif tag in _BLOCK:
            self._break(blank=tag not in ("tr", "div", "dt", "dd"))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            parts = data.split("\n")
            self.line.append(parts[0])
            for part in parts[1:]:
                self.lines.append("".join(self.line))
                self.line = [part]
            return
        text = _SPACES.sub(" ", data)
        if self.on_text is not None:
            text = self.on_text(text)
        if not self.line or "".join(self.line).endswith(" "):
            text = text.lstrip(" ")
        self.line.append(text)


def html_to_text(html: str, on_text: Callable[[str], str] | None = None) -> str:
    """Readable text for mail clients that show no HTML; links as "text (url)".

    `on_text` sees the words of the page (not the link addresses), e.g. to rewrite bare URLs.
    """
    converter = _Converter(on_text)
    converter.feed(html)
    converter.close()
    converter._break()
    lines = converter.lines
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"

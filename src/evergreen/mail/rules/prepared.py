"""A broadcast's message rendered once and filled in per person, with the same result as
rendering each person's message from scratch (`MessageTemplate.render`).

When a template only prints a person's values as they are (`MailTemplate.slots`), the whole
pipeline (template, Markdown, footer, CSS inlining, link rewriting, text part) runs once with
placeholders; each person then costs a lookup of their values and a join. A value is filled
in only where every step would have treated it as opaque text: printable, no double spaces,
starting and ending with a letter or digit (so Markdown's emphasis and list rules see what
they saw around the placeholder), without `<`, `>`, `"`, `://` or `http` (no new tags or
URLs), and only in plain text or an `alt`/`title` attribute. Anything else (a value, a
template, a person's unusual links) takes the full render, so the output never differs.

`rewrite_link` must give the same address for the same URL within one person's message (it is
called once per distinct URL here, once per occurrence in the full render).
"""

from __future__ import annotations

import html
import re
import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.render import (
    _INLINER,
    _MARKDOWN,
    Footer,
    MessageTemplate,
    Personal,
    Rendered,
    RewriteLink,
    _bare_urls,
    _document,
    _footer_html,
    _insert_before_body_end,
    _rewrite,
)
from evergreen.mail.rules.sandbox import MailTemplate, Slot
from evergreen.mail.rules.text import html_to_text

__all__ = ["PreparedMessage"]

_MAX_VARIANTS = 32
_NOT_PLAIN = re.compile(r'[<>"]|://|http|^\d+[.)]')
_PLAIN_URL = re.compile(r"https?://[!#-&(-;=?-~]+")  # printable ASCII but space " ' < >
# Where a filled-in value would not be plain text: raw text, code (Markdown leaves character
# references as they are there), and elements read as markup.
_RAW = frozenset({
    "code", "pre", "script", "style", "textarea", "title", "xmp", "noscript", "iframe",
    "noembed", "noframes", "plaintext", "template", "svg", "math",
})  # fmt: skip
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
})  # fmt: skip


class _NotOpaque(Exception):
    """The template uses a person's value in a way only the full render reproduces."""


def _letters(number: int) -> str:
    return "".join("abcdefghij"[int(digit)] for digit in str(number))


def _plain(text: str) -> bool:
    """A value every step after the template passes through as it is."""
    return (
        text.isprintable()
        and text[:1].isalnum()
        and text[-1:].isalnum()
        and "  " not in text
        and _NOT_PLAIN.search(text) is None
    )


class _Contexts(HTMLParser):
    """Checks that every value placeholder sits in plain text or an alt/title attribute."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker
        self.raw = 0
        self.links: list[tuple[str, list[str]]] = []  # open <a>: href and text so far

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            placed = self.marker in name or (value and self.marker in value)
            if placed and name not in ("alt", "title"):
                raise _NotOpaque
        if tag in _RAW:
            self.raw += 1
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", []))
        if tag in _VOID:
            self.handle_endtag(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _RAW:
            self.raw = max(self.raw - 1, 0)
        elif tag == "a" and self.links:
            href, words = self.links.pop()
            text = "".join(words)
            # The text part compares a link's text with its address: keep that comparison
            # independent of the value (an address starts with http, a value never does).
            if self.marker in text and (
                not href.startswith(("http://", "https://")) or "://" in text
            ):
                raise _NotOpaque

    def handle_data(self, data: str) -> None:
        if self.marker in data and self.raw:
            raise _NotOpaque
        for _, words in self.links:
            words.append(data)

    def _refuse_marker(self, data: str) -> None:
        if self.marker in data:
            raise _NotOpaque

    def handle_comment(self, data: str) -> None:
        self._refuse_marker(data)

    def handle_decl(self, decl: str) -> None:
        self._refuse_marker(decl)

    def handle_pi(self, data: str) -> None:
        self._refuse_marker(data)

    def unknown_decl(self, data: str) -> None:
        self._refuse_marker(data)


@dataclass(frozen=True)
class _Variant:
    """One prepared shape: static text and holes, for the subject, HTML and text parts."""

    subject: tuple[str | tuple[str, int], ...]
    html: tuple[str | tuple[str, int], ...]
    text: tuple[str | tuple[str, int], ...]
    links: tuple[str, ...]  # the original URLs, in the order of their holes
    # For the output limit: the templates' own characters and how often each value is printed.
    body_size: tuple[int, tuple[int, ...]]
    subject_size: tuple[int, tuple[int, ...]]


def _split(text: str, pattern: re.Pattern[str]) -> tuple[str | tuple[str, int], ...]:
    """Text cut at the placeholders: static strings and (kind, index) holes."""
    pieces: list[str | tuple[str, int]] = []
    at = 0
    for match in pattern.finditer(text):
        pieces.append(text[at : match.start()])
        kind = match.lastgroup or ""
        index = int("".join(str("abcdefghij".index(ch)) for ch in match.group(kind)))
        pieces.append((kind, index))
        at = match.end()
    pieces.append(text[at:])
    return tuple(piece for piece in pieces if piece != "")


def _join(pieces: tuple[str | tuple[str, int], ...], fills: Mapping[str, Sequence[str]]) -> str:
    return "".join(piece if isinstance(piece, str) else fills[piece[0]][piece[1]]
                   for piece in pieces)  # fmt: skip


class PreparedMessage:
    """A message template and footer, rendered per person through a few prepared shapes."""

    def __init__(self, template: MessageTemplate, footer: Footer | None = None) -> None:
        self.template = template
        self.footer = footer
        subject, body = template._subject, template._body
        self._slots: tuple[Slot, ...] | None = None
        if subject.slots is not None and body.slots is not None:
            slots = tuple(dict.fromkeys(subject.slots + body.slots))
            if not any(s in slots for s in (("unsubscribe_url",), ("preferences_url",))):
                self._slots = slots
        self._variants: dict[tuple[bool, ...], _Variant | None] = {}

    @property
    def fast(self) -> bool:
        """Whether people are filled in (False: each is rendered in full)."""
        return self._slots is not None

    def render(self, person: Personal, *, rewrite_link: RewriteLink | None = None) -> Rendered:
        """This person's message, as `MessageTemplate.render` would make it."""
        filled = self._fill(person, rewrite_link)
        if filled is not None:
            return filled
        return self.template.render(person, rewrite_link=rewrite_link, footer=self.footer)

    def _value(self, template: MailTemplate, context: dict[str, Any], slot: Slot) -> str | None:
        value: Any = context
        for key in slot:
            if not isinstance(value, Mapping) or key not in value:
                if template.strict:
                    return None  # the full render says which name is missing
                value = template.missing(key)
                break
            value = value[key]
        try:
            return template.printed(value)
        except Exception:  # an odd value: the full render reports it as it would
            return None

    def _fill(self, person: Personal, rewrite_link: RewriteLink | None) -> Rendered | None:
        """The person's message from a prepared shape, or None where only the full render
        is sure to give the same result."""
        if self._slots is None:
            return None
        context = person.context()
        subject_template, body_template = self.template._subject, self.template._body
        texts: list[str] = []
        body_outputs: list[str] = []
        for slot in self._slots:
            body_output = self._value(body_template, context, slot)
            subject_output = self._value(subject_template, context, slot)
            if body_output is None or subject_output is None:
                return None
            text = html.unescape(body_output)
            if subject_output != text or (text and not _plain(text)):
                return None
            texts.append(text)
            body_outputs.append(body_output)
        urls = (person.unsubscribe_url, person.preferences_url, person.open_pixel_url)
        if not all(_PLAIN_URL.fullmatch(url) for url in urls if url):
            return None
        key = (rewrite_link is not None, *(bool(u) for u in urls), *(bool(t) for t in texts))
        variant = self._variant(key)
        if variant is None:
            return None
        for (static, counts), outputs, template in (
            (variant.body_size, body_outputs, body_template),
            (variant.subject_size, texts, subject_template),
        ):
            size = static + sum(count * len(o) for count, o in zip(counts, outputs, strict=True))
            if size > template.limits.output:
                return None  # the full render refuses it, naming the limit
        keep = {u for u in urls[:2] if u}
        rewritten: list[str] = []
        if variant.links:
            assert rewrite_link is not None
            if keep.intersection(variant.links):
                return None
            rewritten = [rewrite_link(url) for url in variant.links]
            if len(set(rewritten)) != len(rewritten) or not all(
                isinstance(r, str) and r.startswith(("http://", "https://")) for r in rewritten
            ):
                return None
        html_fills = {
            "v": [t.replace("&", "&amp;") for t in texts],
            "u": [u.replace("&", "&amp;") for u in urls],
            "l": [html.escape(r, quote=True) for r in rewritten],
        }
        text_fills = {"v": texts, "u": urls, "l": rewritten}
        return Rendered(
            _join(variant.subject, text_fills),
            _join(variant.html, html_fills),
            _join(variant.text, text_fills),
            self.footer is not None,
        )

    def _variant(self, key: tuple[bool, ...]) -> _Variant | None:
        if key not in self._variants:
            if len(self._variants) >= _MAX_VARIANTS:
                return None
            try:
                self._variants[key] = self._prepare(key)
            except (_NotOpaque, MailInputError):  # the full render says what is wrong
                self._variants[key] = None
        return self._variants[key]

    def _prepare(self, key: tuple[bool, ...]) -> _Variant:
        """Render once with placeholders for the values present in this shape."""
        assert self._slots is not None
        rewriting, has_unsubscribe, has_preferences, has_pixel, *present = key
        nonce = "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
        value_mark, url_mark, link_mark = f"egv{nonce}", f"egu{nonce}", f"egl{nonce}"

        def value(i: int) -> str:
            return f"{value_mark}{_letters(i)}z" if present[i] else ""

        def url(i: int, there: bool) -> str:
            return f"https://{url_mark}{_letters(i)}z.invalid" if there else ""

        subscriber: dict[str, Any] = {"fields": {}}
        context: dict[str, Any] = {"subscriber": subscriber}
        for i, slot in enumerate(self._slots):
            if slot[0] == "subscriber":
                (subscriber if len(slot) == 2 else subscriber["fields"])[slot[-1]] = value(i)
            else:
                context[slot[0]] = value(i)
        subscriber.setdefault("email", "")
        subscriber.setdefault("name", "")
        for name in ("list_name", "unsubscribe_url", "preferences_url"):
            context.setdefault(name, "")
        person = Personal(
            subscriber["email"], subscriber["name"], unsubscribe_url=url(0, has_unsubscribe),
            preferences_url=url(1, has_preferences), open_pixel_url=url(2, has_pixel),
        )  # fmt: skip
        template = self.template
        body = template._body.render(context)
        marks = [f"{value_mark}{_letters(i)}z" for i in range(len(self._slots))]
        raw_subject = template._subject.render(context)
        body_counts = tuple(body.count(m) for m in marks)
        body_static = len(body) - sum(c * len(m) for c, m in zip(body_counts, marks, strict=False))
        subject_counts = tuple(raw_subject.count(m) for m in marks)
        subject_static = len(raw_subject) - sum(
            c * len(m) for c, m in zip(subject_counts, marks, strict=False)
        )
        if template.format == "markdown":
            env: dict[str, Any] = {}
            body = _MARKDOWN.render(body, env)
            if env.get("references"):
                raise _NotOpaque  # [a value] could name a link reference
        document = _document(body)
        if self.footer is not None:
            document = _insert_before_body_end(document, _footer_html(self.footer, person))
        if value_mark in document and re.search(r"<style[^>]*>[^<]*\[", document, re.I):
            raise _NotOpaque  # an attribute selector could match a value
        try:
            document = _INLINER.inline(document)
        except ValueError:
            raise _NotOpaque from None  # the full render names the CSS error
        keep = frozenset(u for u in (person.unsubscribe_url, person.preferences_url) if u)
        links: dict[str, str] = {}

        def mark(address: str) -> str:
            if nonce in address:
                raise _NotOpaque  # a value inside a URL: rewritten per person
            return links.setdefault(address, f"https://{link_mark}{_letters(len(links))}z.x")

        subject = " ".join(raw_subject.split())
        if rewriting:
            document = _rewrite(document, mark, keep)
            text = html_to_text(document, _bare_urls(mark, keep))
        else:
            text = html_to_text(document)
        contexts = _Contexts(value_mark)
        contexts.feed(document)
        contexts.close()
        if person.open_pixel_url:
            pixel = (
                f'<img src="{person.open_pixel_url}" width="1" height="1" alt="" '
                'style="display:block;width:1px;height:1px;border:0">'
            )
            document = _insert_before_body_end(document, pixel)
        pattern = re.compile(
            rf"{value_mark}(?P<v>[a-j]+)z|https://{url_mark}(?P<u>[a-j]+)z\.invalid"
            rf"|https://{link_mark}(?P<l>[a-j]+)z\.x"
        )
        return _Variant(
            _split(subject, pattern),
            _split(document, pattern),
            _split(text, pattern),
            tuple(links),
            (body_static, body_counts),
            (subject_static, subject_counts),
        )

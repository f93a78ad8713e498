"""A message template (Markdown or HTML) turned into one person's HTML and text parts.

Order of work, per person: the sandboxed template fills in the person's values (escaped for
HTML; in Markdown also for Markdown's own marks, so a name like `*Bo*` stays text), Markdown
becomes HTML, the bulk footer (postal address, unsubscribe, preferences) is added, CSS is
inlined (`css-inline`, remote stylesheets never fetched), every http(s) link goes through
`rewrite_link` except the unsubscribe and preference links (leaving never depends on the
tracker), the open pixel goes before `</body>`, and the text part is made from that HTML.

Undefined names: a preview or test send is strict (an unknown name or a field the sample person
lacks is an error naming the variable and its line), a send is lenient (a field one subscriber
lacks renders blank, so one person's data never stops a broadcast). A broadcast is previewed
strictly before it is queued, so a typo is caught there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import css_inline
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.sandbox import Limits, MailTemplate, compile_template
from evergreen.mail.rules.text import html_to_text

__all__ = [
    "Footer",
    "MessageTemplate",
    "Personal",
    "Rendered",
    "TemplateFormat",
    "compile_message",
]

TemplateFormat = Literal["markdown", "html"]
RewriteLink = Callable[[str], str]

_STYLE = """
body { margin: 0; padding: 0; background: #ffffff; }
.eg-body { max-width: 600px; margin: 0 auto; padding: 16px;
  font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
  font-size: 16px; line-height: 1.5; color: #1f2933; }
a { color: #0b6e4f; }
h1, h2, h3 { line-height: 1.25; }
img { max-width: 100%; height: auto; }
blockquote { margin: 0; padding-left: 12px; border-left: 3px solid #d0d7de; color: #52606d; }
.eg-footer { margin-top: 32px; font-size: 12px; color: #7b8794; }
"""
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_at_rules=True)
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# Marks Markdown reads as structure, written as character references so a value stays text.
_MARKDOWN_MARKS = str.maketrans({c: f"&#{ord(c)};" for c in "\\`*_[]<>#!|~{}"})
_HREF = re.compile(r'(<(?:a|area)\b[^>]*?\shref=")([^"]*)(")', re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>()\"']+")
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_MAX_SOURCE = 500_000


@dataclass(frozen=True)
class Footer:
    """What every bulk message ends with: who sent it and where, and how to leave."""

    postal_address: str
    sender_name: str = ""


@dataclass(frozen=True)
class Personal:
    """One person's values for a template, and the links that are theirs."""

    email: str
    name: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    unsubscribe_url: str = ""
    preferences_url: str = ""
    list_name: str = ""
    open_pixel_url: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)  # more of theirs, e.g. `webinar`

    def context(self) -> dict[str, Any]:
        """The names a template may use."""
        return {
            **self.values,
            "subscriber": {"email": self.email, "name": self.name, "fields": dict(self.fields)},
            "unsubscribe_url": self.unsubscribe_url,
            "preferences_url": self.preferences_url,
            "list_name": self.list_name,
        }


def _own_links(values: Mapping[str, Any]) -> frozenset[str]:
    """A person's own links among their values (their webinar room): left as they are, not
    made into a tracked link each (one per person would be a link row per person)."""
    found = set()
    for value in values.values():
        for item in value.values() if isinstance(value, Mapping) else (value,):
            if isinstance(item, str) and item.startswith(("http://", "https://")):
                found.add(item)
    return frozenset(found)


@dataclass(frozen=True)
class Rendered:
    """One person's message: subject, HTML and text parts, and whether the footer is in it."""

    subject: str
    html: str
    text: str
    has_footer: bool


def _markdown_value(value: Any) -> Any:
    """Escape a value put into Markdown: HTML-escaped and Markdown's marks made literal."""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return value
    return Markup(str(escape(str(value))).translate(_MARKDOWN_MARKS))  # noqa: S704 (escaped)


def _footer_html(footer: Footer, person: Personal) -> str:
    links = []
    if person.unsubscribe_url:
        links.append(f'<a href="{escape(person.unsubscribe_url)}">Unsubscribe</a>')
    if person.preferences_url:
        links.append(f'<a href="{escape(person.preferences_url)}">Preferences</a>')
    who = f"{escape(footer.sender_name)}<br>" if footer.sender_name else ""
    address = "<br>".join(str(escape(line)) for line in footer.postal_address.splitlines())
    return (
        f'<div class="eg-footer"><p>{who}{address}</p>'
        + (f"<p>{' | '.join(links)}</p>" if links else "")
        + "</div>"
    )


def _document(body: str) -> str:
    """A whole HTML document with the default style, unless the template wrote its own."""
    if re.search(r"<html[\s>]", body, re.IGNORECASE):
        return body
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<style>{_STYLE}</style></head><body><div class="eg-body">{body}</div></body></html>'
    )


def _insert_before_body_end(document: str, fragment: str) -> str:
    matches = list(_BODY_END.finditer(document))
    if not matches:
        return document + fragment
    at = matches[-1].start()
    return document[:at] + fragment + document[at:]


def _rewrite(document: str, rewrite: RewriteLink, keep: frozenset[str]) -> str:
    def one(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        if not url.startswith(("http://", "https://")) or url in keep:
            return match.group(0)
        return match.group(1) + html.escape(rewrite(url), quote=True) + match.group(3)

    return _HREF.sub(one, document)


def _bare_urls(rewrite: RewriteLink, keep: frozenset[str]) -> Callable[[str], str]:
    """Rewrite addresses written as text (plain-text clients make them links)."""

    def one(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0) in keep else rewrite(match.group(0))

    return lambda text: _BARE_URL.sub(one, text)


@dataclass(frozen=True)
class MessageTemplate:
    """A subject and body compiled once, rendered per person."""

    format: TemplateFormat
    _subject: MailTemplate
    _body: MailTemplate

    @property
    def names(self) -> frozenset[str]:
        """Every name the subject and body read (a person's values are looked up only if read)."""
        return self._subject.names | self._body.names

    def render(
        self,
        person: Personal,
        *,
        rewrite_link: RewriteLink | None = None,
        footer: Footer | None = None,
    ) -> Rendered:
        """One person's subject, HTML and text; a footer is added when one is given."""
        context = person.context()
        subject = " ".join(self._subject.render(context).split())
        body = self._body.render(context)
        if self.format == "markdown":
            body = _MARKDOWN.render(body)
        document = _document(body)
        if footer is not None:
            document = _insert_before_body_end(document, _footer_html(footer, person))
        try:
            document = _INLINER.inline(document)
        except ValueError as exc:  # css-inline refuses CSS it cannot parse
            raise MailInputError("body", f"the message's CSS cannot be read: {exc}") from None
        keep = frozenset(u for u in (person.unsubscribe_url, person.preferences_url) if u)
        keep |= _own_links(person.values)
        if rewrite_link is not None:
            document = _rewrite(document, rewrite_link, keep)
            text = html_to_text(document, _bare_urls(rewrite_link, keep))
        else:
            text = html_to_text(document)
        if person.open_pixel_url:
            pixel = (
                f'<img src="{escape(person.open_pixel_url)}" width="1" height="1" alt="" '
                'style="display:block;width:1px;height:1px;border:0">'
            )
            document = _insert_before_body_end(document, pixel)
        return Rendered(subject, document, text, footer is not None)


def compile_message(
    subject: str,
    body: str,
    format: TemplateFormat = "markdown",
    *,
    strict: bool = True,
    limits: Limits | None = None,
) -> MessageTemplate:
    """Check and compile a message's subject and body; refused text is a MailInputError."""
    if format not in ("markdown", "html"):
        raise MailInputError("format", "must be markdown or html")
    if not subject.strip():
        raise MailInputError("subject", "is empty; write what the message is about")
    for name, text in (("subject", subject), ("body", body)):
        if len(text) > _MAX_SOURCE:
            raise MailInputError(name, f"is longer than {_MAX_SOURCE:,} characters")
        if "\x00" in text:
            raise MailInputError(name, "contains a NUL character")
    subject_template = compile_template(
        subject, field="subject", strict=strict, limits=limits, autoescape=False
    )
    body_template = compile_template(
        body,
        field="body",
        strict=strict,
        limits=limits,
        finalize=_markdown_value if format == "markdown" else None,
    )
    return MessageTemplate(format, subject_template, body_template)

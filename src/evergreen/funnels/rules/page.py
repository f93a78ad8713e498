"""A step's page content: the owner's Markdown made into safe HTML (raw HTML is shown as text,
links only to safe schemes), so a funnel page can never run the owner's or anyone's script."""

from __future__ import annotations

from markdown_it import MarkdownIt

from evergreen.funnels.errors import FunnelInputError

__all__ = ["MAX_CONTENT", "check_content", "markdown_html"]

MAX_CONTENT = 50_000
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def check_content(value: str) -> str:
    """Markdown of a reasonable size."""
    if len(value) > MAX_CONTENT:
        raise FunnelInputError("content", f"must be at most {MAX_CONTENT} characters")
    return value.replace("\r\n", "\n")


def markdown_html(text: str) -> str:
    """Markdown to HTML with raw HTML escaped (markdown-it also refuses javascript: links)."""
    html: str = _MARKDOWN.render(text)
    return html

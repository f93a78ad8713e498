"""The HTML a site owner pastes to embed a sign-up form: the same markup from the form's page,
the API and the command line."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from evergreen.audience.models import Form
from evergreen.audience.rules.forms import HONEYPOT

__all__ = ["form_snippet"]

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(default=True),
)


def form_snippet(form: Form, base: str) -> str:
    """A form that posts to the JSON endpoint (with a fresh token from it) and, without
    JavaScript, opens the hosted page; `base` is the site's address."""
    template = _TEMPLATES.get_template("forms_snippet.html")
    return template.render(form=form, base=base.rstrip("/"), honeypot=HONEYPOT)

"""A broadcast rendered once and filled in per person gives each person exactly the message
the full render gives them, whatever their name and fields; templates that do more with a
value than print it are rendered in full."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evergreen.mail.rules.prepared import PreparedMessage
from evergreen.mail.rules.render import Footer, Personal, compile_message

NEWSLETTER = """# Hello {{ subscriber.name }}

This week in {{ subscriber.fields.city }}: [three ideas](https://example.com/ideas) and
[a tool](https://example.com/tool?a=1&b=2), or read https://example.com/blog on the web.

*{{ subscriber.name }}*, your code is **{{ subscriber.fields.code }}**.

![{{ subscriber.name }}](https://example.com/photo.png "For {{ subscriber.name }}")

- one [again](https://example.com/ideas)
- two for {{ subscriber.email }}

> Quote {{ list_name }}
"""
HTML = """<html><head><style>p { color: #333 } .x { margin: 0 }</style></head><body>
<p class="x" title="{{ subscriber.name }}">Dear {{ subscriber.name }},</p>
<p><a href="https://example.com/a">read {{ subscriber.fields.city }}</a> &amp; more</p>
<table><tr><td>{{ subscriber.fields.code }}</td><td>x</td></tr></table></body></html>"""
FOOTER = Footer("1 Main St\nSpringfield", "News Ltd")

_WORDS = st.text(
    st.one_of(
        st.sampled_from(list("aZé1 *_-.,&'\"<>#[]()!|~`\\:/+=ß")),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=16,
)
_VALUES = st.one_of(
    _WORDS,
    st.sampled_from(["Ann", "Jean-Luc", "O'Brien", "Ærø", "1. Bob", "Bo & Co", "x  y", "10",
                     "https://evil.test", "a*b*c", "Zoë Smith", "李", "", " padded "]),
    st.none(),
    st.integers(),
)  # fmt: skip
_URLS = st.one_of(
    st.just(""),
    st.sampled_from(["https://example.com/u/abc", "https://example.com/u/a&b=c'd",
                     "http://example.com/p?x=1", "mailto:u@example.com", "https://x.test/ü"]),
)  # fmt: skip


def _person(draw_values: dict[str, Any], urls: tuple[str, str, str]) -> Personal:
    fields = {k: v for k, v in draw_values.items() if k in ("city", "code") and v is not ...}
    return Personal(
        f"{draw_values['local']}@example.org", str(draw_values["name"] or ""), fields,
        unsubscribe_url=urls[0], preferences_url=urls[1], open_pixel_url=urls[2],
        list_name=str(draw_values["list"] or ""),
    )  # fmt: skip


def _track(url: str) -> str:
    return "https://t.example.com/c?u=" + url.replace("&", "%26")


@pytest.mark.parametrize(
    ("subject", "body", "format"),
    [
        ("News for {{ subscriber.name }} in {{ subscriber.fields.city }}", NEWSLETTER, "markdown"),
        ("Hi {{ subscriber.name }}", HTML, "html"),
    ],
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.fixed_dictionaries(
        {
            "name": _VALUES,
            "city": st.one_of(_VALUES, st.just(...)),
            "code": _VALUES,
            "list": _VALUES,
            "local": st.sampled_from(["bob", "a.b+c", "o'neil"]),
        }
    ),
    urls=st.tuples(_URLS, _URLS, _URLS),
    rewrite=st.booleans(),
)
def test_filled_in_equals_the_full_render(
    subject: str, body: str, format: Any, values: dict[str, Any], urls: Any, rewrite: bool
) -> None:
    template = compile_message(subject, body, format, strict=False)
    prepared = _prepared(template)
    person = _person(values, urls)
    link = _track if rewrite else None
    expected = template.render(person, rewrite_link=link, footer=FOOTER)
    assert prepared.render(person, rewrite_link=link) == expected


_CACHE: dict[int, PreparedMessage] = {}


def _prepared(template: Any) -> PreparedMessage:
    """One prepared message per template, as a broadcast keeps it."""
    if id(template) not in _CACHE:
        _CACHE.clear()
        _CACHE[id(template)] = PreparedMessage(template, FOOTER)
    return _CACHE[id(template)]


def test_plain_people_are_filled_in_and_the_rest_rendered_in_full() -> None:
    template = compile_message("News for {{ subscriber.name }}", NEWSLETTER, strict=False)
    prepared = PreparedMessage(template, FOOTER)
    assert prepared.fast
    plain = Personal(
        "bob@example.org", "Bob", {"city": "Köln", "code": 42},
        unsubscribe_url="https://example.com/u/1", open_pixel_url="https://o.test/1",
    )  # fmt: skip
    nameless = Personal("ann@example.org", "", unsubscribe_url="https://example.com/u/2")
    odd = Personal("eve@example.org", "*Eve*", unsubscribe_url="https://example.com/u/3")
    for person in (plain, nameless, odd):
        expected = template.render(person, rewrite_link=_track, footer=FOOTER)
        assert prepared.render(person, rewrite_link=_track) == expected
    assert prepared._fill(plain, _track) is not None
    assert prepared._fill(nameless, _track) is not None  # a blank value has its own shape
    assert prepared._fill(odd, _track) is None  # starts with a Markdown mark: full render
    assert "Bob" in prepared.render(plain).html


@pytest.mark.parametrize(
    "body",
    [
        "{% if subscriber.name %}Hi {{ subscriber.name }}{% endif %}",
        "{{ subscriber.name | upper }}",
        "[me](https://example.com/{{ subscriber.name }})",
        "`{{ subscriber.name }}`",
        "Leave: {{ unsubscribe_url }}",
        "[{{ subscriber.name }}]\n\n[Bob]: https://example.com/bob",
        "<!-- {{ subscriber.name }} -->",
    ],
)
def test_templates_that_do_more_than_print_a_value_are_rendered_in_full(body: str) -> None:
    template = compile_message("Hi", body, "html" if "<!--" in body else "markdown", strict=False)
    prepared = PreparedMessage(template, FOOTER)
    person = Personal("bob@example.org", "Bob", unsubscribe_url="https://example.com/u/1")
    expected = template.render(person, rewrite_link=_track, footer=FOOTER)
    assert prepared.render(person, rewrite_link=_track) == expected
    assert prepared._fill(person, _track) is None


def test_a_strict_preview_still_names_the_missing_field() -> None:
    template = compile_message("Hi", "{{ subscriber.fields.cty }}", strict=True)
    with pytest.raises(Exception, match="cty"):
        PreparedMessage(template).render(Personal("bob@example.org", "Bob"))


def test_a_persons_webinar_values_are_printed_and_their_links_kept_as_they_are() -> None:
    template = compile_message(
        "{{ webinar.title }} at {{ webinar.starts }}",
        "[Join]({{ webinar.room_url }}) or [read](https://blog.example/post)",
        "markdown",
        strict=False,
    )
    assert "webinar" in template.names
    prepared = PreparedMessage(template, Footer("1 Main St"))
    room = "https://site.example/w/demo/room/7.signature"
    ann = Personal(
        "ann@example.com",
        values={"webinar": {"title": "Demo", "starts": "Monday 19:00", "room_url": room}},
    )

    def tracked(url: str) -> str:
        return f"https://go.example/{len(url)}"

    rendered = prepared.render(ann, rewrite_link=tracked)
    assert rendered == template.render(ann, rewrite_link=tracked, footer=Footer("1 Main St"))
    assert rendered.subject == "Demo at Monday 19:00"
    assert f'href="{room}"' in rendered.html  # their own link, not one tracked link each
    assert "https://go.example/" in rendered.html  # the shared link is tracked
    # Someone with no registration gets blanks, not an error or another person's link.
    bob = prepared.render(Personal("bob@example.com", values={"webinar": {}}), rewrite_link=tracked)
    assert bob.subject == "at"
    assert "room" not in bob.html

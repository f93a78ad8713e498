"""Templates render one person's message: values escaped, hostile code refused within bounds,
CSS inlined, links rewritten (not the unsubscribe link), the pixel last, a readable text part."""

from __future__ import annotations

import pytest

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.render import Footer, Personal, compile_message
from evergreen.mail.rules.text import html_to_text

BOB = Personal(
    "bob@example.com", "*Bob* <script>", {"city": "Berlin"},
    unsubscribe_url="https://ex.com/u/1", preferences_url="https://ex.com/p/1",
    list_name="Weekly", open_pixel_url="https://ex.com/o/1.gif",
)  # fmt: skip
BODY = """# Hello {{ subscriber.name }}

Thanks for joining **{{ list_name }}**. Read [the guide](https://example.com/guide?a=1&b=2)
or visit https://example.com/plain from {{ subscriber.fields.city }}.

<a href="{{ unsubscribe_url }}">leave</a>
"""


def _tracked(url: str) -> str:
    """The links area's rewrite, as a plain function: every link through the tracker."""
    return "https://t.example/r?to=" + url


def test_markdown_renders_with_values_escaped_and_css_inlined() -> None:
    rendered = compile_message("Hi {{ subscriber.name }}", BODY).render(BOB)
    assert rendered.subject == "Hi *Bob* <script>"
    assert "&lt;script&gt;" in rendered.html
    assert "<script>" not in rendered.html
    assert "<em>" not in rendered.html.split("<h1")[1].split("</h1>")[0]  # a name is text
    assert '<h1 style="' in rendered.html
    assert "<style>" not in rendered.html
    assert "<strong>Weekly</strong>" in rendered.html
    assert "Berlin" in rendered.text


def test_every_link_is_rewritten_except_leaving_and_the_pixel_goes_last() -> None:
    rendered = compile_message("Hi", BODY).render(
        BOB, rewrite_link=_tracked, footer=Footer("1 Main St\nSpringfield", "Ann")
    )
    assert 'href="https://t.example/r?to=https://example.com/guide?a=1&amp;b=2"' in rendered.html
    assert 'href="https://ex.com/u/1"' in rendered.html  # never through the tracker
    assert "the guide (https://t.example/r?to=https://example.com/guide?a=1&b=2)" in rendered.text
    assert "https://t.example/r?to=https://example.com/plain" in rendered.text
    assert "Unsubscribe (https://ex.com/u/1)" in rendered.text
    assert "1 Main St" in rendered.html
    assert "Springfield" in rendered.text
    body_end = rendered.html.rindex("</body>")
    assert rendered.html.rindex('<img src="https://ex.com/o/1.gif"') < body_end
    assert rendered.html.rindex("1 Main St") < rendered.html.rindex("https://ex.com/o/1.gif")
    assert rendered.has_footer


def test_html_templates_keep_their_own_document_and_style() -> None:
    source = (
        "<html><head><style>p { color: red }</style></head>"
        "<body><p>Hi {{ subscriber.email }}</p></body></html>"
    )
    rendered = compile_message("Hi", source, "html").render(BOB)
    assert '<p style="color: red;">Hi bob@example.com</p>' in rendered.html
    assert rendered.text == "Hi bob@example.com\n"


def test_strict_preview_names_the_variable_and_line_and_send_is_lenient() -> None:
    with pytest.raises(MailInputError) as refused:
        compile_message("Hi", "Hello\n\n{{ nmae }}").render(BOB)
    assert refused.value.field == "body"
    assert "line 3" in refused.value.message
    assert "nmae" in refused.value.message
    lenient = compile_message("Hi", "Hello {{ subscriber.fields.age }}!", strict=False)
    assert "Hello !" in lenient.render(BOB).text


HOSTILE = [
    ("{{ ''.__class__.__mro__ }}", "not allowed"),
    ("{{ cycler.__init__.__globals__ }}", "not allowed"),
    ("{{ '{:>100000000}'.format(1) }}", "not allowed"),
    ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}", "steps"),
    ("{{ range(10**9)|list }}", "larger than"),
    ("{{ 'x' * 100000000 }}", "items"),
    ("{{ 9 ** 999999 }}", "power"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "too deeply"),
    ("{{ 'x'|center(1000000000) }}", "larger than"),
    ("{{ '%1000000000d'|format(1) }}", "format widths"),
    (
        "{% set ns = namespace(s='x') %}{% for i in range(99) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}{{ ns.s }}",
        "characters",
    ),
    ("{% set s = 'x' * 1000000 %}{{ ([s] * 10000)|join }}", "characters"),
    ("{% set s = 'a' * 1000000 %}{{ s.replace('a', 'b' * 1000) }}", "characters"),
    ("{% include 'secrets.txt' %}", "loader"),
    ("{{ lipsum(100000) }}", "undefined"),
    ("{{ name }", "syntax"),
]


@pytest.mark.timeout(60)  # a bound on a hang, not a speed check (the reason proves the limit)
@pytest.mark.parametrize(("source", "reason"), HOSTILE)
def test_hostile_template_code_is_refused_by_its_limit(source: str, reason: str) -> None:
    """Each refusal names the limit that stopped it (steps, size, power, depth…), so a template
    stopped only by the render's deadline, or not at all, fails here."""
    with pytest.raises(MailInputError) as refused:
        compile_message("Hi", source).render(BOB)
    assert reason in refused.value.message
    assert "line 1" in refused.value.message
    assert "runs longer" not in refused.value.message


def test_a_template_may_still_loop_and_format() -> None:
    source = (
        "{% for i in range(3) %}{{ loop.index }}{% endfor %} {{ 'Hi %s'|format('Ann') }} "
        "{{ [1, 2]|join(',') }} {{ 'abc'|replace('b', 'x') }}"
    )
    assert "123 Hi Ann 1,2 axc" in compile_message("Hi", source).render(BOB).text


def test_subject_and_body_refuse_nul_and_an_empty_subject() -> None:
    with pytest.raises(MailInputError, match="subject"):
        compile_message("  ", "x")
    with pytest.raises(MailInputError, match="NUL"):
        compile_message("Hi", "a\x00b")


def test_text_part_keeps_structure_and_links() -> None:
    text = html_to_text(
        "<h1>Title</h1><p>One <a href='https://a.example/x'>link</a> and "
        "<a href='https://b.example/'>https://b.example/</a>.</p>"
        "<ul><li>first</li><li>second</li></ul><ol><li>a</li><li>b</li></ol>"
        "<style>p{}</style><p>x<br>y</p>"
    )
    assert text == (
        "Title\n\nOne link (https://a.example/x) and https://b.example/.\n\n"
        "- first\n- second\n\n1. a\n2. b\n\nx\ny\n"
    )

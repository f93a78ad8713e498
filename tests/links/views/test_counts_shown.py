"""The links' stats tables group thousands as their figures do (4,431, not 4431)."""

from __future__ import annotations

from types import SimpleNamespace

from evergreen.web.templates import build_templates


def test_a_breakdown_table_groups_thousands_as_the_figures_do() -> None:
    parts = build_templates().env.get_template("links/_parts.html").module
    row = SimpleNamespace(value="DE", clicks=4431, unique=1200, total=12345)
    stats = SimpleNamespace(breakdowns={"country": [row]})
    html = str(parts.breakdowns(stats, {"country": "Country"}))  # type: ignore[attr-defined]
    assert '<td class="num">4,431</td><td class="num">1,200</td><td class="num">12,345</td>' in html

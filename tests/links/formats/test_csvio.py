"""CSV import and export: our format round-trips, other tools' exports map, errors name lines."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evergreen.db import Database
from evergreen.links import service
from evergreen.links.drafts import LinkDraft, check_draft
from evergreen.links.formats.csvio import (
    CLICK_COLUMNS,
    LINK_COLUMNS,
    error_lines,
    export_clicks,
    export_links,
    read_links_csv,
)
from evergreen.links.models import Click, Link

DOC = Path(__file__).resolve().parents[3] / "docs" / "links-import.md"
HEADER = (
    "slug,destination,title,kind,channel,campaign,tags,utm_source,utm_medium,utm_campaign,"
    "utm_term,utm_content,redirect_status,forward_query,forward_tracking,append_click_id,"
    "click_id_param,set_cookie,expires_at,disabled,fallback_url"
)


def _link(draft: LinkDraft) -> Link:
    """An unsaved Link exactly as create_link would store the draft."""
    return Link(**check_draft(draft)[0])


def _export(links: list[Link]) -> str:
    out = io.StringIO()
    assert export_links(links, out) == len(links)
    return out.getvalue()


def _examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    return dict(re.findall(r"### (.+?)\n.*?```csv\n(.*?)```", text, re.S))


def test_export_writes_the_documented_header() -> None:
    assert _export([]).splitlines() == [HEADER]
    assert ",".join(LINK_COLUMNS) == HEADER


def test_an_export_reads_back_as_the_same_links() -> None:
    drafts = [
        LinkDraft(
            destination="https://shop.example/spring?ref=me",
            slug="spring-deal",
            title='Spring, "best" deal',
            kind="affiliate",
            channel="blog",
            campaign="spring",
            tags=["deals", "garden"],
            utm={"utm_source": "blog", "utm_content": "=sidebar"},
            forward_query=False,
            append_click_id=True,
            click_id_param="subid",
            set_cookie=True,
            redirect_status=307,
            expires_at=datetime(2027, 1, 31, 23, 59, tzinfo=UTC),
            disabled=True,
            fallback_url="https://shop.example/all",
        ),
        LinkDraft(destination="https://my.example/", slug="plain", title="-5% @home +more"),
    ]
    text = _export([_link(d) for d in drafts])
    assert "2027-01-31T23:59:00Z" in text
    assert "deals|garden" in text
    parsed = read_links_csv(text)
    assert (parsed.errors, parsed.notes) == ([], [])
    assert [line for line, _ in parsed.rows] == [2, 3]
    assert [check_draft(d)[0] for _, d in parsed.rows] == [check_draft(d)[0] for d in drafts]


def test_cells_a_spreadsheet_would_run_are_written_as_text() -> None:
    link = _link(LinkDraft(destination="https://s.example/", slug="x", title='=HYPERLINK("a")'))
    row = next(csv.DictReader(io.StringIO(_export([link]))))
    assert row["title"] == '\'=HYPERLINK("a")'
    assert row["slug"] == "x"


def test_pretty_links_export_maps_by_header_aliases() -> None:
    parsed = read_links_csv(_examples()["Pretty Links"])
    assert parsed.errors == []
    assert parsed.notes == ["Ignored columns Evergreen does not use: id, track_me, nofollow"]
    (line, yeti), (_, host) = parsed.rows
    assert line == 2
    assert (yeti.slug, yeti.title, yeti.redirect_status, yeti.forward_query) == (
        "yeti", "Blue Yeti on Amazon", 307, True
    )  # fmt: skip
    assert yeti.destination == "https://www.amazon.com/dp/B002VA464S?tag=me-20"
    assert yeti.tags == ["Microphones", "gear", "amazon"]
    assert (host.slug, host.redirect_status, host.forward_query, host.tags) == (
        "host", 301, False, ["Hosting"]
    )  # fmt: skip


def test_thirstyaffiliates_export_takes_the_slug_from_the_cloaked_url() -> None:
    parsed = read_links_csv(_examples()["ThirstyAffiliates"])
    assert parsed.errors == []
    assert parsed.notes == ["Ignored columns Evergreen does not use: No Follow, New Window"]
    (_, hose), (_, camera) = parsed.rows
    assert (hose.slug, hose.title, hose.tags, hose.redirect_status) == (
        "garden-hose", "Garden hose", ["Garden", "Tools"], 302
    )  # fmt: skip
    assert camera.slug == "camera"
    assert (camera.redirect_status, camera.forward_query) == (302, True)  # "global": default


def test_thirstyaffiliates_import_sheet_with_semicolons_and_a_bom() -> None:
    text = (
        "\ufeffLink Name;Destination URL;Slug;Categories;Autolinker Keywords\r\n"
        "Hose;https://garden.example/hose;hose;Garden,Tools;hose\r\n"
    )
    parsed = read_links_csv(text)
    assert parsed.errors == []
    ((line, draft),) = parsed.rows
    assert (line, draft.title, draft.slug, draft.tags) == (2, "Hose", "hose", ["Garden", "Tools"])


@pytest.mark.parametrize(
    ("value", "status"),
    [("301", 301), ("302", 302), ("307", 307), ("temporary", 302), ("Permanent", 301),
     ("307 (Temporary)", 307), ("", 302), ("global", 302), ("308", 308)],
)  # fmt: skip
def test_redirect_types_are_read_as_numbers(value: str, status: int) -> None:
    ((_, draft),) = read_links_csv(f"url,redirect type\nhttps://s.example/,{value}\n").rows
    assert draft.redirect_status == status


def test_bad_rows_are_errors_with_their_line_and_the_rest_still_read() -> None:
    text = (
        "Name,URL,Slug,Redirect,Pass Query Str,expires_at\n"
        "Fine,https://a.example/,a,302,yes,\n"
        '"Two\nline title",,b,302,yes,\n'  # a quoted line break: this row spans lines 3-4
        "\n"
        "Cloaked,https://c.example/,c,cloak,yes,\n"
        "Maybe,https://d.example/,d,302,maybe,\n"
        "Soon,https://e.example/,e,302,,next week\n"
        "Last,https://f.example/,f,,,\n"
    )
    parsed = read_links_csv(text)
    assert [(line, d.slug) for line, d in parsed.rows] == [(2, "a"), (9, "f")]
    assert [(line, field) for line, field, _ in parsed.errors] == [
        (3, "destination"), (6, "redirect_status"), (7, "forward_query"), (8, "expires_at")
    ]  # fmt: skip
    assert error_lines(parsed.errors)[1] == (
        "line 6: redirect_status: 'cloak' is not a redirect Evergreen makes; use 302 "
        "(temporary), 307 or 301 (permanent)"
    )


def test_a_file_without_a_destination_column_says_which_names_work() -> None:
    parsed = read_links_csv("slug,title\nabc,Title\n")
    assert parsed.rows == []
    assert parsed.errors == [
        (1, "destination", "no destination column; name one url, destination, target url or target")
    ]
    assert read_links_csv("").errors == [(1, "file", "is empty; line 1 must name the columns")]


def test_every_documented_example_imports_cleanly() -> None:
    examples = _examples()
    assert set(examples) == {"Evergreen", "Pretty Links", "ThirstyAffiliates"}
    assert examples["Evergreen"].splitlines()[0] == HEADER
    for text in examples.values():
        parsed = read_links_csv(text)
        assert parsed.errors == []
        assert len(parsed.rows) == 2
        for _, draft in parsed.rows:
            check_draft(draft)


def test_bulk_import_stores_good_rows_and_names_bad_ones(db: Database) -> None:
    text = (
        "url,slug,tags\n"
        "https://a.example/,alpha,x|y\n"
        "ftp://b.example/,beta,\n"
        ",gamma,\n"
        "https://d.example/,alpha,\n"
        "https://e.example/,,\n"
    )
    parsed = read_links_csv(text)
    with db.session() as session:
        result = service.bulk_create(session, parsed.rows)
        created = [(link.slug, link.tags) for link in result.created]
    assert created[0] == ("alpha", ["x", "y"])
    assert len(created) == 2  # alpha and a generated slug
    assert error_lines(parsed.errors + result.errors) == [
        "line 3: destination: must start with http:// or https://",
        "line 4: destination: is required: put the target URL in the url column",
        "line 5: slug: 'alpha' is already used by another link",
    ]
    with db.session() as session:
        out = io.StringIO()
        assert export_links(service.list_links(session)[0], out) == 2


def test_clicks_export_streams_raw_clicks_safely(db: Database) -> None:
    with db.session() as session:
        deal = service.create_link(session, LinkDraft("https://s.example/", slug="deal")).link
        other = service.create_link(session, LinkDraft("https://o.example/", slug="other")).link
        at = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
        session.add_all(
            [
                Click(
                    click_id="c1", link_id=deal.id, at=at, referrer="=cmd|' /C calc'!A0",
                    country="DE", device="mobile", os="iOS", browser="Mobile Safari",
                    sub={"sub1": "header", "utm_source": "@news"}, klass="human",
                    reason="counted", is_unique=True,
                ),
                Click(click_id="c2", link_id=deal.id, at=at, klass="bot", is_unique=False),
                Click(click_id="c3", link_id=other.id, at=at),
            ]
        )  # fmt: skip
        deal_id = deal.id
    with db.session() as session:
        everything, one = io.StringIO(), io.StringIO()
        assert export_clicks(session, None, everything) == 3
        assert export_clicks(session, deal_id, one) == 2
    rows = list(csv.DictReader(io.StringIO(one.getvalue())))
    assert tuple(rows[0]) == CLICK_COLUMNS
    first = rows[0]
    assert first["at"] == "2030-05-06T07:08:09Z"
    assert (first["slug"], first["click_id"], first["class"], first["unique"]) == (
        "deal", "c1", "human", "true"
    )  # fmt: skip
    assert first["referrer"] == "'=cmd|' /C calc'!A0"
    assert (first["sub1"], first["utm_source"], first["sub2"]) == ("header", "'@news", "")
    assert (rows[1]["class"], rows[1]["unique"]) == ("bot", "false")

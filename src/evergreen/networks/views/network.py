"""Dashboard page of one network: its postback URL, mappings, report upload, links and earnings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from evergreen.db import utcnow
from evergreen.digits import is_digits
from evergreen.ledger import service as ledger
from evergreen.money import show_money
from evergreen.networks import queries, service
from evergreen.networks.models import Network
from evergreen.networks.rules import (
    DEFAULT_POSTBACK_MAPPING,
    FIELDS,
    REPORT_FIELDS,
    EarningStatus,
    NetworkRuleError,
)
from evergreen.siteurl import site_url
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser, DbId, OwnerUser, SessionDep
from evergreen.web.forms import Confirmation, FormPageDep, ask_first
from evergreen.web.gate import MIB, body_limit
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/partners/earnings/networks", include_in_schema=False)
MAX_REPORT_BYTES = 20 * 1024 * 1024  # as the JSON API accepts
_SECRET_PLACEHOLDER = "YOUR_SECRET"  # noqa: S105 (shown in place of the real one)
_LABELS = {
    "click_id": "Click ID (sub-ID)", "order_id": "Order ID", "amount": "Sale amount",
    "commission": "Commission", "currency": "Currency", "status": "Status", "date": "Date",
}  # fmt: skip
_DONE = {
    "postback": "Postback mapping saved: the next postback is read with it.",
    "report": "Report columns saved: the next import reads them.",
    "link": "Link attached: its sales now count for this network.",
    "stream": "Stream saved: its next earnings count there (entries already posted stay).",
}


async def _text_fields(request: Request) -> dict[str, str]:
    """A posted form's text fields by name; the mapping forms name them after the rules' fields."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


TextFields = Annotated[dict[str, str], Depends(_text_fields)]


def _network(session: SessionDep, network_id: DbId) -> Network:
    return service.get_network(session, network_id)


NetworkDep = Annotated[Network, Depends(_network)]


def _mapping(form: Mapping[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The boxes that name a parameter or column; a blank box means the field is not sent."""
    return {field: form[field] for field in fields if form.get(field, "").strip()}


def _status_words(form: Mapping[str, str]) -> dict[str, str]:
    """The status boxes (the network's words for each status, comma-separated) as {word: status}."""
    values: dict[str, str] = {}
    for status in EarningStatus:
        for word in form.get(f"words_{status.value}", "").split(","):
            clean = word.strip().lower()
            if not clean:
                continue
            if len(clean) > 50:
                raise NetworkRuleError("status_values", f"{clean[:20]!r}… is over 50 characters")
            if values.get(clean, status.value) != status.value:
                raise NetworkRuleError(
                    "status_values",
                    f"{clean!r} is listed under both {values[clean]} and {status.value}; "
                    "keep it under one",
                )
            values[clean] = status.value
    if not values:
        raise NetworkRuleError(
            "status_values", "list at least one word the network sends, e.g. approved"
        )
    return values


def _word_boxes(status_values: Mapping[str, str]) -> dict[str, str]:
    """The saved {word: status} as the form's boxes, one per status."""
    words: dict[str, list[str]] = {status.value: [] for status in EarningStatus}
    for word, status in sorted(status_values.items()):
        words.setdefault(status, []).append(word)
    return {f"words_{status}": ", ".join(found) for status, found in words.items()}


def _postback_url(request: Request, network: Network, secret: str) -> str:
    base = site_url(request)
    return f"{base}/api/v1/networks/{network.id}/postback?secret={quote(secret, safe='')}"


def _example(request: Request, network: Network) -> str:
    """The postback URL with a placeholder macro in each mapped parameter."""
    mapping = network.postback_mapping or DEFAULT_POSTBACK_MAPPING
    macros = "".join(
        f"&{quote(mapping[field], safe='')}={{{field}}}" for field in FIELDS if field in mapping
    )
    return _postback_url(request, network, _SECRET_PLACEHOLDER) + macros


def _page(
    request: Request,
    session: Session,
    network: Network,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The network page; `extra` carries a form's posted values, its error or an import result."""
    streams = [(stream.id, stream.name) for stream in ledger.all_streams(session)]
    context: dict[str, Any] = {
        "title": network.name,
        "network": network,
        "postback_url": _postback_url(request, network, _SECRET_PLACEHOLDER),
        "example": _example(request, network),
        "fields": FIELDS,
        "report_fields": REPORT_FIELDS,
        "labels": _LABELS,
        "statuses": [status.value for status in EarningStatus],
        "postback_form": {**network.postback_mapping, **_word_boxes(network.status_values)},
        "report_form": dict(network.report_mapping),
        "links": queries.network_links(session, network),
        "earnings": queries.network_earnings(session, network),
        "errors": {},
        "max_mb": MAX_REPORT_BYTES // (1024 * 1024),
        "money": show_money,
        "streams": streams,
        "stream_name": dict(streams).get(network.stream_id or 0, ""),
        "unposted": ledger.unposted(session, "networks", network.id),
        **extra,
    }
    return render(request, "networks/network.html", context, status_code=status_code)


@router.get("/{network_id:int}")
def network_page(
    request: Request, user: DashboardUser, network: NetworkDep, session: SessionDep, done: str = ""
) -> Response:
    """One network: how it reports to us, the links that earn for it, and what it reported."""
    return _page(request, session, network, done=_DONE.get(done, ""))


@router.post("/{network_id:int}/postback-mapping")
def save_postback_mapping(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    network: NetworkDep,
    session: SessionDep,
    form: TextFields,
    page: FormPageDep,
) -> Response:
    """Owner only: which query parameter carries each field, and what status words mean."""
    page.on_error(
        lambda error: _page(
            request,
            session,
            network,
            status_code=400,
            postback_form=form,
            errors={"postback": error},
        )
    )
    service.save_postback_mapping(session, network, _mapping(form, FIELDS), _status_words(form))
    return RedirectResponse(f"{router.prefix}/{network.id}?done=postback", status_code=303)


@router.post("/{network_id:int}/report-mapping")
def save_report_mapping(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    network: NetworkDep,
    session: SessionDep,
    form: TextFields,
    page: FormPageDep,
) -> Response:
    """Owner only: the column names of this network's CSV reports."""
    page.on_error(
        lambda error: _page(
            request, session, network, status_code=400, report_form=form, errors={"report": error}
        )
    )
    service.save_report_mapping(session, network, _mapping(form, REPORT_FIELDS))
    return RedirectResponse(f"{router.prefix}/{network.id}?done=report", status_code=303)


def _report_text(file: UploadFile | None) -> str:
    """The uploaded report as text; NetworkRuleError says what is wrong with the file."""
    if file is None or not file.filename:
        raise NetworkRuleError("file", "choose the network's CSV report, then press Import")
    data = file.file.read(MAX_REPORT_BYTES + 1)
    if len(data) > MAX_REPORT_BYTES:
        raise NetworkRuleError(
            "file", f"is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MB; split it"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NetworkRuleError(
            "file", "is not UTF-8 text; save it as “CSV UTF-8” and upload it again"
        ) from None


@router.post("/{network_id:int}/reports", dependencies=[body_limit(MAX_REPORT_BYTES + MIB)])
def import_report(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    network: NetworkDep,
    session: SessionDep,
    page: FormPageDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Owner only: import a CSV report with the saved columns; importing it twice is safe."""
    page.on_error(
        lambda error: _page(request, session, network, status_code=400, errors={"upload": error})
    )
    result = service.import_report(session, network, _report_text(file), utcnow())
    stored = result.created + result.updated + result.unchanged
    return _page(
        request, session, network, status_code=200 if stored else 400,
        result=result, filename=file.filename if file else "",
    )  # fmt: skip


@router.post("/{network_id:int}/links")
def attach_link(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    network: NetworkDep,
    session: SessionDep,
    page: FormPageDep,
    slug: Annotated[str, Form()] = "",
) -> Response:
    """Owner only: make an outbound affiliate link earn for this network."""
    page.on_error(
        lambda error: _page(
            request, session, network, status_code=400, slug=slug, errors={"link": error}
        )
    )
    service.assign_link(session, network, slug)
    return RedirectResponse(f"{router.prefix}/{network.id}?done=link", status_code=303)


def _stream_id(text: str) -> int | None:
    clean = text.strip()
    if not clean:
        return None
    if not is_digits(clean):
        raise NetworkRuleError("stream_id", "choose a stream from the list")
    return int(clean)


@router.post("/{network_id:int}/stream")
def save_stream(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    network: NetworkDep,
    session: SessionDep,
    page: FormPageDep,
    stream_id: Annotated[str, Form()] = "",
) -> Response:
    """Owner only: the income stream this network's earnings count in."""
    page.on_error(
        lambda error: _page(request, session, network, status_code=400, errors={"stream": error})
    )
    service.set_stream(session, network, _stream_id(stream_id))
    return RedirectResponse(f"{router.prefix}/{network.id}?done=stream", status_code=303)


@router.post("/{network_id:int}/secret")
def new_secret(
    request: Request,
    user: OwnerUser,
    _csrf: CsrfProtected,
    network: NetworkDep,
    session: SessionDep,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Owner only, once confirmed: replace a lost postback secret and show the new URL, once."""
    step = Confirmation(
        title=f"Make a new postback secret for {network.name}?",
        consequence=f"The postback URL {network.name} uses now stops working at once: their "
        "postbacks are refused until you give them the new URL. The old secret cannot be "
        "brought back.",
        button="Make a new secret",
        cancel=f"{router.prefix}/{network.id}",
    )
    if (asked := ask_first(request, confirm, step)) is not None:
        return asked
    secret = service.new_postback_secret(session, network)
    return _page(request, session, network, secret_url=_postback_url(request, network, secret))

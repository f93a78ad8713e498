"""Catalog imports: a Shopify product export or a supplier's price list is uploaded, previewed
(what it would create, update and withhold, with a priced sample), then run in batches whose
progress the page polls. Each batch is one transaction that also advances the import's count,
so an interrupted run resumes where it stopped; matching by SKU and handle makes a rerun
update, never duplicate. A product with any bad row is withheld whole, its errors kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.commerce.errors import CommerceInputError
from evergreen.commerce.models import CatalogImport
from evergreen.commerce.rules.catalog import CatalogError
from evergreen.commerce.rules.pricing import ANY_ZONE
from evergreen.commerce.rules.products import check_currency_code, check_text
from evergreen.commerce.service.guard import floors
from evergreen.commerce.service.imports.files import (
    MAX_IMPORT_BYTES,
    Entry,
    entries,
    remove_upload,
    store_upload,
)
from evergreen.commerce.service.imports.plan import (
    Context,
    Known,
    Plan,
    check_status,
    plan_shopify,
    plan_supplier,
)
from evergreen.commerce.service.imports.write import write_plans
from evergreen.commerce.service.pricing_rules import get_rule, price_rule_of
from evergreen.errors import Conflict, NotFound

__all__ = [
    "BATCH",
    "IMPORT_KINDS",
    "MAX_IMPORT_BYTES",
    "ImportOptions",
    "ImportPreview",
    "discard_import",
    "get_import",
    "import_status",
    "list_imports",
    "preview_import",
    "run_all",
    "run_batch",
    "start_import",
]

IMPORT_KINDS = ("shopify", "supplier")
BATCH = 500
_MAX_ERRORS = 500
_MAX_PAUSED = 500
_SAMPLE = 20


@dataclass(frozen=True)
class ImportOptions:
    """The owner's choices for an import: currency, price rule, new products' status."""

    currency: str = "USD"
    rule_id: int | None = None
    status: str = "draft"
    reprice: bool = True


@dataclass
class ImportPreview:
    """What running an import would do: counts, refused rows and a priced sample."""

    total: int = 0
    new: int = 0
    updated: int = 0
    withheld: int = 0
    would_pause: int = 0
    errors: list[CatalogError] = field(default_factory=list)
    sample: list[Plan] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """As JSON: amounts as decimal strings."""
        return {
            "total": self.total,
            "new": self.new,
            "updated": self.updated,
            "withheld": self.withheld,
            "errors": [_error(e) for e in self.errors],
            "sample": [_plan_dict(plan) for plan in self.sample],
        }


def _money(cents: int | None) -> str | None:
    return None if cents is None else f"{cents // 100}.{cents % 100:02d}"


def _error(error: CatalogError) -> dict[str, Any]:
    return {"line": error.line, "field": error.field, "message": error.message}


def _plan_dict(plan: Plan) -> dict[str, Any]:
    margin = percent = None
    if plan.landed_cents is not None and plan.price_cents:
        margin = plan.price_cents - plan.landed_cents
        percent = f"{margin * 100 / plan.price_cents:.2f}"
    return {
        "line": plan.line,
        "sku": plan.sku,
        "action": "update" if plan.product_id is not None else "new",
        "name": plan.name,
        "landed": _money(plan.landed_cents),
        "price": _money(plan.price_cents),
        "compare_at": _money(plan.compare_at_cents),
        "margin": _money(margin) if margin is None or margin >= 0 else f"-{_money(-margin)}",
        "margin_percent": percent,
    }


def _context(session: Session, row: CatalogImport) -> Context:
    options = row.options
    rule = zone = None
    if options.get("rule_id"):
        stored = get_rule(session, int(options["rule_id"]))
        rule, zone = price_rule_of(stored), stored.zone
    return Context(
        options["currency"], rule, zone or ANY_ZONE, options["status"],
        bool(options.get("reprice", True)), floors(session),
    )  # fmt: skip


def _plans(entry: Entry, known: Known, ctx: Context) -> list[Plan] | CatalogError:
    if isinstance(entry, CatalogError):
        return entry
    if isinstance(entry, list):
        return plan_shopify(entry, known, ctx)
    planned = plan_supplier(entry, known, ctx)
    return planned if isinstance(planned, CatalogError) else [planned]


def _check_options(session: Session, kind: str, options: ImportOptions) -> dict[str, Any]:
    if kind not in IMPORT_KINDS:
        raise CommerceInputError("kind", f"{kind!r} is not shopify or supplier")
    currency = check_currency_code("currency", options.currency)
    if options.rule_id is not None:
        rule = get_rule(session, options.rule_id)
        if rule.currency != currency:
            raise CommerceInputError(
                "rule", f"the rule {rule.name!r} prices in {rule.currency}, not {currency}"
            )
    return {
        "currency": currency,
        "rule_id": options.rule_id,
        "status": check_status(options.status),
        "reprice": options.reprice,
    }


def _scan(session: Session, data_dir: Path, row: CatalogImport) -> ImportPreview:
    """Plan every entry of the file against the catalog, storing nothing."""
    shown = ImportPreview()
    ctx, known = _context(session, row), Known.load(session)
    with entries(data_dir, row.path, row.kind, row.options["currency"]) as items:
        for entry in items:
            shown.total += 1
            planned = _plans(entry, known, ctx)
            if isinstance(planned, CatalogError):
                shown.withheld += 1
                if len(shown.errors) < _MAX_ERRORS:
                    shown.errors.append(planned)
                continue
            for plan in planned:
                shown.new += plan.product_id is None
                shown.updated += plan.product_id is not None
                if len(shown.sample) < _SAMPLE:
                    shown.sample.append(plan)
    return shown


def start_import(
    session: Session,
    data_dir: Path,
    kind: str,
    source: IO[bytes],
    file_name: str,
    options: ImportOptions,
) -> tuple[CatalogImport, ImportPreview]:
    """Keep the upload and preview it; nothing in the catalog changes until it is run."""
    checked = _check_options(session, kind, options)
    name = check_text("file_name", file_name, 200) or "upload.csv"
    relative = store_upload(data_dir, source)
    row = CatalogImport(kind=kind, file_name=name, path=relative, status="previewed",
                        total=0, done=0, created=0, updated=0, withheld=0, paused=0,
                        errors=[], paused_items=[], options=checked)  # fmt: skip
    try:
        shown = _scan(session, data_dir, row)
    except BaseException:
        remove_upload(data_dir, relative)
        raise
    row.total = shown.total
    session.add(row)
    session.flush()
    return row, shown


def get_import(session: Session, import_id: int, *, lock: bool = False) -> CatalogImport:
    """The import with this id; `lock`: locked until this unit of work ends and read fresh
    (a batch of it may have run meanwhile)."""
    row = (
        session.get(CatalogImport, import_id, with_for_update=True, populate_existing=True)
        if lock
        else session.get(CatalogImport, import_id)
    )
    if row is None:
        raise NotFound("import_id", f"no import {import_id}")
    return row


def discard_import(session: Session, data_dir: Path, import_id: int) -> None:
    """Forget an import previewed and never run, with its upload: nobody agreed to it. Locked
    first, so a batch running at the same time either sees it gone or keeps it."""
    row = get_import(session, import_id, lock=True)
    if row.status != "previewed" or row.done:
        raise Conflict("import_id", f"import {import_id} has run; it stays")
    session.delete(row)
    session.flush()
    remove_upload(data_dir, row.path)


def list_imports(session: Session, limit: int = 20) -> list[CatalogImport]:
    """The latest imports first."""
    query = select(CatalogImport).order_by(CatalogImport.id.desc()).limit(limit)
    return list(session.scalars(query))


def preview_import(session: Session, data_dir: Path, import_id: int) -> ImportPreview:
    """The preview of a kept upload, planned against the catalog as it is now."""
    return _scan(session, data_dir, get_import(session, import_id))


def run_batch(
    session: Session, data_dir: Path, import_id: int, batch: int = BATCH
) -> CatalogImport:
    """Store the next `batch` entries and advance the count, in the caller's transaction."""
    row = get_import(session, import_id, lock=True)
    if row.status == "done":
        return row
    ctx, known = _context(session, row), Known.load(session)
    try:
        with entries(data_dir, row.path, row.kind, row.options["currency"]) as items:
            chosen = list(islice(items, row.done, row.done + max(1, batch)))
    except CommerceInputError as error:  # the upload vanished or changed under the run
        row.status = "failed"
        row.errors = [*row.errors, {"line": 0, "field": error.field, "message": error.message}]
        session.flush()
        return row
    plans: list[Plan] = []
    errors = list(row.errors)
    for entry in chosen:
        planned = _plans(entry, known, ctx)
        if isinstance(planned, CatalogError):
            row.withheld += 1
            if len(errors) < _MAX_ERRORS:
                errors.append(_error(planned))
        else:
            plans.extend(planned)
    written = write_plans(session, plans, ctx)
    row.created += written.created
    row.updated += written.updated
    row.paused += len(written.paused)
    row.errors = errors
    row.paused_items = [*row.paused_items, *written.paused][:_MAX_PAUSED]
    row.done += len(chosen)
    row.status = "done" if row.done >= row.total or not chosen else "running"
    session.flush()
    if row.status == "done":
        remove_upload(data_dir, row.path)
    return row


def run_all(
    open_session: Callable[[Callable[[Session], CatalogImport]], CatalogImport],
    data_dir: Path,
    import_id: int,
    batch: int = BATCH,
    progress: Callable[[CatalogImport], None] | None = None,
) -> CatalogImport:
    """Run every batch, each in its own transaction (the command line's loop)."""
    while True:
        row = open_session(lambda session: run_batch(session, data_dir, import_id, batch))
        if progress is not None:
            progress(row)
        if row.status in ("done", "failed"):
            return row


def import_status(row: CatalogImport) -> dict[str, Any]:
    """What the progress bar and the API show."""
    percent = 100 if row.status == "done" or not row.total else row.done * 100 // row.total
    return {
        "id": row.id,
        "kind": row.kind,
        "file_name": row.file_name,
        "status": row.status,
        "total": row.total,
        "done": row.done,
        "percent": percent,
        "created": row.created,
        "updated": row.updated,
        "withheld": row.withheld,
        "paused": row.paused,
        "errors": row.errors[:100],
        "paused_products": row.paused_items[:100],
        "options": row.options,
    }

"""A small drop-ship and service shop for the fulfilment tests: a mug shipped by a supplier
(zones DE, EU, US; no "*"), a done-for-you logo service with intake questions, and helpers to
buy them and to receive what suppliers are sent (a local HTTP server, signatures checked)."""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from evergreen.commerce import service
from evergreen.commerce.rules.shipping import Address, check_address
from evergreen.commerce.service import engagements, suppliers
from evergreen.signatures import verify

__all__ = ["Receiver", "Shop", "address", "buy_mug", "buy_service", "make_shop", "receiver"]


@dataclass(frozen=True)
class Shop:
    """Ids and the supplier's secret."""

    mug: int
    logo: int
    supplier: int
    secret: str


def make_shop(session: Session, method: str = "webhook", url: str = "http://127.0.0.1:9/x") -> Shop:
    """The mug (12.00 EUR; shipping DE 4.50, EU 7.00, US 15.00 per mug) from MugCo, and the
    logo service (300.00 EUR, due in 7 days, two questions, two tasks)."""
    mug = service.add_product(session, service.ProductDraft("Mug", "physical"))
    logo = service.add_product(session, service.ProductDraft("Logo design", "service"))
    service.add_price(session, mug.id, service.PriceDraft("EUR", "12.00"))
    service.add_price(session, logo.id, service.PriceDraft("EUR", "300.00"))
    service.set_supplier(
        session, mug.id,
        service.SupplierDraft("MugCo", "MUG-01", "EUR", "3.00",
                              {"DE": "4.50", "EU": "7.00", "US": "15.00"}, 2),
    )  # fmt: skip
    for row in (mug, logo):
        service.set_status(session, row.id, "active")
    supplier, secret = suppliers.add_supplier(
        session,
        "MugCo",
        "mugs@example.com" if method == "email" else "",
        method,
        url if method == "webhook" else "",
        "EUR",
    )
    suppliers.set_product_supplier(session, mug.id, supplier.id)
    engagements.set_service(
        session, logo.id, "Your company name?\nColours you like?", "Sketch\nFinal files", 7
    )
    return Shop(mug.id, logo.id, supplier.id, secret)


def address(country: str = "DE") -> Address:
    """Bea's address in a country."""
    return check_address("Bea Buyer", "Hauptstr. 1", "Berlin", country, "", "10115", "")


def buy_mug(**changes: Any) -> service.CheckoutInput:
    """A checkout of the mug to Berlin."""
    values: dict[str, Any] = {
        "slug": "mug", "currency": "EUR", "email": "bea@example.com", "name": "Bea",
        "nonce": uuid.uuid4().hex, "address": address(),
    }  # fmt: skip
    values.update(changes)
    return service.CheckoutInput(**values)


def buy_service(**changes: Any) -> service.CheckoutInput:
    """A checkout of the logo service."""
    values: dict[str, Any] = {"slug": "logo-design", "currency": "EUR",
                              "email": "bea@example.com", "name": "Bea",
                              "nonce": uuid.uuid4().hex}  # fmt: skip
    values.update(changes)
    return service.CheckoutInput(**values)


@dataclass
class Receiver:
    """What the local supplier server got: bodies whose signature checked out, and answers."""

    secret: str
    answers: list[int]
    bodies: list[bytes] = field(default_factory=list)
    bad_signatures: int = 0
    url: str = ""


@contextmanager
def receiver(secret: str, answers: list[int]) -> Iterator[Receiver]:
    """A local HTTP server answering each POST with the next status in `answers` (then 200)."""
    got = Receiver(secret, list(answers))
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            header = self.headers.get("Evergreen-Signature", "")
            with lock:
                if verify(got.secret, header, body, datetime.now(UTC)):
                    got.bodies.append(body)
                else:
                    got.bad_signatures += 1
                status = got.answers.pop(0) if got.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    got.url = f"http://127.0.0.1:{server.server_address[1]}/orders"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

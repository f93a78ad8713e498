"""localstripe, a stateful fake Stripe server, started once per test session on a free port.

localstripe ignores the Idempotency-Key header that real Stripe honours, so the launcher adds
Stripe's documented behaviour in front of it: a POST repeating a key gets the first response
back, unchanged. It also keeps localstripe's state in memory (it would otherwise pickle it to a
shared /tmp file that other test runs on the machine read), and it learns `setup_future_usage`
on PaymentIntents: accepted, echoed, and the paying method attached to the customer on success,
as Stripe does, so a one-click upsell or a renewal can charge it off-session; likewise a
SetupIntent with a customer attaches its card to the customer once it succeeds (Stripe's
documented behaviour; localstripe leaves the card unattached). localstripe's balance
transactions carry no fee; the launcher gives card charges Stripe's standard card pricing as test
pricing (2.9 % + 30 cents, rounded half up, on the charge's balance transaction), so payment
fees are real, non-zero amounts in the tests.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.conftest import IN_CI

__all__ = ["STRIPE_TEST_KEY", "localstripe"]

STRIPE_TEST_KEY = "sk_test_evergreen"  # localstripe accepts any sk_test_ key

_LAUNCHER = """
import socket, sys
from aiohttp import web
from localstripe import resources, server

resources.Store.dump_to_disk = lambda self: None
seen = {}

@web.middleware
async def idempotency(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    slot = (request.headers.get("Authorization", ""), request.path, key)
    if slot in seen:
        status, body = seen[slot]
        return web.Response(status=status, body=body, content_type="application/json",
                            headers={"Idempotent-Replayed": "true"})
    response = await handler(request)
    if response.status < 500:
        seen[slot] = (response.status, response.body)
    return response

server.app.middlewares.insert(0, idempotency)

_init = resources.PaymentIntent.__init__
_succeeded = resources.PaymentIntent._on_success

def _init_saving(self, *args, setup_future_usage=None, **kwargs):
    if setup_future_usage not in (None, "off_session", "on_session"):
        raise resources.UserError(400, "Bad request")
    if setup_future_usage and not kwargs.get("customer"):
        raise resources.UserError(400, "setup_future_usage needs a customer")
    _init(self, *args, **kwargs)
    self.setup_future_usage = setup_future_usage

def _on_success_saving(self):
    if self.setup_future_usage and self.customer and self.payment_method:
        method = resources.PaymentMethod._api_retrieve(self.payment_method)
        if getattr(method, "customer", None) is None:
            resources.PaymentMethod._api_attach(self.payment_method, customer=self.customer)
    _succeeded(self)

resources.PaymentIntent.__init__ = _init_saving
resources.PaymentIntent._on_success = _on_success_saving
_setup_attach = resources.SetupIntent._attach_pm

def _setup_attach_saving(self, pm):
    _setup_attach(self, pm)
    if self.status == "succeeded" and self.customer and getattr(pm, "customer", None) is None:
        resources.PaymentMethod._api_attach(pm.id, customer=self.customer)

resources.SetupIntent._attach_pm = _setup_attach_saving
_txn_init = resources.BalanceTransaction.__init__

def _txn_init_priced(self, *args, **kwargs):
    # Stripe's standard card pricing as test pricing: 2.9 % + 30 cents, rounded half up.
    _txn_init(self, *args, **kwargs)
    if self.type == "charge" and self.source.startswith("ch_"):
        charge = resources.Charge._api_retrieve(self.source)
        method = resources.PaymentMethod._api_retrieve(charge.payment_method)
        if getattr(method, "type", None) == "card":
            self.fee = (self.amount * 29 + 500) // 1000 + 30
            self.fee_details = [{"amount": self.fee, "currency": self.currency,
                                 "description": "Stripe processing fees", "type": "stripe_fee"}]

resources.BalanceTransaction.__init__ = _txn_init_priced
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
web.run_app(server.app, sock=sock, print=None, access_log=None)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    request = urllib.request.Request(
        f"{url}/v1/customers", headers={"Authorization": f"Bearer {STRIPE_TEST_KEY}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """The base URL of a running localstripe (EVERGREEN_STRIPE_API_BASE for the provider)."""
    if importlib.util.find_spec("localstripe") is None:
        if IN_CI:
            pytest.fail("localstripe must be installed under CI: the Stripe tests may not skip")
        pytest.skip("localstripe is not installed (pip install -e '.[dev]')")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finally)
    process = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not _answers(url):
            if process.poll() is not None:
                log.seek(0)
                error = log.read().decode(errors="replace")
                pytest.fail(f"localstripe exited at start: {error[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("localstripe did not answer within 20 s")
            time.sleep(0.1)
        yield url
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        log.close()

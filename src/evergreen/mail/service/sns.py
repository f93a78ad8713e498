"""Amazon SNS over the network: signing certificates (cached by URL) and subscription
confirmations, fetched over verified https from sns.<region>.amazonaws.com only, through the
server's checked client (evergreen.outbound: the host's every address public, the connection
made to the address checked).

Routes take the fetcher from `app.state.mail_sns` (tests put a fake there, with no network).
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from typing import Protocol
from urllib.parse import urlsplit

from evergreen.addresses import Addresses
from evergreen.mail.errors import MailInputError
from evergreen.outbound import Refused, opener

__all__ = ["SnsFetcher", "SnsNetwork"]

_HOST = re.compile(r"sns\.[a-z0-9-]{1,30}\.amazonaws\.com")
_MAX_BYTES = 64 * 1024


class SnsNetwork(Protocol):
    """What the SES route needs from the network: a certificate, and a confirmation sent."""

    def certificate(self, url: str) -> bytes:
        """The PEM certificate at this SigningCertURL."""
        ...

    def confirm(self, url: str) -> None:
        """Visit this SubscribeURL, which confirms the topic's subscription."""
        ...


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could lead off Amazon's host: refuse it rather than follow it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _checked(url: str, field: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not _HOST.fullmatch(parts.hostname or "") or parts.port:
        raise MailInputError(field, "must be an https URL on sns.<region>.amazonaws.com")
    return url


class SnsFetcher:
    """The real network: certificate-verified TLS to a checked public address, no redirects,
    small answers, a short wait."""

    def __init__(self, timeout_s: float = 5.0, cached: int = 32) -> None:
        self._timeout = timeout_s
        self._cached = cached
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        # Amazon's hosts are public: no setting may allow another address.
        self._opener = opener(Addresses(""), "SNS fetches", None, _NoRedirects())

    def _get(self, url: str, field: str) -> bytes:
        try:
            with self._opener.open(_checked(url, field), timeout=self._timeout) as answer:
                body: bytes = answer.read(_MAX_BYTES + 1)
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, Refused):
                raise MailInputError(field, f"was not fetched: {exc.reason}"[:300]) from None
            raise MailInputError(field, f"could not be fetched: {exc}"[:300]) from None
        except (OSError, ValueError) as exc:
            raise MailInputError(field, f"could not be fetched: {exc}"[:300]) from None
        if len(body) > _MAX_BYTES:
            raise MailInputError(field, "answered with more than 64 KB")
        return body

    def certificate(self, url: str) -> bytes:
        """The PEM certificate at this SigningCertURL, from the cache after the first fetch."""
        with self._lock:
            if url in self._cache:
                self._cache.move_to_end(url)
                return self._cache[url]
        pem = self._get(url, "SigningCertURL")
        with self._lock:
            self._cache[url] = pem
            while len(self._cache) > self._cached:
                self._cache.popitem(last=False)
        return pem

    def confirm(self, url: str) -> None:
        """Visit the SubscribeURL (a GET on Amazon's host), which confirms the subscription."""
        self._get(url, "SubscribeURL")

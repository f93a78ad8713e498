"""Throughput of the mail core: render, build, DKIM-sign and send N messages to aiosmtpd.

Not a timed test: prints messages a second for each stage. The receiver is aiosmtpd in this
process's thread (Python, so it bounds the figure); issue 12's postfix smtp-sink comparison
is benchmarks/send.py's job once broadcasts exist.

    PYTHONPATH=src python benchmarks/mail_send.py --messages 1000
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import time
from datetime import UTC, datetime

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from evergreen.mail import dkim
from evergreen.mail.rules.headers import parse_address
from evergreen.mail.rules.message import BulkHeaders, build_message
from evergreen.mail.rules.render import Footer, Personal, compile_message
from evergreen.mail.sending.sender import Sender
from evergreen.mail.sending.servers import SmtpServer

BODY = """# Hello {{ subscriber.name }}

This week: [three ideas](https://example.com/ideas) and [a tool](https://example.com/tool).

- one
- two
"""


def _track(url: str) -> str:
    return "https://example.com/go?u=" + url


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    n = parser.parse_args().messages
    template = compile_message("News for {{ subscriber.name }}", BODY, strict=False)
    sender = parse_address("from", "news@example.com", "News")
    key = dkim.generate_key("example.com", "bench")
    started = time.perf_counter()
    outgoing = []
    for i in range(n):
        person = Personal(
            f"p{i}@example.org", f"Person {i}", unsubscribe_url=f"https://example.com/u/{i}"
        )
        rendered = template.render(
            person,
            rewrite_link=lambda u: "https://example.com/go?u=" + u,
            footer=Footer("1 Main St"),
        )
        bulk = BulkHeaders(f"https://example.com/u/{i}", "mailto:u@example.com", "news.example.com")
        to = parse_address("to", person.email)
        now = datetime.now(UTC)
        outgoing.append(build_message(sender=sender, to=to, rendered=rendered, now=now, bulk=bulk))
    built = time.perf_counter()
    payloads = [dkim.sign(o.as_bytes(), key) for o in outgoing]
    signed = time.perf_counter()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()

    async def send() -> list[str]:
        async with Sender([SmtpServer("127.0.0.1", port, pool=8)]) as mailer:
            results = await asyncio.gather(
                *(mailer.send(o, p) for o, p in zip(outgoing, payloads, strict=True))
            )
        return [r.outcome for r in results]

    try:
        outcomes = asyncio.run(send())
    finally:
        controller.stop()
    done = time.perf_counter()
    print(f"render+build: {n / (built - started):,.0f} messages/s")
    print(f"DKIM sign:    {n / (signed - built):,.0f} messages/s")
    print(f"SMTP send:    {n / (done - signed):,.0f} messages/s (to aiosmtpd, 8 connections)")
    print(f"end to end:   {n / (done - started):,.0f} messages/s")
    print(f"sent {outcomes.count('sent')}/{n}, received {sink.count}")


if __name__ == "__main__":
    main()

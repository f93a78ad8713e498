"""Throughput of the mail engine: render, build, DKIM-sign and send a broadcast.

Not a timed test: prints messages a second for each stage, then end to end. The newsletter is
about 2 KB of Markdown with 10 links, personalised in the subject and body; every link is
rewritten per person (a tracking address with their token), with an open pixel and the footer.

Stages: the full per-person render and `build_message` (the reference path, on a sample), the
prepared path (rules.prepared + rules.writer, byte for byte the same messages), DKIM signing
(one Signer, OpenSSL), and SMTP sending. With postfix's `smtp-sink` and `smtp-source` on the
PATH (Debian's postfix package), the same run measures the C reference (`smtp-source` to
`smtp-sink`) and Evergreen end to end to the same `smtp-sink`, in this one process; otherwise
the receiver is aiosmtpd in this process (Python, so it bounds the figure).

With `--processes N` the end-to-end stage is run again with 1, 2, … N processes (spawned,
each with its share of the people, its own signer and connections): messages a second by the
clock from the moment every process is ready, the CPU time all of them spent, and the ratio to
the same run's C reference.

With `--send-log` as well, the product's own path, the figure issue 12 asks to be at least 0.3
of the C reference: the people in a SQLite file (or `--database URL`), a broadcast queued in
the send log and sent by `mail.service.send_in_processes` (claims, per-person compose with
tracked links, DKIM, record), what `evergreen mail send --processes N` and the server's minute
run. First with one process while the fork server starts (its import, once per parent
process), then from 1..N processes with it running; each from the call to its return, the
children's start and the last batch's answers included. Fixed costs (a child's start, the
first batch composed before any is sent, the last one's answers) weigh on a short broadcast:
measure with 20,000 people or more for a broadcast's steady rate.

    PYTHONPATH=src python benchmarks/send.py --messages 20000 --processes 2 --send-log
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import text

from evergreen import migrate
from evergreen.audience import service as audience
from evergreen.config import Settings
from evergreen.db import Database, utcnow
from evergreen.mail import dkim, service
from evergreen.mail.rules.headers import Address, parse_address
from evergreen.mail.rules.message import BulkHeaders, Outgoing, build_message
from evergreen.mail.rules.prepared import PreparedMessage
from evergreen.mail.rules.render import Footer, Personal, compile_message
from evergreen.mail.rules.writer import MessageWriter
from evergreen.mail.sending.sender import Sender
from evergreen.mail.sending.servers import SmtpServer

# smtp-sink is started and stopped as the tests do it (tests/mail/postfix.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.mail.postfix import find_program, free_port, smtp_sink

SUBJECT = "{{ subscriber.name }}, this week: ten tools worth your time"
BODY = """# Hello {{ subscriber.name }}

Here is what caught my eye this week. As always, reply to this email if one of these helps
you, or if you think I missed something better. The list is short on purpose: each of these
saves more time than it costs to learn, and none of them asks for a subscription.

## Tools

1. [A plain-text notes app](https://example.com/tools/notes) that syncs through your own folder.
2. [The invoice template](https://example.com/tools/invoice) I use for every client.
3. [A keyboard launcher](https://example.com/tools/launcher): open anything in two keys.
4. [The backup script](https://example.com/tools/backup) from last month, now with checksums.
5. [A password manager](https://example.com/tools/passwords) that works offline.

## Reading

- [How I price a course](https://example.com/blog/pricing), with the numbers from 2025.
- [Email that people read](https://example.com/blog/email): five rules for a weekly letter.
- [The boring business](https://example.com/blog/boring) that paid for the house.

## This week's offer

The **photo course** is 30 % off until Sunday for readers in {{ subscriber.fields.city }}:
[see the course](https://example.com/course?utm_source=letter). If you bought it already, the
new lessons are in your account; [log in here](https://example.com/account).

> "Small, steady, and yours." Thanks for reading, {{ subscriber.name }}.

## Question of the week

Last week I asked what you would automate first if you had one free afternoon. Most of you
said invoicing, a few said backups, and one reader said "the weekly email", which made me
laugh because that is exactly what this letter is. Next week: the three answers I liked best,
with the scripts their authors were kind enough to share.
"""
NAMES = ["Ann", "Bob Smith", "Chiara", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Ines"]
CITIES = ["Berlin", "Lyon", "Austin", "Leeds", "Porto", "Osaka", "Graz"]


def _people(n: int, start: int = 0) -> Iterator[tuple[Personal, Callable[[str], str]]]:
    for i in range(start, n):
        token = f"s{i:x}"
        person = Personal(
            f"reader{i}@example.org", NAMES[i % len(NAMES)], {"city": CITIES[i % len(CITIES)]},
            unsubscribe_url=f"https://example.com/u/{token}",
            open_pixel_url=f"https://example.com/o/{token}.gif",
        )  # fmt: skip

        def track(url: str, token: str = token) -> str:
            return f"https://example.com/c/{token}?u={quote(url, safe='')}"

        yield person, track


def _bulk(person: Personal) -> BulkHeaders:
    return BulkHeaders(person.unsubscribe_url, "mailto:leave@example.com", "news.example.com")


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


class _Clock:
    """Wall-clock and CPU time since it was made (a shared machine shows the difference)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rates(self, n: int) -> str:
        wall = n / (time.perf_counter() - self.wall)
        cpu = n / max(time.process_time() - self.cpu, 1e-9)
        return f"{wall:,.0f} ({cpu:,.0f} CPU)"


def _c_reference(port: int, n: int, size_kb: int, sink: str, source: str) -> float:
    """smtp-source to smtp-sink: n messages of the broadcast's size, 8 sessions."""
    with smtp_sink(port, program=sink):
        started = time.perf_counter()
        subprocess.run(
            [source, "-s", "8", "-m", str(n), "-l", str(size_kb * 1024),
             "-f", "news@example.com", "-t", "reader@example.org", f"127.0.0.1:{port}"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        return n / (time.perf_counter() - started)


async def _end_to_end(
    port: int, connections: int, people: range, key: dkim.DkimKey, now: datetime
) -> int:
    """Render, build, sign and send, each message handed to the pool as it is made."""
    prepared = PreparedMessage(compile_message(SUBJECT, BODY, strict=False), FOOTER)
    writer = MessageWriter(sender=SENDER)
    signer = dkim.Signer(key)
    server = SmtpServer("127.0.0.1", port, pool=connections)
    async with Sender([server]) as mailer:
        tasks = []
        for person, track in _people(people.stop, people.start):
            rendered = prepared.render(person, rewrite_link=track)
            message = writer.write(
                to=Address(person.email, person.name), rendered=rendered, now=now,
                bulk=_bulk(person),
            )  # fmt: skip
            data = signer.sign(message.as_bytes())
            tasks.append(asyncio.ensure_future(mailer.send(message, data)))
            if len(tasks) % 64 == 0:
                await asyncio.sleep(0)  # let the connections write what is ready
        results = await asyncio.gather(*tasks)
    return sum(r.outcome == "sent" for r in results)


def _child(
    port: int, connections: int, people: range, key: dkim.DkimKey, now: datetime,
    ready: Event, go: Event, answer: Connection,
) -> None:  # fmt: skip
    """One sending process of the multi-process stage: ready, wait for the start, send."""
    ready.set()
    go.wait()
    cpu = time.process_time()
    sent = asyncio.run(_end_to_end(port, connections, people, key, now))
    answer.send((sent, time.process_time() - cpu))


def _processes(port: int, n: int, k: int, connections: int, key: dkim.DkimKey) -> str:
    """End to end with k processes, each sending its share of the n messages."""
    context = multiprocessing.get_context("spawn")
    now, go = datetime.now(UTC), context.Event()
    shares = [range(n * i // k, n * (i + 1) // k) for i in range(k)]
    children = []
    for share in shares:
        ready = context.Event()
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_child, args=(port, connections, share, key, now, ready, go, writer)
        )
        process.start()
        writer.close()
        children.append((process, ready, reader))
    for _, ready, _ in children:
        ready.wait(timeout=120)
    started = time.perf_counter()
    go.set()
    answers = [reader.recv() for _, _, reader in children]
    wall = time.perf_counter() - started
    for process, _, _ in children:
        process.join()
    sent, cpu = sum(a[0] for a in answers), sum(a[1] for a in answers)
    return f"{n / wall:,.0f} ({n / cpu:,.0f} CPU, {cpu:.1f} s CPU) ({sent}/{n} sent)"


def _send_log(port: int, n: int, processes: int, connections: int, key: dkim.DkimKey,
              url: str | None, reference: float) -> float:  # fmt: skip
    """The product's path: n people, a broadcast queued in the send log and sent by
    `send_in_processes` with 1..N processes (their start included) to the same smtp-sink."""
    folder = Path(tempfile.mkdtemp(prefix="evergreen-mail-bench-"))
    (folder / "dkim").mkdir()
    (folder / "dkim" / f"{key.selector}.{key.domain}.pem").write_bytes(key.private_pem)
    url = url or f"sqlite:///{folder / 'bench.db'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.session() as session:
        list_id = audience.create_list(session, "Bench", double_opt_in=False).id
        first = (session.scalar(text("SELECT max(id) FROM subscribers")) or 0) + 1
        now = utcnow()
        people = [
            {"i": first + i, "e": f"reader{first + i}@example.org", "name": NAMES[i % len(NAMES)],
             "f": json.dumps({"city": CITIES[i % len(CITIES)]}), "l": list_id, "now": now}
            for i in range(n)
        ]  # fmt: skip
        session.execute(
            text(
                "INSERT INTO subscribers (id, email, email_key, name, fields, source, "
                "soft_bounces, created_at, updated_at) VALUES (:i, :e, :e, :name, :f, 'import', "
                "0, :now, :now)"
            ),
            people,
        )
        session.execute(
            text(
                "INSERT INTO list_members (subscriber_id, list_id, status, created_at, "
                "updated_at) VALUES (:i, :l, 'subscribed', :now, :now)"
            ),
            people,
        )
    settings = Settings(
        data_dir=folder, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
        smtp_pool=connections, mail_from="News <news@example.com>",
        mail_postal_address="1 Main St\nSpringfield",
    )  # fmt: skip
    outbox = service.outbox_from_settings(
        settings, "bench-secret-" + "x" * 32, "https://example.com"
    )
    assert outbox.dkim_key is not None
    # The first run starts the fork server (its import of the sender, once per parent process,
    # as `evergreen mail send` pays it); the server's minute finds it running, as the rest do.
    for k, label in [(1, "1 process, fork server starting"),
                     *((k, f"{k} process(es)") for k in range(1, processes + 1))]:  # fmt: skip
        with db.session() as session:
            draft = service.Draft(SUBJECT, BODY, list_id)
            broadcast_id = service.act(
                session, service.create_broadcast(session, draft).id, "send"
            ).id
        started = time.perf_counter()
        fleet = service.send_in_processes(db.url, outbox, k, broadcast_id=broadcast_id)
        wall, cpu = time.perf_counter() - started, sum(c.cpu_s for c in fleet.children)
        print(
            f"send log, {label + ':':<33} {n / wall:,.0f} ({n / cpu:,.0f} CPU, {cpu:.1f} s "
            f"CPU), ratio {n / wall / reference:.2f} ({fleet.total.sent}/{n} sent, "
            f"{fleet.lost} lost; largest child's peak RSS "
            f"{max(c.peak_mb for c in fleet.children):.0f} MB)"
        )
    db.dispose()
    return n / wall / reference


FOOTER = Footer("1 Main St\nSpringfield", "News Ltd")
SENDER = parse_address("from", "news@example.com", "News")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--processes", type=int, default=0, help="also end to end from 1..N processes"
    )
    parser.add_argument("--send-log", action="store_true", help="also the product's own path")
    parser.add_argument("--database", help="the send log's database (default: a SQLite file)")
    args = parser.parse_args()
    n = args.messages
    now = datetime.now(UTC)
    template = compile_message(SUBJECT, BODY, strict=False)
    footer, sender = FOOTER, SENDER
    key = dkim.generate_key("example.com", "bench")
    signer = dkim.Signer(key)
    print(f"template: {len(BODY):,} characters of Markdown, {BODY.count('](')} links")

    sample = min(n, 300)
    clock = _Clock()
    for person, track in _people(sample):
        rendered = template.render(person, rewrite_link=track, footer=footer)
        to = parse_address("to", person.email, person.name)
        build_message(sender=sender, to=to, rendered=rendered, now=now, bulk=_bulk(person))
    full = clock.rates(sample)

    clock = _Clock()
    prepared = PreparedMessage(template, footer)
    writer = MessageWriter(sender=sender)
    outgoing: list[Outgoing] = []
    for person, track in _people(n):
        rendered = prepared.render(person, rewrite_link=track)
        to = Address(person.email, person.name)  # checked once, by the writer
        outgoing.append(writer.write(to=to, rendered=rendered, now=now, bulk=_bulk(person)))
    built = clock.rates(n)
    clock = _Clock()
    payloads = [signer.sign(o.as_bytes()) for o in outgoing]
    signed = clock.rates(n)
    size = sum(map(len, payloads)) // n
    print(f"message size: {size:,} bytes signed; messages/s by the clock (by this process's CPU)")
    print(f"render+build, full per person: {full} ({sample} messages)")
    print(f"render+build, prepared:        {built}")
    print(f"DKIM sign:                     {signed}")

    async def send(port: int, items: list[tuple[Outgoing, bytes]]) -> int:
        server = SmtpServer("127.0.0.1", port, pool=args.connections)
        async with Sender([server]) as mailer:
            results = await asyncio.gather(*(mailer.send(o, p) for o, p in items))
        return sum(r.outcome == "sent" for r in results)

    items = list(zip(outgoing, payloads, strict=True))
    port = free_port()
    aiosmtpd = _Sink()
    controller = Controller(aiosmtpd, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock = _Clock()
        sent = asyncio.run(send(port, items))
        rate = clock.rates(n)
    finally:
        controller.stop()
    print(f"SMTP send to aiosmtpd:         {rate} ({sent}/{n} sent; CPU includes aiosmtpd)")

    sink, source = find_program("smtp-sink"), find_program("smtp-source")
    if not (sink and source):
        print("postfix's smtp-sink/smtp-source not found: no C reference in this run")
        return
    port = free_port()
    reference = _c_reference(port, n, max(size // 1024, 1), sink, source)
    print(f"C reference, smtp-source -> smtp-sink: {reference:,.0f} messages/s ({size:,} bytes)")
    with smtp_sink(port, program=sink):
        clock = _Clock()
        sent = asyncio.run(send(port, items))
        print(f"SMTP send to smtp-sink:        {clock.rates(n)} ({sent}/{n} sent)")
        started, clock = time.perf_counter(), _Clock()
        sent = asyncio.run(_end_to_end(port, args.connections, range(n), key, now))
        whole = n / (time.perf_counter() - started)
        print(f"end to end to smtp-sink:       {clock.rates(n)} ({sent}/{n} sent)")
        print(f"ratio to the C reference:      {whole / reference:.2f} (one process, no send log)")
        for k in range(1, args.processes + 1):
            rates = _processes(port, n, k, args.connections, key)
            rate = float(rates.split(" ", 1)[0].replace(",", ""))
            print(f"end to end, {k} process(es):     {rates}, ratio {rate / reference:.2f}")
        if args.send_log:
            ratio = _send_log(
                port, n, max(args.processes, 1), args.connections, key, args.database, reference
            )
            print(
                f"the product's path, {max(args.processes, 1)} process(es): {ratio:.2f} of the C "
                "reference (issue 12 asks >= 0.3)"
            )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()

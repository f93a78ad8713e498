"""Several `evergreen serve` behind one nginx and one wrk: redirect figures combined and per
server, and whether the click ingesters keep up (each spool's backlog sampled every second).

Used by `redirect.py --servers N --postgres URL --redis URL` (see its docstring). Each server has
its own data folder (its own spool and ingester) on one fresh PostgreSQL database, dropped after,
and one Redis database (the queue). nginx balances them (an upstream with keepalive, as in
deploy/nginx/evergreen.conf) and logs which server answered each request. The spool backlog is
what is spooled but not yet ingested: segment sizes minus the offsets stored in the database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from common import drop_database, fresh_database
from redirect import UA, braked, free_port, report, start, stop, wait_http, wrk
from spool_watch import Sample, Sampler, Spool, cpu_seconds, per_line_of, slope, stored
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from evergreen.links import service
from evergreen.links.drafts import LinkDraft

__all__ = ["cluster_main"]


def visitors_script(folder: Path, slugs: list[str], visitors: int) -> Path:
    """wrk script: rotate over slugs and over `visitors` client addresses (X-Forwarded-For, which
    nginx passes on and the servers trust from 127.0.0.1), a browser user agent, keep-alive."""
    path = folder / "visitors.lua"
    names = ", ".join(f'"{s}"' for s in slugs)
    path.write_text(
        f"local slugs = {{{names}}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        f"  local v = (i * 7919) % {visitors}\n"
        "  local ip = '10.' .. math.floor(v / 65536) % 256 .. '.' .. math.floor(v / 256) % 256"
        " .. '.' .. v % 256\n"
        "  local path = '/go/' .. slugs[(i % #slugs) + 1] .. '?sub1=bench'\n"
        f"  return wrk.format('GET', path, {{['User-Agent'] = '{UA}', "
        "['X-Forwarded-For'] = ip})\nend\n"
    )
    return path


def balancer(
    folder: Path, port: int, upstreams: list[int], workers: int
) -> subprocess.Popen[bytes]:
    """nginx in front of the servers (or `return 302` when there are none), logging which
    upstream answered each request and with what status."""
    if upstreams:
        servers = "".join(f"server 127.0.0.1:{p} max_fails=3 fail_timeout=10s; " for p in upstreams)
        location = (
            "location / { proxy_pass http://evergreen; proxy_http_version 1.1; "
            'proxy_set_header Connection ""; proxy_set_header Host $host; '
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; "
            "proxy_set_header X-Forwarded-Proto $scheme; }\n"
        )
        logs = f"access_log {folder}/balancer.log up buffer=256k flush=1s;\n"
        upstream = f"upstream evergreen {{ {servers}keepalive 64; }}\n"
    else:
        location = "location / { return 302 https://shop.example/; }\n"
        logs, upstream = "access_log off;\n", ""
    conf = folder / f"nginx-{port}.conf"
    conf.write_text(
        f"daemon off; worker_processes {workers}; pid {folder}/nginx-{port}.pid;\n"
        f"error_log {folder}/nginx.err;\n"
        "events { worker_connections 4096; }\n"
        "http { log_format up '$upstream_addr $upstream_status';\n"
        f"  {logs}  client_body_temp_path {folder}; proxy_temp_path {folder};\n"
        f"  fastcgi_temp_path {folder}; uwsgi_temp_path {folder}; scgi_temp_path {folder};\n"
        f"  {upstream}  server {{ listen 127.0.0.1:{port}; {location} }} }}\n"
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop_nginx(process: subprocess.Popen[bytes]) -> None:
    """Graceful stop: the workers flush the buffered access log before they exit."""
    process.send_signal(signal.SIGQUIT)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


class Cluster:
    """One run of N servers behind nginx on a fresh database."""

    def __init__(self, args: argparse.Namespace, folder: Path, count: int) -> None:
        self.args, self.count = args, count
        self.folder = folder / f"cluster{count}"
        self.folder.mkdir()
        self.db = fresh_database(
            args.postgres, self.folder, prefix=f"evergreen_bench_redirect{count}"
        )
        self.engine = create_engine(self.db.url)
        self.slugs = [f"s{i}" for i in range(100)]
        with self.db.session() as session:
            for slug in self.slugs:
                draft = LinkDraft(destination=f"https://shop.example/item/{slug}", slug=slug)
                service.create_link(session, draft)
        self.script = visitors_script(self.folder, self.slugs, args.visitors)

    def env(self, number: int) -> dict[str, str]:
        return {
            **os.environ,
            "EVERGREEN_DATA_DIR": str(self.folder / f"server{number}"),
            "EVERGREEN_DATABASE_URL": self.db.url,
            "EVERGREEN_REDIS_URL": self.args.redis,
            "EVERGREEN_ENV": "development",
            "EVERGREEN_TRUSTED_PROXIES": "127.0.0.1",
        }

    @staticmethod
    def wait_drained(sampler: Sampler, since: float, timeout: float) -> float | None:
        """Seconds from `since` until a sample finds every backlog at 0, or None after `timeout`."""
        while time.monotonic() - since < timeout:
            if (
                sampler.samples
                and sampler.samples[-1].at > since
                and not sampler.samples[-1].unstored
            ):
                return sampler.samples[-1].at - since
            time.sleep(0.2)
        return None

    def run(self) -> dict[str, float]:
        ports = [free_port() for _ in range(self.count)]
        servers = []
        for number, port in enumerate(ports, 1):
            command = [sys.executable, "-m", "evergreen.cli", "serve", "--port", str(port),
                       "--workers", str(self.args.workers)]  # fmt: skip
            servers.append(start(command, self.env(number), self.folder / f"serve{number}.log"))
        spools = [Spool(self.folder / f"server{n}" / "spool") for n in range(1, self.count + 1)]
        sampler = Sampler(self.engine, spools)
        front = free_port()
        web = balancer(self.folder, front, ports, self.args.nginx_workers)
        url = f"http://127.0.0.1:{front}"
        try:
            for port in ports:
                wait_http(f"http://127.0.0.1:{port}/healthz")
            wait_http(f"{url}/healthz")
            sampler.start()
            wrk(url, 1, self.args.connections, self.script)  # warm-up, captured too
            if self.wait_drained(sampler, time.monotonic(), 120) is None:
                last = sampler.samples[-3:]
                raise SystemExit(f"the warm-up's clicks were not ingested within 120 s: {last}")
            time.sleep(1.5)  # nginx flushes its log every second
            log = self.folder / "balancer.log"
            mark, before = log.stat().st_size, stored(self.engine)
            for spool in spools:
                spool.lines_before = spool.lines
            print(f"  {self.count} server(s) behind nginx, {load()} before")
            roots, name = [server.pid for server in servers], make_url(self.db.url).database or ""
            cpu, began = cpu_seconds(roots, name), time.monotonic()
            result = wrk(url, self.args.seconds, self.args.connections, self.script)
            ended, cpu_after = time.monotonic(), cpu_seconds(roots, name)
            print(f"    wrk done, {load()}")
            drained = self.wait_drained(sampler, ended, 300)
        finally:
            stop_nginx(web)
            for server in servers:
                stop(server)
            sampler.halt.set()
        captured = stored(self.engine) - before
        with log.open("rb") as handle:
            handle.seek(mark)
            answered = Counter(
                line.split(b" ")[0].decode() for line in handle if line.split(b" ")[-1][:1] == b"3"
            )
        report(f"{self.count} server(s) behind nginx", result)
        during = [s for s in sampler.samples if began <= s.at <= ended]
        answered_by = [answered[f"127.0.0.1:{port}"] for port in ports]
        self.backlogs(spools, during, began, answered_by, result)
        used = {kind: cpu_after[kind] - cpu[kind] for kind in cpu}
        print(
            "    CPU during wrk's run (s, and µs a redirect): "
            + ", ".join(
                f"{kind} {seconds:.1f} ({seconds / max(1, result['requests']) * 1e6:.0f})"
                for kind, seconds in used.items()
            )
        )
        sent = int(result["requests"] - result["bad"])
        ok = sent <= captured <= sent + self.args.connections
        left = sampler.samples[-1].unstored if drained is None else 0
        at_end = during[-1].unstored if during else 0
        print(
            f"    backlog 0 {drained:.1f} s after wrk stopped (then ingesting "
            f"{at_end / max(drained, 0.1):,.0f} clicks/s)"
            if drained is not None
            else f"    backlog NOT drained within 300 s ({left:,} clicks left)"
        )
        print(
            f"    clicks stored: {captured:,}; redirects answered (wrk, minus non-3xx): {sent:,} "
            f"(up to {self.args.connections} more in flight) -> {'OK' if ok else 'MISMATCH'}"
        )
        engaged = [braked(self.folder / f"serve{n}.log") for n in range(1, self.count + 1)]
        print(f"    back-pressure engaged (times, per server): {engaged}")
        return result

    def backlogs(
        self,
        spools: list[Spool],
        during: list[Sample],
        began: float,
        answered: list[int],
        result: dict[str, float],
    ) -> None:
        """Per server and combined: the backlog's peak, its value when wrk stopped, its slope
        over the run's second half, and whether it stays within the first half's peak."""
        per_line = per_line_of(spools)
        half = self.args.seconds / 2
        for number, spool in enumerate(spools):
            backlog = [(s.at - began, s.backlog[number] / per_line) for s in during]
            print(
                f"    server {number + 1}: answered {answered[number]:,} redirects, spooled "
                f"{spool.lines - spool.lines_before:,} clicks; backlog (from its offsets) peak "
                f"{max((b for _, b in backlog), default=0):,.0f}, at the end "
                f"{backlog[-1][1] if backlog else 0:,.0f}, last-half slope "
                f"{slope([p for p in backlog if p[0] >= half]):+,.0f}/s; stored offsets "
                f"went back {spool.forgotten} time(s)"
            )
        combined = [(s.at - began, float(s.unstored)) for s in during]
        rise = slope([p for p in combined if p[0] >= half])
        # Deferred passes make a saw-tooth: bounded when the second half never climbs much above
        # the first half's peak (what the deferral alone lets pile up).
        first = max((b for t, b in combined if t < half), default=0.0)
        second = max((b for t, b in combined if t >= half), default=0.0)
        bounded = second <= 1.2 * first
        spooled = sum(spool.lines - spool.lines_before for spool in spools)
        kept_up = (spooled - (combined[-1][1] if combined else 0)) / self.args.seconds
        print(
            "    backlog, all servers (clicks spooled, not stored), each second: "
            + " ".join(f"{b:,.0f}" for _, b in combined)
            + f"\n    last-half slope {rise:+,.0f} clicks/s ({rise / result['rps']:+.0%} of the "
            f"redirect rate); peak {first:,.0f} in the first half, {second:,.0f} in the second -> "
            f"{'bounded' if bounded else 'GROWING: ingestion falls behind'}"
            f"\n    ingested during the run: {kept_up:,.0f} clicks/s for "
            f"{result['rps']:,.0f} redirects/s"
        )

    def close(self) -> None:
        self.engine.dispose()
        self.db.engine.dispose()
        drop_database(self.args.postgres, make_url(self.db.url).database or "")


def cluster_main(args: argparse.Namespace, folder: Path) -> None:
    """nginx `return 302`, then 1 server, then N servers, all through one wrk."""
    print(
        f"wrk: 2 threads, {args.connections} connections, {args.seconds} s; loopback only; "
        f"{args.workers} process(es) per server, nginx {args.nginx_workers} worker(s); "
        f"{args.visitors:,} visitors over 100 links\n"
    )
    reference = None if args.no_bare else static_reference(args, folder)
    results = {}
    for count in sorted({args.servers} if args.no_bare else {1, args.servers}):
        cluster = Cluster(args, folder, count)
        try:
            results[count] = cluster.run()
        finally:
            cluster.close()
    for count, result in results.items() if reference else ():
        print(f"{count} server(s) / nginx: {result['rps'] / reference['rps']:.1%}")


def static_reference(args: argparse.Namespace, folder: Path) -> dict[str, float]:
    """nginx answering `return 302` itself, driven by the same wrk script."""
    script = visitors_script(folder, [f"s{i}" for i in range(100)], args.visitors)
    port = free_port()
    web = balancer(folder, port, [], args.nginx_workers)
    try:
        time.sleep(0.5)
        print(f"  nginx return 302, {load()} before")
        wrk(f"http://127.0.0.1:{port}", 1, args.connections, script)
        reference = wrk(f"http://127.0.0.1:{port}", args.seconds, args.connections, script)
    finally:
        stop_nginx(web)
    report("nginx return 302", reference)
    return reference

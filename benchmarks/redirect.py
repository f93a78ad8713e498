"""Redirect throughput with every click durably captured, against two references in the same run.

    .venv/bin/python benchmarks/redirect.py [--seconds 5] [--rounds 3] [--connections 64]
                                            [--workers N] [--no-bare]

Needs `wrk` and `nginx` (Debian: apt-get install wrk nginx-light). Starts, on loopback only,
each with the same number of processes (`--workers`, default: one per CPU core):
1. `evergreen serve --workers N` on a fresh embedded default (SQLite, spool on), 100 links;
2. nginx answering `return 302` with N worker processes (the practical ceiling);
3. a bare ASGI app (dict lookup + 302, records nothing) on the same server stack (uvicorn
   with N workers).
Each round starts each target afresh and drives it with wrk for a few seconds, Evergreen and
nginx alternating who goes first (`--rounds`, default 3); prints every round's requests/s and
p50/p99, then the median of the per-round ratios (Evergreen ÷ nginx, Evergreen ÷ bare) and
Evergreen's p99. Each round checks that the clicks stored equal the redirects wrk completed,
and says how many times the server's back-pressure engaged (EVERGREEN_CLICK_BACKLOG_S).
It also prints the CPU the web processes and the click ingester used while wrk drove, per
redirect answered (the ingester's work may run past the round when the machine is saturated).

    .venv/bin/python benchmarks/redirect.py --servers 2 --postgres URL --redis URL [--seconds 30]
                                            [--visitors 10000] [--workers N]

Several servers (`redirect_cluster.py`): nginx `return 302`, then one `evergreen serve`, then
`--servers` of them, each with its own data folder on one fresh PostgreSQL database (dropped
after) and the Redis database given, behind one nginx (upstream, keepalive) and one wrk;
`--workers` is per server (default: the cores shared out). Prints requests/s and p50/p99
combined; per server the redirects it answered and the clicks it spooled; the spool backlog
(spooled, not yet ingested) sampled every second, its peak, last-half slope and whether it
stays bounded; CPU of web processes, ingesters and database; how long after wrk stops the
backlog is 0, whether the clicks stored equal the redirects answered, and how many times each
server's back-pressure engaged. `--no-bare` runs only the N servers.
Never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def wrk(url: str, seconds: int, connections: int, script: Path) -> dict[str, float]:
    """Run wrk and parse requests/s, latency percentiles and completed requests."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": done,
        "bad": int(errors.group(1)) if errors else 0,
    }


def lua_script(folder: Path, slugs: list[str]) -> Path:
    """wrk script: rotate over slugs, send a browser user agent, keep connections alive."""
    path = folder / "rotate.lua"
    names = ", ".join(f'"{s}"' for s in slugs)
    path.write_text(
        f"local slugs = {{{names}}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n"
        "  local path = '/go/' .. slugs[(i % #slugs) + 1] .. '?sub1=bench'\n"
        f"  return wrk.format('GET', path, {{['User-Agent'] = '{UA}'}})\nend\n"
    )
    return path


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def nginx(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off; worker_processes {workers}; pid {folder}/nginx.pid;\n"
        f"error_log {folder}/nginx.err;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ access_log off; client_body_temp_path {folder}; proxy_temp_path {folder};\n"
        f"  fastcgi_temp_path {folder}; uwsgi_temp_path {folder}; scgi_temp_path {folder};\n"
        f"  server {{ listen 127.0.0.1:{port};\n"
        "    location / { return 302 https://shop.example/; } } }\n"
    )
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stored_clicks(python: str, env: dict[str, str]) -> int:
    """Every click stored so far, via the CLI (which ingests what is still spooled)."""
    out = subprocess.run(
        [python, "-m", "evergreen.cli", "links", "stats", "--json"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(json.loads(out)["total_clicks"])


def cpu_by_role(root: int) -> dict[str, float]:
    """CPU seconds (user + system) so far of a process and its descendants, by role: the click
    ingester (`links ingest`) and the rest (the web processes and what they run)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    ticks = os.sysconf("SC_CLK_TCK")
    out = {"ingester": 0.0, "web": 0.0}
    for pid in tree:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        role = "ingester" if b"links ingest" in command else "web"
        out[role] += (int(fields[11]) + int(fields[12])) / ticks
    return out


def braked(log: Path) -> int:
    """How many times a server's back-pressure engaged (links.clicks.backpressure logs each)."""
    try:
        return log.read_text(errors="replace").count("slowing redirects so that it keeps up")
    except FileNotFoundError:
        return 0


def report(name: str, result: dict[str, float]) -> None:
    print(
        f"  {name:<34} {result['rps']:>10,.0f} req/s   p50 {result['p50_ms']:6.2f} ms   "
        f"p99 {result['p99_ms']:6.2f} ms   "
        f"({result['requests']:,} requests, {result['bad']} non-3xx)"
    )


class Bench:
    """One benchmark run: the data folder, the wrk script and how long each round drives."""

    def __init__(self, args: argparse.Namespace, folder: Path, env: dict[str, str]) -> None:
        self.args, self.folder, self.env = args, folder, env
        self.python = sys.executable
        self.script = folder / "rotate.lua"

    def drive(self, port: int, warm_up: bool = True) -> dict[str, float]:
        url = f"http://127.0.0.1:{port}"
        if warm_up:
            wrk(url, 1, self.args.connections, self.script)
        return wrk(url, self.args.seconds, self.args.connections, self.script)

    def evergreen(self) -> tuple[dict[str, float], int]:
        """A fresh `evergreen serve` on the same data; its figures and the clicks it stored."""
        port = free_port()
        command = [self.python, "-m", "evergreen.cli", "serve", "--port", str(port),
                   "--workers", str(self.args.workers), *self.args.serve_arg]  # fmt: skip
        server = start(command, self.env, self.folder / "serve.log")
        engaged = braked(self.folder / "serve.log")
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            wrk(f"http://127.0.0.1:{port}", 1, self.args.connections, self.script)  # captured too
            time.sleep(0.5)
            before = stored_clicks(self.python, self.env)
            cpu = cpu_by_role(server.pid)
            result = self.drive(port, warm_up=False)
            after = cpu_by_role(server.pid)
            for role in ("web", "ingester"):
                result[f"cpu_{role}"] = after[role] - cpu[role]
        finally:
            stop(server)
        result["braked"] = braked(self.folder / "serve.log") - engaged
        return result, stored_clicks(self.python, self.env) - before

    def bare(self) -> dict[str, float]:
        port = free_port()
        bare = start(
            [self.python, "-m", "uvicorn", "benchmarks.bare_asgi:app", "--port", str(port),
             "--log-level", "warning", "--no-access-log", "--no-server-header",
             "--workers", str(self.args.workers)],
            self.env, self.folder / "bare.log",
        )  # fmt: skip
        try:
            wait_http(f"http://127.0.0.1:{port}/nothing-here")  # 404: answers without redirecting
            return self.drive(port)
        finally:
            stop(bare)

    def nginx(self) -> dict[str, float]:
        port = free_port()
        web = nginx(self.folder, port, self.args.workers)
        try:
            time.sleep(0.5)
            return self.drive(port)
        finally:
            web.terminate()
            web.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, help="per run (default 5; 30 with --servers)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each target, alternated")
    parser.add_argument("--workers", type=int, help="processes per target (default: per core)")
    parser.add_argument(
        "--no-bare",
        action="store_true",
        help="skip the bare ASGI reference (--servers: nginx, 1 server)",
    )
    parser.add_argument(
        "--serve-arg", action="append", default=[], help="extra `evergreen serve` argument"
    )
    parser.add_argument("--servers", type=int, default=1, help="servers behind one nginx")
    parser.add_argument("--postgres", help="PostgreSQL server URL (--servers: required)")
    parser.add_argument("--redis", help="Redis database URL (--servers: required)")
    parser.add_argument("--visitors", type=int, default=10_000, help="--servers: client addresses")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    args.nginx_workers = cores
    args.seconds = args.seconds or (30 if args.servers > 1 else 5)
    args.workers = args.workers or max(1, cores // args.servers)
    if args.servers > 1 and not (args.postgres and args.redis):
        raise SystemExit("--servers needs --postgres URL and --redis URL (shared by the servers)")
    if args.rounds < 1:
        raise SystemExit("--rounds must be at least 1")
    for tool in ("wrk", "nginx"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            raise SystemExit(f"{tool} is missing: apt-get install wrk nginx-light")
    folder = Path(tempfile.mkdtemp(prefix="evergreen-bench-"))
    if args.servers > 1:
        from redirect_cluster import cluster_main  # imports this module: load it on use

        try:
            cluster_main(args, folder)
        except BaseException:
            print(f"logs kept in {folder}", file=sys.stderr)
            raise
        shutil.rmtree(folder, ignore_errors=True)
        return
    env = {**os.environ, "EVERGREEN_DATA_DIR": str(folder / "data"), "EVERGREEN_ENV": "development"}
    env.pop("EVERGREEN_DATABASE_URL", None)
    slugs = [f"s{i}" for i in range(100)]
    create = (
        "from evergreen.config import get_settings; from evergreen.db import Database;"
        "from evergreen import migrate; from evergreen.links import service;"
        "from evergreen.links.drafts import LinkDraft; s=get_settings();"
        "migrate.upgrade(s.sqlalchemy_url); db=Database(s.sqlalchemy_url);\n"
        "with db.session() as x:\n"
        f"    for n in {slugs!r}:\n"
        "        d = LinkDraft(destination='https://shop.example/item/' + n, slug=n)\n"
        "        service.create_link(x, d)"
    )
    subprocess.run([sys.executable, "-c", create], env=env, check=True)
    lua_script(folder, slugs)
    bench = Bench(args, folder, env)
    print(
        f"wrk: 2 threads, {args.connections} connections, {args.seconds} s each; loopback only; "
        f"{args.workers} process(es) per target; {args.rounds} round(s), order alternated\n"
    )

    rounds: list[dict[str, dict[str, float]]] = []
    mismatches = 0
    for number in range(1, args.rounds + 1):
        # Alternate who goes first, so drift on a shared machine does not favour one target.
        order = ["evergreen", "nginx"] if number % 2 else ["nginx", "evergreen"]
        if not args.no_bare:
            order.insert(1, "bare")
        print(f"round {number}/{args.rounds}:")
        results: dict[str, dict[str, float]] = {}
        for target in order:
            if target == "evergreen":
                results[target], captured = bench.evergreen()
                report("Evergreen /go (clicks captured)", results[target])
                sent = int(results[target]["requests"])
                ok = sent <= captured <= sent + args.connections
                mismatches += not ok
                print(
                    f"    clicks stored: {captured:,}; redirects completed: {sent:,} "
                    f"(up to {args.connections} more in flight) -> {'OK' if ok else 'MISMATCH'}; "
                    f"back-pressure engaged {results[target]['braked']:.0f} time(s)"
                )
                web, ingester = results[target]["cpu_web"], results[target]["cpu_ingester"]
                print(
                    f"    CPU while wrk drove: web {web:.2f} s ({web / sent * 1e6:.1f} us a "
                    f"redirect), ingester {ingester:.2f} s ({ingester / sent * 1e6:.1f} us a "
                    "redirect answered)"
                )
            elif target == "bare":
                results[target] = bench.bare()
                report("bare ASGI on uvicorn (no capture)", results[target])
            else:
                results[target] = bench.nginx()
                report("nginx return 302", results[target])
        ratio = results["evergreen"]["rps"] / results["nginx"]["rps"]
        print(f"    Evergreen / nginx this round: {ratio:.1%}\n")
        rounds.append(results)

    def median(key: str, of: str = "evergreen") -> float:
        return statistics.median(r[of][key] for r in rounds)

    to_nginx = statistics.median(r["evergreen"]["rps"] / r["nginx"]["rps"] for r in rounds)
    p99 = median("p99_ms")
    print(
        f"medians over {len(rounds)} round(s): Evergreen {median('rps'):,.0f} req/s, "
        f"nginx {median('rps', 'nginx'):,.0f} req/s"
        + ("" if args.no_bare else f", bare ASGI {median('rps', 'bare'):,.0f} req/s")
    )
    print(f"Evergreen / nginx (median of round ratios): {to_nginx:.1%}   (goal >= 30%)")
    if not args.no_bare:
        to_bare = statistics.median(r["evergreen"]["rps"] / r["bare"]["rps"] for r in rounds)
        print(f"Evergreen / bare ASGI (median of round ratios): {to_bare:.1%}")
    print(
        f"Evergreen p99 at {args.connections} connections: median {p99:.2f} ms, "
        f"worst {max(r['evergreen']['p99_ms'] for r in rounds):.2f} ms (goal < 10 ms)"
    )
    print(f"click capture: {'OK in every round' if not mismatches else f'{mismatches} MISMATCH'}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Debian's postfix as a real component of the tests (issue 12): `smtp-sink`, which accepts and
can dump every message, and a private postfix instance that bounces mail for an unknown local
user and delivers the DSN it writes to a Maildir, as a bounce mailbox would be.

Nothing here touches the system's postfix: the instance has its own configuration, queue and
data folders, listens on a free loopback port only, and is stopped with `postfix -c DIR stop`.
Postfix's master runs as root (its daemons then drop to `mail_owner`), so the instance needs
root; smtp-sink does not. `require_postfix` skips a test where postfix is missing (or, for the
instance, where the tests do not run as root) and fails it under CI, where `.ci/run` installs
postfix and runs as root, as PostgreSQL and Chromium tests do.

The benchmark `benchmarks/send.py` starts its smtp-sink with `smtp_sink` from here.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

IN_CI = os.environ.get("CI", "").lower() == "true"
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")  # a user's PATH may not name them


def find_program(name: str) -> str | None:
    """The path of a postfix program, on the PATH or in an sbin folder."""
    found = shutil.which(name)
    if found:
        return found
    for folder in _SBIN:
        path = Path(folder, name)
        if os.access(path, os.X_OK):
            return str(path)
    return None


def require_postfix(*programs: str, root: bool = False) -> dict[str, str]:
    """The paths of the programs; skipped without them (or without root when `root`), a
    failure under CI, where .ci/run installs postfix and the tests run as root."""
    import pytest

    found = {name: find_program(name) for name in programs}
    missing = [name for name, path in found.items() if path is None]
    reason = ""
    if missing:
        reason = f"postfix's {', '.join(missing)} not found (Debian package postfix)"
    elif root and os.geteuid() != 0:
        reason = "a private postfix instance needs root (its master runs as root)"
    if reason:
        if IN_CI:
            pytest.fail(f"{reason}: postfix tests may not skip under CI")
        pytest.skip(reason)
    return {name: path for name, path in found.items() if path is not None}


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, alive: Callable[[], bool] | None = None, timeout: float = 15.0
) -> None:
    """Return once something accepts connections on the loopback port, or raise at the
    deadline (or as soon as `alive` says the server has gone)."""
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None and not alive():
            raise RuntimeError(f"the server for port {port} exited before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")
        time.sleep(0.05)


@contextlib.contextmanager
def open_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder other users can pass through (0711), removed afterwards: postfix's
    daemons and smtp-sink drop root, and pytest's tmp_path is private to its owner."""
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        folder = Path(name)
        folder.chmod(0o711)
        yield folder


def _unprivileged() -> pwd.struct_passwd:
    return pwd.getpwnam("nobody")


@contextlib.contextmanager
def smtp_sink(
    port: int, dump: Path | None = None, backlog: int = 1000, program: str = "smtp-sink"
) -> Iterator[subprocess.Popen[bytes]]:
    """postfix's smtp-sink on 127.0.0.1:`port` for the `with` block, stopped by its PID; with
    `dump`, each message goes to its own file in that folder (smtp-sink's `-d`), headed by
    the envelope (X-Mail-Args, one X-Rcpt-Args a recipient)."""
    user: list[str] = []
    if os.geteuid() == 0:  # smtp-sink refuses to keep root
        nobody = _unprivileged()
        user = ["-u", nobody.pw_name]
        if dump is not None:
            os.chown(dump, nobody.pw_uid, nobody.pw_gid)
    dumping = ["-d", f"{dump}/%H%M%S."] if dump is not None else []
    sink = subprocess.Popen(
        [program, *user, *dumping, f"127.0.0.1:{port}", str(backlog)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, alive=lambda: sink.poll() is None)
        yield sink
    finally:
        sink.terminate()
        sink.wait(10)


@dataclass(frozen=True)
class Postfix:
    """A running private instance: mail for `local_domain` goes to local(8), which bounces
    every user (there are none); mail for `bounce_domain` lands in `maildir`."""

    config: Path
    port: int
    maildir: Path
    log: Path
    local_domain: str
    bounce_domain: str

    def log_text(self) -> str:
        """What postfix logged (for a failing test's message)."""
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"


_MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

_MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {base}/spool
data_directory = {base}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {base}/postfix.log
maillog_file_prefixes = {base}
myhostname = mx.{local_domain}
mydomain = {local_domain}
myorigin = {local_domain}
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
relayhost =
# Every user of the local domain is accepted at RCPT (no recipient table), then local(8)
# finds no such user and bounce(8) writes a DSN (5.1.1) to the envelope sender.
mydestination = {local_domain}
local_recipient_maps =
alias_maps =
alias_database =
# Every address of the sender's domain (bounces+TOKEN@...) is delivered to one Maildir.
virtual_mailbox_domains = {bounce_domain}
virtual_mailbox_base = {base}/mail
virtual_mailbox_maps = static:Maildir/
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
"""


def _master_pid(base: Path) -> int | None:
    try:
        return int((base / "spool" / "pid" / "master.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie waiting for its reaper has stopped
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


@contextlib.contextmanager
def postfix_instance(
    local_domain: str = "example.org", bounce_domain: str = "example.com"
) -> Iterator[Postfix]:
    """Start a private postfix for the `with` block and stop it (`postfix -c DIR stop`, then
    `abort` if its master outlives a deadline)."""
    postfix = require_postfix("postfix", root=True)["postfix"]
    nobody = _unprivileged()
    with open_folder("evergreen-postfix-") as base:
        config, mail, data = base / "etc", base / "mail", base / "data"
        for folder in (config, base / "spool", data, mail):
            folder.mkdir()
        owner = pwd.getpwnam("postfix")  # the mail_owner: its daemons keep state in data/
        os.chown(data, owner.pw_uid, owner.pw_gid)
        os.chown(mail, nobody.pw_uid, nobody.pw_gid)  # virtual(8) writes as this user
        port = free_port()
        (config / "master.cf").write_text(_MASTER_CF.format(port=port))
        (config / "main.cf").write_text(
            _MAIN_CF.format(
                base=base, local_domain=local_domain, bounce_domain=bounce_domain,
                uid=nobody.pw_uid, gid=nobody.pw_gid,
            )
        )  # fmt: skip
        instance = Postfix(config, port, mail / "Maildir", base / "postfix.log",
                           local_domain, bounce_domain)  # fmt: skip
        # `postfix start` fills the queue folder (owners and modes as postfix wants them), then
        # daemonises its master; why it failed goes to its log.
        started = subprocess.run(
            [postfix, "-c", str(config), "start"], capture_output=True, text=True, timeout=60
        )
        try:
            if started.returncode != 0:
                raise RuntimeError(
                    f"postfix did not start ({started.returncode}): {started.stderr}"
                    f"\n{instance.log_text()}"
                )
            wait_for_port(port)
            yield instance
        finally:
            _stop(postfix, config, base)


def _stop(postfix: str, config: Path, base: Path, timeout: float = 15.0) -> None:
    """Stop the master and its daemons; bounded, so a stuck one cannot hang the run."""
    pid = _master_pid(base)
    subprocess.run([postfix, "-c", str(config), "stop"], capture_output=True, timeout=60)
    deadline = time.monotonic() + timeout
    while pid is not None and _running(pid):
        if time.monotonic() > deadline:
            subprocess.run([postfix, "-c", str(config), "abort"], capture_output=True, timeout=60)
            break
        time.sleep(0.05)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Call `condition` until it holds, or raise naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.1)

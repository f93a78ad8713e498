"""The listening socket `serve` binds before it starts anything, and why it could not."""

from __future__ import annotations

import errno
import socket

__all__ = ["CannotListen", "bind_listener"]

_BACKLOG = 2048  # uvicorn's default
_FIX = "start Evergreen on another port: evergreen serve --port 8001 (or EVERGREEN_PORT=8001)"


class CannotListen(Exception):
    """The address cannot be listened on; the message says which and what to do."""


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket for host:port, or CannotListen in one line."""
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise CannotListen(
            f"cannot listen on {address}: {host!r} is not a known host name; "
            "use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every network)"
        ) from None
    family, kind, proto, _name, sockaddr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        sock.bind(sockaddr)
        # Listening at once claims the port: two bound, not yet listening SO_REUSEADDR sockets
        # could share it. Connections made meanwhile wait in the backlog until uvicorn serves.
        sock.listen(_BACKLOG)
    except OSError as exc:
        sock.close()
        raise CannotListen(_reason(address, host, port, exc)) from None
    return sock


def _reason(address: str, host: str, port: int, exc: OSError) -> str:
    """What went wrong binding, and what to do about it."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {address}: another program already uses port {port}; "
            f"stop it, or {_FIX}"
        )
    if exc.errno == errno.EACCES:
        return f"cannot listen on {address}: ports below 1024 need administrator rights; {_FIX}"
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {address}: {host} is not an address of this machine; "
            "use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every network)"
        )
    return f"cannot listen on {address}: {exc.strerror or exc}; {_FIX}"

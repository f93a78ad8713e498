"""`serve` claims its port before anything else, and says in one line why it cannot."""

from __future__ import annotations

import pytest

from evergreen.listen import CannotListen, bind_listener


def test_a_second_serve_is_refused_even_while_the_first_is_still_starting() -> None:
    first = bind_listener("127.0.0.1", 0)  # nothing accepts yet: it is still migrating, say
    port = first.getsockname()[1]
    try:
        with pytest.raises(CannotListen) as caught:
            bind_listener("127.0.0.1", port)
    finally:
        first.close()
    assert str(caught.value).startswith(
        f"cannot listen on 127.0.0.1:{port}: another program already uses port {port}; "
    )
    assert "--port" in str(caught.value)
    bind_listener("127.0.0.1", port).close()  # free again once the first has gone


def test_an_address_of_another_machine_or_an_unknown_name_is_explained() -> None:
    with pytest.raises(CannotListen, match=r"192\.0\.2\.1 is not an address of this machine"):
        bind_listener("192.0.2.1", 8000)
    with pytest.raises(CannotListen, match=r"is not a known host name; use --host 127\.0\.0\.1"):
        bind_listener("no-such-host.invalid", 8000)


def test_ipv6_addresses_are_shown_in_brackets() -> None:
    first = bind_listener("::1", 0)
    port = first.getsockname()[1]
    try:
        with pytest.raises(CannotListen, match=rf"cannot listen on \[::1\]:{port}: another"):
            bind_listener("::1", port)
    finally:
        first.close()

"""Address checks: the plain-address shortcut answers exactly what email-validator answers."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from evergreen.mail.errors import MailInputError
from evergreen.mail.rules.headers import parse_address, plain_address

_LOCAL = st.from_regex(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,70}", fullmatch=True)
_DOMAIN = st.one_of(
    st.sampled_from(
        [
            "example.com",
            "EXAMPLE.org",
            "mail.example.co.uk",
            "localhost",
            "x.test",
            "example.invalid",
            "a-.com",
            "-a.com",
            "1.2.3.4",
            "ex_ample.com",
            "com",
            "bücher.de",
            "xn--bcher-kva.de",
            "a" * 64 + ".com",
        ]
    ),
    st.from_regex(r"[A-Za-z0-9-]{1,20}(\.[A-Za-z0-9-]{1,20}){0,3}", fullmatch=True),
)


def _validator(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False, allow_smtputf8=True).normalized
    except EmailNotValidError:
        return None


@given(_LOCAL, _DOMAIN)
def test_the_shortcut_agrees_with_email_validator(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    fast = plain_address(address)
    if fast is not None:
        assert fast == _validator(address)
    try:
        checked: str | None = parse_address("to", address).email
    except MailInputError:
        checked = None
    assert checked == _validator(address)


@pytest.mark.parametrize(
    "address", ["ann@example", "ann..b@example.com", ".ann@example.com", "ann@x.test", "a@b@c.com"]
)
def test_what_either_path_refuses_is_refused_with_the_field(address: str) -> None:
    with pytest.raises(MailInputError) as refused:
        parse_address("to", address)
    assert refused.value.field == "to"


def test_plain_addresses_keep_their_local_part_and_lower_the_domain() -> None:
    assert plain_address("Ann.Lee+news@Example.COM") == "Ann.Lee+news@example.com"
    assert plain_address("änn@example.com") is None  # not plain: email-validator decides

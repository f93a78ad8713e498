"""The fast quoted-printable encoder writes exactly what the standard library writes."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from evergreen.mail.rules.qp import encode_body

_POLICY = policy.SMTP.clone(max_line_length=998)
_TEXT = st.text(
    st.one_of(
        st.sampled_from(list(" \t\r\n=.-aZ")),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=400,
)


def _standard(text: str, width: int) -> str:
    message = EmailMessage(policy=_POLICY.clone(max_line_length=width))
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    payload = message.get_payload()
    assert isinstance(payload, str)
    return payload


@settings(max_examples=400, deadline=None)
@given(text=_TEXT, width=st.sampled_from([998, 76, 12, 5]))
def test_the_same_bytes_as_the_standard_library(text: str, width: int) -> None:
    assert encode_body(text, width) == _standard(text, width)


def test_long_lines_break_softly_and_trailing_spaces_are_quoted() -> None:
    line = "x" * 2000 + "= é \t"
    assert encode_body(line) == _standard(line, 998)
    assert "=\n" in encode_body(line)
    assert encode_body("end \n") == "end=20\n"

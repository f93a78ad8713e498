"""Mail: compliant delivery (rendering, headers, DKIM, SMTP, bounces); pages come later."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evergreen.areas import Area, NavEntry

__all__ = ["AREA"]


def _commands() -> Sequence[tuple[str, Any]]:
    from evergreen.mail import cli

    return [("mail", cli.app)]


AREA = Area(
    name="mail",
    nav=NavEntry(
        "mail",
        "Mail",
        "Compliant delivery, unsubscribes, bounces and quotas.",
        ready=False,  # until its pages land
        order=35,
    ),
    commands=_commands,
)

"""Account errors, each with a message meant for the person who caused it."""

from __future__ import annotations

from datetime import datetime

from evergreen.errors import InputError, NotFound

__all__ = [
    "AccountError",
    "InvalidCredentials",
    "ResetLinkUnusable",
    "SignInLocked",
    "TokenNotFound",
    "UserNotFound",
]


class AccountError(InputError):
    """A request about accounts that cannot be carried out as asked."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(field or "", message)

    def __str__(self) -> str:
        return self.message


class InvalidCredentials(AccountError):
    """Wrong email or password; deliberately does not say which."""

    def __init__(self) -> None:
        super().__init__("Email or password is incorrect.")


class SignInLocked(AccountError):
    """Too many failed sign-ins; says when to try again."""

    def __init__(self, until: datetime, now: datetime) -> None:
        minutes = max(1, int((until - now).total_seconds() // 60) + 1)
        super().__init__(
            f"Too many failed sign-in attempts. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}."
        )
        self.until = until


class TokenNotFound(NotFound, AccountError):
    """No such API token among the asker's own: 404."""


class UserNotFound(NotFound, AccountError):
    """No one signs in with that email: 404."""


class ResetLinkUnusable(AccountError):
    """A password-reset link that is unknown, used or expired, with what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="token")

"""Accounts: the owner, staff and partners who sign in, their sessions and API tokens."""

from evergreen.accounts.rules import Role

__all__ = ["Role"]

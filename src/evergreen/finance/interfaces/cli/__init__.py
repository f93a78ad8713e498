"""`evergreen finance`: the command group, its valuation, loan and household commands."""

from evergreen.finance.interfaces.cli.commands import app

__all__ = ["app"]

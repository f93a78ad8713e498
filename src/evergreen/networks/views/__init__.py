"""The area's dashboard pages: the income page (earnings, networks) and one network's page."""

from __future__ import annotations

from evergreen.networks.views import earnings, network

__all__ = ["earnings", "network"]

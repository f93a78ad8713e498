"""The browser tests here run on the end-to-end fixtures: the server and Chromium, and the
lending owner's setup (tests/e2e/lending_setup.py)."""

from tests.e2e.conftest import _chromium, browser, chromium_path, lender, page, server

__all__ = ["_chromium", "browser", "chromium_path", "lender", "page", "server"]

"""The browser test here runs on the end-to-end fixtures: the real server and Chromium."""

from tests.e2e.conftest import _chromium, browser, chromium_path, page, server

__all__ = ["_chromium", "browser", "chromium_path", "page", "server"]

"""The browser test here runs on the end-to-end fixtures: the real server and Chromium."""

from tests.e2e.conftest import chromium_path, page, server

__all__ = ["chromium_path", "page", "server"]

"""The web layer: app factory, authentication, CSRF, layout and shared dependencies."""

from evergreen.web.app import create_app, prepare_routes

__all__ = ["create_app", "prepare_routes"]

"""/api/docs: Swagger UI from files installed with Evergreen, so it works with no internet.

The files come from the fastapi-offline package (a maintained copy of swagger-ui-dist that
supports OpenAPI 3.1); only its static folder is used, our app stays our own class.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from evergreen.web.deps import Public

__all__ = ["ASSETS_URL", "DOCS_URL", "install_api_docs"]

DOCS_URL = "/api/docs"
ASSETS_URL = "/api/docs/assets"
_ASSETS = Path(str(files("fastapi_offline") / "static"))
_PARAMETERS = {
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
    "validatorUrl": None,  # Swagger UI would otherwise ask validator.swagger.io for a badge
}


def install_api_docs(app: FastAPI, openapi_url: str) -> None:
    """Add the documentation page and its assets to the app."""
    app.mount(ASSETS_URL, StaticFiles(directory=_ASSETS), name="api-docs-assets")

    @app.get(DOCS_URL, include_in_schema=False, dependencies=[Public])
    def api_docs() -> HTMLResponse:
        """Swagger UI over the OpenAPI document, every file from this server."""
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=_PARAMETERS,
        )

"""The embeddable buy button: the snippet the owner copies from the product page (a plain link
that works with no script, and an optional script that opens the checkout in an overlay), the
script itself at /embed/buy.js, and the one relaxation of the app's frame headers it needs:
checkout pages asked for with ?embed=1 may be framed by any site, no other page may."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import escape

from evergreen.commerce.models import Price, Product
from evergreen.commerce.rules.products import from_cents
from evergreen.siteurl import site_url
from evergreen.web.deps import Public

__all__ = ["framable", "is_embedded", "router", "snippet"]

router = APIRouter(include_in_schema=False)
_SCRIPT = (Path(__file__).parent.parent / "static" / "buy.js").read_bytes()
_STYLE = (
    "display:inline-block;background:#15803d;color:#fff;text-decoration:none;"
    "padding:.7em 1.3em;border-radius:6px;font:600 16px/1.2 system-ui,sans-serif"
)


def is_embedded(request: Request) -> bool:
    """Whether the checkout page was asked for inside the buy button's overlay."""
    return request.query_params.get("embed") == "1"


def framable(request: Request, response: Response) -> Response:
    """Let any site frame this checkout page when it was asked for embedded; the app's
    security headers then leave X-Frame-Options out (web/app.py)."""
    if is_embedded(request):
        response.headers["Content-Security-Policy"] = "frame-ancestors *"
    return response


def snippet(request: Request, product: Product, prices: tuple[Price, ...]) -> str:
    """The HTML to paste into another site: a styled link to the checkout, then the script."""
    if not product.slug or not prices:
        return ""
    base = site_url(request).rstrip("/")
    price = prices[0]
    label = f"Buy {product.name} for {from_cents(price.amount_cents)} {price.currency}"
    return (
        f'<a href="{base}/buy/{escape(product.slug)}" data-evergreen-buy '
        f'style="{_STYLE}">{escape(label)}</a>\n'
        f'<script src="{base}/embed/buy.js" async></script>'
    )


@router.get("/embed/buy.js", dependencies=[Public])
def buy_script() -> Response:
    """The overlay script (no cookie read; any site may load it)."""
    return Response(
        _SCRIPT,
        media_type="text/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=3600",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )

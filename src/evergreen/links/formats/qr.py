"""QR codes for short links: SVG for print and pages, PNG where only a bitmap will do."""

from __future__ import annotations

import io

import segno

__all__ = ["BORDER", "MAX_SCALE", "qr_png", "qr_svg"]

BORDER = 4  # the quiet zone the QR standard asks for; scanners need it
MAX_SCALE = 40


def _code(url: str) -> segno.QRCode:
    # micro=False: phone cameras do not read Micro QR. boost_error=False keeps level M exactly.
    return segno.make(url, error="m", micro=False, boost_error=False)


def qr_svg(url: str) -> bytes:
    """The URL as an SVG QR code that scales to any size (it has a viewBox, no fixed size)."""
    buffer = io.BytesIO()
    # A white background, so the code still scans when placed on a dark page.
    _code(url).save(buffer, kind="svg", border=BORDER, light="#fff", omitsize=True)
    return buffer.getvalue()


def qr_png(url: str, scale: int = 8) -> bytes:
    """The URL as a PNG QR code, `scale` pixels per module, for tools that need a bitmap."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be from 1 to {MAX_SCALE} pixels per module, not {scale}")
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="png", scale=scale, border=BORDER, light="#fff")
    return buffer.getvalue()

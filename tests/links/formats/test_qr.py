"""QR codes: a real PNG that renders segno's symbol module for module, and well-formed SVG."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

import matplotlib.image
import numpy as np
import pytest
import segno

from evergreen.links.formats.qr import BORDER, qr_png, qr_svg

URL = "https://go.example.com/spring-deal"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _grey(png: bytes) -> Any:
    """The PNG as a 2-D array of brightness from 0 (black) to 1 (white)."""
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    return image if image.ndim == 2 else image[..., :3].mean(axis=2)


def test_png_is_a_png_with_dark_and_light_modules() -> None:
    png = qr_png(URL)
    assert png.startswith(PNG_SIGNATURE)
    pixels = _grey(png)
    assert len(np.unique(pixels)) > 1
    assert pixels.shape[0] == pixels.shape[1]


def test_a_larger_scale_makes_a_larger_image() -> None:
    small, large = _grey(qr_png(URL, scale=4)), _grey(qr_png(URL, scale=10))
    modules = small.shape[0] // 4
    assert large.shape == (modules * 10, modules * 10)
    assert len(qr_png(URL, scale=10)) > len(qr_png(URL, scale=4))


def test_png_draws_segnos_symbol_for_the_url_with_a_quiet_zone() -> None:
    # No QR decoder is installed; instead read every module back from the pixels and compare
    # with the symbol segno encodes for the URL (level M, a regular QR code, never Micro QR).
    scale = 5
    symbol = segno.make(URL, error="m", micro=False, boost_error=False)
    assert (symbol.error, symbol.is_micro) == ("M", False)
    pixels = _grey(qr_png(URL, scale=scale))
    size = len(symbol.matrix) + 2 * BORDER
    assert pixels.shape == (size * scale, size * scale)
    centres = pixels[scale // 2 :: scale, scale // 2 :: scale]
    dark = (centres < 0.5).astype(int)
    inner = dark[BORDER:-BORDER, BORDER:-BORDER]
    assert dark.sum() == inner.sum()  # the quiet zone all around is blank
    assert inner.tolist() == [list(row) for row in symbol.matrix]


def test_svg_is_well_formed_and_scalable() -> None:
    root = ET.fromstring(qr_svg(URL))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    size = len(segno.make(URL, error="m", micro=False, boost_error=False).matrix) + 2 * BORDER
    assert root.get("viewBox") == f"0 0 {size} {size}"


@pytest.mark.parametrize("scale", [0, 41])
def test_an_unreasonable_scale_is_refused_with_the_allowed_range(scale: int) -> None:
    with pytest.raises(ValueError, match="from 1 to 40"):
        qr_png(URL, scale=scale)

"""The text a PDF draws, for tests of payoff letters (compressed or not)."""

from __future__ import annotations

import contextlib
import re
import zlib

__all__ = ["pdf_text"]


def pdf_text(data: bytes) -> str:
    """The text a PDF draws, from its content streams."""
    assert data.startswith(b"%PDF-")
    shown = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        with contextlib.suppress(zlib.error):  # an uncompressed stream is read as it is
            raw = zlib.decompress(raw)
        shown += re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", raw)
    return " ".join(part.decode("latin-1").replace("\\(", "(").replace("\\)", ")")
                    for part in shown)  # fmt: skip

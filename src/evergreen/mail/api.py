"""JSON API for broadcasts (filled in below)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter(prefix="/mail", tags=["mail"])

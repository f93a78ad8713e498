"""Draw photos: which uploads are images (by their first bytes, never by the name the browser
sends), how big and how many may come with one draw request."""

from __future__ import annotations

from evergreen.lending.errors import LendingInputError

__all__ = ["MAX_PHOTOS", "MAX_PHOTO_BYTES", "PHOTO_TYPES", "check_photo_count", "photo_type"]

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6
# Media type → the file ending it is stored under.
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


def photo_type(head: bytes) -> str:
    """The image type of a file from its first bytes (JPEG, PNG, GIF, WebP), or the refusal."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    raise LendingInputError("photos", "must be images (JPEG, PNG, GIF or WebP)")


def check_photo_count(count: int) -> int:
    """How many photos one draw request may carry."""
    if count > MAX_PHOTOS:
        raise LendingInputError("photos", f"at most {MAX_PHOTOS} photos with one request")
    return count

"""The two kinds of JSON request body: ours refuse a field they do not know, others' ignore it.

A body model that silently drops an unknown field lets a client believe it was used: a link
posted with `partner_id` would be created unassigned and answered 201. Every API request model
therefore derives from `RequestBody` (a stray field is a 422 naming it, and the OpenAPI document
says `additionalProperties: false`); only a body that a system we do not control sends (an
embedded sign-up form, a buyer's copy of the software) derives from `ThirdPartyBody`.
`tests/web/test_request_bodies.py` walks the API document and fails on a model that is neither.
Both refuse a number sent for a day or a time (evergreen.isodates), which pydantic would read
as Unix time.
"""

from __future__ import annotations

from pydantic import ConfigDict

from evergreen.isodates import NoUnixTime

__all__ = ["RequestBody", "ThirdPartyBody"]


class RequestBody(NoUnixTime):
    """A body our API's own clients send: a field it does not declare is refused, never dropped."""

    model_config = ConfigDict(extra="forbid")


class ThirdPartyBody(NoUnixTime):
    """A body whose sender we cannot update: fields it adds are ignored, so it is never refused
    for sending more than this version reads."""

    model_config = ConfigDict(extra="ignore")

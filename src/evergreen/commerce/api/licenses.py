"""/api/v1/licenses: the public license API a buyer's copy of the software calls (as Gumroad's
and Lemon Squeezy's): activate a key on an instance, validate it, deactivate an instance. No
account or CSRF: the key is the credential; the activation limit holds under many callers.
Bodies ignore fields they do not know (web/bodies.ThirdPartyBody): copies already sold cannot be
updated, and one that sends more than this version reads must still activate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from evergreen.commerce import service
from evergreen.web.bodies import ThirdPartyBody
from evergreen.web.deps import Public, SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/licenses", tags=["licenses"], dependencies=[Public])


class ActivateIn(ThirdPartyBody):
    """A key and the name of the machine or site to activate it on."""

    license_key: str = Field(max_length=100, description="Like ABCDE-FGHIJ-KLMNO-PQRST.")
    instance_name: str = Field(max_length=200, description="What the buyer calls this instance.")


class ValidateIn(ThirdPartyBody):
    """A key, and optionally the instance it should be activated on."""

    license_key: str = Field(max_length=100)
    instance_id: str | None = Field(None, max_length=64)


class DeactivateIn(ThirdPartyBody):
    """A key and the instance to free."""

    license_key: str = Field(max_length=100)
    instance_id: str = Field(max_length=64)


@router.post("/activate", status_code=201, operation_id="activate_license")
def activate(body: ActivateIn, session: SessionDep) -> dict[str, Any]:
    """Activate a key on an instance (the same name again answers the same activation); a
    disabled key is refused 403, one with every activation used 409, each with the reason."""
    found, state = service.activate(session, body.license_key, body.instance_name)
    instance = {
        "id": found.instance_id,
        "name": found.instance_name,
        "activated_at": found.activated_at.isoformat(),
    }
    return {"activated": True, "instance": instance, "license": state.to_dict()}


@router.post("/validate", operation_id="validate_license")
def validate(body: ValidateIn, session: SessionDep) -> dict[str, Any]:
    """Whether a key is valid (and activated on the instance, when one is given), and why not."""
    valid, reason, state = service.validate(session, body.license_key, body.instance_id)
    return {"valid": valid, "reason": reason or None, "license": state.to_dict()}


@router.post("/deactivate", operation_id="deactivate_license")
def deactivate(body: DeactivateIn, session: SessionDep) -> dict[str, Any]:
    """Free an instance's activation, so the key can be activated elsewhere."""
    state = service.deactivate(session, body.license_key, body.instance_id)
    return {"deactivated": True, "license": state.to_dict()}

"""What the program's pages take from the path: the program and the partner, after the viewer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from evergreen.partners import service
from evergreen.partners.models import Partner, Program
from evergreen.web.deps import DashboardUser, DbId, SessionDep

__all__ = ["PartnerDep", "ProgramDep"]


def _program(session: SessionDep, _viewer: DashboardUser) -> Program:
    """The program the dashboard shows (the viewer is checked first: sign-in before 404)."""
    return service.default_program(session)


ProgramDep = Annotated[Program, Depends(_program)]


def _partner(partner_id: DbId, session: SessionDep, program: ProgramDep) -> Partner:
    """The partner named in the path, or the 404 page."""
    return service.get_partner(session, program, partner_id)


PartnerDep = Annotated[Partner, Depends(_partner)]

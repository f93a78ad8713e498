"""Lists: create, rename, delete, find."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.audience.errors import AudienceInputError
from evergreen.audience.models import AudienceList
from evergreen.audience.rules import check_list_name
from evergreen.db import write_unless_taken
from evergreen.errors import Conflict, NotFound

__all__ = ["create_list", "delete_list", "get_list", "list_named", "update_list"]


def get_list(session: Session, list_id: int) -> AudienceList:
    """The list with this id."""
    found = session.get(AudienceList, list_id)
    if found is None:
        raise NotFound("list_id", f"no list {list_id}")
    return found


def list_named(session: Session, name: str, *, create: bool = False) -> AudienceList:
    """The list with this name (exact), created as a double opt-in list when asked."""
    checked = check_list_name(name)
    found = session.scalar(select(AudienceList).where(AudienceList.name == checked))
    if found is not None:
        return found
    if not create:
        raise NotFound("list", f"no list named {checked!r}; create it first")
    return create_list(session, checked, exists_ok=True)


def create_list(
    session: Session,
    name: str,
    *,
    double_opt_in: bool = True,
    description: str = "",
    exists_ok: bool = False,
) -> AudienceList:
    """A new list; the name is unique (two people creating it at once get one list)."""
    checked = check_list_name(name)
    if len(description) > 500:
        raise AudienceInputError("description", "is longer than 500 characters")
    row = AudienceList(name=checked, double_opt_in=double_opt_in, description=description.strip())
    if write_unless_taken(
        session, lambda: session.add(row), lambda: _name_taken(session, checked, 0)
    ):
        return row
    existing = session.scalar(select(AudienceList).where(AudienceList.name == checked))
    if exists_ok and existing is not None:
        return existing
    raise Conflict("name", f"a list named {checked!r} already exists")


def update_list(
    session: Session,
    list_id: int,
    *,
    name: str | None = None,
    double_opt_in: bool | None = None,
    description: str | None = None,
) -> AudienceList:
    """Rename a list or change its opt-in; members keep their status."""
    row = session.get(AudienceList, list_id, with_for_update=True, populate_existing=True)
    if row is None:  # a rename racing the list's deletion finds it gone, not an update of none
        raise NotFound("list_id", f"no list {list_id}")
    checked = None if name is None else check_list_name(name)
    if description is not None and len(description) > 500:
        raise AudienceInputError("description", "is longer than 500 characters")

    def write() -> None:
        if checked is not None:
            row.name = checked
        if double_opt_in is not None:
            row.double_opt_in = double_opt_in
        if description is not None:
            row.description = description.strip()

    # Renamed, perhaps, to a name another request takes at this moment.
    if not write_unless_taken(
        session, write, lambda: checked is not None and _name_taken(session, checked, row.id)
    ):
        raise Conflict("name", f"a list named {checked!r} already exists")
    return row


def _name_taken(session: Session, name: str, but: int) -> bool:
    """Whether another list has this name."""
    query = select(AudienceList.id).where(AudienceList.name == name, AudienceList.id != but)
    return session.scalar(query) is not None


def delete_list(session: Session, list_id: int) -> None:
    """Delete a list and its memberships; subscribers and their consent history stay."""
    session.delete(get_list(session, list_id))
    session.flush()

"""JSON routes for the caller's identity, API tokens and (owner only) people."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from evergreen.accounts import service as accounts
from evergreen.accounts.models import ApiToken, User
from evergreen.web.bodies import RequestBody
from evergreen.web.deps import ApiOwner, ApiStaff, ApiUser, DbId, SessionDep

__all__ = ["router"]

router = APIRouter(tags=["accounts"])


class UserOut(BaseModel):
    """A person, without secrets."""

    id: int
    email: str
    role: str
    is_active: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        """Project the table row."""
        return cls(id=user.id, email=user.email, role=user.role, is_active=user.is_active)


class TokenOut(BaseModel):
    """An API token's record; the secret itself is never listed."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        """Project the table row."""
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class TokenCreate(RequestBody):
    """What to call a new token."""

    name: str = Field(min_length=1, max_length=100)


class TokenCreated(TokenOut):
    """A new token, with its secret shown this one time."""

    token: str


@router.get("/me", operation_id="get_current_user")
def me(user: ApiUser) -> UserOut:
    """Who this token belongs to."""
    return UserOut.of(user)


@router.get("/tokens", operation_id="list_tokens")
def list_tokens(user: ApiStaff, session: SessionDep) -> list[TokenOut]:
    """The caller's tokens, revoked ones included."""
    return [TokenOut.of(t) for t in accounts.list_tokens(session, user)]


@router.post("/tokens", status_code=201, operation_id="create_token")
def create_token(body: TokenCreate, user: ApiStaff, session: SessionDep) -> TokenCreated:
    """Issue another token for the caller; store the secret now, it is not shown again."""
    token, raw = accounts.create_token(session, user, body.name)
    return TokenCreated(**TokenOut.of(token).model_dump(), token=raw)


@router.delete("/tokens/{token_id}", operation_id="revoke_token")
def revoke_token(token_id: DbId, user: ApiStaff, session: SessionDep) -> TokenOut:
    """Revoke one of the caller's tokens (revoking the one in use is allowed)."""
    return TokenOut.of(accounts.revoke_token(session, user, token_id))


@router.get("/users", operation_id="list_users")
def list_users(user: ApiOwner, session: SessionDep) -> list[UserOut]:
    """Owner only: everyone who can sign in."""
    return [UserOut.of(u) for u in accounts.list_users(session)]

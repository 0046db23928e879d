"""/tokens: the sessions and API tokens of the caller's workspace; making an API token (owners), and
revoking one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Response

from admin.common import Page, Paging, conflict, not_found, paging
from admin.deps import Caller, CurrentCaller, require_admin
from admin.tokens import service
from admin.tokens.schemas import TokenCreate, TokenCreated, TokenPublic
from core.models import ApiToken
from core.web import Db

router = APIRouter(prefix="/tokens", tags=["tokens"])


def _only_user(caller: Caller) -> str | None:
    """Owners and admins (and workspace API tokens with the full or read scope) see every token; agents
    their own sessions; an inbox-scoped API token, which has no person, none."""
    if caller.is_admin:
        return None
    if caller.user_id is None:
        raise HTTPException(403, "an inbox token cannot see or revoke tokens")
    return caller.user_id


def public(token: ApiToken, email: str | None, caller: Caller) -> TokenPublic:
    return TokenPublic(
        id=token.id,
        kind="session" if token.kind == "session" else "api",
        name=token.name,
        scope="full" if token.kind == "session" else token.scope,
        prefix=token.prefix,
        user_id=token.user_id,
        user_email=email,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        expires_at=token.expires_at,
        current=token.id == caller.token_id,
    )


@router.post(
    "",
    status_code=201,
    response_model=TokenCreated,
    summary="Make a workspace API token for a script or integration (owners and admins); the token is shown once",
)
async def create(body: TokenCreate, caller: CurrentCaller, db: Db) -> TokenCreated:
    require_admin(caller)
    try:
        async with db.session() as s:
            row, token = await service.create_api_token(
                s, workspace_id=caller.workspace_id, name=body.name, scope=body.scope
            )
    except service.TooManyTokens as exc:
        raise conflict(str(exc)) from exc
    return TokenCreated(**public(row, None, caller).model_dump(), token=token)


@router.get(
    "",
    response_model=Page[TokenPublic],
    summary="Live sessions and API tokens of this workspace, newest first (agents: their own sessions)",
)
async def list_tokens(caller: CurrentCaller, db: Db, page: Paging = Depends(paging)) -> Page[TokenPublic]:
    async with db.reader() as s:
        total, rows = await service.live_tokens(
            s,
            workspace_id=caller.workspace_id,
            only_user_id=_only_user(caller),
            limit=page.limit,
            offset=page.offset,
        )
    items = [public(token, email, caller) for token, email in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.delete(
    "/{token_id}", status_code=204, summary="Revoke a session or API token: it is refused from the next request on"
)
async def revoke(token_id: str, caller: CurrentCaller, db: Db) -> Response:
    async with db.session() as s:
        found = await service.revoke(
            s, workspace_id=caller.workspace_id, token_id=token_id, only_user_id=_only_user(caller)
        )
    if not found:
        raise not_found("token")
    return Response(status_code=204)

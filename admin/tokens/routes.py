"""/tokens: the sessions and API tokens of the caller's workspace, and revoking one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from admin.common import Page, Paging, not_found, paging
from admin.deps import Caller, CurrentCaller
from admin.tokens import service
from admin.tokens.schemas import TokenPublic
from core.web import Db

router = APIRouter(prefix="/tokens", tags=["tokens"])


def _only_user(caller: Caller) -> str | None:
    """Owners and admins (and workspace API tokens, which act as the owner) see every token; agents their own."""
    return None if caller.is_admin else caller.user_id


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
    items = [
        TokenPublic(
            id=token.id,
            kind="session" if token.kind == "session" else "api",
            name=token.name,
            prefix=token.prefix,
            user_id=token.user_id,
            user_email=email,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            current=token.id == caller.token_id,
        )
        for token, email in rows
    ]
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

"""Creating workspaces (with a default assistant and an owner token) and resolving API tokens.

Shared by the CLI (`frontdesk workspace create`, `frontdesk demo`) and the admin API.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import new_token, token_hash
from core.messages import utcnow
from core.models import ApiToken, Assistant, Membership, User, Workspace

DEFAULT_INSTRUCTIONS = (
    "Greet customers warmly, answer questions about the business from its knowledge "
    "base, and help them book. Hand anything you are unsure of to the team."
)


def slugify(text: str, *, max_length: int = 48) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", re.sub("['`\u2019]", "", ascii_text.lower())).strip("-")
    return slug[:max_length].strip("-") or "workspace"


async def unique_slug(s: AsyncSession, model: type[Workspace] | type[Assistant], base: str) -> str:
    slug, n = base, 1
    while (await s.execute(select(model.id).where(model.slug == slug))).first() is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


# What a workspace API token may do: "full" acts as the workspace's owner (what every token could do
# before scopes), "inbox" as a staff member (conversations and drafts, no settings), "read" may look
# at anything "full" may and change nothing.
TOKEN_SCOPES = ("full", "inbox", "read")


@dataclass(frozen=True)
class NewWorkspace:
    workspace: Workspace
    assistant: Assistant
    token: str  # shown once; only its hash is stored


async def issue_token(
    s: AsyncSession,
    *,
    workspace_id: str,
    user_id: str | None,
    name: str,
    kind: str = "api",
    scope: str = "full",
    expires_at: datetime | None = None,
) -> str:
    if scope not in TOKEN_SCOPES:
        raise ValueError(f"unknown token scope {scope!r}")
    token = new_token()
    s.add(
        ApiToken(
            workspace_id=workspace_id,
            user_id=user_id,
            name=name,
            kind=kind,
            scope=scope,
            token_hash=token_hash(token),
            prefix=token[:10],
            expires_at=expires_at,
        )
    )
    return token


async def create_workspace(
    s: AsyncSession,
    *,
    name: str,
    owner: User | None = None,
    slug: str | None = None,
    approval_policy: str = "approve_all",
    instructions: str | None = None,
    model_settings: dict[str, object] | None = None,
) -> NewWorkspace:
    """A workspace with its default assistant, and an owner API token."""
    workspace = Workspace(name=name.strip(), slug=await unique_slug(s, Workspace, slugify(slug or name)))
    s.add(workspace)
    await s.flush()
    assistant = Assistant(
        workspace_id=workspace.id,
        name=f"{workspace.name} assistant",
        slug=await unique_slug(s, Assistant, workspace.slug),
        instructions=instructions or DEFAULT_INSTRUCTIONS,
        approval_policy=approval_policy,
        model_settings=model_settings or {},
    )
    s.add(assistant)
    if owner is not None:
        s.add(Membership(workspace_id=workspace.id, user_id=owner.id, role="owner"))
    token = await issue_token(s, workspace_id=workspace.id, user_id=owner.id if owner else None, name="owner token")
    await s.flush()
    return NewWorkspace(workspace, assistant, token)


async def token_owner(s: AsyncSession, token: str) -> ApiToken | None:
    """The live token row for a bearer token, or None (unknown, revoked or expired)."""
    row = (await s.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row

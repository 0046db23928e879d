"""Small helpers for tests: creating a workspace the way the CLI does, the draft waiting for staff."""

from __future__ import annotations

from core.db import Database
from core.models import Draft
from core.workspaces import NewWorkspace, create_workspace
from staff import queries


async def new_workspace(db: Database, name: str = "Bella's Salon", **kwargs: object) -> NewWorkspace:
    async with db.session() as s:
        return await create_workspace(s, name=name, **kwargs)  # type: ignore[arg-type]


async def latest_pending(db: Database, workspace_id: str) -> Draft | None:
    """The newest draft waiting for staff in the workspace."""
    async with db.reader() as s:
        return await queries.latest_pending(s, workspace_id=workspace_id)

"""Small helpers for tests: creating a workspace the way the CLI does."""

from __future__ import annotations

from core.db import Database
from core.workspaces import NewWorkspace, create_workspace


async def new_workspace(db: Database, name: str = "Bella's Salon", **kwargs: object) -> NewWorkspace:
    async with db.session() as s:
        return await create_workspace(s, name=name, **kwargs)  # type: ignore[arg-type]

"""Per-process copies of what a turn reads and rarely changes: a workspace's settings, its assistants
and connections, its rules, its context schema and intents, its knowledge-base settings.

Each workspace has a `config_version`. Any committed change to a tracked table bumps it in the change's
own transaction: an ORM flush that adds, changes or deletes a tracked row does it by itself (the
`after_flush` hook below); a bulk `update()`/`delete()` on a tracked table calls `changed()`. A turn
reads the version once, with its conversation (resolve), and takes the `Snapshot` of that version:
what an earlier turn loaded at that version is reused, anything else is loaded and kept. A change
committed by any process, before a turn reads the version, is therefore seen by that turn. A write
that bypasses the ORM and `changed()` (hand-written SQL) is seen after `MAX_AGE_SECONDS` at most.

Packages register their tables with `track(Model)` (beside the model), as they register migrations.
Cached rows are detached ORM objects shared by concurrent turns: read them, never change them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from core.models import Assistant, ChannelConnection, Workspace

T = TypeVar("T")
MAX_AGE_SECONDS = 60.0
# Snapshots kept at most; a busy process serves a few hundred workspaces, a snapshot is small.
MAX_WORKSPACES = 2000

_TRACKED: dict[type[Any], Callable[[Any], str | None]] = {}


def track(model: type[Any], workspace_of: Callable[[Any], str | None] | None = None) -> None:
    """Changes to `model`'s rows bump the version of the workspace `workspace_of(row)` names
    (default: the row's `workspace_id`)."""
    _TRACKED[model] = workspace_of or (lambda row: getattr(row, "workspace_id", None))


def bump_statement(workspace_ids: Iterable[str]) -> Any:
    ids = sorted(set(workspace_ids))  # one order, so two transactions never lock rows crosswise
    return update(Workspace).where(Workspace.id.in_(ids)).values(config_version=Workspace.config_version + 1)


async def changed(s: Any, workspace_id: str) -> None:
    """Bump a workspace's version in the session's transaction (after a bulk statement on a tracked
    table, which the flush hook cannot see)."""
    await s.execute(bump_statement([workspace_id]))


@event.listens_for(Session, "after_flush")
def _bump_on_flush(session: Session, _context: Any) -> None:
    touched: set[str] = set()
    for rows, changed_only in ((session.new, False), (session.deleted, False), (session.dirty, True)):
        for row in rows:
            workspace_of = _TRACKED.get(type(row))
            if workspace_of is None or (changed_only and not session.is_modified(row)):
                continue
            if workspace_id := workspace_of(row):
                touched.add(workspace_id)
    if touched:
        session.connection().execute(bump_statement(touched))


@dataclass
class Snapshot:
    """One workspace's configuration at one version: values loaded on first use, then kept."""

    workspace_id: str
    version: int
    made: float = field(default_factory=time.monotonic)
    values: dict[str, Any] = field(default_factory=dict)

    async def get(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        if key not in self.values:
            self.values[key] = await load()
        value: T = self.values[key]
        return value


class ConfigCache:
    def __init__(self, *, max_age: float = MAX_AGE_SECONDS) -> None:
        self.max_age = max_age
        self._snapshots: dict[str, Snapshot] = {}

    def snapshot(self, workspace_id: str, version: int) -> Snapshot:
        """The snapshot for this version of the workspace (a new, empty one when the version moved
        or the old one is older than `max_age`)."""
        found = self._snapshots.get(workspace_id)
        if found is None or found.version != version or time.monotonic() - found.made > self.max_age:
            if found is None and len(self._snapshots) >= MAX_WORKSPACES:
                self._snapshots.pop(next(iter(self._snapshots)))  # the oldest inserted
            found = self._snapshots[workspace_id] = Snapshot(workspace_id, version)
        return found


track(Workspace, lambda row: row.id)
track(Assistant)
track(ChannelConnection)

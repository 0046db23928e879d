"""Every row of one workspace, read straight from the database, to compare before and after.

Nothing here lists tables: they are reflected from the database, so a new feature's tables are in
the snapshot the day they are migrated. A workspace's rows are those with its workspace_id, the
rows without a workspace_id column its rows point to (its users, a Slack event of its connection),
and any row, whichever workspace it belongs to, that points at one of them: another workspace's
row that references this one's is a leak of its own, and shows up here as a change.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import MetaData, Table, select

from core.db import Database

Row = dict[str, Any]
Rows = dict[str, dict[Hashable, Row]]  # table → primary key → row


async def rows_of(db: Database, workspace_id: str) -> Rows:
    metadata = MetaData()
    async with db.engine.connect() as conn:
        await conn.run_sync(lambda sync: metadata.reflect(sync))
        tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
        everything = {t.name: [dict(r._mapping) for r in (await conn.execute(select(t)))] for t in tables}
    return _closure(tables, everything, workspace_id)


def _closure(tables: list[Table], everything: dict[str, list[Row]], workspace_id: str) -> Rows:
    def key(table: Table, row: Row) -> Hashable:
        return tuple(row[c.name] for c in table.primary_key.columns) or tuple(sorted(row.items()))

    mine: Rows = {t.name: {} for t in tables}
    for t in tables:
        for row in everything[t.name]:
            if ("workspace_id" in t.c and row["workspace_id"] == workspace_id) or (
                t.name == "workspaces" and row["id"] == workspace_id
            ):
                mine[t.name][key(t, row)] = row
    links = [
        (t, fk.parent.name, fk.column.table.name, fk.column.name) for t in tables for fk in t.foreign_keys
    ]  # (table, column) → (referred table, its column)
    by_name = {t.name: t for t in tables}
    grown = True
    while grown:
        grown = False
        for table, column, referred, referred_column in links:
            theirs = {row[referred_column] for row in mine[referred].values()}
            for row in everything[table.name]:  # rows pointing at ours
                if row[column] in theirs and key(table, row) not in mine[table.name]:
                    mine[table.name][key(table, row)] = row
                    grown = True
            target = by_name[referred]
            if "workspace_id" in target.c:
                continue
            ours = {row[column] for row in mine[table.name].values()}
            for row in everything[referred]:  # rows we point at that belong to no workspace
                if row[referred_column] in ours and key(target, row) not in mine[referred]:
                    mine[referred][key(target, row)] = row
                    grown = True
    return mine


def differences(before: Rows, after: Rows) -> list[str]:
    """What changed, one line per row: readable enough to find the request that did it."""
    found = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, {}), after.get(table, {})
        for pk in old.keys() - new.keys():
            found.append(f"{table} {pk}: gone")
        for pk in new.keys() - old.keys():
            found.append(f"{table} {pk}: new {new[pk]}")
        for pk in old.keys() & new.keys():
            changed = sorted(c for c in old[pk] if old[pk][c] != new[pk].get(c))
            if changed:
                found.append(f"{table} {pk}: {', '.join(f'{c} {old[pk][c]!r} → {new[pk][c]!r}' for c in changed)}")
    return found

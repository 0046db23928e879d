"""A workspace ready to try: an FAQ in its knowledge base, a rule on Sunday questions, and its
assistant's model on a fake OpenAI-compatible server (tests/fakes/openai_server.py) on loopback."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from bot.runtime import Runtime
from core.db import Database
from core.models import Base
from rules import service as rules
from tests.admin.conftest import API, bearer, wait_for

FAQ = (
    "# Opening hours\n\n## Hours\n\n### Are you open on Sunday?\nNo, we are closed on Sundays. "
    "We are open Monday to Saturday, 9 to 6.\n\n### Do you sell gift cards?\nYes, at the front desk.\n"
)
SUNDAY_RULE = {
    "name": "Sunday questions",
    "trigger": {"type": "message_received"},
    "conditions": {"variable": "message.text", "operator": "contains_any", "value": ["sunday"]},
    "actions": [{"type": "add_tags", "tags": ["sunday"]}, {"type": "require_approval"}],
}
KEY = "sk-right-key-0123456789"
DRAFT = {"reply": "Sorry, we are closed on Sundays.", "confidence": 0.93, "cited_sources": [], "needs_staff": False}


async def knowledge(client: httpx.AsyncClient, token: str) -> None:
    """The FAQ uploaded and embedded (the job runs in this process)."""
    r = await client.post(
        f"{API}/knowledge-base/documents", headers=bearer(token), files={"file": ("hours.md", FAQ.encode())}
    )
    assert r.status_code in (200, 201, 202), r.text
    job_id = r.json()["job"]["id"]

    async def done() -> bool:
        job = (await client.get(f"{API}/knowledge-base/jobs/{job_id}", headers=bearer(token))).json()
        assert job["state"] != "failed", job
        return bool(job["state"] == "done")

    await wait_for(done, timeout=60)


async def sunday_rule(runtime: Runtime, workspace_id: str) -> None:
    async with runtime.db.session() as s:
        await rules.save(s, workspace_id=workspace_id, data=SUNDAY_RULE, box=runtime.box)
    runtime.rules.book.forget(workspace_id)


async def row_counts(db: Database) -> dict[str, int]:
    """Every table's number of rows."""
    async with db.reader() as s:
        return {
            t.name: (await s.execute(select(func.count()).select_from(t))).scalar_one()
            for t in Base.metadata.sorted_tables
        }

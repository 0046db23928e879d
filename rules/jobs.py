"""Rule jobs: outgoing webhooks and delayed follow-ups, run from the leased queue (core.queue).

A job is claimed by one worker when due. A webhook that fails is retried with backoff; when its
attempts run out, the rule's on_failure actions run, and the conversation goes on as before (nothing
waits on a webhook). A follow-up runs its actions once: the claim hands it to one worker, and its
replies are keyed by the job, so even a crash between sending and finishing repeats no reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
from datetime import timedelta
from typing import Any

import httpx
from pydantic import TypeAdapter
from sqlalchemy import select

from core.models import Conversation, Workspace
from core.queue import LeasedQueue, backoff
from rules import schema
from rules.actions import perform
from rules.conditions import explain
from rules.engine import CompiledRule, Evaluation, compile_rule, record
from rules.facts import facts, load
from rules.hours import Clock
from rules.models import Rule, RuleJob
from rules.run import Run, Services
from rules.service import open_secret

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Frontdesk-Signature"
ACTIONS = TypeAdapter(list[schema.Action])


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of the raw body, the way GitHub and Stripe sign theirs; receivers compare it
    with hmac.compare_digest over the bytes they received."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class JobRunner:
    def __init__(
        self,
        services: Services,
        worker_id: str,
        *,
        clock: Clock,
        lease_seconds: float = 60.0,
        backoff_base: float = 2.0,
        backoff_max: float = 600.0,
        timeout: float = 10.0,
        allow_private: bool = False,
    ) -> None:
        self.services = services
        self.allow_private = allow_private
        self.worker_id = worker_id
        self.clock = clock
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.queue: LeasedQueue[RuleJob] = LeasedQueue(services.db, RuleJob, "running", lease_seconds)
        self.http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def run_due(self, limit: int = 16) -> int:
        """Run every job due now; how many ran."""
        total = 0
        while True:
            rows = await self.queue.claim(self.worker_id, limit, now=self.clock())
            for row in rows:
                try:
                    await self._run(row)
                except Exception as exc:
                    log.exception("rule job failed", extra={"job_id": row.id, "kind": row.kind})
                    await self._retry_or_fail(row, f"{type(exc).__name__}: {exc}")
            total += len(rows)
            if len(rows) < limit:
                return total

    async def _run(self, row: RuleJob) -> None:
        if row.kind == "webhook":
            await self._webhook(row)
        else:
            await self._follow_up(row)

    async def _done(self, row: RuleJob, result: str) -> None:
        await self.queue.finish(row.id, self.worker_id, "done", finished_at=self.clock(), result=result[:2000])

    # --- webhooks ------------------------------------------------------------------------------

    async def _private_address(self, url: str) -> str | None:
        """The private, loopback or link-local address `url` resolves to, if any: a tenant's webhook must
        not reach this network's own services (SSRF). Allowed in dev mode and when configured."""
        if self.allow_private:
            return None
        parsed = httpx.URL(url)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(parsed.host, parsed.port or 443)
        except OSError:
            return None  # unresolvable: the request fails and is retried like any network error
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
                return str(address)
        return None

    async def _webhook(self, row: RuleJob) -> None:
        p = row.payload
        private = await self._private_address(p["url"])
        if private is not None:
            row.attempts = max(row.attempts, int(p.get("max_attempts", 5)))  # no point retrying
            await self._retry_or_fail(row, f"refused: {p['url']} resolves to a private address ({private})")
            return
        body = json.dumps(p["body"], separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "frontdesk-rules"}
        if p.get("secret"):
            headers[SIGNATURE_HEADER] = sign(open_secret(self.services.box, p["secret"]), body)
        headers["X-Frontdesk-Delivery"] = row.idempotency_key  # the receiver's dedup key across retries
        try:
            response = await self.http.post(p["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            await self._retry_or_fail(row, f"{type(exc).__name__}: {exc}")
            return
        if response.status_code >= 400:
            await self._retry_or_fail(row, f"HTTP {response.status_code}")
            return
        await self._done(row, f"HTTP {response.status_code}")

    async def _retry_or_fail(self, row: RuleJob, error: str) -> None:
        max_attempts = int(row.payload.get("max_attempts", 5)) if row.kind == "webhook" else 3
        if row.attempts < max_attempts:
            delay = backoff(row.attempts, base=self.backoff_base, cap=self.backoff_max)
            await self.queue.finish(
                row.id,
                self.worker_id,
                "pending",
                last_error=error[:2000],
                next_attempt_at=self.clock() + timedelta(seconds=delay),
            )
            return
        finished = await self.queue.finish(
            row.id, self.worker_id, "failed", finished_at=self.clock(), last_error=error[:2000]
        )
        if finished:
            log.warning("rule job failed for good", extra={"job_id": row.id, "kind": row.kind, "error": error[:300]})
            await self._on_failure(row, error)

    async def _on_failure(self, row: RuleJob, error: str) -> None:
        """The rule's on_failure actions, logged like any evaluation (occasion: this job)."""
        if row.rule_id is None:
            return
        loaded = await self._load(row)
        if loaded is None:
            return
        rule, sit_workspace, conversation = loaded
        if not rule.spec.on_failure:
            return
        async with self.services.db.reader() as s:
            sit = await load(s, workspace=sit_workspace, conversation=conversation, now=self.clock())
        run = Run(rule.id, rule.name, "webhook_failed", sit, key=f"job:{row.id}:failed")
        results = [{"action": row.kind, "phase": "action", "ok": False, "error": error[:500]}]
        results += await perform(self.services, run, rule.spec.on_failure, [])
        await self._log(row, rule, matched=True, results=results, occasion=f"job:{row.id}:failed")

    # --- follow-ups ----------------------------------------------------------------------------

    async def _follow_up(self, row: RuleJob) -> None:
        loaded = await self._load(row)
        if loaded is None:
            await self._done(row, "the rule or conversation is gone")
            return
        rule, workspace, conversation = loaded
        now = self.clock()
        async with self.services.db.reader() as s:
            sit = await load(s, workspace=workspace, conversation=conversation, now=now)
        p = row.payload
        trigger = "follow_up"
        if p.get("rule"):
            target = await self._rule_named(workspace.id, p["rule"])
            if target is None or not target.spec.active:
                await self._done(row, f"rule {p['rule']!r} is gone or inactive")
                return
            seen = facts(sit)
            matched = target.matches(seen, {})
            results: list[dict[str, Any]] = []
            if matched:
                run = Run(target.id, target.name, trigger, sit, key=f"job:{row.id}")
                results = await perform(self.services, run, target.spec.actions, target.spec.on_failure)
            await self._log(
                row, target, matched=matched, results=results, conditions=explain(target.spec.conditions, seen, {})
            )
            await self._done(row, "ran" if matched else "conditions no longer hold")
            return
        run = Run(rule.id, rule.name, trigger, sit, key=f"job:{row.id}")
        results = await perform(self.services, run, ACTIONS.validate_python(p.get("actions") or []), [])
        await self._log(row, rule, matched=True, results=results)
        await self._done(row, "ran")

    async def _rule_named(self, workspace_id: str, name: str) -> CompiledRule | None:
        async with self.services.db.reader() as s:
            found = (
                await s.execute(select(Rule.id, Rule.spec).where(Rule.workspace_id == workspace_id, Rule.name == name))
            ).one_or_none()
        return None if found is None else compile_rule(found[0], schema.RuleSpec.model_validate(found[1]))

    async def _load(self, row: RuleJob) -> tuple[CompiledRule, Workspace, Conversation | None] | None:
        async with self.services.db.reader() as s:
            rule_row = await s.get(Rule, row.rule_id) if row.rule_id else None
            workspace = await s.get(Workspace, row.workspace_id)
            conversation = await s.get(Conversation, row.conversation_id) if row.conversation_id else None
        if rule_row is None or workspace is None or (row.conversation_id and conversation is None):
            return None
        return compile_rule(rule_row.id, schema.RuleSpec.model_validate(rule_row.spec)), workspace, conversation

    async def _log(
        self,
        row: RuleJob,
        rule: CompiledRule,
        *,
        matched: bool,
        results: list[dict[str, Any]],
        occasion: str | None = None,
        conditions: dict[str, Any] | None = None,
    ) -> None:
        evaluation = Evaluation(rule, matched, conditions or {"job": row.id}, results)
        try:
            await record(
                self.services.db,
                [evaluation],
                workspace_id=row.workspace_id,
                conversation_id=row.conversation_id,
                trigger=row.kind,
                now=self.clock(),
                occasion=occasion or f"job:{row.id}",
            )
        except Exception:
            log.exception("could not log a rule job", extra={"job_id": row.id})

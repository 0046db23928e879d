"""The staff-actions service: one function per thing staff do, the one entry point every face calls.

Each action runs in one unit of work with its audit entry, then fires the same consequences
whichever face called it: the outbox bell, the live-update notice (core.wakeup) and the owner's
rule events (`draft_rejected`, `status_changed`, `context_changed`). Errors are the domain's own
(staff.errors); each face turns them into its answer.

Built once per process by bot.runtime (`runtime.staff`), with the parts it needs injected: the
rule engine's events object among them, so this package never imports rules.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.db import Database
from core.inbox import requeue_failed
from core.models import Draft
from core.wakeup import Replying, Wakeup
from kb import memory
from staff import audit, drafts, queries
from staff.actor import Actor
from staff.context import change_context
from staff.conversations import ConversationChanges, apply_changes
from staff.errors import Conflict, NotFound, Refused
from understanding.context import Proposed
from understanding.schema import STATUS

if TYPE_CHECKING:
    from kb.embedders import Embedders
    from understanding.models import ContextChange

log = logging.getLogger(__name__)


class RuleEvents(Protocol):
    """The rule engine's event triggers (rules.events.Events): trouble there is logged, and the
    staff member's change stands."""

    async def fire_safely(self, trigger: str, **kwargs: Any) -> None: ...


@dataclass(frozen=True)
class Event:
    """A rule event to fire once the change is committed."""

    trigger: str
    previous: dict[str, Any]
    key: str


def _draft_state(draft: Draft, **extra: Any) -> dict[str, Any]:
    return {"state": draft.state, **extra}


class StaffActions:
    def __init__(
        self,
        db: Database,
        wakeup: Wakeup,
        *,
        events: RuleEvents | None = None,
        embedders: Embedders | None = None,
        phone_region: str | None = None,
    ) -> None:
        self.db = db
        self.wakeup = wakeup
        self.events = events
        self.embedders = embedders  # the knowledge base's, for answers staff save
        self.phone_region = phone_region  # how context fields read phone numbers without a country code

    async def _after(self, actor: Actor, conversation_id: str, events: Sequence[Event] = ()) -> None:
        """What follows a committed change (never a no-op): the live-update notice, then the owner's rules."""
        self.wakeup.conversation_changed(actor.workspace_id, conversation_id)
        if self.events is None:
            return
        for event in events:
            await self.events.fire_safely(
                event.trigger,
                workspace_id=actor.workspace_id,
                conversation_id=conversation_id,
                previous=event.previous,
                key=event.key,
            )

    # --- drafts ----------------------------------------------------------------------------------

    async def approve(
        self, actor: Actor, draft_id: str, *, text: str | None = None, save_answer: bool = False
    ) -> Draft:
        """Send the draft, or `text` (an edit), to the customer; approving twice sends once.
        `save_answer` also saves the customer's question and the reply as an answer."""
        async with self.db.session() as s:
            draft, conversation = await drafts.locked(s, actor.workspace_id, draft_id)
            changed = draft.state not in ("approved", "edited")  # a double click sends once
            if changed:
                before = _draft_state(draft, conversation_status=conversation.status)
                await drafts.approve(s, draft, conversation, user_id=actor.user_id, text=text)
                after = _draft_state(draft, conversation_status=conversation.status, final_text=draft.final_text)
                await audit.record(
                    s, actor, "draft.approve", object_type="draft", object_id=draft.id, before=before, after=after
                )
                await self.wakeup.conversation_changed_in(s, actor.workspace_id, conversation.id)
        if changed:
            self.wakeup.set("outbox")
            await self._after(actor, draft.conversation_id)
        if save_answer and draft.final_text:
            await self._save_answer(
                actor, draft.conversation_id, draft.final_text, inbox_id=draft.inbox_id, object_id=draft.id
            )
        return draft

    async def reject(self, actor: Actor, draft_id: str, *, reason: str | None = None) -> Draft:
        """Send nothing; the owner's `draft_rejected` rules run. The reason is kept in the audit log."""
        reason = (reason or "").strip() or None
        async with self.db.session() as s:
            draft, conversation = await drafts.locked(s, actor.workspace_id, draft_id)
            if draft.state == "rejected":
                return draft
            before = _draft_state(draft)
            drafts.reject(draft, user_id=actor.user_id)
            after = _draft_state(draft, reason=reason)
            await audit.record(
                s, actor, "draft.reject", object_type="draft", object_id=draft.id, before=before, after=after
            )
            await self.wakeup.conversation_changed_in(s, actor.workspace_id, conversation.id)
        await self._after(actor, draft.conversation_id, [Event("draft_rejected", {}, f"rejected:{draft.id}")])
        return draft

    async def take_over(self, actor: Actor, draft_id: str) -> Draft:
        """Answer the draft's conversation yourself: the bot pauses there until handed back."""
        async with self.db.session() as s:
            draft, conversation = await drafts.locked(s, actor.workspace_id, draft_id)

            def state() -> dict[str, Any]:
                return _draft_state(
                    draft, bot_paused=conversation.bot_paused, assigned_user_id=conversation.assigned_user_id
                )

            before = state()
            drafts.take_over(draft, conversation, user_id=actor.user_id)
            changed = state() != before
            if changed:
                await audit.record(
                    s, actor, "draft.take_over", object_type="draft", object_id=draft.id, before=before, after=state()
                )
                await self.wakeup.conversation_changed_in(s, actor.workspace_id, conversation.id)
        if changed:
            await self._after(actor, draft.conversation_id)
        return draft

    # --- replies and answers -----------------------------------------------------------------------

    async def replying(self, actor: Actor, conversation_id: str, *, name: str, typing: bool = True) -> None:
        """Tell the others watching the conversation that this staff member is writing to the
        customer (or stopped): in this process's live feed at once, and in the others' through the
        conversations' NOTIFY on PostgreSQL. Nothing is stored, so nothing is audited."""
        if actor.user_id is None:
            raise Refused("Only a person can be replying.")
        async with self.db.reader() as s:
            if not await queries.exists(s, workspace_id=actor.workspace_id, conversation_id=conversation_id):
                raise NotFound("conversation")
        replying = Replying(actor.user_id, " ".join(name.split())[:200] or "Someone", typing)
        if self.db.is_postgres:
            async with self.db.session() as s:
                await self.wakeup.someone_replying_in(s, actor.workspace_id, conversation_id, replying)
        self.wakeup.someone_replying(actor.workspace_id, conversation_id, replying)

    async def reply(
        self, actor: Actor, conversation_id: str, text: str, *, idempotency_key: str, save_answer: bool = False
    ) -> int | None:
        """Reply as staff through the outbox; the same key again sends once (None then)."""
        text = text.strip()
        if not text:
            raise Refused("text is empty")
        async with self.db.session() as s:
            conversation = await drafts.conversation(s, actor.workspace_id, conversation_id, lock=False)
            outbox_id = await drafts.staff_reply(
                s, conversation, user_id=actor.user_id, text=text, idempotency_key=idempotency_key
            )
            if outbox_id is not None:
                after = {"text": text, "outbox_id": outbox_id}
                await audit.record(
                    s, actor, "conversation.reply", object_type="conversation", object_id=conversation_id,
                    before=None, after=after,
                )  # fmt: skip
                await self.wakeup.conversation_changed_in(s, actor.workspace_id, conversation_id)
        if outbox_id is not None:
            self.wakeup.set("outbox")
            await self._after(actor, conversation_id)
        if save_answer:
            await self._save_answer(actor, conversation_id, text, inbox_id=None, object_id=None)
        return outbox_id

    async def save_answer(self, actor: Actor, draft_id: str) -> None:
        """Save the reply sent for a draft, with the customer's question, as an answer for next time."""
        async with self.db.reader() as s:
            draft = await s.get(Draft, draft_id)
        if draft is None or draft.workspace_id != actor.workspace_id:
            raise NotFound("draft")
        answer = (draft.final_text or "").strip()
        if draft.state not in ("approved", "edited") or not answer:
            raise Conflict("Only a reply that was sent can be saved as an answer.")
        saved = await self._save_answer(
            actor, draft.conversation_id, answer, inbox_id=draft.inbox_id, object_id=draft.id
        )
        if not saved:
            raise Refused("There is no customer question to save this answer for.")

    async def _save_answer(
        self, actor: Actor, conversation_id: str, answer: str, *, inbox_id: int | None, object_id: str | None
    ) -> bool:
        """The knowledge base's answer memory: the customer's question (the one the draft was for,
        or the latest) and this answer. False when there is no question to save it for."""
        question = await memory.last_question(self.db, conversation_id=conversation_id, inbox_id=inbox_id)
        if not question:
            return False
        await memory.save_answer(
            self.db, workspace_id=actor.workspace_id, question=question, answer=answer, embedders=self.embedders
        )
        # The answer is stored by the knowledge base's own units of work; its entry follows them.
        async with self.db.session() as s:
            await audit.record(
                s, actor, "answer.save", object_type="draft" if object_id else "conversation",
                object_id=object_id or conversation_id, before=None, after={"question": question, "answer": answer},
            )  # fmt: skip
        return True

    # --- the conversation ------------------------------------------------------------------------

    async def change_conversation(self, actor: Actor, conversation_id: str, changes: ConversationChanges) -> None:
        """Status, priority, tags, assignee and the bot's pause, all checked before any changes.
        A status that really changes runs the owner's `status_changed` rules."""
        async with self.db.session() as s:
            conversation = await drafts.conversation(s, actor.workspace_id, conversation_id)
            previous_status = conversation.status
            changed = await apply_changes(s, actor, conversation, changes)
            if changed:
                await self.wakeup.conversation_changed_in(s, actor.workspace_id, conversation_id)
        if not changed:
            return
        events = []
        if conversation.status != previous_status:
            previous = {"conversation.status": previous_status}
            events.append(Event("status_changed", previous, f"staff:{uuid.uuid4()}"))
        await self._after(actor, conversation_id, events)

    async def take_over_conversation(self, actor: Actor, conversation_id: str) -> None:
        """Pause the bot in this conversation: staff answer (and it is assigned to the actor)."""
        await self.change_conversation(actor, conversation_id, {"bot_paused": True})

    async def hand_back(self, actor: Actor, conversation_id: str) -> None:
        """Give the conversation back to the assistant."""
        await self.change_conversation(actor, conversation_id, {"bot_paused": False})

    async def edit_context(self, actor: Actor, conversation_id: str, fields: dict[str, Any]) -> list[ContextChange]:
        """Set context fields (None clears one); all or nothing, checked against the workspace's schema."""
        proposed = [Proposed(name, value) for name, value in fields.items()]
        return await self._change_context(actor, conversation_id, proposed, "context.edit")

    async def move_status(self, actor: Actor, conversation_id: str, status: str) -> list[ContextChange]:
        """Move the conversation along the workflow; a move the workflow does not allow is a Conflict."""
        try:
            return await self._change_context(actor, conversation_id, [Proposed(STATUS, status)], "context.status")
        except Refused as exc:
            if STATUS in exc.problems:
                raise Conflict(exc.problems[STATUS]) from None
            raise

    async def _change_context(
        self, actor: Actor, conversation_id: str, proposed: list[Proposed], action: str
    ) -> list[ContextChange]:
        async with self.db.session() as s:
            changes = await change_context(s, actor, conversation_id, proposed, region=self.phone_region)
            if changes:
                await audit.record(
                    s, actor, action, object_type="conversation", object_id=conversation_id,
                    before={c.field: c.old_value for c in changes}, after={c.field: c.new_value for c in changes},
                )  # fmt: skip
                await self.wakeup.conversation_changed_in(s, actor.workspace_id, conversation_id)
        if changes:
            previous = {f"context.{c.field}": c.old_value for c in changes}
            await self._after(actor, conversation_id, [Event("context_changed", previous, f"staff:{uuid.uuid4()}")])
        return changes

    # --- the inbox ---------------------------------------------------------------------------------

    async def retry_turn(self, actor: Actor, inbox_id: int) -> None:
        """Put a turn that failed for good back in the queue."""
        async with self.db.session() as s:
            if not await requeue_failed(s, workspace_id=actor.workspace_id, inbox_id=inbox_id):
                raise NotFound("failed inbox item")
            await audit.record(
                s, actor, "inbox.retry", object_type="inbox", object_id=str(inbox_id),
                before={"state": "failed"}, after={"state": "pending"},
            )  # fmt: skip
        self.wakeup.set("inbox")

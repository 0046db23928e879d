"""The staff console's buttons and modals: Approve, Edit, Reject, Take over, Hand back.

Each is the same staff action the API and the CLI call (staff.service, face "slack"), done as the
Slack user's linked staff member. A button is acknowledged at once and its work runs after (Slack
wants the ack in 3 s); a modal's submission is decided before its ack, because the ack is where
Slack shows a form error. The card is updated by a durable job, and a second click on a decided
draft gets a polite ephemeral notice instead of a second send."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select, update

from channels.slack import cards
from channels.slack.connection import Connection
from channels.slack.models import SlackCard, SlackThread
from channels.slack.services import BEFORE_ACK, BUSY, Busy, Services
from channels.slack.staff import Staff
from core.messages import utcnow
from core.models import Draft
from staff import queries
from staff.actor import Actor
from staff.errors import StaffError

log = logging.getLogger(__name__)
NOT_STAFF = (
    "You are not linked to a frontdesk staff member of this business, so nothing was done. "
    "Ask the owner to run `frontdesk slack staff add` for you (or use the same email in Slack and frontdesk)."
)
DECIDED = {
    "approved": "Already approved{by}, and sent once. Nothing more was sent.",
    "edited": "Already answered{by} with an edited reply. Nothing more was sent.",
    "rejected": "This draft was already rejected{by}. Nothing was sent.",
    "taken_over": "This conversation was already taken over{by}.",
    "superseded": "The customer wrote again: this draft was superseded by a newer card in this thread.",
    "sent": "This reply was already sent.",
}


def _where(body: dict[str, Any]) -> dict[str, str]:
    """The channel and message a button was on (for ephemeral notices)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    return {"channel": str(channel), "ts": str(container.get("message_ts") or "")}


def actor(connection: Connection, staff: Staff) -> Actor:
    """The linked staff member, acting through Slack."""
    return Actor(connection.workspace_id, "slack", staff.user_id, f"slack {staff.slack_user_id}")


class Console:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def _draft(self, connection: Connection, draft_id: str) -> Draft | None:
        async with self.services.db.reader() as s:
            return await queries.draft(s, workspace_id=connection.workspace_id, draft_id=draft_id)

    async def _decided(self, connection: Connection, draft: Draft) -> str:
        async with self.services.db.reader() as s:
            who = await cards._who(s, connection.id, draft.reviewed_by)
        return DECIDED.get(draft.state, f"This draft is {draft.state}.").format(by=f" by {who}" if who else "")

    async def _actor(
        self, connection: Connection, client: AsyncWebClient, body: dict[str, Any]
    ) -> tuple[Staff | None, dict[str, str], str]:
        user = str((body.get("user") or {}).get("id") or "")
        where = _where(body)
        staff = await self.services.staff(connection, client, user) if user else None
        if staff is None and where["channel"]:
            await self.services.ephemeral(client, channel=where["channel"], user=user, text=NOT_STAFF)
        return staff, where, user

    # --- buttons (after the ack) -----------------------------------------------------------------

    async def button(self, connection: Connection, client: AsyncWebClient, body: dict[str, Any]) -> None:
        action = (body.get("actions") or [{}])[0]
        action_id, value = str(action.get("action_id") or ""), str(action.get("value") or "")
        staff, where, user = await self._actor(connection, client, body)
        if staff is None:
            return
        if action_id == cards.HAND_BACK:
            await self.hand_back(connection, client, staff, conversation_id=value, where=where)
            return
        draft = await self._draft(connection, value)
        if draft is None:
            await self.services.ephemeral(client, channel=where["channel"], user=user, text="That draft is gone.")
            return
        if action_id == cards.SAVE_ANSWER:
            await self.save_answer(connection, client, staff, draft, where=where)
            return
        if draft.state != "pending":
            text = await self._decided(connection, draft)
            await self.services.ephemeral(client, channel=where["channel"], user=user, text=text)
            await self.services.refresh(connection, conversation_id=draft.conversation_id, draft_ids=[draft.id])
            return
        if action_id == cards.APPROVE:
            await self._approve(connection, client, staff, draft, where=where)
        elif action_id == cards.EDIT:
            trigger = str(body.get("trigger_id") or "")
            await client.views_open(trigger_id=trigger, view=cards.edit_modal(draft, message=where))
        elif action_id == cards.REJECT:
            trigger = str(body.get("trigger_id") or "")
            await client.views_open(trigger_id=trigger, view=cards.reject_modal(draft, message=where))
        elif action_id == cards.TAKE_OVER:
            await self.take_over(connection, client, staff, draft, where=where)

    async def _approve(
        self, connection: Connection, client: AsyncWebClient, staff: Staff, draft: Draft, *, where: dict[str, str]
    ) -> None:
        try:
            await self.services.actions.approve(actor(connection, staff), draft.id)
        except StaffError as exc:
            await self.services.ephemeral(client, channel=where["channel"], user=staff.slack_user_id, text=str(exc))
        await self.services.refresh(connection, conversation_id=draft.conversation_id, draft_ids=[draft.id])

    async def save_answer(
        self, connection: Connection, client: AsyncWebClient, staff: Staff, draft: Draft, *, where: dict[str, str]
    ) -> None:
        """The knowledge base's answer memory: the customer's question and the reply sent to it."""
        async with self.services.db.reader() as s:
            card = (
                await s.execute(
                    select(SlackCard).where(SlackCard.connection_id == connection.id, SlackCard.draft_id == draft.id)
                )
            ).scalar_one_or_none()
        if card is not None and card.saved_by:
            text = "This answer is already saved."
        else:
            try:
                await self.services.actions.save_answer(actor(connection, staff), draft.id)
            except StaffError as exc:
                text = str(exc)
            else:
                async with self.services.db.session() as s:
                    await s.execute(
                        update(SlackCard)
                        .where(SlackCard.connection_id == connection.id, SlackCard.draft_id == draft.id)
                        .values(saved_by=staff.user_id)
                    )
                await self.services.refresh(connection, conversation_id=draft.conversation_id, draft_ids=[draft.id])
                return
        await self.services.ephemeral(client, channel=where["channel"], user=staff.slack_user_id, text=text)

    async def take_over(
        self, connection: Connection, client: AsyncWebClient, staff: Staff, draft: Draft, *, where: dict[str, str]
    ) -> None:
        try:
            await self.services.actions.take_over(actor(connection, staff), draft.id)
        except StaffError as exc:
            await self.services.ephemeral(client, channel=where["channel"], user=staff.slack_user_id, text=str(exc))
            return
        await self.mark_taken_over(connection, conversation_id=draft.conversation_id, staff=staff)
        await self.services.refresh(connection, conversation_id=draft.conversation_id, draft_ids=[draft.id])
        await self.services.notice(
            connection,
            conversation_id=draft.conversation_id,
            text=f"<@{staff.slack_user_id}> took over. Write in this thread to answer the customer; "
            "the assistant stays quiet until someone presses Hand back.",
        )

    async def mark_taken_over(self, connection: Connection, *, conversation_id: str, staff: Staff | None) -> None:
        async with self.services.db.session() as s:
            await s.execute(
                update(SlackThread)
                .where(SlackThread.connection_id == connection.id, SlackThread.conversation_id == conversation_id)
                .values(
                    taken_over_by=staff.user_id if staff else None,
                    taken_over_at=utcnow() if staff else None,
                )
            )

    async def hand_back(
        self,
        connection: Connection,
        client: AsyncWebClient,
        staff: Staff,
        *,
        conversation_id: str,
        where: dict[str, str] | None = None,
    ) -> bool:
        try:
            await self.services.actions.hand_back(actor(connection, staff), conversation_id)
        except StaffError:
            if where:
                await self.services.ephemeral(
                    client, channel=where["channel"], user=staff.slack_user_id, text="That conversation is gone."
                )
            return False
        await self.mark_taken_over(connection, conversation_id=conversation_id, staff=None)
        card_drafts = await self.services.cards_of(connection, conversation_id)
        await self.services.refresh(connection, conversation_id=conversation_id, draft_ids=card_drafts)
        await self.services.notice(
            connection,
            conversation_id=conversation_id,
            text=f"<@{staff.slack_user_id}> handed the conversation back to the assistant. "
            "Replies in this thread stay internal again.",
        )
        return True

    # --- modals (decided before the ack) ---------------------------------------------------------

    async def submit(
        self, connection: Connection, client: AsyncWebClient, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Decide a modal: None to close it, or the `errors` response that keeps it open."""
        view = body.get("view") or {}
        meta = json.loads(view.get("private_metadata") or "{}")
        values = (view.get("state") or {}).get("values") or {}
        user = str((body.get("user") or {}).get("id") or "")
        field = "reply" if view.get("callback_id") == cards.EDIT_VIEW else "reason"
        try:
            staff = await self.services.staff(connection, client, user, budget=BEFORE_ACK) if user else None
        except Busy:
            return {"response_action": "errors", "errors": {field: BUSY[:150]}}
        if staff is None:
            return {"response_action": "errors", "errors": {field: NOT_STAFF[:150]}}
        draft = await self._draft(connection, str(meta.get("draft_id") or ""))
        if draft is None:
            return {"response_action": "errors", "errors": {field: "That draft is gone."}}
        if draft.state != "pending":
            return {"response_action": "errors", "errors": {field: await self._decided(connection, draft)}}
        text = str(((values.get(field) or {}).get("text") or {}).get("value") or "").strip()
        if field == "reply":
            if not text:
                return {"response_action": "errors", "errors": {"reply": "Write the reply to send."}}
            try:
                await self.services.actions.approve(actor(connection, staff), draft.id, text=text)
            except StaffError as exc:
                return {"response_action": "errors", "errors": {"reply": str(exc)[:150]}}
        else:
            try:
                await self.services.actions.reject(actor(connection, staff), draft.id, reason=text or None)
            except StaffError as exc:
                return {"response_action": "errors", "errors": {"reason": str(exc)[:150]}}
            if text:  # shown on the card
                async with self.services.db.session() as s:
                    await s.execute(
                        update(SlackCard)
                        .where(SlackCard.connection_id == connection.id, SlackCard.draft_id == draft.id)
                        .values(note=text)
                    )
        await self.services.refresh(connection, conversation_id=draft.conversation_id, draft_ids=[draft.id])
        return None

    async def thread_of(self, connection: Connection, *, channel: str, thread_ts: str) -> SlackThread | None:
        async with self.services.db.reader() as s:
            return (
                await s.execute(
                    select(SlackThread).where(
                        SlackThread.connection_id == connection.id,
                        SlackThread.channel == channel,
                        SlackThread.ts == thread_ts,
                    )
                )
            ).scalar_one_or_none()

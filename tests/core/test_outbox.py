"""The outbox: retries with backoff that honour retry_after, giving up for good, idempotency keys."""

from __future__ import annotations

from collections import deque

from sqlalchemy import select

from bot.runtime import Runtime
from channels.web.channel import WebChannel
from core.channels import DeliveryReceipt, Route, SendError
from core.messages import OutboundMessage
from core.models import Contact, Conversation, DeliveryEvent, Message, OutboxItem
from core.outbox import enqueue
from tests.support import new_workspace


class FlakyWeb(WebChannel):
    """A web chat backend whose sends fail as scripted, as a remote API would."""

    script: deque[SendError]

    async def send(self, route: Route, message: OutboundMessage) -> DeliveryReceipt:
        if self.script:
            raise self.script.popleft()
        return await super().send(route, message)


async def _conversation(runtime: Runtime) -> Conversation:
    new = await new_workspace(runtime.db)
    async with runtime.db.session() as s:
        contact = Contact(workspace_id=new.workspace.id)
        s.add(contact)
        await s.flush()
        conv = Conversation(
            workspace_id=new.workspace.id,
            contact_id=contact.id,
            channel="web",
            account=new.assistant.id,
            thread="t1",
            tags=[],
        )
        s.add(conv)
    return conv


async def _queue(runtime: Runtime, conv: Conversation, key: str, text: str = "hello") -> int | None:
    async with runtime.db.session() as s:
        fresh = await s.get(Conversation, conv.id)
        assert fresh is not None
        return await enqueue(
            s,
            conversation=fresh,
            author="staff",
            message=OutboundMessage(conversation_id=conv.id, text=text, idempotency_key=key),
        )


def _flaky(runtime: Runtime, *errors: SendError) -> FlakyWeb:
    channel = FlakyWeb(runtime.db, runtime.wakeup, runtime.settings)
    channel.script = deque(errors)
    runtime.channels.replace(channel)
    return channel


async def test_same_idempotency_key_queues_once(runtime: Runtime) -> None:
    conv = await _conversation(runtime)
    assert await _queue(runtime, conv, "k1") is not None
    assert await _queue(runtime, conv, "k1") is None
    async with runtime.db.reader() as s:
        assert len((await s.execute(select(OutboxItem))).scalars().all()) == 1
        assert len((await s.execute(select(Message))).scalars().all()) == 1


async def test_retryable_failure_is_retried_after_retry_after(runtime: Runtime) -> None:
    _flaky(runtime, SendError("429 slow down", retry_after=0.3))
    conv = await _conversation(runtime)
    outbox_id = await _queue(runtime, conv, "k1")
    sender = runtime.sender()
    await sender.run_once()
    async with runtime.db.reader() as s:
        row = await s.get(OutboxItem, outbox_id)
        assert row is not None and row.state == "pending" and "slow down" in (row.last_error or "")
        wait = (row.next_attempt_at - row.created_at).total_seconds()
        assert wait >= 0.3
    assert await sender.run_once() == 0  # not before retry_after
    import asyncio

    await asyncio.sleep(wait + 0.05)
    assert await sender.run_once() == 1
    async with runtime.db.reader() as s:
        row = await s.get(OutboxItem, outbox_id)
        assert row is not None and (row.state, row.attempts) == ("sent", 2)
        message = (await s.execute(select(Message))).scalar_one()
        assert message.status == "sent" and message.sent_at is not None


async def test_permanent_failure_is_recorded_not_retried(runtime: Runtime) -> None:
    from core.notify import StaffAlert

    alerts: list[StaffAlert] = []

    async def hook(alert: StaffAlert) -> None:
        alerts.append(alert)

    runtime.notifier.register(hook)
    _flaky(runtime, SendError("chat not found", retryable=False, code="400"))
    conv = await _conversation(runtime)
    outbox_id = await _queue(runtime, conv, "k1")
    await runtime.sender().run_once()
    async with runtime.db.reader() as s:
        row = await s.get(OutboxItem, outbox_id)
        assert row is not None and (row.state, row.error_code) == ("failed", "400")
        assert (await s.execute(select(Message.status))).scalar_one() == "failed"
        assert (await s.execute(select(DeliveryEvent.status))).scalar_one() == "failed"
        assert (await s.execute(select(Conversation.status))).scalar_one() == "waiting"
    assert [(a.reason, a.conversation_id) for a in alerts] == [("send_failed", conv.id)]


async def test_gives_up_after_max_attempts(runtime: Runtime) -> None:
    runtime.settings.outbox_max_attempts = 2
    _flaky(runtime, *(SendError("timeout") for _ in range(5)))
    conv = await _conversation(runtime)
    outbox_id = await _queue(runtime, conv, "k1")
    sender = runtime.sender()
    sender.backoff_base = 0.01
    import asyncio

    for _ in range(20):
        await sender.run_once()
        async with runtime.db.reader() as s:
            row = await s.get(OutboxItem, outbox_id)
        if row is not None and row.state == "failed":
            break
        await asyncio.sleep(0.02)
    assert row is not None and (row.state, row.attempts) == ("failed", 2)


async def test_replies_of_one_conversation_leave_in_order(runtime: Runtime) -> None:
    _flaky(runtime, SendError("blip", retry_after=0.2))
    conv = await _conversation(runtime)
    first = await _queue(runtime, conv, "k1", "first")
    second = await _queue(runtime, conv, "k2", "second")
    sender = runtime.sender()
    await sender.run_once()  # the first fails and must not be overtaken by the second
    async with runtime.db.reader() as s:
        assert (await s.get(OutboxItem, second)).state == "pending"  # type: ignore[union-attr]
    import asyncio

    await asyncio.sleep(0.3)
    while await sender.run_once():
        pass
    async with runtime.db.reader() as s:
        rows = (await s.execute(select(OutboxItem).order_by(OutboxItem.finished_at))).scalars().all()
        assert [r.id for r in rows] == [first, second] and {r.state for r in rows} == {"sent"}

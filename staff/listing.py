"""The shared inbox's conversation list: views, filters, text search, counts per view.

A page is read in three small queries so it costs the same whatever the workspace holds: the ids of
the page (filters, search and order only, on the indexes of core's 0012 revision), then those
conversations with their contact, assignee, reading and draft flag, then their last messages.
A search in message text asks each conversation's search document (core.search): one index lookup
gives the set of matching conversations of the workspace.

Views: `waiting` (status waiting: staff are needed), `mine` (assigned to the caller), `unassigned`,
`all`. Filters narrow every view, and the counts per view follow the filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select, true, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from core import search
from core.models import Contact, Conversation, Draft, Message, User
from understanding.models import ConversationReading

VIEWS = ("waiting", "mine", "unassigned", "all")
Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])
PREVIEW_CHARS = 160
# A search counts its matches up to this many ("1,000+"): past it, counting would cost more than the
# page. Read at call time, so a test can lower it.
SEARCH_COUNT_CAP = 1000


@dataclass(frozen=True)
class Filters:
    """What narrows the list; None leaves a filter off. `search` finds the words in the contact's
    name, phone or email, or the beginnings of words in the conversation's messages."""

    channel: str | None = None
    status: str | None = None
    priority: str | None = None
    tag: str | None = None
    assignee: str | None = None  # a user id
    intent: str | None = None
    search: str | None = None


@dataclass(frozen=True)
class ConversationRow:
    """One line of the inbox."""

    id: str
    channel: str
    account: str
    contact_id: str
    contact_name: str | None
    assistant_id: str | None
    status: str
    priority: str
    tags: list[str]
    assigned_user_id: str | None
    assignee_name: str | None
    bot_paused: bool
    intent: str | None
    sentiment: str | None
    last_message_at: datetime | None
    created_at: datetime
    draft_waiting: bool
    preview: str = ""
    preview_direction: str | None = None  # in (the customer) | out (us)


@dataclass(frozen=True)
class Listed:
    """A page of the list and how many conversations the view holds: exactly, unless `more` (then
    at least `total`, shown as "1,000+")."""

    rows: list[ConversationRow]
    total: int
    more: bool = False


def _view(view: str, user_id: str | None) -> ColumnElement[bool] | None:
    if view == "waiting":
        return Conversation.status == "waiting"
    if view == "mine":  # an API token with no user has no conversations of its own
        return Conversation.assigned_user_id == user_id if user_id else false()
    if view == "unassigned":
        return Conversation.assigned_user_id.is_(None)
    if view == "all":
        return None
    raise ValueError(f"unknown view {view!r}; the views are {', '.join(VIEWS)}")


def _has_tag(s: AsyncSession, tag: str) -> ColumnElement[bool]:
    if s.get_bind().dialect.name == "postgresql":
        return type_coerce(Conversation.tags, JSONB).contains([tag])  # @>
    each = func.json_each(Conversation.tags).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == tag))


def _contains(s: AsyncSession, column: Any, words: str) -> ColumnElement[bool]:
    """`words` anywhere in the column, whatever the case. SQLite's own LIKE already ignores the case
    of ASCII letters and costs half of lower(...) LIKE lower(...); PostgreSQL has ILIKE."""
    if s.get_bind().dialect.name == "postgresql":
        return column.icontains(words, autoescape=True)
    return column.contains(words, autoescape=True)


def _search(s: AsyncSession, workspace_id: str, query: str) -> ColumnElement[bool]:
    """Conversations whose contact's name, phone or email holds every word of the query, or whose
    messages together hold every word at the start of their own words (core.search, on its index). A
    query with no letter or digit in it ("%", "?!") is looked for as it is, anywhere, on a scan."""
    found = search.words(query)
    parts = found or [query.replace("\x00", "").strip()]
    if not parts[0]:
        return true()
    contacts = select(Contact.id).where(
        Contact.workspace_id == workspace_id,
        *(
            or_(*(_contains(s, c, part) for c in (Contact.display_name, Contact.phone, Contact.email)))
            for part in parts
        ),
    )
    if found:
        return or_(
            Conversation.contact_id.in_(contacts), search.matches(s.get_bind().dialect.name, workspace_id, found)
        )
    in_messages = select(Message.conversation_id).where(
        Message.workspace_id == workspace_id, _contains(s, Message.text, parts[0])
    )
    return or_(Conversation.contact_id.in_(contacts), Conversation.id.in_(in_messages))


def _narrowed(s: AsyncSession, query: Query, workspace_id: str, filters: Filters) -> Query:
    """The query with the workspace and every filter applied (joining what they need)."""
    where: list[ColumnElement[bool]] = [Conversation.workspace_id == workspace_id]
    for column, value in (
        (Conversation.channel, filters.channel),
        (Conversation.status, filters.status),
        (Conversation.priority, filters.priority),
        (Conversation.assigned_user_id, filters.assignee),
    ):
        if value is not None:
            where.append(column == value)
    if filters.tag is not None:
        where.append(_has_tag(s, filters.tag))
    if filters.intent is not None:
        reading = select(ConversationReading.conversation_id).where(
            ConversationReading.workspace_id == workspace_id, ConversationReading.intent == filters.intent
        )
        where.append(Conversation.id.in_(reading))
    if filters.search and filters.search.strip():
        where.append(_search(s, workspace_id, filters.search))
    return query.where(*where)


# Newest activity first; the index ix_conversations_workspace_activity serves it (core's 0012).
_ORDER = (Conversation.last_message_at.desc(), Conversation.created_at.desc(), Conversation.id.desc())


async def conversations(
    s: AsyncSession,
    *,
    workspace_id: str,
    user_id: str | None,
    view: str = "all",
    filters: Filters = Filters(),
    limit: int = 50,
    offset: int = 0,
) -> Listed:
    """One page of the view, newest activity first, and how many conversations the view holds
    (with a search, counted up to SEARCH_COUNT_CAP: `more` says there are more than `total`)."""
    in_view = _view(view, user_id)
    query = _narrowed(s, select(Conversation.id), workspace_id, filters)
    if in_view is not None:
        query = query.where(in_view)
    query = query.order_by(*_ORDER)
    if filters.search:
        # Walk the matches newest first and stop past the cap (and the page): no sort of every match.
        enough = max(SEARCH_COUNT_CAP, offset + limit)
        walked = list((await s.execute(query.limit(enough + 1))).scalars())
        more = len(walked) > enough
        ids = walked[offset : offset + limit]
        return Listed(await rows(s, ids), min(len(walked), enough), more)
    ids = list((await s.execute(query.limit(limit).offset(offset))).scalars())
    count_query = _narrowed(s, select(func.count()).select_from(Conversation), workspace_id, filters)
    total = (await s.execute(count_query if in_view is None else count_query.where(in_view))).scalar_one()
    return Listed(await rows(s, ids), total)


async def counts(
    s: AsyncSession,
    *,
    workspace_id: str,
    user_id: str | None,
    filters: Filters = Filters(),
) -> dict[str, int]:
    """How many conversations each view holds, with the filters applied."""
    columns: list[ColumnElement[int]] = []
    for view in VIEWS:
        condition = _view(view, user_id)
        columns.append(func.count() if condition is None else func.count(case((condition, 1))))
    query = _narrowed(s, select(*columns).select_from(Conversation), workspace_id, filters)
    found = (await s.execute(query)).one()
    return {view: int(n or 0) for view, n in zip(VIEWS, found, strict=True)}


async def rows(s: AsyncSession, ids: list[str]) -> list[ConversationRow]:
    """The inbox lines of these conversations, in this order."""
    if not ids:
        return []
    last_message = (
        select(Message.id)
        .where(Message.conversation_id == Conversation.id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    draft_waiting = exists(
        select(Draft.id).where(and_(Draft.conversation_id == Conversation.id, Draft.state == "pending"))
    )
    found = (
        await s.execute(
            select(
                Conversation,
                Contact.display_name,
                User.name,
                ConversationReading.intent,
                ConversationReading.sentiment,
                draft_waiting,
                last_message,
            )
            .outerjoin(Contact, Contact.id == Conversation.contact_id)
            .outerjoin(User, User.id == Conversation.assigned_user_id)
            .outerjoin(ConversationReading, ConversationReading.conversation_id == Conversation.id)
            .where(Conversation.id.in_(ids))
        )
    ).all()
    message_ids = [r[6] for r in found if r[6] is not None]
    previews: dict[str, tuple[str, str]] = {}
    if message_ids:
        for mid, text, attachments, direction in (
            await s.execute(
                select(Message.id, Message.text, Message.attachments, Message.direction).where(
                    Message.id.in_(message_ids)
                )
            )
        ).all():
            previews[mid] = (preview_of(text, attachments), direction)
    by_id = {}
    for c, name, assignee, intent, sentiment, waiting, mid in found:
        preview, direction = previews.get(mid, ("", None)) if mid else ("", None)
        by_id[c.id] = ConversationRow(
            id=c.id,
            channel=c.channel,
            account=c.account,
            contact_id=c.contact_id,
            contact_name=name,
            assistant_id=c.assistant_id,
            status=c.status,
            priority=c.priority,
            tags=list(c.tags or []),
            assigned_user_id=c.assigned_user_id,
            assignee_name=assignee,
            bot_paused=c.bot_paused,
            intent=intent,
            sentiment=sentiment,
            last_message_at=c.last_message_at,
            created_at=c.created_at,
            draft_waiting=bool(waiting),
            preview=preview,
            preview_direction=direction,
        )
    return [by_id[i] for i in ids if i in by_id]


def preview_of(text: str | None, attachments: list[dict[str, Any]] | None) -> str:
    """A message in one short line: its words, or what it carried ("[voice]", "[image: menu.pdf]")."""
    words = " ".join((text or "").split())
    if not words and attachments:
        first = attachments[0]
        name = first.get("name")
        words = f"[{first.get('kind', 'file')}{': ' + name if name else ''}]"
    return words if len(words) <= PREVIEW_CHARS else words[: PREVIEW_CHARS - 1].rstrip() + "…"

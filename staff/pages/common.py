"""What the staff's pages share: the signed-in person as an Actor, the inbox's filters read from a
GET form (a bad value is a 400 page, never a 500), the product's words for channels, statuses and
the like, and the staff service's refusals as pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request

from admin.web.errors import PageError, not_found
from admin.web.session import CurrentPerson, SignedIn
from core.web import part
from staff import listing
from staff.actor import Actor
from staff.conversations import PRIORITIES, STATUSES
from staff.errors import Conflict, NotFound, Refused
from staff.service import StaffActions

Staff = Annotated[StaffActions, Depends(part("staff"))]

PAGE = 25
MAX_OFFSET = 1_000_000
CHANNELS = {"telegram": "Telegram", "whatsapp": "WhatsApp", "sms": "SMS", "slack": "Slack", "web": "Web chat"}
STATUS_LABELS = {"open": "Open", "waiting": "Waiting for staff", "closed": "Closed"}
PRIORITY_LABELS = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
VIEW_LABELS = {"waiting": "Waiting", "mine": "Mine", "unassigned": "Unassigned", "all": "All"}
# (name, longest value) of the list's GET form; anything longer is not a value the form sends
FILTER_LIMITS = {"channel": 16, "status": 16, "priority": 16, "tag": 50, "assignee": 64, "intent": 64, "q": 200}


def actor(me: SignedIn) -> Actor:
    """The signed-in person acting through the web admin, in the workspace they are looking at."""
    return Actor(me.workspace_id, "web", me.user_id)


def current_actor(me: CurrentPerson) -> Actor:
    return actor(me)


WebActor = Annotated[Actor, Depends(current_actor)]


def bad_address() -> PageError:
    return PageError(400, "Not a page of the inbox", "Open the inbox from its link and page from there.")


@dataclass(frozen=True)
class ListQuery:
    """The inbox list as the address asks for it: a view, filters, search and the page."""

    view: str = "waiting"
    filters: listing.Filters = field(default_factory=listing.Filters)
    offset: int = 0
    given: dict[str, str] = field(default_factory=dict)  # the filters as sent, for the form and the links

    def link(self, **changes: str | int | None) -> str:
        """This list's address with some parameters changed (None drops one)."""
        params: dict[str, str | int] = {"view": self.view, **self.given}
        if self.offset:
            params["offset"] = self.offset
        for name, value in changes.items():
            if value is None or value == "":
                params.pop(name, None)
            else:
                params[name] = value
        if params.get("offset") == 0:
            params.pop("offset")
        return "?" + urlencode(params) if params else ""


def list_query(request: Request) -> ListQuery:
    """The list's view, filters and page from the query string; a value no form sends is a 400."""
    params = request.query_params
    view = params.get("view") or "waiting"
    if view not in listing.VIEWS:
        raise bad_address()
    raw_offset = params.get("offset") or "0"
    if not raw_offset.isdigit() or int(raw_offset) > MAX_OFFSET:
        raise bad_address()
    given: dict[str, str] = {}
    for name, longest in FILTER_LIMITS.items():
        value = " ".join((params.get(name) or "").split())
        if len(value) > longest:
            raise bad_address()
        if value:
            given[name] = value
    if given.get("status", "open") not in STATUSES or given.get("priority", "low") not in PRIORITIES:
        raise bad_address()
    filters = listing.Filters(
        channel=given.get("channel"),
        status=given.get("status"),
        priority=given.get("priority"),
        tag=given.get("tag"),
        assignee=given.get("assignee"),
        intent=given.get("intent"),
        search=given.get("q"),
    )
    return ListQuery(view=view, filters=filters, offset=int(raw_offset), given=given)


CurrentList = Annotated[ListQuery, Depends(list_query)]


@contextmanager
def acting() -> Iterator[None]:
    """The staff service's NotFound as the 404 page; Conflict and Refused are the caller's to show."""
    try:
        yield
    except NotFound:
        raise not_found("There is no such conversation in this workspace.") from None


def refusal(exc: Conflict | Refused) -> str:
    """What a refused action says to staff."""
    message = str(exc)
    if isinstance(exc, Refused) and exc.problems:
        message = "; ".join(exc.problems.values())
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")

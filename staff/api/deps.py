"""What the staff routes share: the service, the caller as an Actor, and domain errors as HTTP answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException

from admin.deps import Caller, CurrentCaller
from core.web import part
from staff.actor import Actor
from staff.errors import Conflict, NotFound, Refused
from staff.service import StaffActions

Staff = Annotated[StaffActions, Depends(part("staff"))]


def actor_of(caller: Caller, workspace_id: str | None = None) -> Actor:
    """The caller acting through the API (in `workspace_id`, when a path names one of theirs)."""
    label = "" if caller.user_id else f"api token {caller.token_id[:8]}"
    return Actor(workspace_id or caller.workspace_id, "api", caller.user_id, label)


def current_actor(caller: CurrentCaller) -> Actor:
    return actor_of(caller)


CurrentActor = Annotated[Actor, Depends(current_actor)]


@contextmanager
def answering() -> Iterator[None]:
    """NotFound is a 404, Conflict a 409, Refused a 422 (with its problems, field by field)."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from exc
    except Refused as exc:
        detail = {"message": str(exc), "problems": exc.problems} if exc.problems else str(exc)
        raise HTTPException(422, detail) from exc

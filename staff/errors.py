"""What a staff action can refuse; each face turns these into its own answer (HTTP 404/409/422, a
click error, a Slack notice)."""

from __future__ import annotations


class StaffError(Exception):
    """A staff action that could not be done; the message says why, in the staff member's words."""


class NotFound(StaffError, LookupError):
    """No such thing in the actor's workspace (another workspace's id is simply not found)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class Conflict(StaffError):
    """The thing is not in a state that allows this (a draft already rejected, a workflow move)."""


class Refused(StaffError, ValueError):
    """The request itself cannot be done; `problems` names what to fix, field by field."""

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or {}

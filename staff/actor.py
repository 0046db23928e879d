"""Who does a staff action, and through which face."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Face = Literal["api", "cli", "slack", "web"]
FACES: tuple[Face, ...] = ("api", "cli", "slack", "web")


@dataclass(frozen=True)
class Actor:
    """A staff member (or a workspace API token, or the terminal) acting in one workspace.

    `user_id` is None for a workspace API token and for the CLI; `label` then says who it was
    ("api token 1a2b3c4d", "cli"); with a user it adds where they were (a Slack user id)."""

    workspace_id: str
    face: Face
    user_id: str | None = None
    label: str = ""

    @property
    def name(self) -> str:
        """What the context history records as the actor: the user id, or the label."""
        return self.user_id or self.label or self.face

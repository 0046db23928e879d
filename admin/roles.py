"""Who may do what in a workspace: the one place the roles' rules are written.

- agent: the inbox and every staff action on conversations and drafts, their own password and sessions;
- admin: an agent's work, plus the workspace's configuration (rules, knowledge base, channels,
  assistants, audit log, API tokens) and the team's admins and agents;
- owner: an admin's work, plus renaming or deleting the workspace and the team's owners.

The API (admin.deps), the web admin (admin.web.session) and the team service (admin.team.service)
all ask these functions; none writes the rule again.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["owner", "admin", "agent"]
ROLES: tuple[Role, ...] = get_args(Role)
ROLE_NAMES: dict[str, str] = {"owner": "Owner", "admin": "Admin", "agent": "Agent"}


def may_configure(role: str) -> bool:
    """The workspace's configuration, and the team's admins and agents: owners and admins."""
    return role in ("owner", "admin")


def may_own(role: str) -> bool:
    """Renaming or deleting the workspace, and the team's owners: owners only."""
    return role == "owner"


def may_manage(actor: str, target: str) -> bool:
    """Whether someone of role `actor` may give, change or take away the role `target` (invite to it,
    change a member's role from or to it, remove a member who has it, reset their password)."""
    return may_own(actor) or (may_configure(actor) and target in ("admin", "agent"))

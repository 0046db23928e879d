"""Reply and notification templates: Jinja2 in its sandbox, so an owner's template can read the
contact, conversation and context it is given and nothing else in the process."""

from __future__ import annotations

from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment

ENV = ImmutableSandboxedEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
MAX_RENDERED = 4000


def render(template: str, variables: dict[str, Any]) -> str:
    """Render a template (checked when the rule was saved); raises on errors at run time."""
    text = ENV.from_string(template).render(**variables).strip()
    return text[:MAX_RENDERED]

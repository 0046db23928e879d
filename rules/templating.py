"""Reply and notification templates: Jinja2 in its sandbox, so an owner's template can read the
contact, conversation and context it is given and nothing else in the process.

The sandbox keeps templates from reaching Python's internals, but not from burning a shared worker's
CPU or memory; so here loops nest at most two deep over at most MAX_ITEMS items, and multiplying text
or lists ("x" * 10**9) is capped. Templates are short messages, not programs.
"""

from __future__ import annotations

import operator
from typing import Any

from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RENDERED = 4000
MAX_ITEMS = 100  # range() and repeated text in a template
MAX_LOOP_DEPTH = 2


def _range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_ITEMS:
        raise SecurityError(f"range() in a template is limited to {MAX_ITEMS} items")
    return r


class TemplateEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int | float) and abs(right) > 64:
                raise SecurityError("exponent too large for a template")
            return operator.pow(left, right)
        sequence = isinstance(left, str | list | tuple) or isinstance(right, str | list | tuple)
        count = right if isinstance(right, int) else left if isinstance(left, int) else 0
        if sequence and count > MAX_ITEMS:
            raise SecurityError(f"repeating text in a template is limited to {MAX_ITEMS} times")
        return operator.mul(left, right)


ENV = TemplateEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
ENV.globals["range"] = _range


def _depth(node: nodes.Node, level: int = 0) -> int:
    here = level + 1 if isinstance(node, nodes.For) else level
    return max([here, *(_depth(child, here) for child in node.iter_child_nodes())])


def check(template: str) -> None:
    """Parse a template as it is saved; TemplateSyntaxError with the line, for the owner."""
    tree = ENV.parse(template)
    if _depth(tree) > MAX_LOOP_DEPTH:
        raise TemplateSyntaxError(f"loops may nest at most {MAX_LOOP_DEPTH} deep", 1)


def render(template: str, variables: dict[str, Any]) -> str:
    """Render a template (checked when the rule was saved); raises on errors at run time."""
    text = ENV.from_string(template).render(**variables).strip()
    return text[:MAX_RENDERED]

"""What the context pages share: reading a form, the workspace's schema, saving one through the
API's own validation and service, and pydantic's complaints placed next to the input at fault."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError

from core.db import Database
from understanding import context
from understanding.schema import SchemaSpec

HOME = "/context"
MAX_FIELD = 20_000  # longer than any field of these forms may be; the models say exactly
FORM = "form"  # a problem about the whole form rather than one input
# Words in a whole-field complaint that say which input it is about.
CLUES = (("options", "options"), ("pattern", "pattern"), ("minimum", "minimum"), ("same name", "name"),
         ("transitions", "moves"), ("initial", "initial"))  # fmt: skip


async def form_fields(request: Request, *names: str) -> dict[str, str]:
    """The form's text fields by name ("" when missing), each cut to MAX_FIELD."""
    form = await request.form()
    return {name: value[:MAX_FIELD] if isinstance(value := form.get(name), str) else "" for name in names}


async def schema_of(db: Database, workspace_id: str) -> SchemaSpec | None:
    async with db.reader() as s:
        return await context.schema_for(s, workspace_id)


async def save(db: Database, workspace_id: str, data: dict[str, Any]) -> SchemaSpec:
    """Validate as `PUT .../schema` does and store it with the same service; ValidationError if refused."""
    spec = SchemaSpec.model_validate(data)
    async with db.session() as s:
        await context.save_schema(s, workspace_id=workspace_id, spec=spec)
    return spec


def placed(exc: ValidationError, inputs: tuple[str, ...]) -> dict[str, str]:
    """Each complaint keyed by the form's input it is about (FORM when none is), in plain words."""
    found: dict[str, str] = {}
    for error in exc.errors():
        message = str(error.get("msg", "not valid")).removeprefix("Value error, ")
        where = next((str(p) for p in reversed(error.get("loc", ())) if str(p) in inputs), None)
        if where is None:
            where = next((i for clue, i in CLUES if clue in message and i in inputs), FORM)
        found.setdefault(where, message)
    return found

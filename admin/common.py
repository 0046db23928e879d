"""Pieces every admin resource shares: error helpers, slugs, pagination and sealed configs.

Secrets are the one thing every resource must handle identically, so sealing lives here: a value
the API once showed as redacted can come back in an update and must mean "keep the old secret".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from fastapi import HTTPException, Path, Query
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, model_validator

from admin.roles import Role as Role  # re-exported: admin.roles is its home
from core.crypto import PREFIX, REDACTED, SecretBox

MAX_PAGE = 200

T = TypeVar("T")

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _not_an_id(value: str) -> str:
    # Lookups accept "id or slug"; a slug shaped like an id could shadow another tenant's row.
    if _UUID.match(value):
        raise ValueError("a slug cannot look like an id")
    return value


Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"),
    AfterValidator(_not_an_id),
]
WorkspaceSlug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=48, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"),
    AfterValidator(_not_an_id),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# Integer row ids are 64-bit in both databases. A larger number names no row, and handed to the
# driver it would overflow (a 500), so every integer path parameter is this type: out of range is a 422.
MAX_ROW_ID = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def safe_slug(slug: str) -> str:
    """A generated slug, kept out of the id shape for the same reason as `Slug`."""
    return f"s-{slug}"[:64] if _UUID.match(slug) else slug


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"{what} not found")


def conflict(detail: str) -> HTTPException:
    return HTTPException(409, detail)


def unprocessable(detail: str) -> HTTPException:
    return HTTPException(422, detail)


class UpdateModel(BaseModel):
    """A PATCH body: only the fields sent change, and null is refused where it means nothing."""

    model_config = ConfigDict(extra="forbid")
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in sorted(self.model_fields_set - self.NULLABLE):
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(limit: int = Query(50, ge=1, le=MAX_PAGE), offset: int = Query(0, ge=0, le=1_000_000)) -> Paging:
    """limit/offset query parameters with a ceiling, so one request cannot ask for everything."""
    return Paging(limit, offset)


def seal_config(
    box: SecretBox, new: dict[str, Any], *, old: dict[str, Any] | None, secret_fields: frozenset[str]
) -> dict[str, Any]:
    """Encrypt a config's secrets for storage.

    A redacted value means "keep the stored secret", so a form can send back what it was shown.
    Ciphertext is refused as input: only this process may produce it. Raises ValueError.
    """
    old = old or {}
    merged: dict[str, Any] = {}
    for key, value in new.items():
        if isinstance(value, str) and value.startswith(PREFIX):
            raise ValueError(f"{key}: values starting with {PREFIX!r} are not accepted")
        if key in secret_fields:
            if value == REDACTED:
                if not old.get(key):
                    raise ValueError(f"{key}: there is no stored secret to keep; send the value")
                merged[key] = old[key]
                continue
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{key}: a secret must be a string")
        merged[key] = value
    return box.seal(merged, secret_fields)

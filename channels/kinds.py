"""Every kind of channel connection, gathered from the channel packages that declare them.

The one list the rest reads: which kinds the API accepts, which config fields are stored encrypted,
how a new connection's credentials are checked. A channel package declares its kinds as `KINDS` in
its `__init__` (which imports no SDK) and is named once below. The names themselves are the message
format's `core.messages.ChannelKind`: every one must be declared by exactly one package.
"""

from __future__ import annotations

from collections.abc import Iterable

from channels import slack, telegram, web, whatsapp
from core.channels import ConnectionKind
from core.messages import ChannelKind


def _gather(*declared: Iterable[ConnectionKind]) -> dict[str, ConnectionKind]:
    found: dict[str, ConnectionKind] = {}
    for kinds in declared:
        for kind in kinds:
            if str(kind.name) in found:
                raise RuntimeError(f"channel kind {kind.name!r} is declared twice")
            found[str(kind.name)] = kind
    missing, unknown = set(ChannelKind) - set(found), set(found) - set(ChannelKind)
    if missing or unknown:
        raise RuntimeError(f"channel kinds out of step with core.messages.ChannelKind: {missing=} {unknown=}")
    return {kind.value: found[kind.value] for kind in ChannelKind}


KINDS: dict[str, ConnectionKind] = _gather(telegram.KINDS, whatsapp.KINDS, slack.KINDS, web.KINDS)
NAMES: tuple[str, ...] = tuple(KINDS)


def secret_fields(kind: str) -> frozenset[str]:
    """The config fields of this kind that are stored encrypted (none for a kind nobody declares)."""
    found = KINDS.get(kind)
    return found.secret_fields if found is not None else frozenset()

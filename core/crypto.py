"""Secrets at rest: channel tokens and LLM keys are stored encrypted with the instance's secret key."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "enc:v1:"
REDACTED = "********"  # how a stored secret is shown; sent back, it means "keep the stored one"


class SecretBox:
    def __init__(self, key: str) -> None:
        derived = hashlib.sha256(b"frontdesk-secret-box:" + key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, value: str) -> str:
        return PREFIX + self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, value: str) -> str:
        if not value.startswith(PREFIX):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise ValueError("a stored secret cannot be decrypted: was FRONTDESK_SECRET_KEY changed?") from exc

    def seal(self, config: dict[str, Any], secret_fields: frozenset[str]) -> dict[str, Any]:
        """Encrypt the secret fields of a config dict (already-encrypted values are kept)."""
        return {
            k: (self.encrypt(v) if k in secret_fields and isinstance(v, str) and v and not v.startswith(PREFIX) else v)
            for k, v in config.items()
        }

    def open(self, config: dict[str, Any]) -> dict[str, Any]:
        return {k: (self.decrypt(v) if isinstance(v, str) and v.startswith(PREFIX) else v) for k, v in config.items()}


def redact(config: dict[str, Any], secret_fields: frozenset[str]) -> dict[str, Any]:
    """What an API may show of a config: secrets as set/unset only."""
    return {k: (REDACTED if k in secret_fields and v else v) for k, v in config.items()}


def new_token(prefix: str = "fd") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    # Tokens carry 256 bits of entropy, so a fast hash is enough (a password would need argon2).
    return hashlib.sha256(token.encode()).hexdigest()

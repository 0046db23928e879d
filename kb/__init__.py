"""The knowledge base (ingestion, embeddings, hybrid retrieval, citations): its own issue.

Until it lands, the pipeline's retrieve stage passes turns through with no sources.
"""

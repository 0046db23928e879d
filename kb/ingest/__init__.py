"""Ingestion: a file or a page in, sections with headings out, then chunks with vectors stored."""

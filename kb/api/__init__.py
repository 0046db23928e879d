"""The knowledge base's admin API."""

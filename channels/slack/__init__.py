"""The slack channel adapter (see its issue); not built yet."""

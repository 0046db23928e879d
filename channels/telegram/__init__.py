"""The telegram channel adapter (see its issue); not built yet."""

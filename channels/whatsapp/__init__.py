"""The whatsapp channel adapter (see its issue); not built yet."""

"""Understanding's HTTP API: routes (a module-level router bot.app includes under /api/v1) and schemas."""

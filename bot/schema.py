"""The database schema: what each package adds to core's tables, registered with core.migrate.

Importing this module registers them; the CLI and the app factory import it before anything
migrates. A package that adds tables adds one line here: the module that declares them, and the
directory of its Alembic revisions ("package:directory", next to the models; its first revision
branches off core's "0001" under a revision id of its own). Tables created by revisions that live
elsewhere register their models alone: `register("x.models")`.
"""

from core.migrate import register

register("admin.auth.models", "admin.auth:migrations")
register("admin.team.models", "admin.team:migrations")
register("kb.models", "kb:migrations")
register("understanding.models", "understanding:migrations")
register("rules.models", "rules:migrations")
register("channels.slack.models", "channels.slack:migrations")
register("staff.models", "staff:migrations")

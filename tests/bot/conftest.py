"""The CLI as a user runs it, against the test database."""

from tests.cli_support import cli  # noqa: F401  (the fixture)

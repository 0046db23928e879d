"""Channel tests register owners through the API, with the admin tests' cheap password hashing, and
run the `frontdesk channel` commands against the test database."""

from tests.admin.conftest import _fast_password_hashing  # noqa: F401  (an autouse fixture)
from tests.cli_support import cli  # noqa: F401  (the fixture)

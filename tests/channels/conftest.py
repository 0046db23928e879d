"""Channel tests register owners through the API: with the admin tests' cheap password hashing."""

from tests.admin.conftest import _fast_password_hashing  # noqa: F401  (an autouse fixture)

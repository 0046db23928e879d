"""What a page raises instead of answering: an error page, or "sign in first" (admin.web.pages.install
turns them into responses)."""

from __future__ import annotations


class PageError(Exception):
    """An error page (403, 404, …) with a title and a sentence saying what to do."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


class SignInRequired(Exception):
    """No live session: the answer is the sign-in page."""


def forbidden(message: str = "Only the workspace's owners and admins can open this page.") -> PageError:
    return PageError(403, "Not allowed", message)


def not_found(message: str = "There is no page at this address.") -> PageError:
    return PageError(404, "Page not found", message)

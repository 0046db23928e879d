"""Files from outside are hostile until proven otherwise.

`archive` inflates a zip-based file (DOCX, XLSX) through a bounded stream and counts what it really
produces, whatever its headers declare; `isolate` runs a parser in a child process with memory and
CPU limits, so a file that blows a parser up costs that child, never the server. Chat media and the
knowledge base both read customers' and owners' files through these two.
"""

from __future__ import annotations


class FileRefused(ValueError):
    """This file will not be read. The message says why in words a customer or owner can act on;
    `status` is the HTTP status an API answers with (4xx)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status

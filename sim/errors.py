"""Exceptions that the command line turns into exit codes.

``InputError`` (and its subclass ``ScenarioError``) is bad input: the CLI prints its one-line
message on stderr and exits with code 2, never a traceback. Anything else is a bug (exit 1).
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: a file, a field path, and what is allowed."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 allowed: str | None = None) -> None:
        self.file = file
        self.field = field
        self.allowed = allowed
        self.detail = message
        super().__init__(self.format())

    def format(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.field:
            parts.append(self.field)
        text = self.detail
        if self.allowed:
            text = f"{text} (allowed: {self.allowed})"
        parts.append(text)
        return one_line(": ".join(parts))


def one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters escaped (``\\x85``), so
    that a message quoting hostile input stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ScenarioError(InputError):
    """A scenario file (or an override of one) is malformed or invalid."""

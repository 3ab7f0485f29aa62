"""Problems found while building: each names a file and line and says what was expected."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.Enum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    file: str  # path as shown to the user, relative to the site root when possible
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity.value}: {self.message}"


@dataclass
class Diagnostics:
    """An ordered collection of problems found during one command."""

    items: list[Diagnostic] = field(default_factory=list)

    def warn(self, file: str, line: int | None, message: str) -> None:
        self.items.append(Diagnostic(Severity.WARNING, file, line, message))

    def error(self, file: str, line: int | None, message: str) -> None:
        self.items.append(Diagnostic(Severity.ERROR, file, line, message))

    def extend(self, other: "Diagnostics | list[Diagnostic]") -> None:
        self.items.extend(other.items if isinstance(other, Diagnostics) else other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]


def clip(value: object, limit: int = 80) -> str:
    """A value as a message shows it: on one line, at most ``limit`` characters (a 5,000-digit
    number or a pasted paragraph is cut, with its length)."""
    try:
        text = " ".join(str(value).split())
    except ValueError:  # an int too long for str() (Python's digit limit)
        return "a number too long to show"
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(text):,} characters)"


class NoteError(Exception):
    """A problem that makes one note unusable; carries the line it points at."""

    def __init__(self, message: str, line: int | None = None, value: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.value = value  # the offending value as written, to find its own line in the front matter

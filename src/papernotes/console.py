"""Terminal output: the one place where what papernotes prints is made safe to print.

Text that comes from notes and sources (titles, paths, values) may hold control characters: an
ESC or BEL would let a note set the terminal's title or clear its screen. ``printable`` shows
each as a visible escape (``\\x1b``) instead."""

from __future__ import annotations

import os
import re
import sys

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters (line breaks and tabs aside) written as escapes."""
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def say(text: object) -> None:
    print(printable(str(text)), flush=True)  # (flushed: `serve` is read line by line by tools and tests)


def warn(text: object) -> None:
    print(printable(str(text)), file=sys.stderr, flush=True)


def os_reason(exc: OSError) -> str:
    """The operating system's reason and the paths it names, for a one-line error:
    ``No such file or directory: /proc/x``."""
    names = [os.fsdecode(n) if isinstance(n, (str, bytes)) else str(n)
             for n in (exc.filename, exc.filename2) if n is not None]
    reason = exc.strerror or str(exc)
    return f"{reason}: {' -> '.join(names)}" if names else reason

"""Text that every name, path, command line and environment variable can carry.

A value of a template or of a parameter ends up as a container's environment, a
file name, an argument of a process: none of those can hold a NUL, and control
characters in them are never meant. Tabs and line breaks are text (scripts, keys).
"""

from __future__ import annotations

import re

# C0 controls but tab, LF and CR; DEL and C1 controls but NEL; lone surrogates
# (which no UTF-8 encoder writes); the non-characters U+FFFE and U+FFFF.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def bad_character(value: str) -> str | None:
    """The first character of ``value`` that is not text, as ``U+0000``, or None."""
    found = NOT_TEXT.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def bad_text_in(value: object) -> tuple[tuple[object, ...], str] | None:
    """Where in ``value`` (nested maps and lists, keys too) a string is not text, and the
    character; walked without recursion, so any depth is safe."""
    stack: list[tuple[tuple[object, ...], object]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = bad_character(item)
            if found:
                return path, found
        elif isinstance(item, dict):
            for key, sub in item.items():
                found = bad_character(key) if isinstance(key, str) else None
                if found:
                    return (*path, key), found
                stack.append(((*path, key), sub))
        elif isinstance(item, list | tuple):
            stack.extend(((*path, i), sub) for i, sub in enumerate(item))
    return None


def not_text_message(char: str) -> str:
    return (
        f"holds the character {char}, which no name, path or environment variable "
        "can carry (only text, tabs and line breaks)"
    )

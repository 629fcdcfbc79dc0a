"""Request bodies read within bounds: size, nesting, numbers and text, each refused by field.

Every JSON body of the API goes through ``read_json_object``, so no route parses
one unbounded: the size is capped while the body is read, the nesting is measured
on the raw bytes before the (recursive) parser runs, and what the parser made is
walked without recursion for values nothing downstream can hold: integers beyond
64 bits (the database's and Docker's), non-finite numbers (``NaN``, ``1e400``),
and strings that are not text (a NUL, control characters; ``cumulo.tosca.text``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from fastapi import Request

from cumulo.errors import BadRequest, CumuloError, UnsupportedMediaType
from cumulo.tosca.text import bad_character, not_text_message

# A template may be 1 MiB (the TOSCA processor's limit); JSON escaping and parameters
# fit in the rest.
MAX_BODY_BYTES = 4 << 20
MAX_DEPTH = 32
MAX_INT = 2**63 - 1  # a signed 64-bit integer: what a database column or a driver takes

# A JSON string (an object key when a ':' follows), or a bracket.
# Possessive quantifiers: an unterminated string cannot make the scan backtrack.
_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"(\s*:)?|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


class BodyTooLarge(CumuloError):
    http_status = 413


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object; 415, 413 or 400 naming the field otherwise."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (ctype == "application/json" or ctype.endswith("+json")):
        raise UnsupportedMediaType(
            f"Content type '{ctype or 'none'}' not supported: send application/json"
        )
    body = parse_bounded(await _read_capped(request))
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> BodyTooLarge:
    return BodyTooLarge(f"the request body is over the limit of {MAX_BODY_BYTES} bytes")


def parse_bounded(raw: bytes) -> Any:
    """``raw`` parsed as JSON, after its nesting is measured; values checked by field."""
    too_deep = _too_deep_field(raw)
    if too_deep is not None:
        where = f"{too_deep}: " if too_deep else ""
        raise BadRequest(f"{where}nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:  # also an integer of over 4300 digits
        raise BadRequest(f"the request body is not valid JSON: {exc}") from None
    problem = _unholdable(value)
    if problem is not None:
        raise BadRequest(problem)
    return value


def _too_deep_field(raw: bytes) -> str | None:
    """The top-level field nesting deeper than ``MAX_DEPTH`` ("" if none is named), or None."""
    depth, field = 0, ""
    for match in _TOKEN.finditer(raw):
        token = match.group()
        if token[0] in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                return field
        elif token[0] != ord('"'):
            depth -= 1
        elif depth == 1 and match.group(1):
            field = token[: token.rindex(b'"') + 1].decode("utf-8", "replace").strip('"')
    return None


def _unholdable(value: Any) -> str | None:
    """The first value nothing downstream can hold, as ``field.path: why``; walked iteratively."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        problem = _problem(item)
        if problem is not None:
            return f"{path or 'the request body'}: {problem}"
        if isinstance(item, dict):
            for key, sub in item.items():
                sub_path = f"{path}.{key}" if path else str(key)
                char = bad_character(key)
                if char is not None:
                    return f"{path or 'the request body'}: a key {not_text_message(char)}"
                stack.append((sub_path, sub))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", sub) for i, sub in enumerate(item))
    return None


def _problem(item: Any) -> str | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int) and not -MAX_INT - 1 <= item <= MAX_INT:
        return f"the integer {_short(item)} is out of range (at most {MAX_INT})"
    if isinstance(item, float) and not math.isfinite(item):
        return "not a finite number"
    if isinstance(item, str):
        char = bad_character(item)
        return None if char is None else not_text_message(char)
    return None


def _short(number: int) -> str:
    text = str(number)
    return text if len(text) <= 24 else f"{text[:10]}...({len(text)} digits)"

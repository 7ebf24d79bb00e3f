"""Errors raised for user mistakes: one line naming the file, the key path and what is wrong."""

from __future__ import annotations


class GpusimError(Exception):
    """Base class of errors caused by user input; the CLI prints them as one line, exit code 2."""


class ModelError(GpusimError):
    """A hardware model file is missing, malformed or inconsistent."""


class SpecError(GpusimError):
    """A kernel spec or program file is missing, malformed or inconsistent."""


def located(source: str, key_path: str, message: str) -> str:
    """Format ``file: key.path: message`` (key path omitted when empty)."""
    return f"{source}: {key_path}: {message}" if key_path else f"{source}: {message}"


def pydantic_message(exc: object) -> tuple[str, str]:
    """First error of a pydantic ValidationError as (key path, message)."""
    errors = exc.errors()  # type: ignore[attr-defined]
    first = errors[0]
    path = ".".join(str(p) for p in first["loc"])
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "missing":
        msg = "missing key"
    elif "input" in first and first["type"] not in ("value_error", "assertion_error"):
        msg = f"{msg} (got {first['input']!r})"
    msg = msg.removeprefix("Value error, ")
    return path, msg

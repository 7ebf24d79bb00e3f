"""Read a YAML file whose top level is a mapping, with one-line errors naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gpusim.errors import GpusimError


def read_yaml_mapping(path: Path, error: type[Exception] = GpusimError) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping, with one-line errors."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{path}: malformed YAML: {where}{problem}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: top level must be a mapping of keys")
    return data

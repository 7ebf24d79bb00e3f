"""KernelSpec YAML files: load with parameters and expressions, dump back.

A spec file may declare ``parameters`` (name: number) and use them in any numeric field as an
expression string, e.g. ``grid: "ceil(n / 256)"``. Callers override parameters by name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gpusim.errors import SpecError, located, pydantic_message
from gpusim.kernels.expr import ExpressionError, evaluate
from gpusim.kernels.spec import KernelSpec
from gpusim.yamlio import read_yaml_mapping

# Fields whose values are strings, never expressions.
_TEXT_FIELDS = {"name", "description", "pattern", "space", "op"}


def _substitute(node: Any, names: Mapping[str, float], key: str, source: str) -> Any:
    if isinstance(node, dict):
        return {k: v if k in _TEXT_FIELDS else _substitute(v, names, f"{key}.{k}" if key else str(k), source)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, names, f"{key}[{i}]", source) for i, v in enumerate(node)]
    if isinstance(node, str):
        try:
            return evaluate(node, names)
        except ExpressionError as exc:
            raise SpecError(located(source, key, str(exc))) from None
    return node


def _parameters(data: dict[str, Any], overrides: Mapping[str, float], source: str) -> dict[str, float]:
    declared = data.pop("parameters", None) or {}
    if not isinstance(declared, dict):
        raise SpecError(located(source, "parameters", "must be a mapping of name: number"))
    unknown = sorted(set(overrides) - {str(n) for n in declared})
    if unknown:
        known = ", ".join(sorted(str(n) for n in declared)) or "none"
        raise SpecError(located(source, f"parameters.{unknown[0]}", f"unknown parameter (declared: {known})"))
    names: dict[str, float] = {}
    for name, value in declared.items():
        if str(name) in overrides:
            value = overrides[str(name)]
        elif isinstance(value, str):
            try:
                value = evaluate(value, names)
            except ExpressionError as exc:
                raise SpecError(located(source, f"parameters.{name}", str(exc))) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(located(source, f"parameters.{name}", f"must be a number (got {value!r})"))
        names[str(name)] = value
    return names


def spec_from_dict(data: Mapping[str, Any], source: str = "<spec>",
                   overrides: Mapping[str, float] | None = None) -> KernelSpec:
    """Build a KernelSpec from its YAML mapping; errors name ``source`` and the key path."""
    if not isinstance(data, Mapping):
        raise SpecError(f"{source}: top level must be a mapping of keys")
    body = dict(data)
    body.pop("kind", None)
    names = _parameters(body, overrides or {}, source)
    body = _substitute(body, names, "", source)
    try:
        return KernelSpec.model_validate(body)
    except ValidationError as exc:
        key, msg = pydantic_message(exc)
        raise SpecError(located(source, key, msg)) from None


def load_spec(path: str | os.PathLike[str], overrides: Mapping[str, float] | None = None) -> KernelSpec:
    """Load a kernel spec YAML file, with optional parameter overrides."""
    p = Path(path)
    return spec_from_dict(read_yaml_mapping(p, SpecError), str(p), overrides)


def spec_parameters(path: str | os.PathLike[str]) -> dict[str, float]:
    """The parameters a spec file declares, with their default values."""
    p = Path(path)
    data = read_yaml_mapping(p, SpecError)
    return _parameters(dict(data), {}, str(p))


def spec_to_dict(spec: KernelSpec) -> dict[str, Any]:
    """The YAML mapping of a spec (defaults left out)."""
    return {"kind": "kernel", **spec.model_dump(mode="json", exclude_defaults=True)}


def dump_spec(spec: KernelSpec) -> str:
    """YAML text of a spec."""
    return yaml.safe_dump(spec_to_dict(spec), sort_keys=False)

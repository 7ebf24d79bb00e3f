"""Load a hardware model: read the product YAML and its architecture layer, unwrap sourced values,
merge them and validate against the schema.

In the YAML every value carries its source: either ``key: {value: V, source: S}`` (optionally with
``note``), or a record whose ``source`` covers all its other keys (used for MIG profiles). A source
is a tag listed under ``references``, or starts with ``measured:``, ``fitted:``, ``derived:`` or
``UNVERIFIED``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gpusim.errors import ModelError, located, pydantic_message
from gpusim.hardware.schema import Architecture, GpuModel
from gpusim.yamlio import read_yaml_mapping

_FREE_SOURCE_PREFIXES = ("measured", "fitted", "derived", "UNVERIFIED")
_PRODUCT_SECTIONS = ("gpu", "clocks", "memory", "l2", "pcie", "copy_engines", "launch", "mig", "tdp_w")
_ARCH_SECTIONS = ("limits", "units_per_sm", "throughput_per_sm_per_clock", "tensor_fma_per_sm_per_clock",
                  "latency_cycles")


def models_dir() -> Path:
    """Folder of the shipped models: ``$GPUSIM_MODELS_DIR`` or the repository's ``models/``."""
    env = os.environ.get("GPUSIM_MODELS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "models"


def shipped_model_names() -> list[str]:
    """Names of the product models shipped in :func:`models_dir`."""
    return sorted(p.stem for p in models_dir().glob("*.yaml"))


@dataclass(frozen=True)
class LoadedModel:
    """A validated model with the source of each value (key path -> source) and the files read."""

    model: GpuModel
    sources: dict[str, str]
    files: tuple[Path, ...]


def _read_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(path, ModelError)


def _check_source(path: Path, key: str, source: Any, references: dict[str, Any]) -> str:
    if not isinstance(source, str) or not source.strip():
        raise ModelError(located(str(path), key, "source must be a non-empty string"))
    tag = source.replace(",", " ").replace(";", " ").split()[0]
    if tag.rstrip(":") in _FREE_SOURCE_PREFIXES or tag.split(":")[0] in _FREE_SOURCE_PREFIXES:
        return source
    if tag not in references:
        raise ModelError(located(str(path), key, f"source tag {tag!r} is not listed under references"))
    return source


def _unwrap(node: Any, key: str, path: Path, refs: dict[str, Any], sources: dict[str, str]) -> Any:
    """Strip ``{value, source}`` wrappers, recording each value's source under its key path."""
    if isinstance(node, dict):
        if "value" in node and "source" in node:
            extra = set(node) - {"value", "source", "note"}
            if extra:
                raise ModelError(located(str(path), f"{key}.{sorted(extra)[0]}", "unknown key in sourced value"))
            sources[key] = _check_source(path, key, node["source"], refs)
            return node["value"]
        if "source" in node:
            src = _check_source(path, key, node["source"], refs)
            record = {k: v for k, v in node.items() if k not in ("source", "note")}
            for k in record:
                sources[f"{key}.{k}"] = src
            return record
        return {k: _unwrap(v, f"{key}.{k}" if key else str(k), path, refs, sources) for k, v in node.items()}
    if isinstance(node, list):
        return [_unwrap(v, f"{key}[{i}]", path, refs, sources) for i, v in enumerate(node)]
    raise ModelError(located(str(path), key, "value has no source (write {value: ..., source: ...})"))


def _unwrap_sections(data: dict[str, Any], sections: tuple[str, ...], path: Path,
                     sources: dict[str, str], prefix: str) -> dict[str, Any]:
    refs = data.get("references") or {}
    if not isinstance(refs, dict):
        raise ModelError(located(str(path), "references", "must be a mapping of tag: citation"))
    out: dict[str, Any] = {}
    for key in sections:
        if key in data:
            out[key] = _unwrap(data[key], f"{prefix}{key}", path, refs, sources)
    return out


def _resolve_path(name_or_path: str | os.PathLike[str]) -> Path:
    text = os.fspath(name_or_path)
    candidate = Path(text)
    if candidate.suffix in (".yaml", ".yml") or os.sep in text or candidate.exists():
        return candidate
    shipped = models_dir() / f"{text}.yaml"
    if not shipped.exists():
        names = ", ".join(shipped_model_names()) or "none"
        raise ModelError(f"{text}: no such model (shipped models: {names}; or give a path to a YAML file)")
    return shipped


def _load_arch(name: str, product_path: Path, sources: dict[str, str]) -> tuple[dict[str, Any], Path]:
    arch_path = product_path.parent / "arch" / f"{name}.yaml"
    if not arch_path.exists():
        arch_path = models_dir() / "arch" / f"{name}.yaml"
    if not arch_path.exists():
        known = sorted(p.stem for p in (models_dir() / "arch").glob("*.yaml"))
        raise ModelError(located(str(product_path), "arch", f"unknown architecture {name!r} (known: {known})"))
    data = _read_yaml(arch_path)
    allowed = {"kind", "name", "compute_capability", "references", *_ARCH_SECTIONS}
    for key in data:
        if key not in allowed:
            raise ModelError(located(str(arch_path), str(key), "unknown key"))
    if data.get("kind") != "architecture":
        raise ModelError(located(str(arch_path), "kind", "must be 'architecture'"))
    arch = _unwrap_sections(data, _ARCH_SECTIONS, arch_path, sources, "arch.")
    arch["name"] = data.get("name", name)
    cc = data.get("compute_capability")
    arch["compute_capability"] = _unwrap(cc, "arch.compute_capability", arch_path,
                                         data.get("references") or {}, sources) if cc is not None else None
    return arch, arch_path


def _validate(cls: type, payload: dict[str, Any], files: dict[str, Path], default: Path) -> Any:
    try:
        return cls.model_validate(payload)
    except ValidationError as exc:
        key, msg = pydantic_message(exc)
        top = key.split(".")[0]
        source = files.get(top, default)
        raise ModelError(located(str(source), key, msg)) from None


def load_model_with_sources(name_or_path: str | os.PathLike[str]) -> LoadedModel:
    """Load and validate a model; also return each value's source and the files read."""
    path = _resolve_path(name_or_path)
    data = _read_yaml(path)
    if data.get("kind") == "architecture":
        raise ModelError(located(str(path), "kind", "this is an architecture layer; give a product file "
                                 "(kind: product), e.g. one of models/*.yaml"))
    allowed = {"kind", "name", "marketing_name", "arch", "references", *_PRODUCT_SECTIONS}
    for key in data:
        if key not in allowed:
            raise ModelError(located(str(path), str(key), "unknown key"))
    if data.get("kind") != "product":
        raise ModelError(located(str(path), "kind", "must be 'product'"))
    for key in ("name", "arch"):
        if not isinstance(data.get(key), str):
            raise ModelError(located(str(path), key, "missing key" if key not in data else "must be a string"))
    sources: dict[str, str] = {}
    arch, arch_path = _load_arch(data["arch"], path, sources)
    arch_only = _validate(Architecture, arch, {}, arch_path)
    payload = _unwrap_sections(data, _PRODUCT_SECTIONS, path, sources, "")
    payload["name"] = data["name"]
    payload["marketing_name"] = data.get("marketing_name", data["name"])
    payload["arch"] = arch_only
    model = _validate(GpuModel, payload, {"arch": arch_path}, path)
    return LoadedModel(model=model, sources=sources, files=(path, arch_path))


@lru_cache(maxsize=64)
def _cached(key: str, mtime_ns: int) -> LoadedModel:
    return load_model_with_sources(key)


def load_model(name_or_path: str | os.PathLike[str]) -> GpuModel:
    """Load a shipped model by name (``h200``) or a product YAML by path; raises ModelError."""
    path = _resolve_path(name_or_path)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise ModelError(f"{path}: file not found") from None
    return _cached(os.fspath(path), mtime).model

"""The YAML form of a program (documented in docs/pipelines.md).

::

    name: two streams
    host_api: cpp                 # or python (Numba dispatch)
    streams:                      # optional: streams named by ops are created blocking
      copy: {}
      compute: {non_blocking: true}
    ops:
      - {op: h2d, bytes: 64MiB, stream: copy, pinned: true}
      - {op: event_record, event: in, stream: copy}
      - {op: event_wait, event: in, stream: compute}
      - {op: kernel, spec: ../kernels/process.yaml, stream: compute}   # path relative to this file
      - {op: kernel, duration: 8ms, stream: compute}                   # or a fixed duration
      - repeat: 4                 # the ops below, 4 times; "{i}" in strings becomes 0, 1, 2, 3
        ops:
          - {op: host, duration: 1ms, name: "prepare {i}"}
      - {op: device_sync}

Every error is a SpecError naming the file, the key path (``ops[3].bytes``) and what is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gpusim.errors import GpusimError, SpecError, located
from gpusim.kernels.io import load_spec
from gpusim.kernels.spec import KernelSpec
from gpusim.sim.program import (
    DEFAULT_STREAM,
    HOST_APIS,
    Copy,
    DeviceSync,
    EventRecord,
    EventSync,
    EventWait,
    HostWork,
    Kernel,
    Op,
    Program,
    StreamDecl,
    StreamSync,
)
from gpusim.sim.work import FixedKernel
from gpusim.units import parse_size_bytes, parse_time_ns
from gpusim.yamlio import read_yaml_mapping

_TOP_KEYS = {"kind", "name", "description", "host_api", "streams", "ops"}
_COMMON = {"op", "name"}
_OP_KEYS: dict[str, set[str]] = {
    "h2d": {"bytes", "stream", "pinned"},
    "d2h": {"bytes", "stream", "pinned"},
    "d2d": {"bytes", "stream"},
    "kernel": {"spec", "parameters", "duration", "blocks", "blocks_per_sm", "stream"},
    "event_record": {"event", "stream"},
    "event_wait": {"event", "stream"},
    "event_sync": {"event"},
    "stream_sync": {"stream"},
    "device_sync": set(),
    "host": {"duration"},
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "h2d": ("bytes",), "d2h": ("bytes",), "d2d": ("bytes",), "event_record": ("event",),
    "event_wait": ("event",), "event_sync": ("event",), "host": ("duration",),
}


class _Reader:
    """Turns one file's mapping into operations, remembering each one's key path."""

    def __init__(self, source: str, base_dir: Path) -> None:
        self.source = source
        self.base_dir = base_dir
        self.ops: list[Op] = []
        self.origins: list[str] = []
        self._specs: dict[tuple[str, tuple[tuple[str, float], ...]], KernelSpec] = {}

    def fail(self, key: str, message: str) -> SpecError:
        return SpecError(located(self.source, key, message))

    def read_list(self, items: Any, key: str, index: int | None) -> None:
        if not isinstance(items, list):
            raise self.fail(key, "must be a list of operations")
        for n, item in enumerate(items):
            where = f"{key}[{n}]"
            if not isinstance(item, dict):
                raise self.fail(where, "must be a mapping such as {op: h2d, bytes: 64MiB}")
            if "repeat" in item:
                self._repeat(item, where)
            else:
                self.ops.append(self._op(_substitute(item, index), where))
                self.origins.append(where)

    def _repeat(self, item: dict[str, Any], where: str) -> None:
        extra = set(item) - {"repeat", "ops"}
        if extra:
            raise self.fail(f"{where}.{sorted(extra)[0]}", "unknown key (a repeat block has repeat and ops)")
        times = item["repeat"]
        if isinstance(times, bool) or not isinstance(times, int) or times < 0:
            raise self.fail(f"{where}.repeat", f"must be a whole number >= 0 (got {times!r})")
        if "ops" not in item:
            raise self.fail(f"{where}.ops", "missing key")
        for i in range(times):
            self.read_list(item["ops"], f"{where}.ops", i)

    def _op(self, item: dict[str, Any], where: str) -> Op:
        kind = item.get("op")
        if kind is None:
            raise self.fail(f"{where}.op", "missing key")
        if kind not in _OP_KEYS:
            raise self.fail(f"{where}.op", f"unknown operation {kind!r} (known: {', '.join(_OP_KEYS)}, repeat)")
        allowed = _OP_KEYS[kind] | _COMMON
        for key in item:
            if key not in allowed:
                raise self.fail(f"{where}.{key}", f"unknown key for {kind} (allowed: {', '.join(sorted(allowed))})")
        for key in _REQUIRED.get(kind, ()):
            if key not in item:
                raise self.fail(f"{where}.{key}", "missing key")
        get = _Getter(item, where, self.fail)
        name = get.text("name", "")
        if kind in ("h2d", "d2h", "d2d"):
            return Copy(kind, get.size("bytes"), get.text("stream", DEFAULT_STREAM), get.flag("pinned", True),
                        name)
        if kind == "kernel":
            return Kernel(self._kernel(get, where, name), get.text("stream", DEFAULT_STREAM), name)
        if kind == "event_record":
            return EventRecord(get.text("event"), get.text("stream", DEFAULT_STREAM), name)
        if kind == "event_wait":
            return EventWait(get.text("event"), get.text("stream", DEFAULT_STREAM), name)
        if kind == "event_sync":
            return EventSync(get.text("event"), name)
        if kind == "stream_sync":
            return StreamSync(get.text("stream", DEFAULT_STREAM), name)
        if kind == "device_sync":
            return DeviceSync(name)
        return HostWork(get.duration("duration"), name)

    def _kernel(self, get: _Getter, where: str, name: str) -> KernelSpec | FixedKernel:
        item = get.item
        if ("spec" in item) == ("duration" in item):
            raise self.fail(where, "a kernel needs exactly one of spec (a KernelSpec file) or duration")
        if "spec" in item:
            for key in ("blocks", "blocks_per_sm"):
                if key in item:
                    raise self.fail(f"{where}.{key}", "only for a fixed-duration kernel (duration:)")
            return self._spec(get.text("spec"), get.parameters("parameters"), f"{where}.spec")
        if "parameters" in item:
            raise self.fail(f"{where}.parameters", "only for a kernel given by spec:")
        blocks = get.count("blocks", None)
        return FixedKernel(name or "kernel", get.duration("duration"), blocks, get.count("blocks_per_sm", 1) or 1)

    def _spec(self, path_text: str, params: dict[str, float], key: str) -> KernelSpec:
        path = Path(path_text)
        if not path.is_absolute():
            path = self.base_dir / path
        cache_key = (os.fspath(path), tuple(sorted(params.items())))
        if cache_key not in self._specs:
            if not path.exists():
                raise self.fail(key, f"kernel spec file not found: {path}")
            try:
                self._specs[cache_key] = load_spec(path, params)
            except GpusimError as exc:
                raise self.fail(key, str(exc)) from None
        return self._specs[cache_key]


class _Getter:
    """Typed access to one operation's keys, with located errors."""

    def __init__(self, item: dict[str, Any], where: str, fail: Callable[[str, str], SpecError]) -> None:
        self.item = item
        self.where = where
        self.fail = fail

    def text(self, key: str, default: str | None = None) -> str:
        value = self.item.get(key, default)
        if not isinstance(value, str) or (not value and key != "name"):
            raise self.fail(f"{self.where}.{key}", f"must be a non-empty string (got {value!r})")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.item.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{self.where}.{key}", f"must be true or false (got {value!r})")
        return value

    def size(self, key: str) -> int:
        try:
            return parse_size_bytes(self.item[key])
        except (ValueError, TypeError) as exc:
            raise self.fail(f"{self.where}.{key}", str(exc)) from None

    def duration(self, key: str) -> float:
        try:
            return parse_time_ns(self.item[key])
        except (ValueError, TypeError) as exc:
            raise self.fail(f"{self.where}.{key}", str(exc)) from None

    def count(self, key: str, default: int | None) -> int | None:
        value = self.item.get(key, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise self.fail(f"{self.where}.{key}", f"must be a whole number >= 1 (got {value!r})")
        return value

    def parameters(self, key: str) -> dict[str, float]:
        value = self.item.get(key) or {}
        if not isinstance(value, dict) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
            raise self.fail(f"{self.where}.{key}", "must be a mapping of name: number")
        return {str(k): v for k, v in value.items()}


def _substitute(item: dict[str, Any], index: int | None) -> dict[str, Any]:
    """Replace ``{i}`` in string values by the repeat index."""
    if index is None:
        return item
    mark = str(index)
    return {k: v.replace("{i}", mark) if isinstance(v, str) else v for k, v in item.items()}


def _streams(data: Any, source: str) -> tuple[StreamDecl, ...]:
    if data is None:
        return ()
    if not isinstance(data, dict):
        raise SpecError(located(source, "streams", "must be a mapping of name: {non_blocking: true|false}"))
    decls = []
    for name, flags in data.items():
        flags = flags or {}
        key = f"streams.{name}"
        if not isinstance(flags, dict):
            raise SpecError(located(source, key, "must be a mapping such as {non_blocking: true}"))
        for k in flags:
            if k != "non_blocking":
                raise SpecError(located(source, f"{key}.{k}", "unknown key (allowed: non_blocking)"))
        non_blocking = flags.get("non_blocking", False)
        if not isinstance(non_blocking, bool):
            raise SpecError(located(source, f"{key}.non_blocking", f"must be true or false (got {non_blocking!r})"))
        decls.append(StreamDecl(str(name), non_blocking))
    return tuple(decls)


def program_from_dict(data: Mapping[str, Any], source: str = "<program>", base_dir: Path | None = None) -> Program:
    """Build a Program from its YAML mapping; spec paths are relative to ``base_dir``."""
    if not isinstance(data, Mapping):
        raise SpecError(f"{source}: top level must be a mapping of keys")
    for key in data:
        if key not in _TOP_KEYS:
            raise SpecError(located(source, str(key), f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})"))
    if data.get("kind", "program") != "program":
        raise SpecError(located(source, "kind", "must be 'program'"))
    if "ops" not in data:
        raise SpecError(located(source, "ops", "missing key"))
    host_api = data.get("host_api", "cpp")
    if host_api not in HOST_APIS:
        raise SpecError(located(source, "host_api", f"must be one of {', '.join(HOST_APIS)} (got {host_api!r})"))
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise SpecError(located(source, "name", f"must be a string (got {name!r})"))
    reader = _Reader(source, base_dir or Path.cwd())
    reader.read_list(data["ops"], "ops", None)
    return Program(tuple(reader.ops), _streams(data.get("streams"), source), host_api, name, source,
                   tuple(reader.origins))


def load_program(path: str | os.PathLike[str]) -> Program:
    """Read a program YAML file; raises SpecError naming the file and key path."""
    p = Path(path)
    return program_from_dict(read_yaml_mapping(p, SpecError), str(p), p.parent)

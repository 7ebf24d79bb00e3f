"""Units and conversions. Simulation time is in nanoseconds (float); sizes in bytes."""

from __future__ import annotations

import re

NS_PER_S = 1e9
NS_PER_US = 1e3
NS_PER_MS = 1e6

KIB = 1024
MIB = 1024**2
GIB = 1024**3
GB = 1e9

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1e3,
    "kb": 1e3,
    "m": 1e6,
    "mb": 1e6,
    "g": 1e9,
    "gb": 1e9,
    "t": 1e12,
    "tb": 1e12,
    "kib": KIB,
    "mib": MIB,
    "gib": GIB,
    "tib": 1024**4,
}
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")

_TIME_UNITS = {"ns": 1.0, "us": NS_PER_US, "ms": NS_PER_MS, "s": NS_PER_S}
_TIME_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(ns|us|ms|s)\s*$")


def parse_size_bytes(text: str | int | float) -> int:
    """Parse a size such as ``1GiB``, ``256 MiB``, ``4096`` or ``1.5GB`` into bytes."""
    if isinstance(text, bool):
        raise ValueError(f"not a size: {text!r}")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"size must be >= 0, got {text}")
        return int(text)
    match = _SIZE_RE.match(text)
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise ValueError(f"not a size: {text!r} (use e.g. 4096, 64KiB, 256MiB, 1GiB, 1.5GB)")
    return round(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


def parse_time_ns(text: str | int | float) -> float:
    """Parse a duration such as ``8ms``, ``2.5 us`` or ``100ns`` into nanoseconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"duration must be >= 0, got {text}")
        return float(text)
    match = _TIME_RE.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 8ms, 2.5us, 100ns)")
    return float(match.group(1)) * _TIME_UNITS[match.group(2)]


def cycles_to_ns(cycles: float, clock_mhz: float) -> float:
    """Convert clock cycles at ``clock_mhz`` to nanoseconds."""
    return cycles * 1e3 / clock_mhz


def ns_to_cycles(time_ns: float, clock_mhz: float) -> float:
    """Convert nanoseconds to clock cycles at ``clock_mhz``."""
    return time_ns * clock_mhz / 1e3


def format_time_ns(time_ns: float) -> str:
    """Human-readable duration: ``12.3 us``, ``4.56 ms``."""
    if time_ns < 1e3:
        return f"{time_ns:.1f} ns"
    if time_ns < 1e6:
        return f"{time_ns / 1e3:.2f} us"
    if time_ns < 1e9:
        return f"{time_ns / 1e6:.3f} ms"
    return f"{time_ns / 1e9:.3f} s"


def format_bytes(n_bytes: float) -> str:
    """Human-readable binary size: ``64.0 MiB``."""
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes:.0f} B"


def format_rate(per_s: float, unit: str) -> str:
    """Human-readable rate with SI prefixes: ``4.80 TB/s``, ``66.9 TFLOP/s``."""
    for prefix, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {prefix}{unit}"
    return f"{per_s:.3g} {unit}"

"""What every workload module shares: the prepared-instance type, input making and output checking."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numba import cuda  # after validation/__init__.py (always imported first) set the NumPy alias

#: Elements compared against the NumPy reference for large outputs (a random sample plus both ends).
SAMPLE_SIZE = 1 << 16

Case = dict[str, Any]


@dataclass(frozen=True)
class Check:
    """Result of comparing a kernel's output with its NumPy reference.

    ``max_rel_error`` is ``max |out - ref| / max(|ref|, floor)`` over the checked elements, with
    ``floor`` 1% of ``max |ref|`` (so elements where the reference is near zero do not blow it up);
    NaN or an unwritten (still poisoned) element gives infinity.
    """

    max_rel_error: float
    tolerance: float
    n_checked: int

    @property
    def passed(self) -> bool:
        return bool(self.max_rel_error <= self.tolerance)

    def as_dict(self) -> dict[str, Any]:
        return {
            "max_rel_error": self.max_rel_error,
            "tolerance": self.tolerance,
            "n_checked": self.n_checked,
            "passed": self.passed,
        }


@dataclass
class Instance:
    """One workload case made ready to run: inputs on the device, a launch closure and a check.

    ``launch(stream)`` enqueues one launch (stream 0 is the default stream). ``check()`` copies the
    output back and compares it with NumPy; it describes the state after exactly one launch (some
    kernels accumulate into their output), so call it after the first launch, before timing.
    ``kernel_name`` names the dispatcher in ``validation.workloads.KERNELS``; ``output`` is the device
    array that ``check`` reads (None for kernels without one); ``buffers`` keeps every device array.
    ``prelaunch(stream)``, when set, must run before every timed launch, outside the timed interval
    (e.g. evicting the L2 cache).
    """

    case: Case
    kernel_name: str
    launch: Callable[[Any], None]
    check: Callable[[], Check]
    output: Any = None
    buffers: list[Any] = field(default_factory=list)
    prelaunch: Callable[[Any], None] | None = None


def case_seed(case: Case) -> int:
    """A stable per-case seed (from its name), so that reruns see the same inputs."""
    return zlib.crc32(case["name"].encode())


@lru_cache(maxsize=3)
def _uniform_cached(n: int, low: float, high: float, dtype: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.random(n, dtype=np.float32 if dtype == "float32" else np.float64)
    values *= high - low
    values += low
    values.setflags(write=False)
    return values


def uniform(n: int, low: float, high: float, dtype: str = "float32", seed: int = 0) -> np.ndarray:
    """Read-only uniform random values in ``[low, high)``; large arrays are cached by their arguments."""
    return _uniform_cached(int(n), float(low), float(high), dtype, int(seed))


def poisoned_device_array(shape: int | tuple[int, ...], dtype: Any, stream: Any = 0) -> Any:
    """A device array filled with NaN (floats) or -1 (ints), so that unwritten outputs fail the check."""
    fill = np.nan if np.dtype(dtype).kind == "f" else -1
    host = np.full(shape, fill, dtype=dtype)
    return cuda.to_device(host, stream=stream)


def sample_indices(n: int, seed: int, size: int = SAMPLE_SIZE) -> np.ndarray:
    """All of ``range(n)`` when small, else a sorted random sample that includes both ends."""
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    picked = rng.choice(n, size=size - 2, replace=False)
    return np.unique(np.concatenate([picked, [0, n - 1]]))


def compare(out: np.ndarray, ref: np.ndarray, tolerance: float) -> Check:
    """Compare ``out`` with ``ref`` (same shape) in float64; see `Check` for the error measure."""
    out64 = np.asarray(out, dtype=np.float64).ravel()
    ref64 = np.asarray(ref, dtype=np.float64).ravel()
    if out64.shape != ref64.shape:
        raise ValueError(f"shape mismatch: out {out64.shape} vs ref {ref64.shape}")
    n = int(ref64.size)
    if n == 0:
        return Check(0.0, tolerance, 0)
    if not np.all(np.isfinite(out64)):
        return Check(float("inf"), tolerance, n)
    scale = float(np.max(np.abs(ref64)))
    floor = max(0.01 * scale, np.finfo(np.float64).tiny)
    err = np.abs(out64 - ref64) / np.maximum(np.abs(ref64), floor)
    return Check(float(np.max(err)), tolerance, n)


def f32(value: float) -> np.float32:
    """A float32 scalar argument (a Python float would make Numba type the kernel's math float64)."""
    return np.float32(value)


def compare_sampled(
    out: np.ndarray,
    ref_at: Callable[[np.ndarray], np.ndarray],
    seed: int,
    tolerance: float,
    sample_size: int = SAMPLE_SIZE,
) -> Check:
    """Check every element of ``out`` is finite (so none was left poisoned), then compare a sample.

    ``ref_at(idx)`` gives the reference at flat indices ``idx`` (see `sample_indices`).
    """
    flat = out.ravel()
    if flat.dtype.kind == "f" and not np.all(np.isfinite(flat)):
        return Check(float("inf"), tolerance, int(flat.size))
    idx = sample_indices(int(flat.size), seed, sample_size)
    return compare(flat[idx], ref_at(idx), tolerance)

"""FMA throughput and latency loops, float32 and float64.

Each thread runs ``iters`` loop trips of ``a = fma(a, b, c)`` on ``chains`` independent accumulators
(1: one dependent chain, latency-bound unless many warps are resident; 4: four independent chains per
trip), then writes the sum of its accumulators. ``b = 0.5 ** (1 / iters)`` and ``c = 1 - b`` make the
map contract towards 1, so nothing overflows and the result has a closed form:
``a_final = L + (a_0 - L) * b ** iters`` with ``L = c / (1 - b)`` (the float32/64-rounded ``b``, ``c``).
Starts: ``a_j = x[i] + j * c``, x uniform in [0, 2).

Loops here are ``while k < iters`` on an int64 counter: NVVM then unrolls them by 16 into a tight body
(16 FFMA + 5 other instructions for one chain), where Numba's ``range()`` lowering would add about
four integer instructions per trip.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .common import Case, Check, Instance, compare_sampled, poisoned_device_array, uniform

BASE_TOLERANCE = {"float32": 2e-3, "float64": 1e-9}
UNIT_ROUNDOFF = {"float32": 2.0**-24, "float64": 2.0**-53}


def _chains1(out, x, b, c, iters):
    i = cuda.grid(1)
    if i < out.shape[0]:
        a = x[i]
        k = 0
        while k < iters:
            a = cuda.fma(a, b, c)
            k += 1
        out[i] = a


def _chains4(out, x, b, c, iters):
    i = cuda.grid(1)
    if i < out.shape[0]:
        a0 = x[i]
        a1 = a0 + c
        a2 = a1 + c
        a3 = a2 + c
        k = 0
        while k < iters:
            a0 = cuda.fma(a0, b, c)
            a1 = cuda.fma(a1, b, c)
            a2 = cuda.fma(a2, b, c)
            a3 = cuda.fma(a3, b, c)
            k += 1
        out[i] = (a0 + a1) + (a2 + a3)


fma_f32_chains1 = cuda.jit(_chains1)
fma_f32_chains4 = cuda.jit(_chains4)
fma_f64_chains1 = cuda.jit(_chains1)
fma_f64_chains4 = cuda.jit(_chains4)

KERNELS = {
    "fma_f32_chains1": fma_f32_chains1,
    "fma_f32_chains4": fma_f32_chains4,
    "fma_f64_chains1": fma_f64_chains1,
    "fma_f64_chains4": fma_f64_chains4,
}


def coefficients(iters: int, dtype: str) -> tuple[np.floating, np.floating]:
    """``(b, c)`` in ``dtype``: the map ``a -> a * b + c`` halves the distance to its fixed point ~1."""
    scalar = np.float32 if dtype == "float32" else np.float64
    b = scalar(0.5 ** (1.0 / max(iters, 1)))
    c = scalar(1.0) - b
    return b, c


def tolerance(iters: int, dtype: str) -> float:
    """Relative error allowed after ``iters`` trips: each trip rounds by up to the unit roundoff ``u`` and
    shrinks earlier errors by ``b``, so the error settles at about ``u / (1 - b)``, which grows like
    ``iters`` (``1 - b ~ ln 2 / iters``); 1.5 times that bound, and never below a base tolerance."""
    b, _ = coefficients(iters, dtype)
    return max(BASE_TOLERANCE[dtype], 1.5 * UNIT_ROUNDOFF[dtype] / (1.0 - float(b)))


def reference(x: np.ndarray, b: float, c: float, iters: int, chains: int) -> np.ndarray:
    """Closed form of the loop in float64, from the rounded ``b`` and ``c``."""
    b64, c64 = float(b), float(c)
    fixed = c64 / (1.0 - b64)
    decay = b64**iters
    x64 = x.astype(np.float64)
    return sum(fixed + (x64 + j * c64 - fixed) * decay for j in range(chains))


def prepare(case: Case) -> Instance:
    dtype, chains, iters = case["dtype"], case["chains"], case["iters"]
    name = f"fma_{'f32' if dtype == 'float32' else 'f64'}_chains{chains}"
    kernel = KERNELS[name]
    n = case["n_elements"]
    x = uniform(n, 0.0, 2.0, dtype=dtype, seed=n)
    b, c = coefficients(iters, dtype)
    d_x = cuda.to_device(x)
    d_out = poisoned_device_array(n, np.dtype(dtype))
    grid, block = case["grid"], case["block"]

    def launch(stream: object = 0) -> None:
        kernel[grid, block, stream](d_out, d_x, b, c, iters)

    def ref_at(idx: np.ndarray) -> np.ndarray:
        return reference(x[idx], b, c, iters, chains)

    def check() -> Check:
        return compare_sampled(d_out.copy_to_host(), ref_at, n, tolerance(iters, dtype))

    return Instance(case, name, launch, check, output=d_out, buffers=[d_x, d_out])

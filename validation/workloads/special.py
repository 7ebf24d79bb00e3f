"""Special-function loop: ``iters`` trips of ``a = fma(sin(a), 0.5, 0.5)`` compiled with ``fastmath=True``.

``math.sin`` then becomes ``sin.approx.f32`` (MUFU.SIN after a range-scaling FMUL), so each trip costs
one MUFU op and two FP32 ops, on ``chains`` independent accumulators per thread: ``sin_chains1`` is
one dependent chain (MUFU latency), ``sin_chains4`` four independent chains (MUFU throughput).
Starts ``a_j = x[i] + j / 4``, x uniform in [0, 1); the thread writes the sum of its accumulators.
Loops are ``while`` loops, as in `validation.workloads.fma`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float32

from .common import Case, Check, Instance, compare_sampled, f32, poisoned_device_array, uniform

TOLERANCE = 1e-4
CHECKED_THREADS = 4096  # the float64 reference loop is slow in NumPy
SCALE, SHIFT = 0.5, 0.5


@cuda.jit(fastmath=True)
def sin_chains1(out, x, s, t, iters):
    i = cuda.grid(1)
    if i < out.shape[0]:
        a = x[i]
        k = 0
        while k < iters:
            a = cuda.fma(math.sin(a), s, t)
            k += 1
        out[i] = a


@cuda.jit(fastmath=True)
def sin_chains4(out, x, s, t, iters):
    i = cuda.grid(1)
    if i < out.shape[0]:
        a0 = x[i]
        a1 = a0 + float32(0.25)
        a2 = a0 + float32(0.5)
        a3 = a0 + float32(0.75)
        k = 0
        while k < iters:
            a0 = cuda.fma(math.sin(a0), s, t)
            a1 = cuda.fma(math.sin(a1), s, t)
            a2 = cuda.fma(math.sin(a2), s, t)
            a3 = cuda.fma(math.sin(a3), s, t)
            k += 1
        out[i] = (a0 + a1) + (a2 + a3)


KERNELS = {"sin_chains1": sin_chains1, "sin_chains4": sin_chains4}


def reference(x: np.ndarray, iters: int, chains: int) -> np.ndarray:
    """The loop in float64 (the map contracts by <= 0.5 per trip, so rounding does not accumulate)."""
    total = np.zeros(x.shape, dtype=np.float64)
    for j in range(chains):
        a = x.astype(np.float64) + j * 0.25
        for _ in range(iters):
            a = np.sin(a) * SCALE + SHIFT
        total += a
    return total


def prepare(case: Case) -> Instance:
    chains, iters, n = case["chains"], case["iters"], case["n_elements"]
    name = f"sin_chains{chains}"
    kernel = KERNELS[name]
    x = uniform(n, 0.0, 1.0, seed=n)
    d_x = cuda.to_device(x)
    d_out = poisoned_device_array(n, np.float32)
    grid, block = case["grid"], case["block"]
    s, t = f32(SCALE), f32(SHIFT)

    def launch(stream: object = 0) -> None:
        kernel[grid, block, stream](d_out, d_x, s, t, iters)

    def ref_at(idx: np.ndarray) -> np.ndarray:
        return reference(x[idx], iters, chains)

    def check() -> Check:
        return compare_sampled(d_out.copy_to_host(), ref_at, n, TOLERANCE, CHECKED_THREADS)

    return Instance(case, name, launch, check, output=d_out, buffers=[d_x, d_out])

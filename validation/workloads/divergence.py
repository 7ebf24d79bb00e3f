"""Branch divergence: two FMA paths of equal work, chosen per lane or per warp.

Path A: ``iters`` trips of ``a = fma(a, b_a, c_a)`` (fixed point 1). Path B: ``iters / 2`` trips of
two ``fma(a, b_b, c_b)`` (fixed point 2; a different loop shape, so the compiler cannot merge the
paths). ``while`` loops, as in `validation.workloads.fma`. ``divergent`` picks the path by
``threadIdx.x & 1``: every warp runs both paths one after the other. ``uniform`` picks by
``(threadIdx.x >> 5) & 1``: each warp runs one path. Same total FMAs (``iters`` per thread);
``iters`` must be even. x uniform in [0, 3).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .common import Case, Check, Instance, compare_sampled, poisoned_device_array, uniform
from .fma import coefficients, tolerance

FIXED_B = 2.0


@cuda.jit
def branch_divergent(out, x, b_a, c_a, b_b, c_b, iters):
    i = cuda.grid(1)
    if i < out.shape[0]:
        a = x[i]
        if cuda.threadIdx.x & 1:
            k = 0
            while k < iters:
                a = cuda.fma(a, b_a, c_a)
                k += 1
        else:
            k = 0
            while k < iters:
                a = cuda.fma(a, b_b, c_b)
                a = cuda.fma(a, b_b, c_b)
                k += 2
        out[i] = a


@cuda.jit
def branch_uniform(out, x, b_a, c_a, b_b, c_b, iters):
    i = cuda.grid(1)
    if i < out.shape[0]:
        a = x[i]
        if (cuda.threadIdx.x >> 5) & 1:
            k = 0
            while k < iters:
                a = cuda.fma(a, b_a, c_a)
                k += 1
        else:
            k = 0
            while k < iters:
                a = cuda.fma(a, b_b, c_b)
                a = cuda.fma(a, b_b, c_b)
                k += 2
        out[i] = a


KERNELS = {"branch_divergent": branch_divergent, "branch_uniform": branch_uniform}


def reference(x: np.ndarray, lane_takes_a: np.ndarray, coeffs: tuple[float, ...], iters: int) -> np.ndarray:
    """Closed form per path (see `validation.workloads.fma.reference`)."""
    b_a, c_a, b_b, c_b = (float(v) for v in coeffs)
    x64 = x.astype(np.float64)
    fixed_a, fixed_b = c_a / (1.0 - b_a), c_b / (1.0 - b_b)
    path_a = fixed_a + (x64 - fixed_a) * b_a**iters
    path_b = fixed_b + (x64 - fixed_b) * b_b**iters
    return np.where(lane_takes_a, path_a, path_b)


def prepare(case: Case) -> Instance:
    variant, iters, n = case["variant"], case["iters"], case["n_elements"]
    if iters % 2:
        raise ValueError(f"divergence needs an even iters, got {iters}")
    name = f"branch_{variant}"
    kernel = KERNELS[name]
    x = uniform(n, 0.0, 3.0, seed=n)
    b_a, c_a = coefficients(iters, "float32")
    b_b, c_b = b_a, np.float32(FIXED_B) * (np.float32(1.0) - b_a)
    d_x = cuda.to_device(x)
    d_out = poisoned_device_array(n, np.float32)
    grid, block = case["grid"], case["block"]
    block_x = int(block[0])

    def launch(stream: object = 0) -> None:
        kernel[grid, block, stream](d_out, d_x, b_a, c_a, b_b, c_b, iters)

    def ref_at(idx: np.ndarray) -> np.ndarray:
        lane = idx % block_x
        takes_a = (lane & 1) == 1 if variant == "divergent" else ((lane >> 5) & 1) == 1
        return reference(x[idx], takes_a, (b_a, c_a, b_b, c_b), iters)

    def check() -> Check:
        return compare_sampled(d_out.copy_to_host(), ref_at, n, tolerance(iters, "float32"))

    return Instance(case, name, launch, check, output=d_out, buffers=[d_x, d_out])

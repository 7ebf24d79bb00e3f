"""Elementwise ``out[i] = sqrt(x) * sin(x) / log(x + 1)`` on float32, x uniform in [0.1, 4).

Variants: ``precise`` (libdevice sqrt/sin/log, IEEE division), ``fast`` (``fastmath=True``: MUFU
approximations), ``grid_stride`` (precise, a grid-stride loop over ``n_elements`` with a small grid).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float32

from .common import Case, Check, Instance, case_seed, compare_sampled, poisoned_device_array, uniform

X_LOW, X_HIGH = 0.1, 4.0
TOLERANCE = {"precise": 1e-5, "fast": 1e-3, "grid_stride": 1e-5}


@cuda.jit
def elementwise_precise(out, x):
    i = cuda.grid(1)
    if i < x.shape[0]:
        v = x[i]
        out[i] = math.sqrt(v) * math.sin(v) / math.log(v + float32(1.0))


@cuda.jit(fastmath=True)
def elementwise_fast(out, x):
    i = cuda.grid(1)
    if i < x.shape[0]:
        v = x[i]
        out[i] = math.sqrt(v) * math.sin(v) / math.log(v + float32(1.0))


@cuda.jit
def elementwise_grid_stride(out, x):
    start = cuda.grid(1)
    step = cuda.gridsize(1)
    for i in range(start, x.shape[0], step):
        v = x[i]
        out[i] = math.sqrt(v) * math.sin(v) / math.log(v + float32(1.0))


KERNELS = {
    "elementwise_precise": elementwise_precise,
    "elementwise_fast": elementwise_fast,
    "elementwise_grid_stride": elementwise_grid_stride,
}


def reference(x: np.ndarray) -> np.ndarray:
    """The float64 NumPy reference."""
    v = x.astype(np.float64)
    return np.sqrt(v) * np.sin(v) / np.log(v + 1.0)


def prepare(case: Case) -> Instance:
    variant, n = case["variant"], case["n_elements"]
    name = f"elementwise_{variant}"
    kernel = KERNELS[name]
    x = uniform(n, X_LOW, X_HIGH, seed=n)
    d_x = cuda.to_device(x)
    d_out = poisoned_device_array(n, np.float32)
    grid, block = case["grid"], case["block"]

    def launch(stream: object = 0) -> None:
        kernel[grid, block, stream](d_out, d_x)

    def check() -> Check:
        out = d_out.copy_to_host()
        return compare_sampled(out, lambda idx: reference(x[idx]), case_seed(case), TOLERANCE[variant])

    return Instance(case, name, launch, check, output=d_out, buffers=[d_x, d_out])

"""Streaming kernels on float32: ``saxpy`` (``y = a * x + y``, in place) and ``copy`` (``out = x``)."""

from __future__ import annotations

import numpy as np
from numba import cuda

from .common import Case, Check, Instance, case_seed, compare_sampled, f32, poisoned_device_array, uniform

SAXPY_A = 2.0


@cuda.jit
def saxpy(y, x, a):
    i = cuda.grid(1)
    if i < x.shape[0]:
        y[i] = a * x[i] + y[i]


@cuda.jit
def copy(out, x):
    i = cuda.grid(1)
    if i < x.shape[0]:
        out[i] = x[i]


KERNELS = {"saxpy": saxpy, "copy": copy}


def prepare(case: Case) -> Instance:
    variant, n = case["variant"], case["n_elements"]
    grid, block = case["grid"], case["block"]
    x = uniform(n, -1.0, 1.0, seed=n)
    d_x = cuda.to_device(x)
    seed = case_seed(case)
    if variant == "saxpy":
        y0 = uniform(n, -1.0, 1.0, seed=n + 1)
        d_y = cuda.to_device(y0)
        a = f32(SAXPY_A)

        def launch(stream: object = 0) -> None:
            saxpy[grid, block, stream](d_y, d_x, a)

        def check() -> Check:
            out = d_y.copy_to_host()
            return compare_sampled(out, lambda idx: SAXPY_A * x[idx].astype(np.float64) + y0[idx], seed, 1e-6)

        return Instance(case, "saxpy", launch, check, output=d_y, buffers=[d_x, d_y])

    if variant != "copy":
        raise ValueError(f"unknown streaming variant {variant!r}")
    d_out = poisoned_device_array(n, np.float32)

    def launch_copy(stream: object = 0) -> None:
        copy[grid, block, stream](d_out, d_x)

    def check_copy() -> Check:
        out = d_out.copy_to_host()
        return compare_sampled(out, lambda idx: x[idx], seed, 0.0)

    return Instance(case, "copy", launch_copy, check_copy, output=d_out, buffers=[d_x, d_out])

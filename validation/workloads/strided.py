"""Strided read: thread i reads ``x[(i * stride) % n]`` and writes ``out[i]`` (float32, coalesced write).

``n_elements`` is a power of two and the kernel computes the index as ``(i * stride) & (n - 1)``,
which equals ``% n`` there, without a 64-bit integer division (tens of instructions) that would
hide the memory effect. One thread per element: for ``stride >= 8`` each warp touches 32 sectors,
and the read wraps ``stride`` times over ``n / stride`` distinct elements (a footprint of
``n * 32 / stride`` bytes of sectors for ``stride >= 8``).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .common import Case, Check, Instance, compare_sampled, poisoned_device_array, uniform


@cuda.jit
def strided_read(out, x, stride, mask):
    i = cuda.grid(1)
    if i < out.shape[0]:
        out[i] = x[(i * stride) & mask]


KERNELS = {"strided_read": strided_read}


def prepare(case: Case) -> Instance:
    n, stride = case["n_elements"], case["stride"]
    if n & (n - 1):
        raise ValueError(f"strided read needs a power-of-two n_elements, got {n}")
    x = uniform(n, -1.0, 1.0, seed=n)
    d_x = cuda.to_device(x)
    d_out = poisoned_device_array(n, np.float32)
    grid, block = case["grid"], case["block"]
    mask = n - 1

    def launch(stream: object = 0) -> None:
        strided_read[grid, block, stream](d_out, d_x, stride, mask)

    def check() -> Check:
        out = d_out.copy_to_host()
        return compare_sampled(out, lambda idx: x[(idx * stride) % n], stride, 0.0)

    return Instance(case, "strided_read", launch, check, output=d_out, buffers=[d_x, d_out])

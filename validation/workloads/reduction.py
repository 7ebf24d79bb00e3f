"""Sum of float32 values: a shared-memory tree per block (blockDim 256), one ``atomic.add`` per block.

Each thread first sums its elements with a grid-stride loop (one element per thread when the grid
covers the input), then the block reduces 256 partial sums in shared memory (8 barrier steps) and
thread 0 adds the block's sum to a float32 scalar: ``grid`` atomics on one address.
"""

from __future__ import annotations

import numpy as np
from numba import cuda, float32

from .common import Case, Check, Instance, compare, uniform

BLOCK = 256


@cuda.jit
def reduce_sum(total, x):
    partial = cuda.shared.array(BLOCK, float32)
    tid = cuda.threadIdx.x
    acc = float32(0.0)
    i = cuda.grid(1)
    step = cuda.gridsize(1)
    while i < x.shape[0]:
        acc += x[i]
        i += step
    partial[tid] = acc
    cuda.syncthreads()
    width = BLOCK // 2
    while width > 0:
        if tid < width:
            partial[tid] += partial[tid + width]
        cuda.syncthreads()
        width //= 2
    if tid == 0:
        cuda.atomic.add(total, 0, partial[0])


KERNELS = {"reduce_sum": reduce_sum}


def prepare(case: Case) -> Instance:
    if tuple(case["block"]) != (BLOCK, 1, 1):
        raise ValueError(f"reduction needs block ({BLOCK}, 1, 1), got {case['block']}")
    n = case["n_elements"]
    grid, block = case["grid"], case["block"]
    x = uniform(n, 0.0, 1.0, seed=n)
    d_x = cuda.to_device(x)
    d_total = cuda.to_device(np.zeros(1, dtype=np.float32))
    expected = float(np.sum(x, dtype=np.float64))

    def launch(stream: object = 0) -> None:
        reduce_sum[grid, block, stream](d_total, d_x)

    def check() -> Check:
        total = d_total.copy_to_host()
        return compare(total, np.array([expected]), 1e-3)

    return Instance(case, "reduce_sum", launch, check, output=d_total, buffers=[d_x, d_total])

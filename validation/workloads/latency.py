"""Pointer chase for memory latency: one thread follows ``j = a[j]`` for ``n_steps`` steps.

``a`` (int32, ``footprint_bytes`` long) holds ``a[j] = (j + stride) % n``, with ``stride`` elements
(``stride_bytes`` >= one 128-byte line), so every step waits for the previous load. The footprint
sets the level that serves it: L1 (a few KiB), L2 (MiB) or device memory (far beyond L2). The
thread writes its final index. Time per step = kernel time / ``n_steps`` (one launch included).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .common import Case, Check, Instance, compare


@cuda.jit
def pointer_chase(out, chain, n_steps):
    j = 0
    k = 0
    while k < n_steps:
        j = chain[j]
        k += 1
    out[0] = j


KERNELS = {"pointer_chase": pointer_chase}


def prepare(case: Case) -> Instance:
    n, stride, n_steps = case["n_elements"], case["stride"], case["n_steps"]
    chain = ((np.arange(n, dtype=np.int64) + stride) % n).astype(np.int32)
    d_chain = cuda.to_device(chain)
    d_out = cuda.to_device(np.full(1, -1, dtype=np.int32))
    expected = (n_steps * stride) % n
    grid, block = case["grid"], case["block"]

    def launch(stream: object = 0) -> None:
        pointer_chase[grid, block, stream](d_out, d_chain, n_steps)

    def check() -> Check:
        return compare(d_out.copy_to_host(), np.array([expected]), 0.0)

    return Instance(case, "pointer_chase", launch, check, output=d_out, buffers=[d_chain, d_out])

"""Pointer chase for memory latency: one thread follows ``j = a[j]`` for ``n_steps`` steps.

``a`` (int32, ``footprint_bytes`` long) holds ``a[j] = (j + stride) % n``, with ``stride`` elements
(``stride_bytes`` >= one 128-byte line), so every step waits for the previous load and touches its
own line. The lines touched (``distinct_lines`` = min(``n_steps``, nodes), 32 bytes used of each)
set the level that serves them: L1 (a few KiB), L2 (MiB, resident from the previous launch), or,
for ``level`` "dram", device memory: those cases set ``flush_bytes_before_launch``, and before every
launch (outside the timed interval) a copy kernel streams that many bytes through L2 to evict the
chain. The index is unsigned, so that each step is one load and one address multiply-add (a signed
index adds Numba's negative-index wraparound, ~8 dependent instructions). The thread writes its final
index. Time per step = kernel time / ``n_steps`` (one launch included).
"""

from __future__ import annotations

import numpy as np
from numba import cuda, uint32

from .common import Case, Check, Instance, compare
from .streaming import copy as copy_kernel


@cuda.jit
def pointer_chase(out, chain, n_steps):
    j = uint32(0)
    k = 0
    while k < n_steps:
        j = uint32(chain[j])
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

    buffers = [d_chain, d_out]
    prelaunch = None
    flush_bytes = case.get("flush_bytes_before_launch", 0)
    if flush_bytes:
        n_flush = flush_bytes // 8  # read n_flush floats and write n_flush floats
        flush_src = cuda.to_device(np.ones(n_flush, dtype=np.float32))
        flush_dst = cuda.device_array(n_flush, dtype=np.float32)
        flush_block = 128
        flush_grid = (n_flush + flush_block - 1) // flush_block
        buffers += [flush_src, flush_dst]

        def prelaunch(stream: object = 0) -> None:
            copy_kernel[flush_grid, flush_block, stream](flush_dst, flush_src)

    return Instance(case, "pointer_chase", launch, check, output=d_out, buffers=buffers, prelaunch=prelaunch)

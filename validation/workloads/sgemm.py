"""Square float32 matrix product ``C = A @ B`` (N x N, N a multiple of 16), one thread per C element.

``naive``: each thread reads a row of A and a column of B from global memory (N iterations).
``tiled``: 16 x 16 tiles of A and B staged in shared memory (2 KiB static), N / 16 iterations with
two barriers each. Grid ``(N/16, N/16)``, block ``(16, 16)``; x indexes columns.
"""

from __future__ import annotations

import numpy as np
from numba import cuda, float32

from .common import Case, Check, Instance, case_seed, compare, poisoned_device_array, sample_indices, uniform

TILE = 16
TOLERANCE = 1e-3
CHECKED_ROWS = 64


@cuda.jit
def sgemm_naive(c, a, b):
    col, row = cuda.grid(2)
    n = c.shape[0]
    if row < n and col < n:
        acc = float32(0.0)
        for k in range(a.shape[1]):
            acc += a[row, k] * b[k, col]
        c[row, col] = acc


@cuda.jit
def sgemm_tiled(c, a, b):
    tile_a = cuda.shared.array((TILE, TILE), float32)
    tile_b = cuda.shared.array((TILE, TILE), float32)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    col = cuda.blockIdx.x * TILE + tx
    row = cuda.blockIdx.y * TILE + ty
    acc = float32(0.0)
    for t in range(a.shape[1] // TILE):
        tile_a[ty, tx] = a[row, t * TILE + tx]
        tile_b[ty, tx] = b[t * TILE + ty, col]
        cuda.syncthreads()
        for k in range(TILE):
            acc += tile_a[ty, k] * tile_b[k, tx]
        cuda.syncthreads()
    c[row, col] = acc


KERNELS = {"sgemm_naive": sgemm_naive, "sgemm_tiled": sgemm_tiled}


def prepare(case: Case) -> Instance:
    n = case["n"]
    if n % TILE:
        raise ValueError(f"sgemm needs N a multiple of {TILE}, got {n}")
    name = f"sgemm_{case['variant']}"
    kernel = KERNELS[name]
    a = uniform(n * n, 0.0, 1.0, seed=n).reshape(n, n)
    b = uniform(n * n, 0.0, 1.0, seed=n + 1).reshape(n, n)
    d_a, d_b = cuda.to_device(a), cuda.to_device(b)
    d_c = poisoned_device_array((n, n), np.float32)
    grid, block = case["grid"], case["block"]

    def launch(stream: object = 0) -> None:
        kernel[grid, block, stream](d_c, d_a, d_b)

    def check() -> Check:
        c = d_c.copy_to_host()
        if not np.all(np.isfinite(c)):
            return Check(float("inf"), TOLERANCE, c.size)
        rows = sample_indices(n, case_seed(case), size=CHECKED_ROWS)
        ref = a[rows].astype(np.float64) @ b.astype(np.float64)
        return compare(c[rows], ref, TOLERANCE)

    return Instance(case, name, launch, check, output=d_c, buffers=[d_a, d_b, d_c])

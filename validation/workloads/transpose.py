"""Float32 N x N transpose ``out[j, i] = x[i, j]`` (N a multiple of 32), block ``(32, 8)``.

``naive``: one element per thread, grid ``(N/32, N/8)``: coalesced reads, writes strided by N.
``tiled``: a 32 x 33 shared tile (the +1 column avoids bank conflicts on the transposed read),
grid ``(N/32, N/32)``, 4 elements per thread, one barrier: both global accesses coalesced.
"""

from __future__ import annotations

import numpy as np
from numba import cuda, float32

from .common import Case, Check, Instance, compare, poisoned_device_array, uniform

TILE = 32
TILE_PADDED = TILE + 1  # a module constant: Numba needs a literal shape
ROWS = 8


@cuda.jit
def transpose_naive(out, x):
    col, row = cuda.grid(2)
    n = x.shape[0]
    if row < n and col < n:
        out[col, row] = x[row, col]


@cuda.jit
def transpose_tiled(out, x):
    tile = cuda.shared.array((TILE, TILE_PADDED), float32)
    x0 = cuda.blockIdx.x * TILE
    y0 = cuda.blockIdx.y * TILE
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    for j in range(0, TILE, ROWS):
        tile[ty + j, tx] = x[y0 + ty + j, x0 + tx]
    cuda.syncthreads()
    for j in range(0, TILE, ROWS):
        out[x0 + ty + j, y0 + tx] = tile[tx, ty + j]


KERNELS = {"transpose_naive": transpose_naive, "transpose_tiled": transpose_tiled}


def prepare(case: Case) -> Instance:
    n = case["n"]
    if n % TILE:
        raise ValueError(f"transpose needs N a multiple of {TILE}, got {n}")
    name = f"transpose_{case['variant']}"
    kernel = KERNELS[name]
    x = uniform(n * n, -1.0, 1.0, seed=n).reshape(n, n)
    d_x = cuda.to_device(x)
    d_out = poisoned_device_array((n, n), np.float32)
    grid, block = case["grid"], case["block"]

    def launch(stream: object = 0) -> None:
        kernel[grid, block, stream](d_out, d_x)

    def check() -> Check:
        out = d_out.copy_to_host()
        if np.array_equal(out, x.T):
            return Check(0.0, 0.0, out.size)
        return compare(out, x.T, 0.0)

    return Instance(case, name, launch, check, output=d_out, buffers=[d_x, d_out])

"""Random gather ``out[i] = x[idx[i]]``, float32 values, ``idx`` a random permutation (int32)."""

from __future__ import annotations

import numpy as np
from numba import cuda

from .common import Case, Check, Instance, case_seed, compare_sampled, poisoned_device_array, uniform


@cuda.jit
def gather(out, x, idx):
    i = cuda.grid(1)
    if i < out.shape[0]:
        out[i] = x[idx[i]]


KERNELS = {"gather": gather}


def prepare(case: Case) -> Instance:
    n = case["n_elements"]
    x = uniform(n, -1.0, 1.0, seed=n)
    perm = np.random.default_rng(case_seed(case)).permutation(n).astype(np.int32)
    d_x, d_idx = cuda.to_device(x), cuda.to_device(perm)
    d_out = poisoned_device_array(n, np.float32)
    grid, block = case["grid"], case["block"]

    def launch(stream: object = 0) -> None:
        gather[grid, block, stream](d_out, d_x, d_idx)

    def check() -> Check:
        out = d_out.copy_to_host()
        return compare_sampled(out, lambda i: x[perm[i]], n, 0.0)

    return Instance(case, "gather", launch, check, output=d_out, buffers=[d_x, d_idx, d_out])

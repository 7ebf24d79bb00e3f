"""Occupancy limited by shared memory: each block stages its chunk through dynamic shared memory.

Block b copies ``elements_per_block = dynamic_shared_bytes / 4`` floats: every thread loads its
elements ``tid, tid + blockDim, ...`` into shared memory, one barrier, then writes them back
reversed within the chunk (``out[base + j] = buf[per_block - 1 - j]``), so the stage cannot be
skipped. Resident blocks per SM = shared memory per SM / (``dynamic_shared_bytes`` + the per-block
reservation). Above 48 KiB the kernel must opt in (``CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda, float32

from .common import Case, Check, Instance, case_seed, compare_sampled, poisoned_device_array, uniform

STATIC_LIMIT_BYTES = 48 * 1024


@cuda.jit
def shared_stage_reverse(out, x, per_block):
    buf = cuda.shared.array(0, float32)
    step = cuda.blockDim.x
    base = cuda.blockIdx.x * per_block
    j = cuda.threadIdx.x
    while j < per_block:
        buf[j] = x[base + j]
        j += step
    cuda.syncthreads()
    j = cuda.threadIdx.x
    while j < per_block:
        out[base + j] = buf[per_block - 1 - j]
        j += step


KERNELS = {"shared_stage_reverse": shared_stage_reverse}


def allow_dynamic_shared(dispatcher: Any, args: tuple[Any, ...], n_bytes: int) -> None:
    """Compile ``dispatcher`` for ``args`` and raise its dynamic shared memory limit to ``n_bytes``."""
    from numba.cuda.cudadrv import driver as drv

    kernel = dispatcher.compile(tuple(dispatcher.typeof_pyval(a) for a in args))
    cufunc = kernel._codelibrary.get_cufunc()
    device_id = cuda.get_current_device().id
    attr = drv.binding.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    errors = []
    for set_attribute in (
        lambda: drv.driver.cuKernelSetAttribute(attr, n_bytes, cufunc.handle, device_id),
        lambda: drv.driver.cuFuncSetAttribute(cufunc.handle, attr, n_bytes),
    ):
        try:
            set_attribute()
            return
        except Exception as exc:  # numba-cuda versions differ: try the next call
            errors.append(repr(exc))
    raise RuntimeError(f"could not raise the dynamic shared memory limit: {errors}")


def _simulated() -> bool:
    return "simulator" in getattr(cuda.jit, "__module__", "")


def prepare(case: Case) -> Instance:
    n, per_block = case["n_elements"], case["elements_per_block"]
    dyn_bytes = case["dynamic_shared_bytes"]
    if per_block * 4 != dyn_bytes or n % per_block:
        raise ValueError("shared_stage needs dynamic_shared_bytes = 4 * elements_per_block dividing n")
    x = uniform(n, -1.0, 1.0, seed=n)
    d_x = cuda.to_device(x)
    d_out = poisoned_device_array(n, np.float32)
    grid, block = case["grid"], case["block"]
    if dyn_bytes > STATIC_LIMIT_BYTES and not _simulated():
        allow_dynamic_shared(shared_stage_reverse, (d_out, d_x, per_block), dyn_bytes)

    def launch(stream: object = 0) -> None:
        shared_stage_reverse[grid, block, stream, dyn_bytes](d_out, d_x, per_block)

    def ref_at(idx: np.ndarray) -> np.ndarray:
        base, offset = np.divmod(idx, per_block)
        return x[base * per_block + per_block - 1 - offset]

    def check() -> Check:
        return compare_sampled(d_out.copy_to_host(), ref_at, case_seed(case), 0.0)

    return Instance(case, "shared_stage_reverse", launch, check, output=d_out, buffers=[d_x, d_out])

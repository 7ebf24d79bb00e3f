"""Choose the sampled blocks, lay out the kernel's arguments as PTX parameters, run the interpreter.

Blocks: the first and the last block of the grid (the last one holds the partial tail of a
``if i < n`` kernel) and ``sample_blocks - 2`` more drawn at random without replacement (a fixed
seed), each standing for ``(blocks - 2) / (sample_blocks - 2)`` blocks; every thread of a sampled
block runs, so barriers and shared memory behave as on the GPU. All blocks run when the grid has
at most ``sample_blocks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gpusim.analyze.interp import NP, Interpreter, Lanes, _wrap
from gpusim.analyze.memory import GlobalMemory, VirtualArray
from gpusim.analyze.ptx import PtxKernel
from gpusim.analyze.trace import Trace
from gpusim.errors import SpecError

DEFAULT_SAMPLE_BLOCKS = 6
WARP = 32


@dataclass(frozen=True)
class Sample:
    """A finished sampled run: the trace and how to weigh its warps to stand for the whole grid."""

    trace: Trace
    lanes: Lanes
    block_ids: tuple[int, ...]
    warp_weight: np.ndarray  # blocks of the grid each sampled warp stands for
    warp_threads: np.ndarray  # threads present in each sampled warp (<= 32)
    memory: GlobalMemory
    total_blocks: int


def choose_blocks(total: int, sample_blocks: int, seed: int = 0) -> tuple[list[int], list[float]]:
    """Sampled linear block ids and the number of grid blocks each stands for."""
    if sample_blocks < 1:
        raise SpecError("sample_blocks must be at least 1")
    if total <= sample_blocks:
        return list(range(total)), [1.0] * total
    if sample_blocks == 1:
        return [0], [float(total)]
    k = sample_blocks - 2
    if k == 0:
        return [0, total - 1], [float(total - 1), 1.0]
    middle = np.random.default_rng(seed).choice(np.arange(1, total - 1), size=k, replace=False)
    weight = (total - 2) / k
    return [0, *sorted(int(b) for b in middle), total - 1], [1.0, *([weight] * k), 1.0]


def make_lanes(grid: tuple[int, int, int], block: tuple[int, int, int], block_ids: list[int]) -> Lanes:
    threads = block[0] * block[1] * block[2]
    warps_per_block = -(-threads // WARP)
    t = np.tile(np.arange(threads, dtype=np.int64), len(block_ids))
    slot = np.repeat(np.arange(len(block_ids), dtype=np.int64), threads)
    bid = np.repeat(np.asarray(block_ids, dtype=np.int64), threads)
    u32 = np.uint32
    tid = ((t % block[0]).astype(u32), ((t // block[0]) % block[1]).astype(u32),
           (t // (block[0] * block[1])).astype(u32))
    ctaid = ((bid % grid[0]).astype(u32), ((bid // grid[0]) % grid[1]).astype(u32),
             (bid // (grid[0] * grid[1])).astype(u32))
    return Lanes(tid=tid, ctaid=ctaid, ntid=block, nctaid=grid, slot=slot, warp=slot * warps_per_block + t // WARP,
                 laneid=(t % WARP).astype(u32), n_slots=len(block_ids), n_warps=len(block_ids) * warps_per_block)


def flatten_args(args: tuple[Any, ...], types: tuple[Any, ...], memory: GlobalMemory) -> list[Any]:
    """Argument values as Numba passes them to a kernel (an array is meminfo, parent, size, itemsize,
    data, shape..., strides...), with arrays placed in ``memory``."""
    from numba.core import types as nt

    out: list[Any] = []
    for k, (value, ty) in enumerate(zip(args, types, strict=True)):
        if isinstance(ty, nt.Array):
            if not isinstance(value, np.ndarray | VirtualArray):
                raise SpecError(f"argument {k}: the signature says {ty} but the value is {type(value).__name__}")
            if value.ndim != ty.ndim:
                raise SpecError(f"argument {k}: the signature says {ty.ndim} dimensions, the array has {value.ndim}")
            if np.dtype(value.dtype) != np.dtype(str(ty.dtype)):
                raise SpecError(f"argument {k}: the signature says {ty.dtype}, the array holds {value.dtype}")
            base = memory.add(f"argument {k}", value)
            shape = tuple(int(s) for s in value.shape)
            strides, acc = [], value.itemsize
            for s in reversed(shape):
                strides.insert(0, acc)
                acc *= s
            out += [0, 0, int(np.prod(shape, dtype=np.int64)), value.itemsize, base, *shape, *strides]
        elif isinstance(ty, nt.BaseTuple):
            out += flatten_args(tuple(value), tuple(ty), memory)
        elif isinstance(ty, nt.Complex):
            out += [value.real, value.imag]
        elif isinstance(ty, nt.Boolean | nt.Integer | nt.Float):
            out.append(value)
        else:
            raise SpecError(f"argument {k}: type {ty} is not supported by gpusim analyze")
    return out


def typed_params(kernel: PtxKernel, values: list[Any]) -> dict[str, np.generic]:
    if len(values) != len(kernel.params):
        raise SpecError(f"the kernel's PTX takes {len(kernel.params)} parameters but the arguments give "
                        f"{len(values)}; does the signature match the arguments?")
    out: dict[str, np.generic] = {}
    for (name, t), v in zip(kernel.params, values, strict=True):
        dtype = NP.get(t, np.uint64)
        if np.dtype(dtype).kind == "f":
            out[name] = np.dtype(dtype).type(v)
        else:
            out[name] = _wrap(int(v), dtype)
    return out


def run_sample(kernel: PtxKernel, args: tuple[Any, ...], types: tuple[Any, ...], grid: tuple[int, int, int],
               block: tuple[int, int, int], dynamic_shared_bytes: int = 0,
               sample_blocks: int = DEFAULT_SAMPLE_BLOCKS, seed: int = 0, max_steps: int = 2_000_000,
               source: str = "", kernel_name: str = "") -> Sample:
    """Run the sampled blocks of ``kernel`` on ``args`` and return the weighted trace."""
    total = grid[0] * grid[1] * grid[2]
    block_ids, block_weights = choose_blocks(total, sample_blocks, seed)
    memory = GlobalMemory()
    params = typed_params(kernel, flatten_args(args, types, memory))
    lanes = make_lanes(grid, block, block_ids)
    interp = Interpreter(kernel, params, lanes, memory, dynamic_shared_bytes, max_steps, source, kernel_name)
    trace = interp.run()
    threads = block[0] * block[1] * block[2]
    wpb = -(-threads // WARP)
    per_warp = np.array([min(WARP, threads - WARP * w) for w in range(wpb)], dtype=np.float64)
    return Sample(trace=trace, lanes=lanes, block_ids=tuple(block_ids),
                  warp_weight=np.repeat(np.asarray(block_weights, dtype=np.float64), wpb),
                  warp_threads=np.tile(per_warp, len(block_ids)), memory=memory, total_blocks=total)

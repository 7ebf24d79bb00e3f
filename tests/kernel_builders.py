"""Small KernelSpec builders shared by the kernel-model tests."""

from __future__ import annotations

from typing import Any

from gpusim.kernels import KernelSpec


def spec(name: str = "k", grid: Any = 1056, block: Any = 256, registers: int = 32, smem: int = 0,
         phases: list[dict[str, Any]] | None = None, **extra: Any) -> KernelSpec:
    return KernelSpec.model_validate({
        "name": name, "grid": grid, "block": block, "registers_per_thread": registers,
        "shared_memory_bytes_per_block": smem, "phases": phases or [{}], **extra})


def stream_kernel(n: int, block: int = 256, pattern: str = "coalesced", stride: int = 1,
                  footprint: int | None = None, registers: int = 16, smem: int = 0) -> KernelSpec:
    """out[i] = x[f(i)]: one load of the given pattern and one coalesced store per thread."""
    load: dict[str, Any] = {"op": "load", "pattern": pattern}
    if pattern == "strided":
        load["stride_elements"] = stride
    if footprint is not None:
        load["footprint_bytes"] = footprint
    return spec("stream", grid=-(-n // block), block=block, registers=registers, smem=smem,
                phases=[{"instructions": {"int32": 6, "misc": 2},
                         "memory": [load, {"op": "store"}]}])


def fma_kernel(iters: int, chains: int = 1, grid: int = 1056, block: int = 256, fp: str = "fp32",
               extra_int: float = 1.0, registers: int = 32) -> KernelSpec:
    return spec("fma", grid=grid, block=block, registers=registers,
                phases=[{"trips": iters, "independent_chains": chains,
                         "instructions": {fp: chains, "int32": extra_int, "branch": 1}}])

"""Hypothesis strategies for kernel specs (small grids so every fidelity can run them)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from gpusim.kernels import KernelSpec


@st.composite
def memory_accesses(draw: st.DrawFn) -> dict[str, Any]:
    pattern = draw(st.sampled_from(["coalesced", "strided", "random", "broadcast"]))
    access: dict[str, Any] = {
        "op": draw(st.sampled_from(["load", "store"])),
        "pattern": pattern,
        "bytes_per_thread": draw(st.sampled_from([4, 8, 16])),
        "count": draw(st.integers(1, 3)),
    }
    if pattern == "strided":
        access["stride_elements"] = draw(st.integers(2, 64))
    return access


@st.composite
def phases(draw: st.DrawFn, global_memory: bool = True) -> dict[str, Any]:
    ins = {k: draw(st.integers(0, 8)) for k in ("fp32", "fp64", "int32", "sfu", "misc")}
    return {
        "trips": draw(st.integers(1, 64)),
        "instructions": ins,
        "independent_chains": draw(st.integers(1, 4)),
        "memory": draw(st.lists(memory_accesses(), max_size=2)) if global_memory else
        [{"space": "shared", "op": "load", "bank_conflict_ways": draw(st.integers(1, 4))}],
        "barriers": draw(st.integers(0, 1)),
        "warp_fraction": draw(st.sampled_from([1.0, 0.5])),
    }


@st.composite
def kernel_specs(draw: st.DrawFn, max_blocks: int = 600, global_memory: bool = True) -> KernelSpec:
    block = draw(st.sampled_from([32, 64, 128, 256, 512]))
    return KernelSpec.model_validate({
        "name": "random",
        "grid": draw(st.integers(1, max_blocks)),
        "block": block,
        "registers_per_thread": draw(st.sampled_from([16, 32, 64, 128])),
        "shared_memory_bytes_per_block": draw(st.sampled_from([0, 4096, 48 * 1024])),
        "phases": draw(st.lists(phases(global_memory), min_size=1, max_size=3)),
    })

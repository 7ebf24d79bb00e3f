"""A KernelSpec from a Numba CUDA kernel, without a GPU: compile to PTX, count, run a sample, build.

``analyze_kernel(kernel, args, grid, block)`` compiles the kernel for the target architecture
(`compile`), reads registers and shared memory from ptxas, parses the PTX into basic blocks (`ptx`),
runs a few blocks of it on the CPU with the example arguments (`sample`, `interp`) and turns the
counts into a spec (`build`). See docs/analyze.md for the method and its limits.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gpusim.analyze.build import PhaseReport, build_spec
from gpusim.analyze.compile import Resources, compile_ptx, numba_cuda, parse_arch, resources
from gpusim.analyze.memory import VirtualArray
from gpusim.analyze.ptx import PtxKernel, parse_kernel
from gpusim.analyze.sample import DEFAULT_SAMPLE_BLOCKS, run_sample
from gpusim.errors import SpecError
from gpusim.kernels.spec import KernelSpec

__all__ = ["Analysis", "VirtualArray", "analyze_kernel", "argument_types", "signature_types"]

MODEL_FOR_ARCH = {(8, 0): "a100", (9, 0): "h200"}


@dataclass
class Analysis:
    """The analysed spec and how it was obtained."""

    spec: KernelSpec
    ptx: str
    kernel: PtxKernel
    resources: Resources
    sampled_blocks: tuple[int, ...]
    warp_instructions_run: int
    phases: list[PhaseReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def header(self) -> str:
        """YAML comment lines: provenance and what the sample measured per memory instruction."""
        lines = [f"# {self.spec.description}", f"# registers / shared memory: {self.resources.source}",
                 f"# sampled blocks: {', '.join(map(str, self.sampled_blocks))} "
                 f"({self.warp_instructions_run:,} block-instruction steps)"]
        for p in self.phases:
            for a in p.accesses:
                merged = f" x{a.merged} (one {a.vector_bytes}-byte vector load)" if a.merged > 1 else ""
                head = f"#   {p.name}: line {a.line} `{a.ptx.split()[0]}`{merged} measured "
                if a.spec.space == "shared":
                    lines.append(head + f"{a.wavefronts:.2f} wavefronts/request -> {a.spec.bytes_per_thread} bytes, "
                                 f"{a.spec.bank_conflict_ways}-way banks")
                else:
                    lines.append(head + f"{a.sectors_per_request:.2f} sectors/request -> {a.spec.pattern}"
                                 + (f" x{a.spec.stride_elements}" if a.spec.pattern == "strided" else ""))
        lines += [f"# note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _python_function(kernel: Any) -> tuple[Any, bool]:
    """(the Python function, fastmath) of a Numba dispatcher or a plain function."""
    func = getattr(kernel, "py_func", kernel)
    options = getattr(kernel, "targetoptions", {}) or {}
    if not callable(func):
        raise SpecError(f"{kernel!r} is not a kernel function")
    return func, bool(options.get("fastmath", False))


def argument_types(args: Sequence[Any]) -> tuple[Any, ...]:
    """Numba types of example arguments (VirtualArray -> a C-contiguous array type)."""
    numba_cuda()
    from numba import typeof
    from numba.core import types
    from numba.np import numpy_support

    out = []
    for value in args:
        if isinstance(value, VirtualArray):
            out.append(types.Array(numpy_support.from_dtype(np.dtype(value.dtype)), value.ndim, "C"))
        else:
            out.append(typeof(value))
    return tuple(out)


def signature_types(signature: Any) -> tuple[Any, ...]:
    """Numba argument types of a signature (``"float32[:], int32"`` or ``"void(float32[:], int32)"``)."""
    numba_cuda()
    from numba.core import sigutils

    if isinstance(signature, str) and "(" not in signature:
        signature = f"void({signature})"
    args, _ = sigutils.normalize_signature(signature)
    return tuple(args)


def _dim3(value: int | Sequence[int], what: str) -> tuple[int, int, int]:
    items = [value] if isinstance(value, int) else list(value)
    if not 1 <= len(items) <= 3 or any(int(v) < 1 for v in items):
        raise SpecError(f"{what}: must be 1 to 3 positive integers (got {value!r})")
    dims = [int(v) for v in items] + [1] * (3 - len(items))
    return dims[0], dims[1], dims[2]


def analyze_kernel(kernel: Any, args: Sequence[Any], grid: int | Sequence[int], block: int | Sequence[int], *,
                   signature: Any = None, arch: str = "sm_90", dynamic_shared_bytes: int = 0,
                   sample_blocks: int = DEFAULT_SAMPLE_BLOCKS, seed: int = 0, max_steps: int = 2_000_000,
                   name: str | None = None, fastmath: bool | None = None) -> Analysis:
    """Analyse a Numba CUDA kernel (a ``@cuda.jit`` dispatcher or its Python function) for one launch.

    ``args`` are example arguments (NumPy arrays, `VirtualArray`, scalars); addresses and loop trips
    come from running ``sample_blocks`` blocks of the compiled PTX on them. ``signature`` (a Numba
    signature, e.g. ``"float32[:], float32[:], int32"``) defaults to the arguments' Numba types.
    """
    func, fm = _python_function(kernel)
    fastmath = fm if fastmath is None else fastmath
    grid3, block3 = _dim3(grid, "grid"), _dim3(block, "block")
    if block3[0] * block3[1] * block3[2] > 1024:
        raise SpecError(f"block: {block3} has more than 1024 threads")
    types = signature_types(signature) if signature is not None else argument_types(args)
    if len(types) != len(args):
        raise SpecError(f"the signature has {len(types)} arguments but {len(args)} were given")
    cc = parse_arch(arch)
    kname = name or getattr(func, "__name__", "kernel")
    try:
        src_file = inspect.getsourcefile(func) or ""
    except TypeError:
        src_file = ""
    source = os.path.relpath(src_file) if src_file else "<kernel>"
    if source.startswith(".."):
        source = src_file
    ptx = compile_ptx(func, types, arch, fastmath)
    try:
        parsed = parse_kernel(ptx, kname)
    except SpecError as exc:
        raise SpecError(f"{source}: kernel {kname}: {exc}") from None
    try:
        res = resources(ptx, arch, parsed.static_shared_bytes)
    except SpecError as exc:
        raise SpecError(f"{source}: kernel {kname}: {exc}") from None
    dyn_vars = [v for v in parsed.shared if v.size_bytes is None]
    if dyn_vars and dynamic_shared_bytes <= 0:
        raise SpecError(f"{source}: kernel {kname} declares dynamic shared memory (cuda.shared.array(0, ...)); "
                        "give its size in bytes (--dynamic-shared-bytes)")
    try:
        sample = run_sample(parsed, tuple(args), types, grid3, block3, dynamic_shared_bytes, sample_blocks, seed,
                            max_steps, source, kname)
    except SpecError as exc:
        text = str(exc)
        if text.startswith("line "):  # from the parser or memory: put the file and kernel in front
            text = f"{source}:{text[5:].split(':', 1)[0]}: kernel {kname}:{text[5:].split(':', 1)[1]}"
        raise SpecError(text if text.startswith(source) else f"{source}: kernel {kname}: {text}") from None
    from gpusim.hardware import load_model

    lat = load_model(MODEL_FOR_ARCH.get(cc, "h200")).arch.latency_cycles
    description = (f"analysed by gpusim analyze from {source}:{kname} for {arch}, "
                   f"{len(sample.block_ids)} of {sample.total_blocks} blocks sampled")
    spec, reports = build_spec(kname, description, parsed, sample, lat, res.registers_per_thread,
                               res.static_shared_bytes + dynamic_shared_bytes, res.local_bytes_per_thread)
    notes = []
    if res.source.startswith("estimate"):
        notes.append(f"registers_per_thread is an {res.source}")
    return Analysis(spec, ptx, parsed, res, sample.block_ids, sample.trace.steps, reports, notes)

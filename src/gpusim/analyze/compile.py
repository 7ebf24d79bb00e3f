"""Compile a Numba CUDA kernel to PTX for a target architecture without a GPU, and read its resources.

PTX comes from ``numba.cuda.compile_ptx`` (libNVVM from the ``nvidia-nvvm`` wheel, found by
numba-cuda through cuda-pathfinder) with line info, so every instruction carries its source line.
Registers and static shared memory per block come from ``ptxas -v`` (``nvidia-cuda-nvcc`` wheel) on
that PTX; without ptxas they are an estimate, labelled as such in `Resources.source`.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any

from gpusim.errors import SpecError

ARCHS = {"sm_80": (8, 0), "sm_90": (9, 0)}
ESTIMATED_REGISTERS = 32


@dataclass(frozen=True)
class Resources:
    """Per-thread registers and per-block static shared memory, and where they come from."""

    registers_per_thread: int
    static_shared_bytes: int
    local_bytes_per_thread: int
    source: str  # "ptxas 13.x" or "estimate (...)"


def numba_cuda() -> Any:
    """``numba.cuda``, imported after giving NumPy back ``row_stack`` (some numba-cuda releases use it)."""
    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not hasattr(np, "row_stack"):
            np.row_stack = np.vstack
    from numba import cuda

    return cuda


def parse_arch(arch: str) -> tuple[int, int]:
    key = arch.lower().replace("compute_", "sm_")
    if key in ("sm80", "sm90"):
        key = key[:2] + "_" + key[2:]
    if key not in ARCHS:
        raise SpecError(f"--arch: must be one of {', '.join(ARCHS)} (got {arch!r})")
    return ARCHS[key]


def compile_ptx(pyfunc: Any, signature: Any, arch: str = "sm_90", fastmath: bool = False) -> str:
    """PTX of ``pyfunc`` as a kernel for ``signature`` on ``arch``, with source line info."""
    cuda = numba_cuda()
    cc = parse_arch(arch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ptx, _ = cuda.compile_ptx(pyfunc, signature, cc=cc, lineinfo=True, fastmath=fastmath)
        except SpecError:
            raise
        except Exception as exc:
            text = str(exc).strip().splitlines()
            first = next((line for line in text if line.strip()), repr(exc))
            if "nvvm" in str(exc).lower() or "nvrtc" in str(exc).lower() or "libnvvm" in str(exc).lower():
                raise SpecError(f"cannot compile for {arch}: libNVVM not found ({first}); install the "
                                "nvidia-nvvm / cuda-toolkit[nvvm] wheel") from None
            raise SpecError(f"{getattr(pyfunc, '__name__', 'kernel')}: Numba could not compile the kernel: "
                            f"{first}") from None
    return ptx


def find_ptxas() -> str | None:
    """ptxas from the environment's NVIDIA wheels, then from PATH / CUDA_HOME."""
    roots = [os.path.join(p, "nvidia") for p in sys.path if p.endswith("site-packages")]
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, "*", "bin", "ptxas")) +
                           glob.glob(os.path.join(root, "cuda_nvcc", "bin", "ptxas")), reverse=True):
            if os.access(path, os.X_OK):
                return path
    found = shutil.which("ptxas")
    if found:
        return found
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH")
    if home and os.access(os.path.join(home, "bin", "ptxas"), os.X_OK):
        return os.path.join(home, "bin", "ptxas")
    return None


_USED = re.compile(r"Used (\d+) registers")
_SMEM = re.compile(r"(\d+) bytes smem")
_LMEM = re.compile(r"(\d+) bytes stack frame|(\d+) bytes lmem")


def resources(ptx: str, arch: str = "sm_90", static_shared_bytes: int = 0) -> Resources:
    """Registers and static shared memory from ``ptxas -v``; an estimate when ptxas is missing."""
    tool = find_ptxas()
    if tool is None:
        return Resources(ESTIMATED_REGISTERS, static_shared_bytes, 0,
                         f"estimate ({ESTIMATED_REGISTERS} registers; ptxas not found)")
    major, minor = parse_arch(arch)
    gpu = f"sm_{major}{minor}"
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "kernel.ptx")
        with open(src, "w") as handle:
            handle.write(ptx)
        done = subprocess.run([tool, "-v", "--gpu-name", gpu, src, "-o", os.path.join(tmp, "kernel.cubin")],
                              capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise SpecError(f"ptxas could not assemble the kernel for {gpu}: {message}")
    regs = _USED.search(done.stderr)
    smem = _SMEM.search(done.stderr)
    lmem = _LMEM.search(done.stderr)
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30).stdout
    release = re.search(r"release ([\d.]+)", version)
    return Resources(
        registers_per_thread=int(regs.group(1)) if regs else ESTIMATED_REGISTERS,
        static_shared_bytes=int(smem.group(1)) if smem else static_shared_bytes,
        local_bytes_per_thread=int(next(g for g in lmem.groups() if g)) if lmem else 0,
        source=f"ptxas {release.group(1) if release else ''}".strip(),
    )

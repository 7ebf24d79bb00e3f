"""Numba CUDA workloads, one module per family, each kernel paired with a NumPy reference.

``prepare(case)`` turns a case dict from `validation.cases` into an `Instance` (device buffers, a
launch closure and a check); ``KERNELS`` maps every kernel name to its Numba dispatcher, for
resource and SASS inspection.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from . import (
    divergence,
    elementwise,
    fma,
    gather,
    latency,
    launch,
    reduction,
    sgemm,
    shared_stage,
    special,
    streaming,
    strided,
    transpose,
)
from .common import Case, Check, Instance

FAMILIES: dict[str, ModuleType] = {
    "elementwise": elementwise,
    "streaming": streaming,
    "reduction": reduction,
    "sgemm": sgemm,
    "transpose": transpose,
    "fma": fma,
    "special": special,
    "strided": strided,
    "gather": gather,
    "shared_stage": shared_stage,
    "divergence": divergence,
    "launch": launch,
    "latency": latency,
}

KERNELS: dict[str, object] = {name: k for module in FAMILIES.values() for name, k in module.KERNELS.items()}


def prepare(case: Case) -> Instance:
    """Make ``case`` ready to launch: allocate and fill its buffers on the current device."""
    try:
        module = FAMILIES[case["family"]]
    except KeyError:
        raise ValueError(f"unknown workload family {case['family']!r}") from None
    prepare_case: Callable[[Case], Instance] = module.prepare
    return prepare_case(case)


__all__ = ["FAMILIES", "KERNELS", "Case", "Check", "Instance", "prepare"]

"""The analysed side of each measured kernel case: `gpusim analyze` run on the case's Numba kernel.

``analyzed_spec_for_case(case)`` builds example arguments for the case (the same sizes, scalars and
launch as `validation.workloads.<family>.prepare`, on the host; large inputs are virtual arrays,
computed per element on demand) and analyses the kernel for sm_90, without a GPU. Inputs whose
values steer control flow or addresses are reproduced: the gather's permutation, the pointer
chase's chain; elsewhere the values follow the workload's distribution.

    python -m validation.analyzed [--scale tiny|full] [--model h200]   # hand-written vs analysed
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

import validation  # noqa: F401  (NumPy compatibility alias before numba.cuda)
from gpusim.analyze import analyze_kernel
from gpusim.analyze.args import affine, constant, permutation, uniform
from gpusim.kernels import KernelSpec

Case = dict[str, Any]
ARCH = "sm_90"


def _zeros(shape: int | tuple[int, ...], dtype: Any = np.float32) -> Any:
    return constant(shape, 0.0, dtype)


def kernel_and_args(case: Case) -> tuple[str, tuple[Any, ...], int]:
    """(kernel name in ``validation.workloads.KERNELS``, example arguments, dynamic shared bytes)."""
    family, variant = case["family"], case["variant"]
    n = case.get("n_elements", 0)
    if family == "elementwise":
        return f"elementwise_{variant}", (_zeros(n), uniform(n, 0.1, 4.0, seed=n)), 0
    if family == "streaming":
        x = uniform(n, -1.0, 1.0, seed=n)
        if variant == "saxpy":
            return "saxpy", (uniform(n, -1.0, 1.0, seed=n + 1), x, np.float32(2.0)), 0
        return "copy", (_zeros(n), x), 0
    if family == "reduction":
        return "reduce_sum", (np.zeros(1, np.float32), uniform(n, 0.0, 1.0, seed=n)), 0
    if family == "sgemm":
        m = case["n"]
        return f"sgemm_{variant}", (_zeros((m, m)), uniform((m, m), 0, 1, seed=m), uniform((m, m), 0, 1, seed=m + 1)), 0
    if family == "transpose":
        m = case["n"]
        return f"transpose_{variant}", (_zeros((m, m)), uniform((m, m), -1, 1, seed=m)), 0
    if family in ("fma", "divergence"):
        from validation.workloads.fma import coefficients

        dtype = case["dtype"]
        b, c = coefficients(case["iters"], dtype)
        x = uniform(n, 0.0, 3.0 if family == "divergence" else 2.0, dtype=dtype, seed=n)
        if family == "fma":
            name = f"fma_{'f32' if dtype == 'float32' else 'f64'}_chains{case['chains']}"
            return name, (_zeros(n, dtype), x, b, c, case["iters"]), 0
        c_b = np.float32(2.0) * (np.float32(1.0) - b)
        return f"branch_{variant}", (_zeros(n), x, b, c, b, c_b, case["iters"]), 0
    if family == "special":
        args = (_zeros(n), uniform(n, 0.0, 1.0, seed=n), np.float32(0.5), np.float32(0.5), case["iters"])
        return f"sin_chains{case['chains']}", args, 0
    if family == "strided":
        return "strided_read", (_zeros(n), uniform(n, -1, 1, seed=n), case["stride"], n - 1), 0
    if family == "gather":
        return "gather", (_zeros(n), uniform(n, -1, 1, seed=n), permutation(n, zlib.crc32(case["name"].encode()))), 0
    if family == "shared_stage":
        per_block = case["elements_per_block"]
        return "shared_stage_reverse", (_zeros(n), uniform(n, -1, 1, seed=n), per_block), case["dynamic_shared_bytes"]
    if family == "launch":
        return "empty", (), 0
    if family == "latency":
        chain = affine(n, 1, case["stride"], np.int32)  # chain[j] = (j + stride) % n
        return "pointer_chase", (np.full(1, -1, np.int32), chain, case["n_steps"]), 0
    raise KeyError(f"no analysed spec for kernel family {family!r}")


@lru_cache(maxsize=64)
def _analyze(name: str, key: str, case_items: tuple[tuple[str, Any], ...]) -> KernelSpec:
    from validation.workloads import KERNELS

    case = dict(case_items)
    kernel_name, args, dyn = kernel_and_args(case)
    analysis = analyze_kernel(KERNELS[kernel_name], args, case["grid"], case["block"], arch=ARCH,
                              dynamic_shared_bytes=dyn)
    return analysis.spec.model_copy(update={"name": name})


def _freeze(value: Any) -> Any:
    return tuple(_freeze(v) for v in value) if isinstance(value, list | tuple) else value


def analyzed_spec_for_case(case: Case) -> KernelSpec:
    """The KernelSpec `gpusim analyze` derives for a kernel case of ``validation.cases``."""
    items = tuple(sorted((k, _freeze(v)) for k, v in case.items()))
    return _analyze(case["name"], case["name"], items)


def main(argv: Sequence[str] | None = None) -> int:
    import json
    from pathlib import Path

    from gpusim.hardware import load_model
    from gpusim.predict import predict_kernel
    from validation.specs import spec_for_case, warm_l2

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=Path(__file__).parent / "data" / "h200-2026-11-28.json")
    parser.add_argument("--only", default="", help="substring of case names to keep")
    ns = parser.parse_args(argv)
    document = json.loads(ns.data.read_text())
    model = load_model(document["gpu_model"])
    print("| case | measured | hand-written | analysed | analysed vs hand-written | analysed vs measured | "
          "analysis |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for entry in document["measurements"]:
        case = entry["case"]
        if entry["kind"] != "kernel" or ns.only not in case["name"]:
            continue
        warm = warm_l2(case)
        hand = predict_kernel(spec_for_case(case), model, warm_l2=warm).time_s
        start = time.perf_counter()
        spec = analyzed_spec_for_case(case)
        took = time.perf_counter() - start
        ana = predict_kernel(spec, model, warm_l2=warm).time_s
        measured = entry.get("time_s") or float("nan")
        print(f"| {case['name']} | {measured * 1e6:.2f} us | {hand * 1e6:.2f} us | {ana * 1e6:.2f} us | "
              f"{(ana - hand) / hand:+.1%} | {(ana - measured) / measured:+.1%} | {took:.1f} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs under ``NUMBA_ENABLE_CUDASIM=1`` (started by test_workloads_cudasim.py): every tiny kernel case.

For each case: prepare, launch once, compare with NumPy; then corrupt one element of the output on the
device and check again (that check must fail). Prints one JSON document on stdout.
"""

from __future__ import annotations

import json

import numpy as np
from numba import cuda  # the simulator compiles nothing, so it needs no NumPy alias first

from validation import workloads
from validation.cases import kernel_cases


def corrupt(device_array: object) -> None:
    """Change the middle element of ``device_array`` by at least one unit (and its own size)."""
    host = device_array.copy_to_host()
    flat = host.reshape(-1)
    k = flat.size // 2
    flat[k] = flat[k] + (1 if flat.dtype.kind == "i" else max(1.0, 2.0 * abs(float(flat[k]))))
    device_array.copy_to_device(host)


def main() -> None:
    results = []
    for case in kernel_cases(4, "tiny"):
        instance = workloads.prepare(case)
        instance.launch(0)
        check = instance.check()
        corrupted_passed = None
        if instance.output is not None:
            corrupt(instance.output)
            corrupted_passed = instance.check().passed
        results.append(
            {
                "name": case["name"],
                "family": case["family"],
                "kernel": instance.kernel_name,
                "check": check.as_dict(),
                "corrupted_check_passed": corrupted_passed,
                "n_threads": case["n_threads"],
            }
        )
    document = {
        "simulator": "simulator" in cuda.jit.__module__,
        "families": sorted(workloads.FAMILIES),
        "kernels": sorted(workloads.KERNELS),
        "results": results,
    }
    print(json.dumps(document, default=lambda v: v.item() if isinstance(v, np.generic) else str(v)))


if __name__ == "__main__":
    main()

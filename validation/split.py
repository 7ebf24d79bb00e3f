"""Which measured cases calibrate the model and which judge it (held out from every fit).

The calibration split holds the cases that isolate one fitted parameter each: the empty kernels
(GPU launch latency and block launch cost), the reduction with one same-address atomic per block of
256 elements (atomic serialisation), the L2 and DRAM pointer chases (L2 hit and DRAM
latency), the pinned and pageable transfers of 4 KiB and 256 MiB in each direction (PCIe fixed cost
and bandwidth), and the pinned 256 MiB copy in both directions at once (bidirectional share).
Everything else is held out.
"""

from __future__ import annotations

from typing import Any

_CALIBRATION_KERNELS = {
    "pointer_chase_l2_16384k_s256",
    "pointer_chase_dram_262144k_s4096",
    "empty_g1x1",
    "empty_g65536x256",
    "reduction_one_per_thread_n67108864_g262144",
}
_CALIBRATION_TRANSFER_SIZES = {4 * 1024, 256 * 1024**2}


def is_calibration(kind: str, case: dict[str, Any]) -> bool:
    """True if the case is used to fit parameters; its error is then not reported as accuracy."""
    if kind == "kernel":
        return case["name"] in _CALIBRATION_KERNELS
    if kind == "transfer":
        if case["direction"] == "both":  # one size of each kind pins the bidirectional share
            return case["size_bytes"] == 256 * 1024**2 and case["host_memory"] == "pinned"
        return case["size_bytes"] in _CALIBRATION_TRANSFER_SIZES
    return False

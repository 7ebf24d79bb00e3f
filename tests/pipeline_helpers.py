"""Shared helpers of the host-device timeline tests: a model without latencies and exact copy figures."""

from __future__ import annotations

from functools import cache
from typing import Any

from gpusim.hardware import load_model
from gpusim.hardware.schema import GpuModel
from gpusim.sim.pcie import CopyParams
from gpusim.sim.program import Program
from gpusim.timeline import Timeline

MS = 1e6  # ns
# 1 byte per ns over PCIe (so 4e6 bytes take exactly 4 ms), no fixed costs; D2D 10 bytes per ns.
EXACT_COPIES = CopyParams(pcie_bandwidth_bytes_per_s=1e9, per_transfer_ns=0.0, bidirectional_factor=1.0,
                          pageable_bandwidth_fraction={"h2d": 0.5, "d2h": 0.5},
                          pageable_latency_ns={"h2d": 0.0, "d2h": 0.0},
                          d2d_bandwidth_bytes_per_s=1e10, d2d_latency_ns=0.0)
DEVICE_KINDS = ("h2d", "d2h", "d2d", "kernel")


@cache
def zero_latency_model(name: str = "h200") -> GpuModel:
    """``name`` with no GPU-side launch latency or back-to-back gap (host dispatch unchanged)."""
    m = load_model(name)
    launch = m.launch.model_copy(update={"kernel_launch_latency_us": 0.0})
    return m.model_copy(update={"launch": launch})


def run_exact(program: Program, **options: Any) -> Timeline:
    """Simulate with zero latencies, no host dispatch cost and EXACT_COPIES (options override)."""
    kw: dict[str, Any] = {"dispatch_ns": 0.0, "copy_params": EXACT_COPIES, **options}
    return Timeline.simulate(program, zero_latency_model(), **kw)


def spans(tl: Timeline, kinds: tuple[str, ...] = DEVICE_KINDS) -> list[tuple[str, float, float]]:
    """(name, start ms, end ms) of the records of ``kinds``, in program order."""
    return [(r.name, r.start_ns / MS, r.end_ns / MS) for r in tl.records if r.kind in kinds]

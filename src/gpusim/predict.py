"""Predict one kernel's time on a model: run it alone on a simulated GPU and explain the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import simpy

from gpusim.analytic import Roofline, roofline, waves
from gpusim.hardware.schema import GpuModel
from gpusim.kernels.occupancy import Occupancy, occupancy
from gpusim.kernels.spec import KernelSpec
from gpusim.sim.gpu import Fidelity, Gpu
from gpusim.sim.memory import cache_view
from gpusim.sim.sm import warp_demand
from gpusim.sim.work import KernelLaunch

BREAKDOWN_KEYS = ("issue", "pipes", "compute_latency", "memory_bandwidth", "memory_latency", "barrier",
                  "atomics", "block_launch", "launch")


@dataclass(frozen=True)
class KernelPrediction:
    """A kernel's predicted time and why: ``time_s`` from launch to the last block's end."""

    kernel: str
    model: str
    time_s: float
    occupancy: Occupancy
    waves: float
    flops: float
    dram_bytes: float
    l2_bytes: float
    roofline: Roofline
    breakdown_s: dict[str, float] = field(default_factory=dict)
    sm_utilization: float = 0.0
    tail_s: float = 0.0
    fidelity: str = "aggregate"
    simulation_events: int = 0

    @property
    def achieved_dram_bandwidth_bytes_per_s(self) -> float:
        return self.dram_bytes / self.time_s

    @property
    def achieved_flops_per_s(self) -> float:
        return self.flops / self.time_s

    @property
    def bottleneck(self) -> str:
        return max(self.breakdown_s, key=lambda k: self.breakdown_s[k]) if self.breakdown_s else "none"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kernel": self.kernel, "model": self.model, "time_s": self.time_s, "fidelity": self.fidelity,
            "achieved_dram_bandwidth_bytes_per_s": self.achieved_dram_bandwidth_bytes_per_s,
            "achieved_flops_per_s": self.achieved_flops_per_s, "flops": self.flops,
            "dram_bytes": self.dram_bytes, "l2_bytes": self.l2_bytes,
            "occupancy": {"blocks_per_sm": self.occupancy.blocks_per_sm, "warps_per_sm": self.occupancy.warps_per_sm,
                          "fraction": self.occupancy.fraction, "limiter": self.occupancy.limiter},
            "waves": self.waves, "sm_utilization": self.sm_utilization, "tail_s": self.tail_s,
            "breakdown_s": self.breakdown_s, "bottleneck": self.bottleneck,
            "roofline": {"bound_s": self.roofline.bound_ns * 1e-9, "limiter": self.roofline.limiter,
                         "compute_s": self.roofline.compute_ns * 1e-9, "dram_s": self.roofline.dram_ns * 1e-9,
                         "l2_s": self.roofline.l2_ns * 1e-9, "issue_s": self.roofline.issue_ns * 1e-9,
                         "launch_s": self.roofline.launch_ns * 1e-9},
            "simulation_events": self.simulation_events,
        }


def predict_kernel(spec: KernelSpec, model: GpuModel, fidelity: Fidelity = "aggregate",
                   warm_l2: bool = True) -> KernelPrediction:
    """Simulate ``spec`` alone on ``model``. ``warm_l2``: data left in L2 by a previous identical launch
    (the steady state of repeated launches, as benchmarks measure)."""
    occ = occupancy(spec, model.arch)
    env = simpy.Environment()
    gpu = Gpu(env, model, fidelity=fidelity, warm_l2=warm_l2)
    done = gpu.launch(KernelLaunch(spec))
    env.run(until=done)
    record = done.value
    time_ns = record.end_ns - record.issue_ns
    cache = cache_view(spec, model.l2.size_bytes, warm_l2)
    demand = warp_demand(spec, model, cache)
    warps = spec.blocks * occ.warps_per_block
    dram_bytes = demand.dram_bytes * warps
    l2_bytes = demand.l2_bytes * warps
    launch_ns = record.start_ns - record.issue_ns
    parts = record.detail["parts_ns"]
    breakdown = {k: 0.0 for k in BREAKDOWN_KEYS}
    for k, v in parts.items():
        if k in breakdown:
            breakdown[k] += v
    breakdown["launch"] = launch_ns
    return KernelPrediction(
        kernel=spec.name, model=model.name, time_s=time_ns * 1e-9, occupancy=occ, waves=waves(spec, model),
        flops=spec.flops, dram_bytes=dram_bytes, l2_bytes=l2_bytes,
        roofline=roofline(spec, model, dram_bytes, l2_bytes),
        breakdown_s={k: v * 1e-9 for k, v in breakdown.items()},
        sm_utilization=record.detail["sm_utilization"], tail_s=record.detail["tail_ns"] * 1e-9, fidelity=fidelity,
        simulation_events=gpu.events_processed,
    )


def serial_bound_s(spec: KernelSpec, model: GpuModel, warm_l2: bool = True) -> float:
    """Upper bound: every warp alone, one after another, plus the launch."""
    occ = occupancy(spec, model.arch)
    demand = warp_demand(spec, model, cache_view(spec, model.l2.size_bytes, warm_l2))
    from gpusim.hardware import derived

    alone_ns = (demand.latency_ns + demand.scheduler_ns + demand.atomic_ns + demand.block_launch_ns
                + demand.l2_bytes / (derived.l2_bandwidth_bytes_per_s(model) / 1e9)
                + demand.dram_bytes / (derived.achievable_dram_bandwidth_bytes_per_s(model) / 1e9))
    warps = spec.blocks * occ.warps_per_block
    return (model.launch.kernel_launch_latency_us * 1e3 + warps * alone_ns) * 1e-9

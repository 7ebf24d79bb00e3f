"""Closed-form bounds and counts: roofline, serial bound, waves. Used as bounds and cross-checks."""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpusim.hardware import derived
from gpusim.hardware.schema import GpuModel
from gpusim.kernels.occupancy import occupancy
from gpusim.kernels.spec import KernelSpec


@dataclass(frozen=True)
class Roofline:
    """Lower bounds on a kernel's time from peak rates, in ns; ``bound_ns`` is the largest."""

    compute_ns: float
    dram_ns: float
    l2_ns: float
    issue_ns: float
    launch_ns: float

    @property
    def bound_ns(self) -> float:
        return self.launch_ns + max(self.compute_ns, self.dram_ns, self.l2_ns, self.issue_ns)

    @property
    def limiter(self) -> str:
        parts = {"compute": self.compute_ns, "dram": self.dram_ns, "l2": self.l2_ns, "issue": self.issue_ns}
        return max(parts, key=lambda k: parts[k])


def waves(spec: KernelSpec, model: GpuModel) -> float:
    """Blocks over the blocks the whole GPU holds at once (1.0 = exactly one full wave)."""
    per_sm = occupancy(spec, model.arch).blocks_per_sm
    return spec.blocks / (per_sm * model.gpu.sms)


def full_waves(spec: KernelSpec, model: GpuModel) -> int:
    return math.ceil(waves(spec, model))


def roofline(spec: KernelSpec, model: GpuModel, dram_bytes: float, l2_bytes: float) -> Roofline:
    """Bounds from peak FLOP/s, peak DRAM and L2 bandwidth and the issue rate.

    ``dram_bytes`` and ``l2_bytes`` are the bytes the memory model says each level must move
    (compulsory DRAM traffic; all sectors through L2).
    """
    clock_hz = model.clocks.boost_clock_mhz * 1e6
    sms = model.gpu.sms
    thr = model.arch.throughput_per_sm_per_clock
    lanes_ns = 0.0
    issue_slots = 0.0
    warp = model.arch.limits.warp_size
    warps_total = spec.blocks * spec.warps_per_block(warp)
    for p in spec.phases:
        ins = p.instructions
        weight = p.trips * p.warp_fraction
        per_warp_lane_cycles = {
            "fp32": ins.fp32 * warp / thr.fp32, "fp64": ins.fp64 * warp / thr.fp64,
            "fp16": ins.fp16 * 2 * warp / thr.fp16, "int32": ins.int32 * warp / thr.int32,
            "sfu": ins.sfu * warp / thr.sfu,
        }
        tensor = model.arch.tensor_fma_per_sm_per_clock
        for prec, fma in ins.tensor_fma.items():
            rate = getattr(tensor, prec)
            if rate > 0:
                ratio = model.clocks.boost_clock_mhz / model.clocks.tensor_clock_mhz
                per_warp_lane_cycles[f"tensor_{prec}"] = fma * warp / rate * ratio
        per_warp_lane_cycles["ldst"] = sum(a.count for a in p.memory) * warp / thr.ldst
        per_warp_lane_cycles["shared"] = sum(
            a.count * a.bank_conflict_ways * max(warp * a.bytes_per_thread, thr.shared_memory_bytes)
            / thr.shared_memory_bytes for a in p.memory if a.space == "shared")
        # pipes work in parallel: the busiest pipe bounds the SM
        lanes_ns += weight * max(per_warp_lane_cycles.values(), default=0.0) * warps_total / sms / clock_hz * 1e9
        mem_instr = sum(a.count for a in p.memory)
        issue_slots += weight * (ins.issue_slots + mem_instr)
    schedulers = sms * model.arch.limits.warp_schedulers_per_sm
    issue_ns = issue_slots * warps_total / schedulers / clock_hz * 1e9
    return Roofline(
        compute_ns=lanes_ns,
        dram_ns=dram_bytes / derived.dram_bandwidth_bytes_per_s(model) * 1e9,
        l2_ns=l2_bytes / derived.l2_bandwidth_bytes_per_s(model) * 1e9,
        issue_ns=issue_ns,
        launch_ns=model.launch.kernel_launch_latency_us * 1e3,
    )

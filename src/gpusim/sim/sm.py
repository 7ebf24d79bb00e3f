"""What one warp of a block asks of the SM and the memory system over its life.

The SM side: each of the four sub-partition schedulers issues one warp instruction per cycle, and
each pipe finishes ``lanes per clock / 4`` lanes per cycle per sub-partition. A phase costs the
larger of its issue slots and its busiest pipe (pipes run in parallel); a lone warp also waits for
its dependency chains (latency / independent chains). The memory side: 32-byte sectors per request
by access pattern, split between L2 hits and DRAM by the cache model in ``memory``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gpusim.hardware.schema import GpuModel
from gpusim.kernels.occupancy import occupancy
from gpusim.kernels.spec import KernelSpec, MemoryAccess, Phase
from gpusim.sim.memory import CacheView, access_hit_rate, l1_hit_rates

SECTOR_BYTES = 32


@dataclass(frozen=True)
class WarpDemand:
    """Per-warp demands over one block's life, in ns at the SM clock.

    ``scheduler_ns``: time at one sub-partition (issue or busiest pipe, phase by phase).
    ``latency_ns``: time a lone warp waits beyond its scheduler time (dependency chains, memory
    round trips, barriers, block launch). ``dram_bytes``/``l2_bytes``: bytes it moves at each level.
    ``atomic_ns``: time at the serialised same-address atomic unit. ``block_launch_ns``: this warp's
    share of its block's launch and retirement at the SM's block launcher.
    """

    scheduler_ns: float
    latency_ns: float
    dram_bytes: float
    l2_bytes: float
    atomic_ns: float
    block_launch_ns: float = 0.0
    parts_ns: dict[str, float] = field(default_factory=dict)


def _pipe_cycles(phase: Phase, model: GpuModel) -> dict[str, float]:
    """Cycles at one sub-partition per warp per trip, per pipe, and issue slots."""
    arch = model.arch
    q = arch.limits.warp_schedulers_per_sm
    warp = arch.limits.warp_size
    thr = arch.throughput_per_sm_per_clock
    ins = phase.instructions
    cycles = {
        "fp32": ins.fp32 * warp / (thr.fp32 / q),
        "fp64": ins.fp64 * warp / (thr.fp64 / q),
        "fp16": ins.fp16 * 2 * warp / (thr.fp16 / q),
        "int32": ins.int32 * warp / (thr.int32 / q),
        "sfu": ins.sfu * warp / (thr.sfu / q),
        "branch": ins.branch * warp / (thr.branch / q),
    }
    tensor = arch.tensor_fma_per_sm_per_clock
    clock_ratio = model.clocks.boost_clock_mhz / model.clocks.tensor_clock_mhz
    for prec, fma in ins.tensor_fma.items():
        rate = getattr(tensor, prec)
        if rate <= 0:
            raise ValueError(f"{arch.name} has no {prec} tensor cores")
        cycles["tensor"] = cycles.get("tensor", 0.0) + fma * warp / (rate / q) * clock_ratio
    # Load/store unit and shared-memory pipe are shared by the SM's four sub-partitions: a warp's
    # use of them costs q times its SM cycles at its own scheduler (all four are equally loaded).
    ldst = 0.0
    shared = 0.0
    for a in phase.memory:
        ldst += a.count * warp / thr.ldst * q
        if a.space == "shared":
            wavefront_bytes = max(warp * a.bytes_per_thread, thr.shared_memory_bytes)
            shared += a.count * a.bank_conflict_ways * wavefront_bytes / thr.shared_memory_bytes * q
    cycles["ldst"] = ldst
    cycles["shared"] = shared
    # A lone dependency chain makes the scheduler switch warps every instruction, so the operand reuse
    # cache never holds an operand and each three-register FFMA pays a bank conflict; with two or more
    # independent chains the compiler pairs instructions and the reuse cache hides it.
    conflicts = ins.fp32 * ins.fp32_three_register_share * max(0.0, 2.0 - phase.independent_chains)
    cycles["issue"] = (ins.issue_slots + sum(a.count for a in phase.memory)
                       + conflicts * arch.latency_cycles.register_bank_conflict)
    return cycles


def _chain_cycles(phase: Phase, model: GpuModel) -> float:
    """Cycles one warp's dependency chains take per trip, all independent chains overlapped."""
    lat = model.arch.latency_cycles
    ins = phase.instructions
    chain = (ins.fp32 * lat.fp32 + ins.fp64 * lat.fp64 + ins.fp16 * lat.fp16 + ins.int32 * lat.int32
             + ins.sfu * lat.sfu + ins.branch * lat.branch)
    if ins.tensor_fma:
        chain += lat.tensor
    shared_loads = sum(a.count for a in phase.memory if a.space == "shared" and a.op == "load")
    chain += shared_loads * lat.shared_memory
    return chain / phase.independent_chains


def _fetch_waste(a: MemoryAccess, model: GpuModel) -> float:
    """DRAM bytes per sector byte on a miss: isolated sectors still fetch a whole L2 fetch unit."""
    unit = model.arch.limits.l2_fetch_granularity_bytes
    if unit <= SECTOR_BYTES:
        return 1.0
    warp = model.arch.limits.warp_size
    if a.pattern == "random" or a.pattern == "broadcast":
        isolated = True
    elif a.pattern == "strided":
        isolated = a.stride_elements * a.bytes_per_thread >= unit
    else:
        isolated = warp * a.bytes_per_thread < unit
    return unit / SECTOR_BYTES if isolated else 1.0


def _round_latency_ns(accesses: list[tuple[MemoryAccess, float, float]], model: GpuModel, lanes: int) -> float:
    """Unloaded latency of one round of independent global loads (the slowest sector decides).

    Each access comes with its L1 hit share and its L2-or-better hit share of all its sectors."""
    ns_per_cycle = 1e3 / model.clocks.boost_clock_mhz
    l1_ns = model.arch.latency_cycles.l1_hit * ns_per_cycle
    l2_ns = model.arch.latency_cycles.l2_hit * ns_per_cycle
    dram_ns = model.memory.latency_ns
    p_past_l1 = p_dram = 0.0
    for a, l1_hit, hit in accesses:
        sectors = a.sectors_per_request(lanes, SECTOR_BYTES)
        p_past_l1 = max(p_past_l1, 1.0 - l1_hit**sectors)
        p_dram = max(p_dram, 1.0 - hit**sectors)
    p_dram = min(p_dram, p_past_l1)
    return l1_ns + (l2_ns - l1_ns) * p_past_l1 + (dram_ns - l2_ns) * p_dram


def warp_demand(spec: KernelSpec, model: GpuModel, cache: CacheView) -> WarpDemand:
    """Demands of one warp over its block's life (every trip of every phase)."""
    clock_mhz = model.clocks.boost_clock_mhz
    ns_per_cycle = 1e3 / clock_mhz
    lat = model.arch.latency_cycles
    warp = model.arch.limits.warp_size
    scheduler = latency = dram = l2 = atomic = 0.0
    parts = {"issue": 0.0, "pipes": 0.0, "compute_latency": 0.0, "memory_latency": 0.0, "barrier": 0.0}
    active_share = spec.working_threads / spec.total_threads
    lanes = spec.lanes_per_warp(warp)
    occ = occupancy(spec, model.arch)
    l1_bytes = max(0, model.arch.limits.l1_shared_per_sm_bytes
                   - occ.blocks_per_sm * occ.shared_memory_per_block_bytes)
    l1_rates = l1_hit_rates(spec, l1_bytes, occ.blocks_per_sm)
    for i, phase in enumerate(spec.phases):
        weight = phase.trips * phase.warp_fraction
        if weight == 0:
            continue
        cycles = _pipe_cycles(phase, model)
        issue = cycles.pop("issue")
        busiest = max(cycles.values(), default=0.0)
        station = max(issue, busiest)
        scheduler += weight * station * active_share
        parts["issue" if issue >= busiest else "pipes"] += weight * station * ns_per_cycle
        chain = _chain_cycles(phase, model)
        excess = max(0.0, chain - station)
        parts["compute_latency"] += weight * excess * ns_per_cycle
        latency += weight * excess
        barrier = phase.barriers * lat.barrier
        parts["barrier"] += weight * barrier * ns_per_cycle
        latency += weight * barrier
        round_loads: list[tuple[MemoryAccess, float, float]] = []
        mem_latency_ns = 0.0
        for j, a in enumerate(phase.memory):
            if a.space != "global":
                continue
            hit = access_hit_rate(a, spec, phase, cache)
            l1_hit = l1_rates.get((i, j), 0.0)
            sectors = a.count * a.sectors_per_request(lanes, SECTOR_BYTES)
            traffic = sectors * SECTOR_BYTES * active_share
            if a.op == "atomic" and a.same_address:
                atomic_lanes = warp * phase.lane_fraction
                atomic += weight * a.count * atomic_lanes * lat.atomic_same_address * ns_per_cycle * active_share
            waste = _fetch_waste(a, model)
            past_l1 = traffic * (1.0 - l1_hit) * waste
            l2 += weight * past_l1
            # L1 hits are re-touches, which L2 would have served: DRAM sees at most what passes L1.
            dram += weight * min(past_l1, traffic * (1.0 - hit) * waste)
            if a.op == "load" or a.op == "atomic":
                if a.dependent:
                    mem_latency_ns += a.count * _round_latency_ns([(a, l1_hit, hit)], model, lanes)
                else:
                    round_loads.append((a, l1_hit, hit))
        if round_loads:
            mem_latency_ns += _round_latency_ns(round_loads, model, lanes)
        parts["memory_latency"] += weight * mem_latency_ns
        latency += weight * mem_latency_ns / ns_per_cycle
    # The SM launches and retires blocks one at a time: a per-SM unit the block's warps share.
    block_launch_ns = lat.block_launch / spec.warps_per_block(warp) * ns_per_cycle
    parts["block_launch"] = block_launch_ns
    latency_ns = latency * ns_per_cycle
    return WarpDemand(scheduler_ns=scheduler * ns_per_cycle, latency_ns=latency_ns, dram_bytes=dram,
                      l2_bytes=l2, atomic_ns=atomic, block_launch_ns=block_launch_ns, parts_ns=parts)

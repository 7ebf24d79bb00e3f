"""The memory system: which bytes hit in L2, and how warps share bandwidth and latency.

Cache model: an access's traffic is its sectors; its footprint is the distinct bytes it touches.
Re-touches hit in L2 in proportion to how much of the launch's footprint L2 holds; first touches
hit only when L2 is warm (the data was left there by a previous launch and fits).

Sharing model: the GPU is a closed queueing network solved by approximate Mean Value Analysis
(Bard-Schweitzer). Each resident warp is a customer cycling through its block's life: a delay
(latencies it cannot hide alone), its sub-partition scheduler (issue/pipes), the L2 and the DRAM
bandwidth servers, and the same-address atomic unit. Latency under load therefore rises as the
memory system fills, and achieved bandwidth follows Little's law until the bandwidth server
saturates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpusim.kernels.spec import KernelSpec, MemoryAccess, Phase

SECTOR_BYTES = 32


@dataclass(frozen=True)
class CacheView:
    """What the cache model needs: L2 capacity, the launch's footprint, and whether L2 starts warm."""

    l2_bytes: int
    footprint_bytes: float
    warm: bool


def access_traffic_bytes(a: MemoryAccess, spec: KernelSpec, phase: Phase, warp_size: int = 32) -> float:
    """Sector bytes the access moves through L2 over the whole launch."""
    warps = spec.blocks * spec.warps_per_block(warp_size) * spec.working_threads / spec.total_threads
    requests = warps * phase.trips * phase.warp_fraction * a.count
    return requests * a.sectors_per_request(spec.lanes_per_warp(warp_size), SECTOR_BYTES) * SECTOR_BYTES


def access_footprint_bytes(a: MemoryAccess, spec: KernelSpec, phase: Phase) -> float:
    """Distinct bytes the access touches (the spec's value, else its useful bytes, capped by traffic)."""
    traffic = access_traffic_bytes(a, spec, phase)
    if a.footprint_bytes is not None:
        return min(float(a.footprint_bytes), traffic)
    if a.pattern == "broadcast" or (a.op == "atomic" and a.same_address):
        return float(SECTOR_BYTES)
    useful = spec.working_threads * phase.trips * phase.warp_fraction * phase.lane_fraction * a.count
    return min(traffic, useful * a.bytes_per_thread)


def access_block_footprint_bytes(a: MemoryAccess, spec: KernelSpec, phase: Phase) -> float:
    """Distinct bytes one block touches with the access: the spec's value, else everything the block
    moves (no reuse inside a block) unless the whole launch's footprint is smaller."""
    whole = access_footprint_bytes(a, spec, phase)
    if a.block_footprint_bytes is not None:
        return min(float(a.block_footprint_bytes), whole)
    return min(whole, access_traffic_bytes(a, spec, phase) / spec.blocks)


def l1_hit_rates(spec: KernelSpec, l1_bytes: float, resident_blocks: int) -> dict[tuple[int, int], float]:
    """Share of each global load's sectors served by the SM's L1: a block's re-touches of its own data,
    in proportion to how much of the resident blocks' load footprint the L1 holds. Keyed by
    (phase index, access index); stores and atomics bypass L1."""
    loads = [(i, j, p, a) for i, p in enumerate(spec.phases) for j, a in enumerate(p.memory)
             if a.space == "global" and a.op == "load"]
    footprint = resident_blocks * sum(access_block_footprint_bytes(a, spec, p) for _, _, p, a in loads)
    held = min(1.0, l1_bytes / footprint) if footprint > 0 else 1.0
    rates = {}
    for i, j, p, a in loads:
        per_block = access_traffic_bytes(a, spec, p) / spec.blocks
        reuse = max(0.0, 1.0 - access_block_footprint_bytes(a, spec, p) / per_block) if per_block > 0 else 0.0
        rates[(i, j)] = reuse * held
    return rates


def launch_footprint_bytes(spec: KernelSpec) -> float:
    """Distinct global bytes of the whole launch."""
    return sum(access_footprint_bytes(a, spec, p) for p in spec.phases for a in p.memory if a.space == "global")


def cache_view(spec: KernelSpec, l2_bytes: int, warm: bool) -> CacheView:
    footprint = launch_footprint_bytes(spec)
    return CacheView(l2_bytes=l2_bytes, footprint_bytes=footprint, warm=warm and footprint <= l2_bytes)


def access_hit_rate(a: MemoryAccess, spec: KernelSpec, phase: Phase, cache: CacheView) -> float:
    """Share of the access's sectors served by L2."""
    traffic = access_traffic_bytes(a, spec, phase)
    if traffic <= 0:
        return 0.0
    footprint = access_footprint_bytes(a, spec, phase)
    held = min(1.0, cache.l2_bytes / cache.footprint_bytes) if cache.footprint_bytes > 0 else 1.0
    reuse = max(0.0, traffic - footprint) * held
    first = footprint if cache.warm else 0.0
    return min(1.0, (reuse + first) / traffic)


@dataclass(frozen=True)
class CustomerClass:
    """Warps of one kind resident together: ``population`` warps GPU-wide, ``per_queue`` of them at
    each of their ``queues`` scheduler queues (``queue_group`` names the SMs they share)."""

    population: float
    per_queue: float
    queue_group: int
    delay_ns: float
    scheduler_ns: float
    l2_ns: float
    dram_ns: float
    atomic_ns: float
    per_sm: float = 0.0
    block_launch_ns: float = 0.0


@dataclass(frozen=True)
class ClassSolution:
    cycle_ns: float
    scheduler_ns: float
    l2_ns: float
    dram_ns: float
    atomic_ns: float
    throughput_per_ns: float
    block_launch_ns: float = 0.0


def solve_mva(classes: list[CustomerClass], tolerance: float = 1e-9, max_iterations: int = 2000
              ) -> list[ClassSolution]:
    """Approximate MVA (Bard-Schweitzer) for a closed multi-class network.

    Stations: one scheduler queue per (queue_group) seen per queue; the SM's block launcher, one per SM
    (seen per SM); and GPU-wide L2, DRAM and atomic servers. Returns each class's cycle (block life)
    time and its residence at each station.
    """
    n = len(classes)
    if n == 0:
        return []
    # Queue lengths: scheduler (per queue, own group), l2, dram, atomic (global).
    q_sched = [c.per_queue for c in classes]
    q_l2 = [0.0] * n
    q_dram = [0.0] * n
    q_atom = [0.0] * n
    q_launch = [0.0] * n
    r_launch = [c.block_launch_ns for c in classes]
    r_sched = [c.scheduler_ns for c in classes]
    r_l2 = [c.l2_ns for c in classes]
    r_dram = [c.dram_ns for c in classes]
    r_atom = [c.atomic_ns for c in classes]
    cycle = [1.0] * n
    group_pop: dict[int, float] = {}
    group_sm_pop: dict[int, float] = {}
    for c in classes:
        group_pop[c.queue_group] = group_pop.get(c.queue_group, 0.0) + c.per_queue
        group_sm_pop[c.queue_group] = group_sm_pop.get(c.queue_group, 0.0) + c.per_sm
    total_pop = sum(c.population for c in classes)
    # Schweitzer's "an arrival sees the queue without itself", applied to each station's whole
    # population, so that splitting identical warps into several classes changes nothing.
    own_global = (total_pop - 1.0) / total_pop if total_pop > 1 else 0.0
    own_group = {g: (p - 1.0) / p if p > 1 else 0.0 for g, p in group_pop.items()}
    own_sm = {g: (p - 1.0) / p if p > 1 else 0.0 for g, p in group_sm_pop.items()}
    for _ in range(max_iterations):
        group_sched: dict[int, float] = {}
        group_launch: dict[int, float] = {}
        for i, c in enumerate(classes):
            group_sched[c.queue_group] = group_sched.get(c.queue_group, 0.0) + q_sched[i]
            group_launch[c.queue_group] = group_launch.get(c.queue_group, 0.0) + q_launch[i]
        seen_l2, seen_dram, seen_atom = (sum(q_l2) * own_global, sum(q_dram) * own_global,
                                         sum(q_atom) * own_global)
        change = 0.0
        for i, c in enumerate(classes):
            seen_s = group_sched[c.queue_group] * own_group[c.queue_group]
            r_sched[i] = c.scheduler_ns * (1.0 + seen_s)
            r_launch[i] = c.block_launch_ns * (1.0 + group_launch[c.queue_group] * own_sm[c.queue_group])
            r_l2[i] = c.l2_ns * (1.0 + seen_l2)
            r_dram[i] = c.dram_ns * (1.0 + seen_dram)
            r_atom[i] = c.atomic_ns * (1.0 + seen_atom)
            new_cycle = c.delay_ns + r_sched[i] + r_launch[i] + r_l2[i] + r_dram[i] + r_atom[i]
            change = max(change, abs(new_cycle - cycle[i]) / new_cycle)
            cycle[i] = new_cycle
        for i, c in enumerate(classes):
            x = c.population / cycle[i]
            q_sched[i] = 0.5 * q_sched[i] + 0.5 * (c.per_queue / cycle[i]) * r_sched[i]
            q_launch[i] = 0.5 * q_launch[i] + 0.5 * (c.per_sm / cycle[i]) * r_launch[i]
            q_l2[i] = 0.5 * q_l2[i] + 0.5 * x * r_l2[i]
            q_dram[i] = 0.5 * q_dram[i] + 0.5 * x * r_dram[i]
            q_atom[i] = 0.5 * q_atom[i] + 0.5 * x * r_atom[i]
        if change < tolerance:
            break
    return [ClassSolution(cycle_ns=cycle[i], scheduler_ns=r_sched[i], l2_ns=r_l2[i], dram_ns=r_dram[i],
                          atomic_ns=r_atom[i], throughput_per_ns=classes[i].population / cycle[i],
                          block_launch_ns=r_launch[i])
            for i in range(n)]

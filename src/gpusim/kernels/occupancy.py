"""Occupancy: resident blocks per SM, following NVIDIA's rules (CUDA Occupancy Calculator).

Limits: warps (threads), blocks, registers (allocated per warp in units of 256, at most
``max_registers_per_block`` per block) and shared memory (per-block reservation of 1 KiB plus the
block's request, rounded up to 128 bytes; the driver picks the largest carveout when needed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpusim.errors import SpecError
from gpusim.hardware.schema import Architecture
from gpusim.kernels.spec import KernelSpec


@dataclass(frozen=True)
class Occupancy:
    blocks_per_sm: int
    warps_per_block: int
    limit_by_warps: int
    limit_by_blocks: int
    limit_by_registers: int
    limit_by_shared_memory: int
    registers_per_warp: int
    shared_memory_per_block_bytes: int
    max_warps_per_sm: int

    @property
    def warps_per_sm(self) -> int:
        return self.blocks_per_sm * self.warps_per_block

    @property
    def fraction(self) -> float:
        """Achieved theoretical occupancy: resident warps over the SM's maximum."""
        return self.warps_per_sm / self.max_warps_per_sm

    @property
    def limiter(self) -> str:
        """Which resource sets the limit (ties broken in this order)."""
        limits = {"warps": self.limit_by_warps, "registers": self.limit_by_registers,
                  "shared_memory": self.limit_by_shared_memory, "blocks": self.limit_by_blocks}
        return min(limits, key=lambda k: limits[k])


def _round_up(value: int, unit: int) -> int:
    return math.ceil(value / unit) * unit


def occupancy(spec: KernelSpec, arch: Architecture) -> Occupancy:
    """Resident blocks per SM for ``spec`` on ``arch``; raises SpecError if the block cannot launch."""
    lim = arch.limits
    threads = spec.threads_per_block
    if threads > lim.max_threads_per_block:
        raise SpecError(f"{spec.name}: block of {threads} threads exceeds {lim.max_threads_per_block}")
    if spec.registers_per_thread > lim.max_registers_per_thread:
        raise SpecError(f"{spec.name}: registers_per_thread {spec.registers_per_thread} exceeds "
                        f"{lim.max_registers_per_thread}")
    warps_per_block = math.ceil(threads / lim.warp_size)
    regs_per_warp = _round_up(spec.registers_per_thread * lim.warp_size, lim.register_allocation_unit)
    if regs_per_warp * warps_per_block > lim.max_registers_per_block:
        raise SpecError(f"{spec.name}: too many resources requested for launch: {regs_per_warp * warps_per_block} "
                        f"registers per block exceed {lim.max_registers_per_block}")
    if spec.shared_memory_bytes_per_block > lim.max_shared_memory_per_block_bytes:
        raise SpecError(f"{spec.name}: shared_memory_bytes_per_block {spec.shared_memory_bytes_per_block} "
                        f"exceeds {lim.max_shared_memory_per_block_bytes} on {arch.name}")
    smem_per_block = _round_up(spec.shared_memory_bytes_per_block + lim.reserved_shared_memory_per_block_bytes,
                               lim.shared_memory_allocation_unit_bytes)
    by_warps = lim.max_warps_per_sm // warps_per_block
    by_blocks = lim.max_blocks_per_sm
    # Registers live in the four sub-partitions' files; a warp's registers sit in one of them.
    quadrant_regs = lim.registers_per_sm // lim.warp_schedulers_per_sm
    warps_by_regs = (quadrant_regs // regs_per_warp) * lim.warp_schedulers_per_sm
    by_regs = warps_by_regs // warps_per_block
    by_smem = lim.max_shared_memory_per_sm_bytes // smem_per_block
    blocks = min(by_warps, by_blocks, by_regs, by_smem)
    if blocks < 1:
        raise SpecError(f"{spec.name}: no block fits on an SM (warps {by_warps}, registers {by_regs}, "
                        f"shared memory {by_smem})")
    return Occupancy(blocks_per_sm=blocks, warps_per_block=warps_per_block, limit_by_warps=by_warps,
                     limit_by_blocks=by_blocks, limit_by_registers=by_regs, limit_by_shared_memory=by_smem,
                     registers_per_warp=regs_per_warp, shared_memory_per_block_bytes=smem_per_block,
                     max_warps_per_sm=lim.max_warps_per_sm)

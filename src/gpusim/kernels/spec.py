"""KernelSpec: what one kernel launch does, per thread, in instruction classes and memory operations.

A spec is the description both the model and the validation workloads share. Work is a list of
phases executed in order by every thread; a phase is a loop body with a trip count. Counts are per
thread per trip (a warp issues each instruction once for its 32 lanes).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

InstructionClass = Literal["fp32", "fp64", "fp16", "int32", "sfu", "branch", "misc"]
TensorPrecision = Literal["fp16", "bf16", "tf32", "fp64", "int8", "fp8"]
AccessPattern = Literal["coalesced", "strided", "random", "broadcast"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _dim3(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, 1, 1)
    if isinstance(value, list | tuple):
        items = list(value)
        if not 1 <= len(items) <= 3:
            raise ValueError("must be an integer or a list of 1 to 3 integers")
        return tuple(items) + (1,) * (3 - len(items))
    return value


Dim3 = Annotated[tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]],
                 BeforeValidator(_dim3)]


class Instructions(_Strict):
    """Warp instructions per thread per trip, by pipe. Count every instruction the compiler emits:
    loop counters, address arithmetic and compares go to ``int32``; moves, conversions and predicate
    logic that only take an issue slot go to ``misc``. An FMA is one fp32 instruction (two FLOPs)."""

    fp32: float = Field(0, ge=0)
    fp32_fma_fraction: float = Field(1.0, ge=0, le=1, description="share of fp32 that are FMAs (2 FLOPs)")
    fp32_three_register_share: float = Field(0.0, ge=0, le=1, description="share of fp32 instructions reading "
                                             "three registers (FFMA a, b, c): they pay a register-bank conflict "
                                             "when the warp has no independent instruction to pair them with")
    fp64: float = Field(0, ge=0)
    fp64_fma_fraction: float = Field(1.0, ge=0, le=1)
    fp16: float = Field(0, ge=0, description="HFMA2-class instructions (two lanes each)")
    int32: float = Field(0, ge=0)
    sfu: float = Field(0, ge=0, description="MUFU: sin, cos, ex2, lg2, rsqrt, rcp")
    branch: float = Field(0, ge=0)
    misc: float = Field(0, ge=0)
    tensor_fma: dict[TensorPrecision, float] = Field(default_factory=dict,
                                                     description="tensor-core FMAs per thread by precision")

    @property
    def issue_slots(self) -> float:
        """Instructions that take an issue slot, tensor MMAs excluded (counted by their pipe)."""
        return self.fp32 + self.fp64 + self.fp16 + self.int32 + self.sfu + self.branch + self.misc

    @property
    def flops(self) -> float:
        """Floating-point operations per thread (FMA = 2), CUDA cores and tensor cores."""
        vector = (self.fp32 * (1 + self.fp32_fma_fraction) + self.fp64 * (1 + self.fp64_fma_fraction)
                  + self.fp16 * 4)
        return vector + 2 * sum(v for k, v in self.tensor_fma.items() if k != "int8")


class MemoryAccess(_Strict):
    """One memory instruction in a phase: per thread per trip, ``count`` accesses of ``bytes_per_thread``."""

    space: Literal["global", "shared"] = "global"
    op: Literal["load", "store", "atomic"] = "load"
    bytes_per_thread: Literal[1, 2, 4, 8, 16] = 4
    count: float = Field(1, gt=0)
    pattern: AccessPattern = "coalesced"
    stride_elements: int = Field(1, ge=1, description="distance between neighbouring lanes, in elements")
    footprint_bytes: int | None = Field(None, gt=0, description="distinct bytes this access touches in the "
                                        "whole launch; default: every access touches new bytes")
    block_footprint_bytes: int | None = Field(None, gt=0, description="distinct bytes one block touches with "
                                              "this access (L1 reuse); default: all it moves, capped by the footprint")
    bank_conflict_ways: int = Field(1, ge=1, le=32, description="shared memory: serialised wavefronts")
    same_address: bool = Field(False, description="atomics: all threads hit one address (serialised)")
    dependent: bool = Field(False, description="address depends on the previous load (pointer chase)")

    @model_validator(mode="after")
    def _consistent(self) -> MemoryAccess:
        if self.pattern != "strided" and self.stride_elements != 1:
            raise ValueError("stride_elements is only meaningful with pattern: strided")
        if self.space != "shared" and self.bank_conflict_ways != 1:
            raise ValueError("bank_conflict_ways is only meaningful for space: shared")
        if self.same_address and self.op != "atomic":
            raise ValueError("same_address is only meaningful for op: atomic")
        return self

    def sectors_per_request(self, lanes: int = 32, sector_bytes: int = 32) -> float:
        """32-byte sectors one warp-wide instruction of ``lanes`` active lanes touches (global memory)."""
        warp_size = lanes
        warp_bytes = warp_size * self.bytes_per_thread
        if self.pattern == "broadcast":
            return 1.0
        if self.pattern == "coalesced":
            return max(1.0, warp_bytes / sector_bytes)
        if self.pattern == "random":
            return float(warp_size)
        # strided: lanes are stride_elements * bytes apart; each lane needs its own sector once the
        # gap reaches a sector, else neighbouring lanes share sectors.
        gap_bytes = self.stride_elements * self.bytes_per_thread
        if gap_bytes >= sector_bytes:
            return float(warp_size)
        return max(1.0, warp_size * gap_bytes / sector_bytes)


class Phase(_Strict):
    """A loop body every thread (or a share of warps) runs ``trips`` times."""

    name: str = ""
    trips: float = Field(1, ge=0)
    instructions: Instructions = Instructions()
    memory: tuple[MemoryAccess, ...] = ()
    independent_chains: float = Field(1, ge=1, description="independent dependency chains per thread "
                                      "(instruction-level parallelism)")
    barriers: float = Field(0, ge=0, description="__syncthreads() per trip")
    warp_fraction: float = Field(1.0, gt=0, le=1, description="share of warps that run this phase")
    lane_fraction: float = Field(1.0, gt=0, le=1, description="share of a running warp's lanes that are "
                                 "active (divergence: the warp pays full issue, work is done by these lanes)")


class KernelSpec(_Strict):
    """One kernel launch: grid, block, resources and the per-thread work."""

    name: str = Field(min_length=1)
    description: str = ""
    grid: Dim3
    block: Dim3
    registers_per_thread: int = Field(32, ge=1, le=255)
    shared_memory_bytes_per_block: int = Field(0, ge=0, description="static + dynamic")
    active_threads: int | None = Field(None, gt=0, description="threads that do the work (the rest exit at "
                                       "once); default: all")
    phases: tuple[Phase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> KernelSpec:
        if self.threads_per_block > 1024:
            raise ValueError(f"block has {self.threads_per_block} threads; CUDA allows at most 1024")
        if self.active_threads is not None and self.active_threads > self.total_threads:
            raise ValueError(f"active_threads ({self.active_threads}) exceeds grid x block "
                             f"({self.total_threads})")
        return self

    @property
    def threads_per_block(self) -> int:
        return self.block[0] * self.block[1] * self.block[2]

    @property
    def blocks(self) -> int:
        return self.grid[0] * self.grid[1] * self.grid[2]

    @property
    def total_threads(self) -> int:
        return self.blocks * self.threads_per_block

    def warps_per_block(self, warp_size: int = 32) -> int:
        return math.ceil(self.threads_per_block / warp_size)

    def lanes_per_warp(self, warp_size: int = 32) -> int:
        """Lanes of a warp that exist (a block smaller than a warp leaves the rest empty)."""
        return min(warp_size, self.threads_per_block)

    @property
    def working_threads(self) -> int:
        return self.active_threads if self.active_threads is not None else self.total_threads

    @property
    def flops(self) -> float:
        """Floating-point operations of the whole launch (lanes that do work only)."""
        return self.working_threads * sum(p.trips * p.warp_fraction * p.lane_fraction * p.instructions.flops
                                          for p in self.phases)

    def global_bytes(self, op: str | None = None) -> float:
        """Bytes the threads ask of global memory (useful bytes, before sector rounding)."""
        total = 0.0
        for p in self.phases:
            for a in p.memory:
                if a.space == "global" and (op is None or a.op == op):
                    total += p.trips * p.warp_fraction * p.lane_fraction * a.count * a.bytes_per_thread
        return total * self.working_threads

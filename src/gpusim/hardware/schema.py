"""Pydantic schema of a GPU hardware model: architecture layer merged with a product.

Every number the timing model reads lives here, with units in its name. Instances are frozen;
unknown keys are errors. Cross-field rules (SM counts, MIG slices) are checked in validators.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, model_validator

NonNegFloat = float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """Residency limits and allocation granularities of one SM (architecture layer)."""

    warp_size: PositiveInt
    sms_per_tpc: PositiveInt
    max_tpcs_per_gpc: PositiveInt
    warp_schedulers_per_sm: PositiveInt
    max_threads_per_block: PositiveInt
    max_threads_per_sm: PositiveInt
    max_warps_per_sm: PositiveInt
    max_blocks_per_sm: PositiveInt
    registers_per_sm: PositiveInt
    max_registers_per_thread: PositiveInt
    register_allocation_unit: PositiveInt = Field(description="registers, allocated per warp")
    max_registers_per_block: PositiveInt
    l1_shared_per_sm_bytes: PositiveInt
    max_shared_memory_per_sm_bytes: PositiveInt
    max_shared_memory_per_block_bytes: PositiveInt
    shared_memory_allocation_unit_bytes: PositiveInt
    reserved_shared_memory_per_block_bytes: int = Field(ge=0)
    shared_memory_carveouts_kib: tuple[int, ...]
    shared_memory_banks: PositiveInt
    shared_memory_bank_width_bytes: PositiveInt
    max_concurrent_kernels: PositiveInt
    l2_fetch_granularity_bytes: PositiveInt = Field(description="bytes L2 fetches from DRAM per miss")

    @model_validator(mode="after")
    def _consistent(self) -> Limits:
        if self.max_threads_per_sm != self.max_warps_per_sm * self.warp_size:
            raise ValueError(
                f"max_threads_per_sm ({self.max_threads_per_sm}) must equal max_warps_per_sm x warp_size "
                f"({self.max_warps_per_sm} x {self.warp_size})"
            )
        if self.max_threads_per_block > self.max_threads_per_sm:
            raise ValueError("max_threads_per_block must not exceed max_threads_per_sm")
        if self.max_shared_memory_per_block_bytes > self.max_shared_memory_per_sm_bytes:
            raise ValueError("max_shared_memory_per_block_bytes must not exceed max_shared_memory_per_sm_bytes")
        if self.max_shared_memory_per_sm_bytes > self.l1_shared_per_sm_bytes:
            raise ValueError("max_shared_memory_per_sm_bytes must not exceed l1_shared_per_sm_bytes")
        if max(self.shared_memory_carveouts_kib, default=0) * 1024 > self.max_shared_memory_per_sm_bytes:
            raise ValueError("a shared_memory_carveouts_kib entry exceeds max_shared_memory_per_sm_bytes")
        if self.max_warps_per_sm % self.warp_schedulers_per_sm:
            raise ValueError("max_warps_per_sm must be a multiple of warp_schedulers_per_sm")
        return self


class UnitsPerSm(_Strict):
    """Functional units in one SM (all four sub-partitions together)."""

    fp32_cores: PositiveInt
    fp64_cores: PositiveInt
    int32_cores: PositiveInt
    sfu: PositiveInt
    ldst: PositiveInt
    tensor_cores: PositiveInt


class ThroughputPerSmPerClock(_Strict):
    """Results per clock per SM for each instruction class (lanes, i.e. threads' operations)."""

    fp32: PositiveFloat = Field(description="FP32 FMA/add/mul lanes per clock")
    fp64: PositiveFloat
    fp16: PositiveFloat = Field(description="FP16/BF16 FMA lanes per clock (HFMA2 counts 2)")
    int32: PositiveFloat
    sfu: PositiveFloat = Field(description="special-function (MUFU) lanes per clock")
    ldst: PositiveFloat = Field(description="load/store address lanes per clock")
    branch: PositiveFloat
    shared_memory_bytes: PositiveFloat = Field(description="shared-memory bytes per clock")


class TensorFmaPerSmPerClock(_Strict):
    """Dense tensor-core FMAs per clock per SM, by input precision (0 = not supported)."""

    fp16: float = Field(ge=0)
    bf16: float = Field(ge=0)
    tf32: float = Field(ge=0)
    fp64: float = Field(ge=0)
    int8: float = Field(ge=0)
    fp8: float = Field(ge=0)


class LatencyCycles(_Strict):
    """Dependent-issue latencies in SM clock cycles."""

    fp32: PositiveFloat
    fp64: PositiveFloat
    fp16: PositiveFloat
    int32: PositiveFloat
    sfu: PositiveFloat
    tensor: PositiveFloat
    branch: PositiveFloat
    shared_memory: PositiveFloat
    l1_hit: PositiveFloat
    l2_hit: PositiveFloat
    barrier: PositiveFloat
    atomic_same_address: PositiveFloat = Field(description="cycles between two atomics to one address at L2")
    register_bank_conflict: float = Field(ge=0, description="extra issue cycles of a three-register-source "
                                          "instruction whose operands the reuse cache does not hold")
    block_launch: float = Field(ge=0, description="SM cycles to launch a block and retire it (serialised per SM)")


class Architecture(_Strict):
    """The architecture layer (`models/arch/smXX.yaml`)."""

    name: str
    compute_capability: str
    limits: Limits
    units_per_sm: UnitsPerSm
    throughput_per_sm_per_clock: ThroughputPerSmPerClock
    tensor_fma_per_sm_per_clock: TensorFmaPerSmPerClock
    latency_cycles: LatencyCycles


class GpuCounts(_Strict):
    gpcs: PositiveInt
    tpcs: PositiveInt
    sms: PositiveInt


class Clocks(_Strict):
    boost_clock_mhz: PositiveFloat
    base_clock_mhz: PositiveFloat
    tensor_clock_mhz: PositiveFloat = Field(description="clock at which the datasheet tensor rates hold")

    @model_validator(mode="after")
    def _order(self) -> Clocks:
        if self.base_clock_mhz > self.boost_clock_mhz:
            raise ValueError("base_clock_mhz must not exceed boost_clock_mhz")
        if self.tensor_clock_mhz > self.boost_clock_mhz:
            raise ValueError("tensor_clock_mhz must not exceed boost_clock_mhz")
        return self


class Memory(_Strict):
    type: Literal["HBM2", "HBM2e", "HBM3", "HBM3e"]
    capacity_bytes: PositiveInt
    stacks: PositiveInt
    bus_width_bits: PositiveInt
    clock_mhz: PositiveFloat
    transfers_per_clock: PositiveInt
    controllers: PositiveInt
    latency_ns: PositiveFloat = Field(description="unloaded DRAM access latency seen by a load")
    achievable_bandwidth_fraction: float = Field(gt=0, le=1, description="sustained / peak DRAM bandwidth")


class L2Cache(_Strict):
    size_bytes: PositiveInt
    partitions: PositiveInt
    bandwidth_gb_per_s: PositiveFloat


class Pcie(_Strict):
    generation: Literal[3, 4, 5, 6]
    lanes: Literal[1, 2, 4, 8, 16]
    efficiency: float = Field(gt=0, le=1, description="achieved / theoretical payload bandwidth, pinned")
    bidirectional_efficiency: float = Field(gt=0, le=1, description="per-direction fraction when both run")
    per_transfer_latency_us: float = Field(ge=0)
    pageable_h2d_bandwidth_fraction: float = Field(gt=0, le=1, description="pageable / pinned bandwidth, H2D")
    pageable_d2h_bandwidth_fraction: float = Field(gt=0, le=1, description="pageable / pinned bandwidth, D2H")
    pageable_h2d_latency_us: float = Field(ge=0, description="extra fixed cost of a pageable (staged) H2D copy")
    pageable_d2h_latency_us: float = Field(ge=0, description="extra fixed cost of a pageable (staged) D2H copy")


class CopyEngines(_Strict):
    async_engines: PositiveInt = Field(description="asyncEngineCount reported by the driver")
    physical: PositiveInt


class Launch(_Strict):
    kernel_launch_latency_us: float = Field(ge=0, description="GPU-side launch to first block; also the gap "
                                            "between two kernels queued back to back in one stream")
    host_dispatch_cpp_us: float = Field(ge=0)
    host_dispatch_python_us: float = Field(ge=0)


class MigProfile(_Strict):
    name: str
    sms: PositiveInt
    memory_gib: PositiveFloat
    max_instances: PositiveInt


class GpuModel(_Strict):
    """A whole product: its architecture layer merged with its product file."""

    name: str
    marketing_name: str
    arch: Architecture
    gpu: GpuCounts
    clocks: Clocks
    memory: Memory
    l2: L2Cache
    pcie: Pcie
    copy_engines: CopyEngines
    launch: Launch
    mig: tuple[MigProfile, ...] = ()
    tdp_w: PositiveFloat

    @model_validator(mode="after")
    def _consistent(self) -> GpuModel:
        lim = self.arch.limits
        if self.gpu.sms != self.gpu.tpcs * lim.sms_per_tpc:
            raise ValueError(
                f"gpu.sms ({self.gpu.sms}) must equal gpu.tpcs x arch sms_per_tpc "
                f"({self.gpu.tpcs} x {lim.sms_per_tpc})"
            )
        if self.gpu.tpcs > self.gpu.gpcs * lim.max_tpcs_per_gpc:
            raise ValueError(
                f"gpu.tpcs ({self.gpu.tpcs}) exceeds gpu.gpcs x arch max_tpcs_per_gpc "
                f"({self.gpu.gpcs} x {lim.max_tpcs_per_gpc})"
            )
        if self.gpu.tpcs < self.gpu.gpcs:
            raise ValueError(f"gpu.tpcs ({self.gpu.tpcs}) is fewer than gpu.gpcs ({self.gpu.gpcs})")
        capacity_gib = self.memory.capacity_bytes / 2**30
        for i, profile in enumerate(self.mig):
            if profile.sms > self.gpu.sms:
                raise ValueError(f"mig[{i}] ({profile.name}): sms {profile.sms} exceeds the GPU's {self.gpu.sms}")
            if profile.memory_gib > capacity_gib:
                raise ValueError(
                    f"mig[{i}] ({profile.name}): memory_gib {profile.memory_gib} exceeds the GPU's "
                    f"{capacity_gib:.1f} GiB"
                )
            if profile.sms * profile.max_instances > self.gpu.sms:
                raise ValueError(
                    f"mig[{i}] ({profile.name}): {profile.max_instances} instances x {profile.sms} SMs "
                    f"exceed the GPU's {self.gpu.sms} SMs"
                )
        return self

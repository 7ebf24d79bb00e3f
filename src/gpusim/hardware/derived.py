"""Figures derived from a hardware model (peak rates, bandwidths, residency): computed, never typed in."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from gpusim.hardware.schema import GpuModel

# PCIe raw signalling rate per lane (GT/s) and line-code efficiency, by generation (PCI-SIG specs).
_PCIE_GT_PER_S = {3: 8.0, 4: 16.0, 5: 32.0, 6: 64.0}
_PCIE_ENCODING = {3: 128 / 130, 4: 128 / 130, 5: 128 / 130, 6: 242 / 256}


def fp32_flops_per_s(m: GpuModel) -> float:
    """Peak FP32 FLOP/s (an FMA counts as two) at the boost clock."""
    return m.gpu.sms * m.arch.throughput_per_sm_per_clock.fp32 * 2 * m.clocks.boost_clock_mhz * 1e6


def fp64_flops_per_s(m: GpuModel) -> float:
    """Peak FP64 FLOP/s on the CUDA cores at the boost clock."""
    return m.gpu.sms * m.arch.throughput_per_sm_per_clock.fp64 * 2 * m.clocks.boost_clock_mhz * 1e6


def fp16_flops_per_s(m: GpuModel) -> float:
    """Peak FP16 FLOP/s on the CUDA cores (HFMA2) at the boost clock."""
    return m.gpu.sms * m.arch.throughput_per_sm_per_clock.fp16 * 2 * m.clocks.boost_clock_mhz * 1e6


def tensor_flops_per_s(m: GpuModel, precision: str = "fp16") -> float:
    """Dense tensor-core FLOP/s for ``precision`` (fp16, bf16, tf32, fp64, int8, fp8) at the tensor clock.

    FP64 tensor ops run at the boost clock (H100: 66.9 TFLOPS = 132 x 128 x 2 x 1980 MHz).
    """
    fma = getattr(m.arch.tensor_fma_per_sm_per_clock, precision)
    clock = m.clocks.boost_clock_mhz if precision == "fp64" else m.clocks.tensor_clock_mhz
    return m.gpu.sms * fma * 2 * clock * 1e6


def dram_bandwidth_bytes_per_s(m: GpuModel) -> float:
    """Peak DRAM bandwidth: memory clock x transfers per clock x bus width."""
    return m.memory.clock_mhz * 1e6 * m.memory.transfers_per_clock * m.memory.bus_width_bits / 8


def achievable_dram_bandwidth_bytes_per_s(m: GpuModel) -> float:
    """Sustained DRAM bandwidth a streaming kernel reaches (peak x achievable fraction)."""
    return dram_bandwidth_bytes_per_s(m) * m.memory.achievable_bandwidth_fraction


def l2_bandwidth_bytes_per_s(m: GpuModel) -> float:
    return m.l2.bandwidth_gb_per_s * 1e9


def pcie_theoretical_bytes_per_s(m: GpuModel) -> float:
    """PCIe payload bandwidth per direction before protocol overheads."""
    gen = m.pcie.generation
    return _PCIE_GT_PER_S[gen] * 1e9 * m.pcie.lanes * _PCIE_ENCODING[gen] / 8


def pcie_bandwidth_bytes_per_s(m: GpuModel) -> float:
    """Achieved pinned-memory copy bandwidth per direction (theoretical x efficiency)."""
    return pcie_theoretical_bytes_per_s(m) * m.pcie.efficiency


def max_resident_threads(m: GpuModel) -> int:
    return m.gpu.sms * m.arch.limits.max_threads_per_sm


def max_resident_warps(m: GpuModel) -> int:
    return m.gpu.sms * m.arch.limits.max_warps_per_sm


@dataclass(frozen=True)
class Peaks:
    """The derived peak figures of one model, as shown by ``gpusim show``."""

    fp32_flops_per_s: float
    fp64_flops_per_s: float
    fp16_flops_per_s: float
    tensor_fp16_flops_per_s: float
    tensor_tf32_flops_per_s: float
    tensor_fp64_flops_per_s: float
    tensor_int8_ops_per_s: float
    tensor_fp8_flops_per_s: float
    dram_bandwidth_bytes_per_s: float
    achievable_dram_bandwidth_bytes_per_s: float
    l2_bandwidth_bytes_per_s: float
    pcie_bandwidth_bytes_per_s: float
    max_resident_threads: int
    max_resident_warps: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def peaks(m: GpuModel) -> Peaks:
    """All derived peaks of ``m``."""
    return Peaks(
        fp32_flops_per_s=fp32_flops_per_s(m),
        fp64_flops_per_s=fp64_flops_per_s(m),
        fp16_flops_per_s=fp16_flops_per_s(m),
        tensor_fp16_flops_per_s=tensor_flops_per_s(m, "fp16"),
        tensor_tf32_flops_per_s=tensor_flops_per_s(m, "tf32"),
        tensor_fp64_flops_per_s=tensor_flops_per_s(m, "fp64"),
        tensor_int8_ops_per_s=tensor_flops_per_s(m, "int8"),
        tensor_fp8_flops_per_s=tensor_flops_per_s(m, "fp8"),
        dram_bandwidth_bytes_per_s=dram_bandwidth_bytes_per_s(m),
        achievable_dram_bandwidth_bytes_per_s=achievable_dram_bandwidth_bytes_per_s(m),
        l2_bandwidth_bytes_per_s=l2_bandwidth_bytes_per_s(m),
        pcie_bandwidth_bytes_per_s=pcie_bandwidth_bytes_per_s(m),
        max_resident_threads=max_resident_threads(m),
        max_resident_warps=max_resident_warps(m),
    )

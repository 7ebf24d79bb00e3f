"""Occupancy on hand-worked cases (NVIDIA's rules, checked against the CUDA Occupancy Calculator)."""

from __future__ import annotations

import pytest

from gpusim.errors import SpecError
from gpusim.hardware import load_model
from gpusim.kernels import occupancy
from tests.kernel_builders import spec

SM80 = load_model("a100").arch
SM90 = load_model("h200").arch

CASES = [
    # (arch, threads, registers, shared bytes, blocks/SM, limiter)
    (SM90, 256, 32, 0, 8, "warps"),
    (SM90, 256, 64, 0, 4, "registers"),  # 2048 regs/warp -> 8 warps per quadrant -> 32 warps
    (SM90, 128, 255, 0, 2, "registers"),  # 255 x 32 rounds up to 8192 regs/warp -> 2 per quadrant
    (SM90, 1024, 32, 48 * 1024, 2, "warps"),
    (SM80, 1024, 32, 48 * 1024, 2, "warps"),
    (SM90, 64, 16, 0, 32, "warps"),  # 2 warps/block: warps and blocks both allow 32
    (SM90, 32, 16, 0, 32, "blocks"),  # 1 warp/block: the 32-block limit leaves the SM half full
    (SM80, 256, 32, 100 * 1024, 1, "shared_memory"),  # (100 KiB + 1 KiB reserved) x 2 > 164 KiB
    (SM90, 256, 32, 100 * 1024, 2, "shared_memory"),  # 228 KiB holds two
    (SM90, 96, 24, 0, 21, "warps"),  # 3 warps/block -> floor(64 / 3)
    (SM90, 96, 40, 0, 16, "registers"),  # 1280 regs/warp -> 12 per quadrant -> 48 warps -> 16 blocks
    (SM80, 256, 40, 0, 6, "registers"),  # 1280 regs/warp -> 12 per quadrant -> 48 warps
]


@pytest.mark.parametrize(("arch", "threads", "regs", "smem", "blocks", "limiter"), CASES)
def test_hand_worked_occupancy(arch, threads: int, regs: int, smem: int, blocks: int, limiter: str) -> None:
    occ = occupancy(spec(block=threads, registers=regs, smem=smem), arch)
    assert occ.blocks_per_sm == blocks
    assert occ.limiter == limiter


def test_fraction() -> None:
    occ = occupancy(spec(block=256, registers=64), SM90)
    assert occ.warps_per_sm == 32
    assert occ.fraction == pytest.approx(0.5)


def test_shared_memory_over_the_arch_limit() -> None:
    with pytest.raises(SpecError, match="exceeds 166912 on sm80"):
        occupancy(spec(smem=200 * 1024), SM80)
    assert occupancy(spec(smem=200 * 1024), SM90).blocks_per_sm == 1


def test_too_many_registers_for_the_block() -> None:
    with pytest.raises(SpecError, match="too many resources requested"):
        occupancy(spec(block=1024, registers=255), SM90)

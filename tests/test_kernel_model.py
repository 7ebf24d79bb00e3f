"""Each effect of DESIGN.md section 4 (items 1-8) moves the prediction the right way."""

from __future__ import annotations

import pytest

from gpusim.hardware import derived, load_model
from gpusim.predict import predict_kernel
from tests.kernel_builders import fma_kernel, spec, stream_kernel

H200 = load_model("h200")
A100 = load_model("a100")


def t(k, model=H200, **kw) -> float:
    return predict_kernel(k, model, **kw).time_s


# 1. Occupancy ------------------------------------------------------------------------------------
def test_register_pressure_lowers_occupancy_and_slows_a_latency_bound_kernel() -> None:
    few = predict_kernel(stream_kernel(2**26, registers=32), H200)
    many = predict_kernel(stream_kernel(2**26, registers=128), H200)
    assert many.occupancy.blocks_per_sm < few.occupancy.blocks_per_sm
    assert many.time_s > few.time_s * 1.2


# 2. Waves and the tail ---------------------------------------------------------------------------
def test_partial_last_wave_costs_a_whole_block_time() -> None:
    one_wave = t(fma_kernel(4096, grid=132 * 8))
    just_over = t(fma_kernel(4096, grid=132 * 8 + 132))  # 1 1/8 waves
    two_waves = t(fma_kernel(4096, grid=132 * 16))
    launch = H200.launch.kernel_launch_latency_us * 1e-6
    assert just_over - launch > 1.05 * (one_wave - launch)  # the eighth costs more than an eighth
    assert just_over <= two_waves


def test_grid_smaller_than_the_sm_count_leaves_sms_idle() -> None:
    half = predict_kernel(fma_kernel(4096, grid=66, block=256), H200)
    full = predict_kernel(fma_kernel(4096, grid=132, block=256), H200)
    assert half.time_s == pytest.approx(full.time_s, rel=0.02)  # same time, half the work
    assert half.sm_utilization < 0.55


# 3. Issue limits and pipes -----------------------------------------------------------------------
def test_every_instruction_counts_not_only_flops() -> None:
    lean = t(fma_kernel(4096, chains=4, extra_int=0))
    with_overhead = t(fma_kernel(4096, chains=4, extra_int=4))
    assert with_overhead > lean * 1.3


def test_pipes_differ_in_throughput() -> None:
    fp32 = t(fma_kernel(4096, chains=4, fp="fp32", extra_int=0))
    fp64 = t(fma_kernel(4096, chains=4, fp="fp64", extra_int=0))
    sfu = t(fma_kernel(4096, chains=4, fp="sfu", extra_int=0))
    assert fp32 < fp64 < sfu


def test_a100_fp32_is_slower_than_h100s() -> None:
    k = fma_kernel(4096, chains=4, extra_int=0)
    assert t(k, A100) > 2 * t(k, load_model("h100"))


# 4. Latency hiding -------------------------------------------------------------------------------
def test_one_warp_per_scheduler_exposes_latency_and_chains_hide_it() -> None:
    one_chain = t(fma_kernel(16384, chains=1, grid=132, block=128, extra_int=0))
    four_chains = t(fma_kernel(4096, chains=4, grid=132, block=128, extra_int=0))  # same FMAs per thread
    assert one_chain > 2.5 * four_chains
    # with 16 warps per scheduler the chain's latency is hidden: close to a latency-free loop
    full = fma_kernel(4096, chains=1, extra_int=0)
    latency_free = full.model_copy(update={"phases": (full.phases[0].model_copy(
        update={"independent_chains": 64}),)})
    assert t(full) == pytest.approx(t(latency_free), rel=0.25)


# 5. Memory ---------------------------------------------------------------------------------------
def test_strided_access_slows_a_read() -> None:
    n = 2**24
    times = [t(stream_kernel(n, pattern="strided", stride=s, footprint=4 * n * 8)) for s in (1, 2, 4, 8, 32)]
    assert times == sorted(times)
    assert times[3] > 2 * times[0]


def test_random_gather_is_slower_than_coalesced() -> None:
    n = 2**26
    assert t(stream_kernel(n, pattern="random", footprint=4 * n)) > 2 * t(stream_kernel(n))


def test_footprint_in_l2_is_served_faster_than_dram() -> None:
    small = predict_kernel(stream_kernel(2**21), H200)  # 16 MiB moved: fits the 60 MiB L2
    assert small.dram_bytes == 0
    cold = predict_kernel(stream_kernel(2**21), H200, warm_l2=False)
    assert cold.dram_bytes > 0 and cold.time_s > small.time_s


def test_more_resident_warps_raise_bandwidth_up_to_the_peak() -> None:
    n = 2**27
    bandwidths = []
    for smem in (200_000, 100_000, 40_000, 20_000, 0):  # shared memory sets the blocks per SM
        p = predict_kernel(stream_kernel(n, smem=smem), H200)
        bandwidths.append(p.achieved_dram_bandwidth_bytes_per_s)
    assert bandwidths == sorted(bandwidths)
    assert bandwidths[0] < 0.5 * bandwidths[-1]
    assert bandwidths[-1] <= derived.achievable_dram_bandwidth_bytes_per_s(H200)


def test_loaded_latency_exceeds_unloaded_latency() -> None:
    lone = predict_kernel(stream_kernel(256 * 132), H200, warm_l2=False)
    full = predict_kernel(stream_kernel(2**27), H200)
    per_block_lone = lone.time_s - lone.breakdown_s["launch"]
    block_time_full = (full.time_s - full.breakdown_s["launch"]) / full.waves
    assert block_time_full > per_block_lone


# 6. Divergence -----------------------------------------------------------------------------------
def test_divergent_warp_pays_for_both_paths() -> None:
    body = {"fp32": 1, "int32": 1, "branch": 1}
    divergent = spec(phases=[{"trips": 2048, "instructions": body, "lane_fraction": 0.5},
                             {"trips": 2048, "instructions": body, "lane_fraction": 0.5}])
    uniform = spec(phases=[{"trips": 2048, "instructions": body, "warp_fraction": 0.5},
                           {"trips": 2048, "instructions": body, "warp_fraction": 0.5}])
    assert divergent.flops == pytest.approx(uniform.flops)
    assert t(divergent) > 1.8 * t(uniform)


# 7. Shared memory, barriers, atomics -------------------------------------------------------------
def test_bank_conflicts_serialise() -> None:
    def k(ways: int):
        return spec(phases=[{"trips": 256, "instructions": {"fp32": 1},
                             "memory": [{"space": "shared", "op": "load", "bank_conflict_ways": ways}]}])
    assert t(k(32)) > 8 * t(k(1))


def test_barriers_cost_time() -> None:
    free = spec(block=1024, grid=132, phases=[{"trips": 512, "instructions": {"fp32": 2}}])
    synced = spec(block=1024, grid=132, phases=[{"trips": 512, "instructions": {"fp32": 2}, "barriers": 1}])
    assert t(synced) > t(free)


def test_same_address_atomics_serialise() -> None:
    def k(same: bool):
        return spec(grid=132 * 64, phases=[{"instructions": {"int32": 4},
                                            "memory": [{"op": "atomic", "same_address": same}]}])
    assert t(k(True)) > 5 * t(k(False))


# 8. Launch overheads -----------------------------------------------------------------------------
def test_empty_kernel_costs_the_launch() -> None:
    p = predict_kernel(spec(grid=1, block=32), H200)
    assert p.time_s >= H200.launch.kernel_launch_latency_us * 1e-6
    assert p.breakdown_s["launch"] == pytest.approx(H200.launch.kernel_launch_latency_us * 1e-6)

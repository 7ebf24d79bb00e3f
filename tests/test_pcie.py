"""Copy engines: per-direction engines, PCIe bandwidth and fixed costs, bidirectional sharing, pageable
staging, device-to-device copies."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpusim.hardware import load_model
from gpusim.hardware.derived import achievable_dram_bandwidth_bytes_per_s
from gpusim.sim.pcie import CopyParams
from gpusim.sim.program import Copy, HostWork, Kernel, Program
from gpusim.sim.work import FixedKernel
from gpusim.timeline import Timeline
from tests.pipeline_helpers import EXACT_COPIES, MS, run_exact, spans, zero_latency_model


def test_params_from_h200_model() -> None:
    m = load_model("h200")
    pc = m.pcie
    p = CopyParams.from_model(m)
    # PCIe 5.0 x16: 32 GT/s x 16 lanes x 128/130 / 8 = 63.0 GB/s, times the efficiency.
    assert p.pcie_bandwidth_bytes_per_s == pytest.approx(32e9 * 16 * 128 / 130 / 8 * pc.efficiency)
    assert 45e9 < p.pcie_bandwidth_bytes_per_s < 63e9
    assert p.per_transfer_ns == pytest.approx(pc.per_transfer_latency_us * 1e3)
    assert p.bidirectional_factor == pytest.approx(min(1.0, pc.bidirectional_efficiency / pc.efficiency))
    assert p.pageable_latency_ns == pytest.approx({"h2d": pc.pageable_h2d_latency_us * 1e3,
                                                   "d2h": pc.pageable_d2h_latency_us * 1e3})
    assert p.pageable_bandwidth_fraction == {"h2d": pc.pageable_h2d_bandwidth_fraction,
                                             "d2h": pc.pageable_d2h_bandwidth_fraction}
    assert p.separate_directions  # asyncEngineCount 3
    assert p.d2d_bandwidth_bytes_per_s == pytest.approx(achievable_dram_bandwidth_bytes_per_s(m) / 2)


def test_solo_copy_time_on_h200_is_latency_plus_bytes_over_bandwidth() -> None:
    m = zero_latency_model()
    p = CopyParams.from_model(m)
    n = 256 * 2**20
    tl = Timeline.simulate(Program([Copy("h2d", n)]), m, dispatch_ns=0.0)
    (rec,) = tl.records
    assert rec.duration_ns == pytest.approx(p.per_transfer_ns + n / p.pcie_bandwidth_bytes_per_s * 1e9)
    assert rec.duration_ns == pytest.approx(p.solo_time_ns("h2d", n))
    assert rec.detail["bandwidth_bytes_per_s"] == pytest.approx(p.pcie_bandwidth_bytes_per_s)


def test_same_direction_copies_share_one_engine_in_issue_order() -> None:
    tl = run_exact(Program([Copy("h2d", 4_000_000, "s0", name="a"), Copy("h2d", 2_000_000, "s1", name="b")]))
    assert spans(tl) == [("a", 0.0, 4.0), ("b", 4.0, 6.0)]


def test_opposite_directions_overlap_on_their_own_engines() -> None:
    tl = run_exact(Program([Copy("h2d", 4_000_000, "s0", name="in"), Copy("d2h", 4_000_000, "s1", name="out")]))
    assert spans(tl) == [("in", 0.0, 4.0), ("out", 0.0, 4.0)]
    assert tl.bidirectional_ns() == 4 * MS


def test_bidirectional_sharing_is_fluid() -> None:
    """Both directions at half speed while both move data; the survivor speeds up when the other ends."""
    params = replace(EXACT_COPIES, bidirectional_factor=0.5)
    tl = run_exact(Program([Copy("h2d", 4_000_000, "s0", name="in"), Copy("d2h", 2_000_000, "s1", name="out")]),
                   copy_params=params)
    # out: 2e6 B at 0.5 B/ns = 4 ms; in: 2e6 B in those 4 ms, then 2e6 B at 1 B/ns = 2 ms more.
    assert spans(tl) == [("in", 0.0, 6.0), ("out", 0.0, 4.0)]


def test_bidirectional_sharing_starts_when_the_other_direction_starts() -> None:
    params = replace(EXACT_COPIES, bidirectional_factor=0.5)
    prog = Program([Copy("h2d", 4_000_000, "s0", name="in"),
                    Kernel(FixedKernel("k", 1 * MS), "s1", name="k"),
                    Copy("d2h", 2_000_000, "s1", name="out")])
    tl = run_exact(prog, copy_params=params)
    # in alone for 1 ms (1e6 B), both at half speed for 4 ms (out done, in 3e6 B), in alone 1 ms more.
    assert spans(tl) == [("in", 0.0, 6.0), ("k", 0.0, 1.0), ("out", 1.0, 5.0)]


def test_fixed_cost_is_paid_per_transfer_and_holds_the_engine() -> None:
    params = replace(EXACT_COPIES, per_transfer_ns=10_000.0)
    many = run_exact(Program([Copy("h2d", 100_000, "s0") for _ in range(10)]), copy_params=params)
    one = run_exact(Program([Copy("h2d", 1_000_000, "s0")]), copy_params=params)
    assert many.makespan_ns == pytest.approx(10 * 10_000 + 1_000_000)
    assert one.makespan_ns == pytest.approx(10_000 + 1_000_000)
    assert many.bytes_moved()["h2d"] == one.bytes_moved()["h2d"] == 1_000_000


def test_single_copy_engine_serialises_both_directions() -> None:
    params = replace(EXACT_COPIES, separate_directions=False)
    tl = run_exact(Program([Copy("h2d", 4_000_000, "s0", name="in"), Copy("d2h", 4_000_000, "s1", name="out")]),
                   copy_params=params)
    assert spans(tl) == [("in", 0.0, 4.0), ("out", 4.0, 8.0)]


def test_one_async_engine_in_the_model_means_shared_engine() -> None:
    m = load_model("h200")
    one = m.model_copy(update={"copy_engines": m.copy_engines.model_copy(update={"async_engines": 1})})
    assert not CopyParams.from_model(one).separate_directions


def test_pageable_copy_is_slower_and_pays_staging_latency() -> None:
    params = replace(EXACT_COPIES, pageable_latency_ns={"h2d": 20_000.0, "d2h": 20_000.0})
    tl = run_exact(Program([Copy("h2d", 4_000_000, pinned=False, name="p")]), copy_params=params)
    assert spans(tl) == [("p", 0.0, 8.02)]  # half bandwidth + 20 us
    assert tl.records[0].detail["pinned"] is False


def test_pageable_copy_blocks_the_host_and_overlaps_nothing() -> None:
    prog = Program([
        Kernel(FixedKernel("k", 3 * MS), "s1", name="k"),            # issued before: the copy waits for it
        Copy("h2d", 2_000_000, "s0", pinned=False, name="pageable"),  # 4 ms at half bandwidth
        Copy("d2h", 1_000_000, "s2", name="later"),                 # issued after: host was blocked
        HostWork(1 * MS, name="cpu"),
    ])
    tl = run_exact(prog)
    assert spans(tl, ("kernel", "h2d", "d2h", "host")) == [
        ("k", 0.0, 3.0), ("pageable", 3.0, 7.0), ("later", 7.0, 8.0), ("cpu", 7.0, 8.0)]
    waits = [r for r in tl.records if r.kind == "sync"]
    assert [(r.name, r.start_ns / MS, r.end_ns / MS) for r in waits] == [("pageable (pageable)", 0.0, 7.0)]
    assert tl.overlap_ns() == 0.0


def test_pinned_copy_does_not_block_the_host() -> None:
    prog = Program([Copy("h2d", 2_000_000, "s0", name="pinned"), HostWork(1 * MS, name="cpu")])
    assert spans(run_exact(prog), ("h2d", "host")) == [("pinned", 0.0, 2.0), ("cpu", 0.0, 1.0)]


def test_device_to_device_copy_runs_at_dram_speed_on_its_own_engine() -> None:
    m = zero_latency_model()
    n = 1 * 2**30
    tl = Timeline.simulate(Program([Copy("d2d", n, "s0"), Copy("h2d", 1000, "s1")]), m, dispatch_ns=0.0)
    d2d = tl.records[0]
    assert d2d.resource == "copy_d2d" and d2d.kind == "d2d"
    assert d2d.duration_ns == pytest.approx(2 * n / achievable_dram_bandwidth_bytes_per_s(m) * 1e9)
    assert tl.records[1].start_ns == 0.0  # the link and the H2D engine are not involved
    assert tl.bytes_moved() == {"h2d": 1000, "d2h": 0, "d2d": n}


def test_zero_byte_copy_costs_its_fixed_cost_only() -> None:
    params = replace(EXACT_COPIES, per_transfer_ns=5_000.0)
    tl = run_exact(Program([Copy("d2h", 0)]), copy_params=params)
    assert tl.records[0].duration_ns == 5_000.0

"""The seed's stream patterns A-D: exact timelines for the 4/8/4 ms example and their totals on H200."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from gpusim.errors import SpecError
from gpusim.hardware import load_model
from gpusim.pipelines import build_pattern, fixed_kernel, pattern_a, pattern_b, pattern_c, pattern_d
from gpusim.sim.pcie import CopyParams
from gpusim.sim.work import FixedKernel
from gpusim.timeline import Timeline
from tests.pipeline_helpers import MS, run_exact, spans

SEED_BYTES = 4_000_000  # 4 ms at the exact 1 byte/ns link: the seed's H2D = D2H = 4 ms
KERNEL_8MS = fixed_kernel(8 * MS)


def test_pattern_a_is_serial_16_ms_per_batch() -> None:
    tl = run_exact(pattern_a(3, SEED_BYTES, KERNEL_8MS))
    assert spans(tl) == [
        ("H2D[0]", 0.0, 4.0), ("kernel[0]", 4.0, 12.0), ("D2H[0]", 12.0, 16.0),
        ("H2D[1]", 16.0, 20.0), ("kernel[1]", 20.0, 28.0), ("D2H[1]", 28.0, 32.0),
        ("H2D[2]", 32.0, 36.0), ("kernel[2]", 36.0, 44.0), ("D2H[2]", 44.0, 48.0),
    ]
    assert tl.streams == ("default",)
    assert tl.overlap_ns() == 0.0


def test_pattern_b_rotates_batches_over_three_streams() -> None:
    tl = run_exact(pattern_b(4, SEED_BYTES, KERNEL_8MS))
    assert spans(tl) == [
        ("H2D[0]", 0.0, 4.0), ("kernel[0]", 4.0, 12.0), ("D2H[0]", 12.0, 16.0),
        ("H2D[1]", 4.0, 8.0), ("kernel[1]", 12.0, 20.0), ("D2H[1]", 20.0, 24.0),
        ("H2D[2]", 8.0, 12.0), ("kernel[2]", 20.0, 28.0), ("D2H[2]", 28.0, 32.0),
        ("H2D[3]", 16.0, 20.0), ("kernel[3]", 28.0, 36.0), ("D2H[3]", 36.0, 40.0),  # s0 again: after D2H[0]
    ]
    assert tl.streams == ("s0", "s1", "s2")


@pytest.mark.parametrize("batches", [1, 2, 8, 20])
def test_pattern_b_and_c_approach_the_kernel_bound(batches: int) -> None:
    """Kernel-bound steady state: fill (4 ms) + 8 ms per batch + drain (4 ms), vs 16 ms per batch serial."""
    a = run_exact(pattern_a(batches, SEED_BYTES, KERNEL_8MS)).makespan_ns
    b = run_exact(pattern_b(batches, SEED_BYTES, KERNEL_8MS)).makespan_ns
    c = run_exact(pattern_c(batches, SEED_BYTES, KERNEL_8MS)).makespan_ns
    c2 = run_exact(pattern_c(batches, SEED_BYTES, KERNEL_8MS, streams=2)).makespan_ns
    assert a == 16 * MS * batches
    assert b == c == c2 == (8 * batches + 8) * MS


def test_pattern_c_joins_three_streams_with_events() -> None:
    tl = run_exact(pattern_c(3, SEED_BYTES, KERNEL_8MS))
    assert spans(tl) == [
        ("H2D[0]", 0.0, 4.0), ("kernel[0]", 4.0, 12.0), ("D2H[0]", 12.0, 16.0),
        ("H2D[1]", 4.0, 8.0), ("kernel[1]", 12.0, 20.0), ("D2H[1]", 20.0, 24.0),
        ("H2D[2]", 8.0, 12.0), ("kernel[2]", 20.0, 28.0), ("D2H[2]", 28.0, 32.0),
    ]
    assert tl.streams == ("h2d", "compute", "d2h")
    assert [r.name for r in tl.on_stream("compute")][:3] == ["wait in0", "kernel[0]", "record out0"]


def test_pattern_b_with_one_stream_per_batch_is_copy_bound_when_copies_dominate() -> None:
    """H2D 8 ms, kernel 2 ms: the H2D engine is the bottleneck (8 ms per batch) and D2H overlaps it."""
    tl = run_exact(pattern_b(6, 8_000_000, fixed_kernel(2 * MS), streams=6))
    assert tl.makespan_ns == (6 * 8 + 2 + 8) * MS
    assert tl.busy_ns("copy_h2d") == 48 * MS
    assert tl.bidirectional_ns() == 38 * MS  # H2D busy [0, 48], D2H busy [10, 58]


def test_pattern_d_tenants_keep_their_own_order_and_full_grid_kernels_serialise() -> None:
    tl = run_exact(pattern_d(3, SEED_BYTES, KERNEL_8MS, streams=2))
    assert tl.streams == ("tenant0", "tenant1")
    for tenant in tl.streams:
        recs = [r for r in tl.on_stream(tenant) if r.kind in ("h2d", "kernel", "d2h")]
        assert all(a.end_ns <= b.start_ns for a, b in itertools.pairwise(recs))
    kernels = sorted((r for r in tl.records if r.kind == "kernel"), key=lambda r: r.start_ns)
    assert all(a.end_ns <= b.start_ns for a, b in itertools.pairwise(kernels))
    assert tl.busy_ns("sm") == 6 * 8 * MS


def test_pattern_d_half_grid_kernels_of_two_tenants_run_concurrently() -> None:
    sms = load_model("h200").gpu.sms
    half = FixedKernel("half", 8 * MS, blocks=sms // 2)
    tl = run_exact(pattern_d(4, 0, half, streams=2))
    assert spans(tl) == [(f"t{t}:half[{b}]", 8.0 * b, 8.0 * b + 8) for b in range(4) for t in range(2)]
    assert tl.makespan_ns == 32 * MS and tl.serial_ns == 64 * MS


def test_pattern_d_takes_one_kernel_per_tenant() -> None:
    prog = pattern_d(1, 0, [fixed_kernel(1 * MS, "resnet"), fixed_kernel(2 * MS, "bert")], streams=2)
    assert [op.name for op in prog.ops[:-1]] == ["t0:resnet[0]", "t1:bert[0]"]


def test_pageable_memory_removes_all_overlap() -> None:
    pinned = run_exact(pattern_b(4, SEED_BYTES, KERNEL_8MS))
    pageable = run_exact(pattern_b(4, SEED_BYTES, KERNEL_8MS, pinned=False))
    assert pageable.overlap_ns() == 0.0 < pinned.overlap_ns()
    # half bandwidth: 8 + 8 + 8 ms per batch, nothing overlapping
    assert pageable.makespan_ns == 4 * 24 * MS


def test_zero_bytes_means_kernels_only() -> None:
    prog = pattern_b(3, 0, KERNEL_8MS)
    assert {type(op).__name__ for op in prog.ops} == {"Kernel", "StreamSync"}
    assert run_exact(prog).makespan_ns == 24 * MS


def test_seed_example_on_h200_with_the_model_s_costs() -> None:
    """200 MiB per batch takes about 4 ms each way on H200; with the model's latencies and dispatch,
    pattern A is 16 ms per batch and B and C approach 8 ms per batch."""
    m = load_model("h200")
    params = CopyParams.from_model(m)
    n = 200 * 2**20
    copy_ns = params.solo_time_ns("h2d", n)
    assert copy_ns == pytest.approx(params.per_transfer_ns + n / params.pcie_bandwidth_bytes_per_s * 1e9)
    assert 3.5 * MS < copy_ns < 4.5 * MS  # PCIe 5.0 x16 at 80-90% efficiency
    totals = {p: Timeline.simulate(build_pattern(p, 8, n, KERNEL_8MS), m).makespan_ns for p in "ABC"}
    assert totals["A"] == pytest.approx(8 * (2 * copy_ns + 8 * MS), rel=0.001)
    for p in "BC":
        assert 8 * 8 * MS < totals[p] < 8 * 8 * MS + 2 * copy_ns * 1.4 + 1 * MS
        assert totals["A"] / totals[p] > 1.6  # overlap saves most of the copy time


@pytest.mark.parametrize(("call", "message"), [
    (lambda: build_pattern("E", 1, 1, KERNEL_8MS), "pattern: must be one of A, B, C, D"),
    (lambda: pattern_a(0, 1, KERNEL_8MS), "pattern A: batches must be a whole number >= 1"),
    (lambda: pattern_a(1, 1, KERNEL_8MS, streams=2), "pattern A: streams must be one of 1"),
    (lambda: pattern_b(1, -5, KERNEL_8MS), "pattern B: bytes must be"),
    (lambda: pattern_c(1, 1, KERNEL_8MS, streams=4), "pattern C: streams must be one of 2, 3"),
    (lambda: pattern_d(1, 1, KERNEL_8MS, streams=0), "pattern D: streams must be >= 1"),
    (lambda: pattern_d(1, 1, [], streams=1), "pattern D: needs at least one kernel"),
    (lambda: fixed_kernel(0.0), "kernel duration must be > 0"),
])
def test_bad_pattern_parameters(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        call()


def test_a_thousand_operation_program_simulates_in_under_a_second() -> None:
    m = load_model("h200")
    program = pattern_b(333, 64 * 2**20, fixed_kernel(1 * MS), streams=4)
    assert len(program.ops) >= 1000
    t0 = time.perf_counter()
    tl = Timeline.simulate(program, m)
    elapsed = time.perf_counter() - t0
    assert len([r for r in tl.records if r.kind in ("h2d", "kernel", "d2h")]) == 999
    assert elapsed < 1.0


def test_the_python_example_in_the_docs_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the example writes trace.json
    text = (Path(__file__).resolve().parents[1] / "docs" / "pipelines.md").read_text()
    block = text.split("## From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(block, "docs/pipelines.md", "exec"), namespace)
    assert namespace["summary"]["operations"] == 4  # type: ignore[index]
    assert (tmp_path / "trace.json").exists()

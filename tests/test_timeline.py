"""Timeline: busy time, utilisation, overlap, summary, Chrome trace export and the Gantt chart."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from gpusim.hardware import load_model
from gpusim.pipelines import fixed_kernel, pattern_a, pattern_b, pattern_d
from gpusim.report import gantt_png, operations_table, summary_table
from gpusim.sim.records import OpRecord
from gpusim.sim.work import FixedKernel
from gpusim.timeline import Timeline, assign_lanes, covered_at_least, intersect, length, merge
from tests.pipeline_helpers import MS, run_exact

KERNEL_8MS = fixed_kernel(8 * MS)


def rec(name: str, resource: str, start: float, end: float, kind: str = "kernel", stream: str = "s") -> OpRecord:
    return OpRecord(name, kind, stream, resource, start, start, end)  # type: ignore[arg-type]


def test_merge_intersect_and_coverage() -> None:
    assert merge([(5, 6), (0, 2), (1, 3), (3, 4), (7, 7)]) == [(0, 4), (5, 6)]
    assert length([(0, 4), (5, 6)]) == 5.0
    assert intersect([(0, 4), (5, 10)], [(3, 6), (8, 9)]) == [(3, 4), (5, 6), (8, 9)]
    sets = [[(0, 10)], [(2, 4), (6, 8)], [(3, 7)]]
    assert covered_at_least(1, sets) == 10
    assert covered_at_least(2, sets) == 6     # [2,8] has >= 2 busy ... minus nothing: 2-3,3-4,4-6,6-7,7-8
    assert covered_at_least(3, sets) == 2     # [3,4] and [6,7]
    assert covered_at_least(2, [[(0, 1)], [(1, 2)]]) == 0  # touching is not overlapping


def test_lanes_separate_overlapping_records_only() -> None:
    recs = [rec("a", "sm", 0, 4), rec("b", "sm", 1, 3), rec("c", "sm", 4, 6), rec("d", "sm", 2, 5)]
    assert assign_lanes(recs) == [0, 1, 0, 2]


def test_pattern_a_summary_is_exact() -> None:
    tl = run_exact(pattern_a(2, 4_000_000, KERNEL_8MS))
    s = tl.summary()
    assert s["makespan_ns"] == 32 * MS
    assert s["serial_ns"] == 32 * MS and s["speedup_vs_serial"] == 1.0
    assert s["operations"] == 7  # 2 x (H2D, kernel, D2H) + device sync
    assert {e: (v["busy_ns"], v["utilisation"], v["operations"]) for e, v in s["engines"].items()} == {
        "host": (0.0, 0.0, 0),  # the device sync is a wait, not work
        "copy_h2d": (8 * MS, 0.25, 2), "sm": (16 * MS, 0.5, 2), "copy_d2h": (8 * MS, 0.25, 2)}
    assert s["overlap"] == {"two_or_more_engines_ns": 0.0, "copy_compute_ns": 0.0, "h2d_d2h_ns": 0.0}
    assert s["bytes"] == {"h2d": 8_000_000, "d2h": 8_000_000, "d2d": 0}
    assert s["streams"]["default"] == {"operations": 6, "busy_ns": 32 * MS, "first_start_ns": 0.0,
                                       "last_end_ns": 32 * MS}


def test_pattern_b_overlap_is_exact() -> None:
    tl = run_exact(pattern_b(4, 4_000_000, KERNEL_8MS))
    # SM busy [4, 36]; H2D busy [0, 12] and [16, 20]; D2H busy [12, 16], [20, 24], [28, 32], [36, 40].
    assert tl.busy("sm") == [(4 * MS, 36 * MS)]
    assert tl.copy_compute_overlap_ns() == (8 + 4 + 4 + 4 + 4) * MS
    assert tl.overlap_ns() == tl.copy_compute_overlap_ns()  # H2D and D2H never overlap here
    assert tl.utilisation("sm") == pytest.approx(32 / 40)
    assert tl.serial_ns == 64 * MS


def test_makespan_lies_between_busiest_engine_and_serial_sum() -> None:
    tl = Timeline.simulate(pattern_b(6, 100 * 2**20, fixed_kernel(3 * MS)), load_model("h100"))
    busiest = max(tl.busy_ns(e) for e in tl.engines)
    assert busiest <= tl.makespan_ns <= tl.serial_ns


def test_chrome_trace_has_a_track_per_stream_and_per_engine(tmp_path: Path) -> None:
    tl = run_exact(pattern_b(4, 4_000_000, KERNEL_8MS))
    path = tmp_path / "t.json"
    tl.write_chrome_trace(path)
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    names = {(e["pid"], e["args"]["name"]) for e in events if e["name"] == "thread_name"}
    assert names == {(1, "stream s0"), (1, "stream s1"), (1, "stream s2"),
                     (2, "copy_h2d"), (2, "sm"), (2, "copy_d2h"), (2, "host")}
    procs = {e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert procs == {"streams", "engines"}
    slices = [e for e in events if e["ph"] == "X"]
    # 12 device operations, each on its stream and on its engine; the host waits 40 ms in the first
    # stream sync, the other two return at once (instant events).
    assert len([e for e in slices if e["pid"] == 1]) == 12
    assert sorted(e["name"] for e in slices if e["pid"] == 2 and e["cat"] == "sync") == ["sync s0"]
    assert len(slices) == 2 * 12 + 1
    k1 = [e for e in slices if e["name"] == "kernel[1]"]
    assert {(e["pid"], e["ts"], e["dur"]) for e in k1} == {(1, 12_000.0, 8_000.0), (2, 12_000.0, 8_000.0)}
    assert all(isinstance(e["tid"], int) for e in events if e["ph"] != "M" or "tid" in e)


def test_chrome_trace_gives_concurrent_kernels_their_own_sm_lane() -> None:
    half = FixedKernel("half", 8 * MS, blocks=load_model("h200").gpu.sms // 2)
    trace = run_exact(pattern_d(1, 0, half, streams=2)).chrome_trace()
    lanes = {e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name" and e["pid"] == 2}
    assert lanes == {"sm", "sm #2", "host"}
    # on each engine track the slices never overlap (Perfetto needs nesting)
    by_tid: dict[int, list[tuple[float, float]]] = {}
    for e in trace["traceEvents"]:
        if e["ph"] == "X":
            by_tid.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))  # type: ignore[index]
    for spans_ in by_tid.values():
        spans_.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans_))


def test_event_markers_are_instant_events() -> None:
    from gpusim.pipelines import pattern_c

    trace = run_exact(pattern_c(1, 4_000_000, KERNEL_8MS)).chrome_trace()
    instants = [e for e in trace["traceEvents"] if e["ph"] == "i"]
    assert sorted(e["name"] for e in instants) == ["record in0", "record out0"]
    assert all(e["s"] == "t" for e in instants)


def test_as_dict_is_json_serialisable() -> None:
    tl = Timeline.simulate(pattern_b(2, 2**20, KERNEL_8MS), load_model("a100"))
    data = json.loads(json.dumps(tl.as_dict()))
    assert data["summary"]["operations"] == 8
    assert {r["kind"] for r in data["records"]} >= {"h2d", "kernel", "d2h", "launch", "sync"}


def test_empty_timeline() -> None:
    tl = Timeline([])
    assert tl.makespan_ns == 0.0 and tl.utilisation("sm") == 0.0 and tl.summary()["operations"] == 0


def test_gantt_png_and_tables(tmp_path: Path) -> None:
    from rich.console import Console

    tl = run_exact(pattern_d(2, 4_000_000, FixedKernel("half", 8 * MS, blocks=66), streams=2))
    path = tmp_path / "g.png"
    gantt_png(tl, path, title="pattern D")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    console = Console(record=True, width=160)
    console.print(operations_table(tl, max_rows=3))
    console.print(summary_table(tl))
    text = console.export_text()
    assert "t0:H2D[0]" in text and "more" in text and "makespan" in text and "copy_h2d busy" in text

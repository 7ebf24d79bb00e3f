"""Properties of host-device timelines over random programs (Hypothesis).

A RuleBasedStateMachine builds a program one operation at a time and, after each step, simulates it
and checks: stream order, event order, the legacy default stream, pageable copies overlapping nothing,
the host thread's order, makespan bounds, bytes conserved, copy rates, and determinism.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from gpusim.hardware import load_model
from gpusim.pipelines import fixed_kernel, pattern_a, pattern_b, pattern_c
from gpusim.sim.pcie import CopyParams
from gpusim.sim.program import (
    Copy,
    DeviceSync,
    EventRecord,
    EventSync,
    EventWait,
    HostWork,
    Kernel,
    Op,
    Program,
    StreamDecl,
    StreamSync,
)
from gpusim.sim.records import OpRecord
from gpusim.sim.work import FixedKernel
from gpusim.timeline import BUSY_KINDS, Timeline

MODEL = load_model("h200")
PARAMS = CopyParams.from_model(MODEL)
SLACK_PER_KERNEL_NS = MODEL.launch.kernel_launch_latency_us * 1e3
STREAMS = ("default", "s1", "s2", "nb")
DECLS = (StreamDecl("nb", non_blocking=True),)
DEVICE_KINDS = ("h2d", "d2h", "d2d", "kernel", "event_record", "event_wait")
EPS = 1e-6  # ns


def device_records(tl: Timeline) -> dict[int, OpRecord]:
    return {r.detail["op"]: r for r in tl.records if r.kind in DEVICE_KINDS}


def check_timeline(program: Program, tl: Timeline) -> None:
    ops = program.ops
    dev = device_records(tl)
    stream_ops = [i for i, op in enumerate(ops) if isinstance(op, Copy | Kernel | EventRecord | EventWait)]
    assert sorted(dev) == stream_ops, "one record per stream operation"

    # In-order streams.
    for stream in {ops[i].stream for i in stream_ops}:  # type: ignore[union-attr]
        idx = [i for i in stream_ops if ops[i].stream == stream]  # type: ignore[union-attr]
        for a, b in itertools.pairwise(idx):
            assert dev[b].issue_ns >= dev[a].end_ns - EPS and dev[b].start_ns >= dev[a].end_ns - EPS, (a, b)

    # Events: work after a wait starts after the latest record before the wait has completed.
    latest: dict[str, int] = {}
    for j, op in enumerate(ops):
        if isinstance(op, EventRecord):
            latest[op.event] = j
        elif isinstance(op, EventWait):
            done = dev[latest[op.event]].end_ns
            assert dev[j].end_ns >= done - EPS
            for i in stream_ops:
                if i > j and ops[i].stream == op.stream:  # type: ignore[union-attr]
                    assert dev[i].start_ns >= done - EPS, (j, i)

    # Legacy default stream vs blocking streams ("nb" is non-blocking).
    for j in stream_ops:
        if ops[j].stream != "default":  # type: ignore[union-attr]
            continue
        for i in stream_ops:
            if ops[i].stream in ("s1", "s2"):  # type: ignore[union-attr]
                if i < j:
                    assert dev[j].start_ns >= dev[i].end_ns - EPS, (i, j)
                else:
                    assert dev[i].start_ns >= dev[j].end_ns - EPS, (j, i)

    # Pageable copies overlap no other device work.
    for j in stream_ops:
        op = ops[j]
        if isinstance(op, Copy) and not op.pinned:
            for i, r in dev.items():
                if i != j and r.kind in ("h2d", "d2h", "d2d", "kernel"):
                    assert r.end_ns <= dev[j].start_ns + EPS or r.start_ns >= dev[j].end_ns - EPS, (j, i)

    # Copies never beat their solo bandwidth, and never fall below the shared one.
    for j in stream_ops:
        op = ops[j]
        if isinstance(op, Copy):
            solo = PARAMS.solo_time_ns(op.direction, op.bytes, op.pinned)
            latency, rate = PARAMS.cost(op.direction, op.pinned)
            slowest = latency + op.bytes / (rate * PARAMS.bidirectional_factor) * 1e9
            assert solo - EPS <= dev[j].duration_ns <= slowest + EPS
            assert dev[j].bytes == op.bytes

    # The host thread does one thing at a time, in program order; syncs return after their target.
    host = [r for r in tl.records if r.resource == "host"]
    assert [r.detail["op"] for r in host] == sorted(r.detail["op"] for r in host)
    for a, b in itertools.pairwise(host):
        assert b.start_ns >= a.end_ns - EPS
    for r in host:
        op = ops[r.detail["op"]]
        if r.kind == "sync" and isinstance(op, StreamSync):
            before = [dev[i].end_ns for i in stream_ops if i < r.detail["op"] and ops[i].stream == op.stream]  # type: ignore[union-attr]
            assert r.end_ns >= max(before, default=0.0) - EPS
        if r.kind == "sync" and isinstance(op, DeviceSync):
            assert r.end_ns >= max((dev[i].end_ns for i in stream_ops if i < r.detail["op"]), default=0.0) - EPS
        if r.kind == "sync" and isinstance(op, EventSync):
            rec = max(i for i in stream_ops if i < r.detail["op"] and isinstance(ops[i], EventRecord)
                      and ops[i].event == op.event)  # type: ignore[union-attr]
            assert r.end_ns >= dev[rec].end_ns - EPS

    # Makespan bounds, bytes conserved.
    busiest = max((tl.busy_ns(e) for e in tl.engines), default=0.0)
    kernels = sum(isinstance(op, Kernel) for op in ops)
    assert busiest - EPS <= tl.makespan_ns <= tl.serial_ns + kernels * SLACK_PER_KERNEL_NS + EPS
    moved = {"h2d": 0, "d2h": 0, "d2d": 0}
    for op in ops:
        if isinstance(op, Copy):
            moved[op.direction] += op.bytes
    assert tl.bytes_moved() == moved
    assert all(r.end_ns >= r.start_ns >= r.issue_ns - EPS for r in tl.records)
    assert all(r.duration_ns > 0 for r in tl.records if r.kind == "kernel")
    assert not any(r.kind in BUSY_KINDS and r.resource == "stream" for r in tl.records)


class ProgramMachine(RuleBasedStateMachine):
    """Random programs over streams default, s1, s2 (blocking) and nb (non-blocking)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[Op] = []
        self.recorded: set[str] = set()

    @rule(direction=st.sampled_from(["h2d", "d2h", "d2d"]), mib=st.integers(0, 64),
          stream=st.sampled_from(STREAMS), pinned=st.booleans())
    def copy(self, direction: str, mib: int, stream: str, pinned: bool) -> None:
        self.ops.append(Copy(direction, mib * 2**20, stream, pinned or direction == "d2d"))  # type: ignore[arg-type]

    @rule(us=st.integers(1, 3000), stream=st.sampled_from(STREAMS), share=st.sampled_from([None, 2, 4]))
    def kernel(self, us: int, stream: str, share: int | None) -> None:
        blocks = None if share is None else MODEL.gpu.sms // share
        self.ops.append(Kernel(FixedKernel("k", us * 1e3, blocks), stream))

    @rule(event=st.sampled_from(["e0", "e1", "e2"]), stream=st.sampled_from(STREAMS))
    def record(self, event: str, stream: str) -> None:
        self.ops.append(EventRecord(event, stream))
        self.recorded.add(event)

    @precondition(lambda self: self.recorded)
    @rule(data=st.data(), stream=st.sampled_from(STREAMS))
    def wait(self, data: st.DataObject, stream: str) -> None:
        self.ops.append(EventWait(data.draw(st.sampled_from(sorted(self.recorded))), stream))

    @precondition(lambda self: self.recorded)
    @rule(data=st.data())
    def event_sync(self, data: st.DataObject) -> None:
        self.ops.append(EventSync(data.draw(st.sampled_from(sorted(self.recorded)))))

    @rule(stream=st.sampled_from(STREAMS))
    def stream_sync(self, stream: str) -> None:
        self.ops.append(StreamSync(stream))

    @rule()
    def device_sync(self) -> None:
        self.ops.append(DeviceSync())

    @rule(us=st.integers(0, 2000))
    def host_work(self, us: int) -> None:
        self.ops.append(HostWork(us * 1e3))

    @invariant()
    def timeline_properties(self) -> None:
        program = Program(tuple(self.ops), streams=DECLS)
        tl = Timeline.simulate(program, MODEL)
        check_timeline(program, tl)
        again = Timeline.simulate(program, MODEL)
        assert again.records == tl.records  # deterministic


ProgramMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=12, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
TestProgramMachine = ProgramMachine.TestCase


@settings(max_examples=25, deadline=None)
@given(batches=st.integers(1, 6), mib=st.integers(0, 256), kernel_us=st.integers(10, 20_000),
       streams=st.integers(1, 5))
def test_overlapping_patterns_are_never_slower_than_serial(batches: int, mib: int, kernel_us: int,
                                                           streams: int) -> None:
    kernel = fixed_kernel(kernel_us * 1e3)
    n = mib * 2**20
    serial = Timeline.simulate(pattern_a(batches, n, kernel), MODEL)
    rotated = Timeline.simulate(pattern_b(batches, n, kernel, streams=streams), MODEL)
    joined = Timeline.simulate(pattern_c(batches, n, kernel), MODEL)
    for tl in (serial, rotated, joined):
        assert tl.bytes_moved()["h2d"] == tl.bytes_moved()["d2h"] == (batches * n)
    assert rotated.makespan_ns <= serial.makespan_ns * (1 + 1e-9)
    assert joined.makespan_ns <= serial.makespan_ns * (1 + 1e-9)

"""Streams, events, the legacy default stream, synchronisation and the host thread's dispatch cost."""

from __future__ import annotations

import pytest

from gpusim.errors import SpecError
from gpusim.sim.program import (
    Copy,
    DeviceSync,
    EventRecord,
    EventSync,
    EventWait,
    HostWork,
    Kernel,
    Program,
    StreamDecl,
    StreamSync,
)
from gpusim.sim.simulate import host_dispatch_ns
from gpusim.sim.work import FixedKernel
from gpusim.timeline import Timeline
from tests.pipeline_helpers import MS, run_exact, spans, zero_latency_model


def k(ms: float, name: str = "k") -> FixedKernel:
    return FixedKernel(name, ms * MS)


def test_one_stream_runs_in_order() -> None:
    prog = Program([Copy("h2d", 4_000_000, "s", name="in"), Kernel(k(8), "s", name="k"),
                    Copy("d2h", 4_000_000, "s", name="out")])
    assert spans(run_exact(prog)) == [("in", 0.0, 4.0), ("k", 4.0, 12.0), ("out", 12.0, 16.0)]


def test_copy_in_one_stream_overlaps_kernel_in_another() -> None:
    prog = Program([Kernel(k(8), "s0", name="k"), Copy("h2d", 4_000_000, "s1", name="in")])
    tl = run_exact(prog)
    assert spans(tl) == [("k", 0.0, 8.0), ("in", 0.0, 4.0)]
    assert tl.copy_compute_overlap_ns() == 4 * MS


def test_event_orders_work_across_streams() -> None:
    prog = Program([
        Copy("h2d", 4_000_000, "copy", name="in"),
        EventRecord("ready", "copy"),
        Kernel(k(1), "compute", name="early"),   # before the wait: not held back
        EventWait("ready", "compute"),
        Kernel(k(8), "compute", name="late"),
    ])
    tl = run_exact(prog)
    assert spans(tl) == [("in", 0.0, 4.0), ("early", 0.0, 1.0), ("late", 4.0, 12.0)]
    wait = next(r for r in tl.records if r.kind == "event_wait")
    assert (wait.start_ns, wait.end_ns) == (1 * MS, 4 * MS)
    record = next(r for r in tl.records if r.kind == "event_record")
    assert record.start_ns == record.end_ns == 4 * MS


def test_wait_uses_the_latest_record_at_the_time_of_the_wait() -> None:
    prog = Program([
        Copy("h2d", 1_000_000, "a", name="first"),
        EventRecord("e", "a"),
        EventWait("e", "b"),
        Kernel(k(1), "b", name="after first"),
        Copy("h2d", 5_000_000, "a", name="second"),
        EventRecord("e", "a"),                     # re-recorded after the wait: does not affect it
    ])
    assert spans(run_exact(prog)) == [("first", 0.0, 1.0), ("after first", 1.0, 2.0), ("second", 1.0, 6.0)]


def test_legacy_default_stream_waits_for_blocking_streams_and_blocks_them() -> None:
    prog = Program([
        Kernel(k(5), "s1", name="before"),
        Copy("h2d", 1_000_000, "default", name="on default"),   # waits for s1's kernel
        Copy("d2h", 1_000_000, "s2", name="after"),             # waits for the default-stream copy
    ])
    assert spans(run_exact(prog)) == [("before", 0.0, 5.0), ("on default", 5.0, 6.0), ("after", 6.0, 7.0)]


def test_non_blocking_streams_are_exempt_from_the_default_stream() -> None:
    prog = Program(
        [Kernel(k(5), "nb", name="before"),
         Copy("h2d", 1_000_000, "default", name="on default"),
         Copy("d2h", 1_000_000, "nb", name="after")],
        streams=[StreamDecl("nb", non_blocking=True)])
    # "after" still follows "before" in its own stream, but not the default-stream copy.
    assert spans(run_exact(prog)) == [("before", 0.0, 5.0), ("on default", 0.0, 1.0), ("after", 5.0, 6.0)]


def test_default_stream_work_issued_later_does_not_hold_earlier_blocking_work() -> None:
    prog = Program([Copy("h2d", 2_000_000, "s1", name="first"), Kernel(k(1), "default", name="k"),
                    Copy("d2h", 1_000_000, "s1", name="third")])
    assert spans(run_exact(prog)) == [("first", 0.0, 2.0), ("k", 2.0, 3.0), ("third", 3.0, 4.0)]


def test_stream_synchronize_blocks_the_host_until_that_stream_is_done() -> None:
    prog = Program([Kernel(k(3), "a", name="ka"), Copy("h2d", 8_000_000, "b", name="long"),
                    StreamSync("a"), HostWork(1 * MS, name="cpu")])
    tl = run_exact(prog)
    assert spans(tl, ("kernel", "h2d", "host", "sync")) == [
        ("ka", 0.0, 3.0), ("long", 0.0, 8.0), ("sync a", 0.0, 3.0), ("cpu", 3.0, 4.0)]


def test_device_and_event_synchronize() -> None:
    prog = Program([Kernel(k(3), "a", name="ka"), EventRecord("e", "a"), Copy("h2d", 8_000_000, "b", name="long"),
                    EventSync("e"), HostWork(1 * MS, name="cpu1"), DeviceSync(), HostWork(1 * MS, name="cpu2")])
    assert spans(run_exact(prog), ("host", "sync")) == [
        ("sync e", 0.0, 3.0), ("cpu1", 3.0, 4.0), ("device sync", 4.0, 8.0), ("cpu2", 8.0, 9.0)]


def test_sync_of_an_unused_stream_returns_at_once() -> None:
    tl = run_exact(Program([StreamSync("nobody"), HostWork(1 * MS, name="cpu")]))
    assert spans(tl, ("host", "sync")) == [("sync nobody", 0.0, 0.0), ("cpu", 0.0, 1.0)]


def test_host_work_delays_the_issue_of_later_operations() -> None:
    prog = Program([HostWork(2 * MS, name="prepare"), Copy("h2d", 1_000_000, "s", name="in")])
    tl = run_exact(prog)
    assert spans(tl, ("host", "h2d")) == [("prepare", 0.0, 2.0), ("in", 2.0, 3.0)]
    assert tl.records[1].detail["enqueued_ns"] == 2 * MS


@pytest.mark.parametrize("api", ["cpp", "python"])
def test_host_dispatch_cost_spaces_out_short_kernels(api: str) -> None:
    model = zero_latency_model()
    dispatch = host_dispatch_ns(model, api)  # type: ignore[arg-type]
    launch = model.launch
    assert dispatch == 1e3 * (launch.host_dispatch_cpp_us if api == "cpp" else launch.host_dispatch_python_us)
    prog = Program([Kernel(FixedKernel("tiny", 1_000.0), "s") for _ in range(5)])
    tl = Timeline.simulate(prog, model, host_api=api)
    starts = [r.start_ns for r in tl.records if r.kind == "kernel"]
    # Each launch reaches the GPU one dispatch after the previous one; the GPU is never the bottleneck.
    assert starts == pytest.approx([dispatch * (i + 1) for i in range(5)])
    launches = [r for r in tl.records if r.kind == "launch"]
    assert len(launches) == 5 and all(r.resource == "host" for r in launches)
    assert launches[0].name == "cudaLaunchKernel tiny#0"
    assert tl.makespan_ns == pytest.approx(5 * dispatch + 1_000.0)


def test_program_host_api_is_used_unless_overridden() -> None:
    model = zero_latency_model()
    prog = Program([Kernel(FixedKernel("tiny", 1_000.0), "s")], host_api="python")
    assert Timeline.simulate(prog, model).host_dispatch_ns == model.launch.host_dispatch_python_us * 1e3
    assert Timeline.simulate(prog, model, host_api="cpp").host_dispatch_ns == model.launch.host_dispatch_cpp_us * 1e3
    assert Timeline.simulate(prog, model, dispatch_ns=7.0).host_dispatch_ns == 7.0


def test_gpu_launch_latency_is_paid_per_kernel() -> None:
    from gpusim.hardware import load_model

    model = load_model("h200")
    latency = model.launch.kernel_launch_latency_us * 1e3
    tl = Timeline.simulate(Program([Kernel(k(1), "s", name="k")]), model, dispatch_ns=0.0)
    assert tl.records[0].start_ns >= latency
    assert tl.makespan_ns == pytest.approx(tl.records[0].start_ns + 1 * MS)


@pytest.mark.parametrize(("ops", "streams", "message"), [
    ([EventWait("never", "s")], (), "ops[0].event: event 'never' is not recorded by any earlier operation"),
    ([EventSync("never")], (), "ops[0].event"),
    ([Copy("h2d", -1)], (), "ops[0].bytes: must be a whole number of bytes >= 0"),
    ([Copy("d2d", 10, pinned=False)], (), "ops[0].pinned"),
    ([HostWork(-1.0)], (), "ops[0].duration"),
    ([Kernel(FixedKernel("k", 0.0))], (), "ops[0].duration: a kernel's duration must be > 0"),
    ([Copy("h2d", 1, stream="")], (), "ops[0].stream"),
    ([], [StreamDecl("default", non_blocking=True)], "cannot be non_blocking"),
    ([], [StreamDecl("a"), StreamDecl("a")], "streams.a: stream declared twice"),
    (["not an op"], (), "ops[0]: not an operation"),
])
def test_invalid_programs_raise_one_line(ops: list, streams: tuple, message: str) -> None:
    with pytest.raises(SpecError) as err:
        Program(ops, streams=streams)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_bad_host_api_is_an_error() -> None:
    with pytest.raises(SpecError, match="host_api"):
        Program([], host_api="fortran")  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="host_api"):
        Timeline.simulate(Program([]), zero_latency_model(), host_api="fortran")  # type: ignore[arg-type]

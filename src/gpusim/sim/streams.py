"""Streams, events and the host thread that issues a program's operations in order.

Ordering rules (CUDA runtime, legacy default stream):

- in-order streams: an operation starts after the previous operation of its stream has ended;
- the legacy default stream: an operation on it waits for all work issued before it to blocking
  streams, and work issued later to a blocking stream waits for it; ``non_blocking`` streams are exempt;
- events: a record completes when the work issued before it to its stream has; cudaStreamWaitEvent
  holds later work of its stream until the event's latest record (at the time of the wait) completes;
- pageable copies: staged through a pinned buffer by the driver, so the host thread is blocked until
  the copy ends, and the copy starts only when all work issued before it (every stream) has ended:
  it overlaps nothing;
- every API call costs the host ``dispatch_ns`` before the GPU sees it; host work costs its duration.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import replace
from typing import Any

import simpy

from gpusim.sim.gpu import Gpu
from gpusim.sim.pcie import CopyEngines, CopyRequest
from gpusim.sim.program import (
    DEFAULT_STREAM,
    STREAM_OPS,
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
    op_kind,
    op_label,
)
from gpusim.sim.records import OpRecord
from gpusim.sim.work import KernelLaunch

HOST = "host"
STREAM_RESOURCE = "stream"  # resource of markers (event record / wait): they occupy no engine
API_CALLS = {
    "h2d": "cudaMemcpyAsync", "d2h": "cudaMemcpyAsync", "d2d": "cudaMemcpyAsync",
    "kernel": "cudaLaunchKernel", "event_record": "cudaEventRecord", "event_wait": "cudaStreamWaitEvent",
    "event_sync": "cudaEventSynchronize", "stream_sync": "cudaStreamSynchronize",
    "device_sync": "cudaDeviceSynchronize",
}


class Stream:
    """A stream: its flags and the completion event of the last operation issued to it."""

    __slots__ = ("name", "non_blocking", "tail")

    def __init__(self, name: str, non_blocking: bool = False) -> None:
        self.name = name
        self.non_blocking = non_blocking
        self.tail: simpy.Event | None = None

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_STREAM

    @property
    def blocking(self) -> bool:
        """A stream the legacy default stream synchronises with."""
        return not self.non_blocking and not self.is_default


class StreamTable:
    """The streams of one program, created on first use, and the dependencies of a new operation."""

    def __init__(self, decls: Iterable[StreamDecl] = ()) -> None:
        self._flags = {d.name: d.non_blocking for d in decls}
        self._streams: dict[str, Stream] = {}

    def get(self, name: str) -> Stream:
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = Stream(name, self._flags.get(name, False))
        return stream

    def tail(self, name: str) -> simpy.Event | None:
        stream = self._streams.get(name)
        return stream.tail if stream else None

    def tails(self) -> list[simpy.Event]:
        return [s.tail for s in self._streams.values() if s.tail is not None]

    def deps(self, stream: Stream) -> list[simpy.Event]:
        """What an operation issued now to ``stream`` must wait for (stream order + default stream)."""
        deps = [stream.tail]
        if stream.is_default:
            deps += [s.tail for s in self._streams.values() if s.blocking]
        elif not stream.non_blocking:
            deps.append(self.tail(DEFAULT_STREAM))
        return [d for d in deps if d is not None]

    @property
    def names(self) -> list[str]:
        return list(self._streams)


class HostThread:
    """Issues a program's operations in order; collects one OpRecord per operation (plus host ones)."""

    def __init__(self, env: simpy.Environment, gpu: Gpu, copies: CopyEngines, dispatch_ns: float,
                 streams: StreamTable) -> None:
        self.env = env
        self.gpu = gpu
        self.copies = copies
        self.dispatch_ns = dispatch_ns
        self.streams = streams
        self._events: dict[str, simpy.Event] = {}
        self._records: list[tuple[int, int, OpRecord]] = []

    def records(self) -> list[OpRecord]:
        """Records in program order: each operation's dispatch, the operation, then any host wait."""
        return [r for _, _, r in sorted(self._records, key=lambda t: (t[0], t[1]))]

    def _add(self, index: int, phase: int, record: OpRecord) -> None:
        self._records.append((index, phase, record))

    def run(self, program: Program) -> Generator[simpy.Event, Any, None]:
        env = self.env
        for i, op in enumerate(program.ops):
            label = op_label(op, i)
            if isinstance(op, HostWork):
                start = env.now
                if op.duration_ns > 0:
                    yield env.timeout(op.duration_ns)
                self._add(i, 1, OpRecord(label, "host", HOST, HOST, start, start, env.now, detail={"op": i}))
                continue
            if self.dispatch_ns > 0:
                start = env.now
                yield env.timeout(self.dispatch_ns)
                self._add(i, 0, OpRecord(f"{API_CALLS[op_kind(op)]} {label}", "launch", HOST, HOST, start, start,
                                         env.now, detail={"op": i}))
            if isinstance(op, STREAM_OPS):
                done = self._enqueue(i, op, label)
                if isinstance(op, Copy) and not op.pinned:
                    yield from self._host_wait(i, f"{label} (pageable)", [done], op.stream)
            elif isinstance(op, StreamSync):
                tail = self.streams.tail(op.stream)
                yield from self._host_wait(i, label, [tail] if tail else [], op.stream)
            elif isinstance(op, EventSync):
                yield from self._host_wait(i, label, [self._events[op.event]], op.event)
            elif isinstance(op, DeviceSync):
                yield from self._host_wait(i, label, self.streams.tails(), "device")

    def _host_wait(self, index: int, label: str, events: list[simpy.Event],
                   target: str) -> Generator[simpy.Event, Any, None]:
        start = self.env.now
        pending = [e for e in events if not e.processed]
        if pending:
            yield simpy.AllOf(self.env, pending)
        self._add(index, 2, OpRecord(label, "sync", HOST, HOST, start, start, self.env.now,
                                     detail={"op": index, "target": target}))

    def _enqueue(self, index: int, op: Op, label: str) -> simpy.Process:
        stream = self.streams.get(op.stream)  # type: ignore[union-attr]
        deps = self.streams.tails() if isinstance(op, Copy) and not op.pinned else self.streams.deps(stream)
        awaited = self._events[op.event] if isinstance(op, EventWait) else None
        proc = self.env.process(self._device_op(index, op, label, deps, awaited))
        stream.tail = proc
        if isinstance(op, EventRecord):
            self._events[op.event] = proc
        return proc

    def _device_op(self, index: int, op: Op, label: str, deps: list[simpy.Event],
                   awaited: simpy.Event | None) -> Generator[simpy.Event, Any, OpRecord]:
        env = self.env
        enqueued = env.now
        pending = [d for d in deps if not d.processed]
        if pending:
            yield simpy.AllOf(env, pending)
        ready = env.now
        extra = {"op": index, "enqueued_ns": enqueued}
        if isinstance(op, Copy):
            rec = yield self.copies.copy(CopyRequest(label, op.direction, op.bytes, op.stream, op.pinned))
            rec = replace(rec, detail={**extra, **rec.detail})
        elif isinstance(op, Kernel):
            rec = yield self.gpu.launch(KernelLaunch(op.work, stream=op.stream))
            rec = replace(rec, name=label, detail={**extra, "work": op.work.name, **rec.detail})
        elif isinstance(op, EventWait):
            if awaited is not None and not awaited.processed:
                yield awaited
            rec = OpRecord(label, "event_wait", op.stream, STREAM_RESOURCE, ready, ready, env.now,
                           detail={**extra, "event": op.event})
        else:
            assert isinstance(op, EventRecord)
            rec = OpRecord(label, "event_record", op.stream, STREAM_RESOURCE, ready, ready, ready,
                           detail={**extra, "event": op.event})
        self._add(index, 1, rec)
        return rec

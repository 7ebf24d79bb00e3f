"""What happened: a Timeline of OpRecords, its makespan, busy times, overlap, and a Chrome trace.

Engines (resources) are ``host`` (API calls, host work, host waits), ``copy_h2d``, ``copy_d2h``,
``copy_d2d`` and ``sm``. Busy time is the union of the intervals in which an engine runs something:
kernels, copies, host work and API calls; waits (syncs) and event markers are not busy. Overlap is
measured over the device engines (SMs and copy engines). Times are nanoseconds from the program's start.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gpusim.sim.records import OpRecord
from gpusim.sim.simulate import SimResult, simulate
from gpusim.units import NS_PER_US

if TYPE_CHECKING:
    from gpusim.hardware.schema import GpuModel
    from gpusim.sim.program import Program

Interval = tuple[float, float]
ENGINE_ORDER = ("host", "copy_h2d", "sm", "copy_d2h", "copy_d2d")
DEVICE_ENGINES = ("sm", "copy_h2d", "copy_d2h", "copy_d2d")
COPY_ENGINES = ("copy_h2d", "copy_d2h", "copy_d2d")
BUSY_KINDS = frozenset({"kernel", "h2d", "d2h", "d2d", "host", "launch"})
STREAM_KINDS = frozenset({"kernel", "h2d", "d2h", "d2d", "event_record", "event_wait"})


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of intervals as sorted, disjoint intervals (empty ones dropped)."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def length(intervals: Iterable[Interval]) -> float:
    """Total length of disjoint intervals."""
    return float(sum(end - start for start, end in intervals))


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two sorted, disjoint interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def covered_at_least(k: int, sets: Sequence[Sequence[Interval]]) -> float:
    """Time during which at least ``k`` of the disjoint-interval lists ``sets`` are busy."""
    edges = sorted([(s, 1) for busy in sets for s, _ in busy] + [(e, -1) for busy in sets for _, e in busy],
                   key=lambda t: (t[0], t[1]))
    total, depth, last = 0.0, 0, 0.0
    for t, step in edges:
        if depth >= k:
            total += t - last
        depth += step
        last = t
    return total


def assign_lanes(records: Sequence[OpRecord]) -> list[int]:
    """Lane of each record so that records in one lane never overlap (first free lane, by start)."""
    lanes = [0] * len(records)
    lane_ends: list[float] = []
    for idx in sorted(range(len(records)), key=lambda i: (records[i].start_ns, records[i].end_ns)):
        rec = records[idx]
        lane = next((n for n, end in enumerate(lane_ends) if end <= rec.start_ns), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(0.0)
        lane_ends[lane] = max(rec.end_ns, rec.start_ns)
        lanes[idx] = lane
    return lanes


class Timeline:
    """The records of one simulation and what they add up to."""

    def __init__(self, records: Iterable[OpRecord], streams: Sequence[str] = (), model_name: str = "",
                 host_dispatch_ns: float | None = None) -> None:
        self.records: tuple[OpRecord, ...] = tuple(records)
        seen = list(streams)
        for rec in self.records:
            if rec.kind in STREAM_KINDS and rec.stream not in seen:
                seen.append(rec.stream)
        self.streams: tuple[str, ...] = tuple(seen)
        self.model_name = model_name
        self.host_dispatch_ns = host_dispatch_ns

    @classmethod
    def from_result(cls, result: SimResult) -> Timeline:
        return cls(result.records, result.streams, result.model_name, result.host_dispatch_ns)

    @classmethod
    def simulate(cls, program: Program, model: GpuModel, **options: Any) -> Timeline:
        """Simulate ``program`` on ``model`` (options as for ``gpusim.sim.simulate.simulate``)."""
        return cls.from_result(simulate(program, model, **options))

    # --- what ran where -------------------------------------------------------------------------
    @cached_property
    def makespan_ns(self) -> float:
        """From the program's start (t = 0) to the end of the last record."""
        return max((r.end_ns for r in self.records), default=0.0)

    @cached_property
    def engines(self) -> tuple[str, ...]:
        present = {r.resource for r in self.records if r.resource in ENGINE_ORDER}
        return tuple(e for e in ENGINE_ORDER if e in present)

    def on_stream(self, stream: str) -> list[OpRecord]:
        """The stream's operations in issue order."""
        return [r for r in self.records if r.stream == stream and r.kind in STREAM_KINDS]

    def on_engine(self, engine: str) -> list[OpRecord]:
        """What ran on ``engine``, by start time."""
        return sorted((r for r in self.records if r.resource == engine), key=lambda r: (r.start_ns, r.end_ns))

    def busy(self, engine: str) -> list[Interval]:
        """Disjoint intervals during which ``engine`` ran something."""
        return self._busy.get(engine, [])

    @cached_property
    def _busy(self) -> dict[str, list[Interval]]:
        spans: dict[str, list[Interval]] = {}
        for r in self.records:
            if r.kind in BUSY_KINDS:
                spans.setdefault(r.resource, []).append((r.start_ns, r.end_ns))
        return {k: merge(v) for k, v in spans.items()}

    def busy_ns(self, engine: str) -> float:
        return length(self.busy(engine))

    def utilisation(self, engine: str) -> float:
        """Busy share of the makespan (SMs: any kernel running, whatever its share of the SMs)."""
        return self.busy_ns(engine) / self.makespan_ns if self.makespan_ns > 0 else 0.0

    # --- overlap and totals ---------------------------------------------------------------------
    def overlap_ns(self) -> float:
        """Time during which at least two device engines (SMs, copy engines) were busy."""
        return covered_at_least(2, [self.busy(e) for e in DEVICE_ENGINES])

    def copy_compute_overlap_ns(self) -> float:
        """Time during which a kernel ran while a copy engine was busy."""
        copies = merge(i for e in COPY_ENGINES for i in self.busy(e))
        return length(intersect(self.busy("sm"), copies))

    def bidirectional_ns(self) -> float:
        """Time during which H2D and D2H copies ran together."""
        return length(intersect(self.busy("copy_h2d"), self.busy("copy_d2h")))

    @cached_property
    def serial_ns(self) -> float:
        """Sum of every busy record's duration: the time the work takes one thing at a time."""
        return sum(r.duration_ns for r in self.records if r.kind in BUSY_KINDS)

    def bytes_moved(self) -> dict[str, int]:
        """Bytes copied per direction."""
        out = {"h2d": 0, "d2h": 0, "d2d": 0}
        for r in self.records:
            if r.kind in out:
                out[r.kind] += r.bytes
        return out

    @cached_property
    def operations(self) -> int:
        """Number of program operations (host-side dispatch and wait records not counted apart)."""
        return len({r.detail.get("op", id(r)) for r in self.records})

    def summary(self) -> dict[str, Any]:
        """Makespan, per-engine busy time and utilisation, per-stream spans, overlap and bytes."""
        makespan = self.makespan_ns
        streams = {}
        for s in self.streams:
            recs = self.on_stream(s)
            streams[s] = {
                "operations": len(recs),
                "busy_ns": length(merge((r.start_ns, r.end_ns) for r in recs if r.kind in BUSY_KINDS)),
                "first_start_ns": min((r.start_ns for r in recs), default=0.0),
                "last_end_ns": max((r.end_ns for r in recs), default=0.0),
            }
        return {
            "model": self.model_name,
            "operations": self.operations,
            "makespan_ns": makespan,
            "serial_ns": self.serial_ns,
            "speedup_vs_serial": self.serial_ns / makespan if makespan > 0 else 1.0,
            "host_dispatch_ns": self.host_dispatch_ns,
            "engines": {e: {"busy_ns": self.busy_ns(e), "utilisation": self.utilisation(e),
                            "operations": sum(1 for r in self.on_engine(e) if r.kind in BUSY_KINDS)}
                        for e in self.engines},
            "streams": streams,
            "overlap": {"two_or_more_engines_ns": self.overlap_ns(),
                        "copy_compute_ns": self.copy_compute_overlap_ns(),
                        "h2d_d2h_ns": self.bidirectional_ns()},
            "bytes": self.bytes_moved(),
        }

    def as_dict(self) -> dict[str, Any]:
        """Summary plus every record (JSON-ready)."""
        return {"summary": self.summary(), "records": [_record_dict(r) for r in self.records]}

    # --- Chrome Trace Event format ----------------------------------------------------------------
    def chrome_trace(self) -> dict[str, Any]:
        """Chrome Trace Event JSON (opens in Perfetto): one track per stream (process "streams") and
        per engine (process "engines"; concurrent kernels get extra SM lanes); times in microseconds."""
        events: list[dict[str, Any]] = [_meta("process_name", 1, None, "streams"),
                                         _meta("process_sort_index", 1, None, 1),
                                         _meta("process_name", 2, None, "engines"),
                                         _meta("process_sort_index", 2, None, 2)]
        for tid, stream in enumerate(self.streams, start=1):
            events += [_meta("thread_name", 1, tid, f"stream {stream}"), _meta("thread_sort_index", 1, tid, tid)]
            events += [_trace_event(r, 1, tid) for r in self.on_stream(stream)]
        tid = 0
        for engine in self.engines:
            recs = self.on_engine(engine)
            lanes = assign_lanes(recs)
            for lane in range(max(lanes, default=0) + 1):
                tid += 1
                label = engine if lane == 0 else f"{engine} #{lane + 1}"
                events += [_meta("thread_name", 2, tid, label), _meta("thread_sort_index", 2, tid, tid)]
                events += [_trace_event(r, 2, tid) for r, rl in zip(recs, lanes, strict=True) if rl == lane]
        return {"traceEvents": events, "displayTimeUnit": "ms",
                "otherData": {"generator": "gpusim", "model": self.model_name,
                              "makespan_us": self.makespan_ns / NS_PER_US}}

    def write_chrome_trace(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w") as fh:
            json.dump(self.chrome_trace(), fh)


def _meta(name: str, pid: int, tid: int | None, value: Any) -> dict[str, Any]:
    key = "sort_index" if name.endswith("sort_index") else "name"
    event: dict[str, Any] = {"name": name, "ph": "M", "pid": pid, "args": {key: value}}
    if tid is not None:
        event["tid"] = tid
    return event


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def _record_dict(r: OpRecord) -> dict[str, Any]:
    return {"name": r.name, "kind": r.kind, "stream": r.stream, "resource": r.resource, "issue_ns": r.issue_ns,
            "start_ns": r.start_ns, "end_ns": r.end_ns, "bytes": r.bytes, "detail": _jsonable(r.detail)}


def _trace_event(r: OpRecord, pid: int, tid: int) -> dict[str, Any]:
    args = {"stream": r.stream, "engine": r.resource, "issue_us": r.issue_ns / NS_PER_US, **_jsonable(r.detail)}
    if r.bytes:
        args["bytes"] = r.bytes
    event: dict[str, Any] = {"name": r.name, "cat": r.kind, "pid": pid, "tid": tid, "ts": r.start_ns / NS_PER_US,
                             "args": args}
    if r.end_ns > r.start_ns:
        event.update(ph="X", dur=(r.end_ns - r.start_ns) / NS_PER_US)
    else:
        event.update(ph="i", s="t")
    return event

"""Host <-> device copies: pinned and pageable host memory, each direction alone and both at once.

Pinned copies are timed with events behind a spin kernel (`validation.timing.EventTimer`), so the
interval is the copy engine's time. Pageable copies are synchronous for the host (the driver stages
them through a pinned buffer), so their ``time_s`` is host wall time from the call to the end of the
stream; the event interval is kept beside it as ``event_time_s``. ``both`` runs an H2D copy on one
stream and a D2H copy of the same size on a second stream, started together.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import cuda

from .timing import EventTimer, elapsed_s, repeats_for, summarize

Case = dict[str, Any]
Ops = dict[str, Callable[[], None]]


class TransferBuffers:
    """Host (pinned and pageable) and device byte buffers of the largest size, sliced per case."""

    def __init__(self, max_bytes: int) -> None:
        pattern_in = np.resize(np.arange(251, dtype=np.uint8), max_bytes)
        pattern_out = np.resize(np.arange(241, dtype=np.uint8), max_bytes)
        self.pattern_in, self.pattern_out = pattern_in, pattern_out
        self.host_in = {"pinned": cuda.pinned_array(max_bytes, np.uint8), "pageable": pattern_in.copy()}
        self.host_in["pinned"][:] = pattern_in
        self.host_out = {
            "pinned": cuda.pinned_array(max_bytes, np.uint8),
            "pageable": np.zeros_like(pattern_in),
        }
        self.host_out["pinned"][:] = 0
        self.dev_in = cuda.device_array(max_bytes, np.uint8)
        self.dev_out = cuda.to_device(pattern_out)


def _enqueue_ops(case: Case, buffers: TransferBuffers, streams: list[Any]) -> Ops:
    n, memory = case["size_bytes"], case["host_memory"]
    host_in, host_out = buffers.host_in[memory][:n], buffers.host_out[memory][:n]
    dev_in, dev_out = buffers.dev_in[:n], buffers.dev_out[:n]
    d2h_stream = streams[1] if case["direction"] == "both" else streams[0]
    return {
        "h2d": lambda: dev_in.copy_to_device(host_in, stream=streams[0]),
        "d2h": lambda: dev_out.copy_to_host(host_out, stream=d2h_stream),
    }


def _check(case: Case, buffers: TransferBuffers) -> dict[str, Any]:
    n, memory, direction = case["size_bytes"], case["host_memory"], case["direction"]
    ok = True
    if direction in ("h2d", "both"):
        ok &= bool(np.array_equal(buffers.dev_in[:n].copy_to_host(), buffers.pattern_in[:n]))
    if direction in ("d2h", "both"):
        ok &= bool(np.array_equal(buffers.host_out[memory][:n], buffers.pattern_out[:n]))
    return {"max_rel_error": 0.0 if ok else float("inf"), "tolerance": 0.0, "n_checked": n, "passed": ok}


class TransferTimer:
    """Runs one transfer case: H2D on stream 0, D2H on stream 1 (``both``) or stream 0 (alone)."""

    def __init__(self, timer: EventTimer) -> None:
        self.timer = timer
        self.streams = [timer.stream, cuda.stream()]
        self.events = {k: cuda.event(timing=True) for k in ("start", "h2d_end", "d2h_end", "end")}

    def _enqueue(self, case: Case, ops: Ops) -> None:
        s0, s1 = self.streams
        ev = self.events
        direction = case["direction"]
        ev["start"].record(s0)
        if direction == "both":
            ev["start"].wait(s1)
        if direction in ("h2d", "both"):
            ops["h2d"]()
            ev["h2d_end"].record(s0)
        if direction in ("d2h", "both"):
            ops["d2h"]()
            ev["d2h_end"].record(s1 if direction == "both" else s0)
        if direction == "both":
            ev["d2h_end"].wait(s0)
        ev["end"].record(s0)

    def _run_once(self, case: Case, ops: Ops, spin_s: float | None) -> dict[str, Any]:
        s0 = self.streams[0]
        t0 = time.perf_counter()
        if spin_s is not None:
            self.timer.spinner.enqueue(s0, self.timer.iters_for(spin_s))
        t1 = time.perf_counter()
        self._enqueue(case, ops)
        t2 = time.perf_counter()
        self.events["end"].synchronize()
        t3 = time.perf_counter()
        ev = self.events
        sample = {"event_s": elapsed_s(ev["start"], ev["end"]), "wall_s": t3 - t1, "enqueue_s": t2 - t1}
        if case["direction"] in ("h2d", "both"):
            sample["h2d_event_s"] = elapsed_s(ev["start"], ev["h2d_end"])
        if case["direction"] in ("d2h", "both"):
            sample["d2h_event_s"] = elapsed_s(ev["start"], ev["d2h_end"])
        sample["hidden"] = float(spin_s is not None and (t2 - t0) < 0.8 * spin_s)
        return sample

    def measure(self, case: Case, buffers: TransferBuffers, budget_s: float = 0.2) -> dict[str, Any]:
        """Check once, warm up, then time ``case`` repeatedly; return the measurement fields."""
        ops = _enqueue_ops(case, buffers, self.streams)
        pinned = case["host_memory"] == "pinned"
        buffers.host_out[case["host_memory"]][: case["size_bytes"]] = 0
        first = self._run_once(case, ops, None)
        check = _check(case, buffers)
        spin_s = max(self.timer.spin_s, 3.0 * first["enqueue_s"] + 50e-6) if pinned else None
        warm = self._run_once(case, ops, spin_s)
        estimate = warm["wall_s"] + (spin_s or 0.0)
        repeats = repeats_for(estimate, budget_s, 3, 100)
        samples = [self._run_once(case, ops, spin_s) for _ in range(repeats)]
        key = "event_s" if pinned else "wall_s"
        times = [s[key] for s in samples]
        moved_bytes = case["size_bytes"] * (2 if case["direction"] == "both" else 1)
        result: dict[str, Any] = {
            "time_s": float(np.median(times)),
            "time_source": "events behind a spin kernel" if pinned else "host wall clock, call to stream end",
            "spread": summarize(times),
            "repeats": repeats,
            "bytes_per_s": moved_bytes / float(np.median(times)),
            "event_time_s": float(np.median([s["event_s"] for s in samples])),
            "wall_time_s": float(np.median([s["wall_s"] for s in samples])),
            "host_enqueue_s": float(np.median([s["enqueue_s"] for s in samples])),
            "check": check,
        }
        for key in ("h2d_event_s", "d2h_event_s"):
            if key in samples[0]:
                result[key.replace("_event_s", "_time_s")] = float(np.median([s[key] for s in samples]))
        if pinned:
            result["spin_s"] = spin_s
            result["dispatch_hidden_fraction"] = float(np.mean([s["hidden"] for s in samples]))
        return result

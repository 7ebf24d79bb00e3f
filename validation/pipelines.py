"""Streams: batched copy/compute pipelines and kernel concurrency.

Pipelines move ``total_elements`` float32 values from pinned host memory through the FMA-loop kernel
(`validation.workloads.fma`, ``f32_chains1``) and back, in ``n_batches`` batches:

- A: one stream, per batch H2D -> kernel -> D2H;
- B: batch b on stream ``b % 3``, same three steps;
- C: one stream per stage (H2D, compute, D2H); per batch, events order H2D -> kernel -> D2H.

``submission`` says how the host queues the work: ``live`` starts the clock at the start event and
queues the operations from Python as a program would (host dispatch is part of the time);
``prequeued`` queues everything behind a spin kernel first (the GPU and copy-engine time alone).
A last traced run records an event around every operation (``ops``: start and end times relative to
the start event).

Concurrency runs two launches of the FMA-loop kernel on one stream or on two streams, queued behind a
spin kernel, and reports the total and each kernel's start and end.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numba import cuda

from .timing import EventTimer, elapsed_s, repeats_for, summarize
from .workloads import fma
from .workloads.common import compare_sampled, uniform

Case = dict[str, Any]

KERNEL_EVENTS = ("k0_start", "k0_end", "k1_start", "k1_end")


def _coefficients(case: Case) -> tuple[np.floating, np.floating, int]:
    iters = case["kernel"]["iters"]
    b, c = fma.coefficients(iters, "float32")
    return b, c, iters


class PipelineRunner:
    """Buffers for one ``total_elements`` and the three streams shared by all pipeline cases."""

    def __init__(self, timer: EventTimer, total_elements: int) -> None:
        self.timer = timer
        self.total_elements = total_elements
        self.streams = [timer.stream, cuda.stream(), cuda.stream()]
        self.host_in = cuda.pinned_array(total_elements, np.float32)
        self.host_in[:] = uniform(total_elements, 0.0, 2.0, seed=total_elements)
        self.host_out = cuda.pinned_array(total_elements, np.float32)
        self.dev_in = cuda.device_array(total_elements, np.float32)
        self.dev_out = cuda.device_array(total_elements, np.float32)
        self.start = cuda.event(timing=True)
        self.end = cuda.event(timing=True)

    def _enqueue(self, case: Case, trace: list[tuple[str, int, int, Any, Any]] | None) -> None:
        """Queue the pipeline after ``self.start``; ``trace`` collects (op, batch, stream, ev0, ev1)."""
        n_batches, per_batch = case["n_batches"], case["batch_elements"]
        b, c, iters = _coefficients(case)
        block = case["kernel"]["block"]
        grid = case["kernel"]["grid"]
        pipeline = case["pipeline"]
        streams = self.streams
        for s in streams[1:]:
            self.start.wait(s)

        def timed(op: str, batch: int, stream_index: int, action: Any) -> None:
            stream = streams[stream_index]
            if trace is None:
                action(stream)
                return
            ev0, ev1 = cuda.event(timing=True), cuda.event(timing=True)
            ev0.record(stream)
            action(stream)
            ev1.record(stream)
            trace.append((op, batch, stream_index, ev0, ev1))

        for batch in range(n_batches):
            lo, hi = batch * per_batch, (batch + 1) * per_batch
            d_in, d_out = self.dev_in[lo:hi], self.dev_out[lo:hi]
            h_in, h_out = self.host_in[lo:hi], self.host_out[lo:hi]
            if pipeline == "A":
                s_copy_in = s_kernel = s_copy_out = 0
            elif pipeline == "B":
                s_copy_in = s_kernel = s_copy_out = batch % 3
            else:
                s_copy_in, s_kernel, s_copy_out = 0, 1, 2
            timed("h2d", batch, s_copy_in, lambda s, d=d_in, h=h_in: d.copy_to_device(h, stream=s))
            if pipeline == "C":
                ready = cuda.event(timing=False)
                ready.record(streams[s_copy_in])
                ready.wait(streams[s_kernel])
            timed(
                "kernel",
                batch,
                s_kernel,
                lambda s, i=d_in, o=d_out: fma.fma_f32_chains1[grid, block, s](o, i, b, c, iters),
            )
            if pipeline == "C":
                done = cuda.event(timing=False)
                done.record(streams[s_kernel])
                done.wait(streams[s_copy_out])
            timed("d2h", batch, s_copy_out, lambda s, d=d_out, h=h_out: d.copy_to_host(h, stream=s))
        for s in streams[1:]:
            joined = cuda.event(timing=False)
            joined.record(s)
            joined.wait(streams[0])
        self.end.record(streams[0])

    def run_once(self, case: Case, spin_s: float | None, trace: list | None = None) -> dict[str, float]:
        """One pipeline run; ``spin_s`` None means live submission."""
        s0 = self.streams[0]
        if spin_s is not None:
            self.timer.spinner.enqueue(s0, self.timer.iters_for(spin_s))
        t0 = time.perf_counter()
        self.start.record(s0)
        self._enqueue(case, trace)
        t1 = time.perf_counter()
        self.end.synchronize()
        t2 = time.perf_counter()
        return {"event_s": elapsed_s(self.start, self.end), "enqueue_s": t1 - t0, "wall_s": t2 - t0}

    def check(self, case: Case) -> dict[str, Any]:
        b, c, iters = _coefficients(case)
        x = np.asarray(self.host_in)

        def ref_at(idx: np.ndarray) -> np.ndarray:
            return fma.reference(x[idx], b, c, iters, 1)

        tolerance = fma.tolerance(iters, "float32")
        return compare_sampled(np.asarray(self.host_out), ref_at, 7, tolerance).as_dict()

    def measure(self, case: Case, budget_s: float = 0.3) -> dict[str, Any]:
        """Check once, warm up, time repeatedly, then trace one run op by op."""
        if case["total_elements"] != self.total_elements:
            raise ValueError("case and runner disagree on total_elements")
        prequeued = case["submission"] == "prequeued"
        self.host_out[:] = np.nan
        first = self.run_once(case, None)
        check = self.check(case)
        spin_s = max(self.timer.spin_s, 2.0 * first["enqueue_s"] + 200e-6) if prequeued else None
        warm = self.run_once(case, spin_s)
        repeats = repeats_for(warm["wall_s"], budget_s, 3, 50)
        samples = [self.run_once(case, spin_s) for _ in range(repeats)]
        times = [s["event_s"] for s in samples]
        trace: list[tuple[str, int, int, Any, Any]] = []
        self.run_once(case, spin_s, trace)
        ops = [
            {
                "op": op,
                "batch": batch,
                "stream": stream_index,
                "start_s": elapsed_s(self.start, ev0),
                "end_s": elapsed_s(self.start, ev1),
            }
            for op, batch, stream_index, ev0, ev1 in trace
        ]
        result: dict[str, Any] = {
            "time_s": float(np.median(times)),
            "time_source": "events, start to the join of all streams",
            "spread": summarize(times),
            "repeats": repeats,
            "wall_time_s": float(np.median([s["wall_s"] for s in samples])),
            "host_enqueue_s": float(np.median([s["enqueue_s"] for s in samples])),
            "check": check,
            "ops": ops,
        }
        if spin_s is not None:
            result["spin_s"] = spin_s
            result["prequeue_hidden"] = bool(np.median([s["enqueue_s"] for s in samples]) < 0.8 * spin_s)
        return result


class ConcurrencyRunner:
    """Two launches of the FMA-loop kernel, on one stream or two, behind a spin kernel."""

    def __init__(self, timer: EventTimer) -> None:
        self.timer = timer
        self.streams = [timer.stream, cuda.stream()]
        names = ("start", "k0_start", "k0_end", "k1_start", "k1_end", "end")
        self.events = {k: cuda.event(timing=True) for k in names}

    def measure(self, case: Case, budget_s: float = 0.3) -> dict[str, Any]:
        kcase = case["kernel"]
        n, grid, block, iters = kcase["n_elements"], kcase["grid"], kcase["block"], kcase["iters"]
        b, c = fma.coefficients(iters, "float32")
        x = uniform(n, 0.0, 2.0, seed=n)
        d_x = cuda.to_device(x)
        outs = [cuda.to_device(np.full(n, np.nan, dtype=np.float32)) for _ in range(2)]
        ev = self.events
        s0 = self.streams[0]
        s1 = self.streams[1] if case["n_streams"] == 2 else s0

        def enqueue() -> None:
            ev["start"].record(s0)
            if s1 is not s0:
                ev["start"].wait(s1)
            for k, stream in ((0, s0), (1, s1)):
                ev[f"k{k}_start"].record(stream)
                fma.fma_f32_chains1[grid, block, stream](outs[k], d_x, b, c, iters)
                ev[f"k{k}_end"].record(stream)
            if s1 is not s0:
                ev["k1_end"].wait(s0)
            ev["end"].record(s0)

        def run(spin_s: float) -> dict[str, float]:
            t0 = time.perf_counter()
            self.timer.spinner.enqueue(s0, self.timer.iters_for(spin_s))
            enqueue()
            t1 = time.perf_counter()
            ev["end"].synchronize()
            sample = {f"{k}_s": elapsed_s(ev["start"], ev[k]) for k in KERNEL_EVENTS}
            sample["total_s"] = elapsed_s(ev["start"], ev["end"])
            sample["hidden"] = float((t1 - t0) < 0.8 * spin_s)
            sample["enqueue_s"] = t1 - t0
            return sample

        first = run(self.timer.spin_s)
        ref = fma.reference(x, b, c, iters, 1)
        tolerance = fma.tolerance(iters, "float32")
        checks = [compare_sampled(o.copy_to_host(), lambda idx: ref[idx], 3, tolerance) for o in outs]
        worst = max(checks, key=lambda chk: chk.max_rel_error)
        spin_s = max(self.timer.spin_s, 3.0 * first["enqueue_s"] + 50e-6)
        warm = run(spin_s)
        repeats = repeats_for(warm["total_s"] + spin_s, budget_s, 5, 50)
        samples = [run(spin_s) for _ in range(repeats)]
        totals = [s["total_s"] for s in samples]
        result: dict[str, Any] = {
            "time_s": float(np.median(totals)),
            "time_source": "events behind a spin kernel, start to both kernels done",
            "spread": summarize(totals),
            "repeats": repeats,
            "check": worst.as_dict(),
            "spin_s": spin_s,
            "dispatch_hidden_fraction": float(np.mean([s["hidden"] for s in samples])),
        }
        for key in KERNEL_EVENTS:
            result[f"{key}_s"] = float(np.median([s[f"{key}_s"] for s in samples]))
        return result

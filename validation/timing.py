"""Timing on the GPU with CUDA events, host dispatch hidden behind a spin kernel.

To time a launch without the Python dispatch in it, the timer first queues a spin kernel (one thread on
a dependent FMA chain, sized once to last ``spin_s``), then records the start event, launches the work,
records the end event and waits. While the GPU spins, the host has queued the start event, the work and
the end event, so the GPU runs them back to back: the event interval is the work's GPU time (plus the
few hundred nanoseconds an event costs). ``hidden`` in each sample says whether the host finished
queueing before the spin ended.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import cuda

from .workloads.launch import Spinner

Enqueue = Callable[[Any], None]


def summarize(times_s: Sequence[float]) -> dict[str, float]:
    """Median, min, max, 10th/90th percentiles, mean and standard deviation of ``times_s``."""
    values = np.asarray(times_s, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no samples")
    p10, median, p90 = np.percentile(values, [10, 50, 90])
    return {
        "median": float(median),
        "min": float(values.min()),
        "max": float(values.max()),
        "p10": float(p10),
        "p90": float(p90),
        "mean": float(values.mean()),
        "std": float(values.std()),
    }


def repeats_for(estimate_s: float, budget_s: float, min_repeats: int, max_repeats: int) -> int:
    """How many timed repeats fit in ``budget_s`` given one takes about ``estimate_s``."""
    if not math.isfinite(estimate_s) or estimate_s <= 0:  # no usable estimate: do the least
        return min_repeats
    return int(min(max_repeats, max(min_repeats, budget_s // estimate_s)))


def elapsed_s(start: Any, end: Any) -> float:
    """Seconds between two recorded, completed events."""
    return float(start.elapsed_time(end)) * 1e-3


@dataclass(frozen=True)
class Sample:
    """One timed run: GPU time between the events, host time spent in ``enqueue``, host time from
    queueing the spin to queueing the end event, and whether that was under 80% of the spin's length
    (a conservative sign that the GPU never waited for the host)."""

    gpu_s: float
    host_dispatch_s: float
    host_queue_s: float
    hidden: bool


class EventTimer:
    """Times work queued by a callable on one stream, with a spin kernel in front of it."""

    def __init__(self, stream: Any, spin_s: float = 100e-6) -> None:
        self.stream = stream
        self.spinner = Spinner()
        self.spin_s = spin_s
        self.spin_s_per_iter = 0.0
        self.spin_iters = 0
        self._start = cuda.event(timing=True)
        self._end = cuda.event(timing=True)

    def calibrate(self, target_s: float | None = None, warmup_s: float = 0.3) -> dict[str, float]:
        """Measure the spin kernel's time per trip and size it to ``target_s`` (default ``spin_s``).

        Spins for ``warmup_s`` first, so that the clocks have left their idle state.
        """
        if target_s is not None:
            self.spin_s = target_s
        probe_iters = 1 << 14
        self.spinner.enqueue(self.stream, 16)  # compile and load
        self.stream.synchronize()
        t_end = time.perf_counter() + warmup_s
        while time.perf_counter() < t_end:
            self.spinner.enqueue(self.stream, 1 << 18)
            self.stream.synchronize()
        per_iter = []
        for _ in range(5):
            self._start.record(self.stream)
            self.spinner.enqueue(self.stream, probe_iters)
            self._end.record(self.stream)
            self._end.synchronize()
            per_iter.append(elapsed_s(self._start, self._end) / probe_iters)
        self.spin_s_per_iter = float(np.median(per_iter))
        if not self.spin_s_per_iter > 0:
            raise RuntimeError(f"the events measured no time ({self.spin_s_per_iter}); is this a simulator?")
        self.spin_iters = self.iters_for(self.spin_s)
        return {"spin_s": self.spin_s, "spin_iters": self.spin_iters, "spin_s_per_iter": self.spin_s_per_iter}

    def iters_for(self, seconds: float) -> int:
        """Spin trips that last about ``seconds``."""
        if self.spin_s_per_iter <= 0:
            raise RuntimeError("calibrate() first")
        return max(1, int(seconds / self.spin_s_per_iter))

    def time_once(
        self,
        enqueue: Enqueue,
        spin_s: float | None = None,
        prelaunch: Enqueue | None = None,
    ) -> Sample:
        """[``prelaunch``, wait], spin, start event, ``enqueue(stream)``, end event; wait; the sample."""
        spin_for_s = self.spin_s if spin_s is None else spin_s
        iters = self.spin_iters if spin_s is None else self.iters_for(spin_for_s)
        if prelaunch is not None:
            prelaunch(self.stream)
            self.stream.synchronize()
        t_queue = time.perf_counter()
        self.spinner.enqueue(self.stream, iters)
        self._start.record(self.stream)
        t0 = time.perf_counter()
        enqueue(self.stream)
        t1 = time.perf_counter()
        self._end.record(self.stream)
        t_done = time.perf_counter()
        self._end.synchronize()
        queue_s = t_done - t_queue
        return Sample(elapsed_s(self._start, self._end), t1 - t0, queue_s, queue_s < 0.8 * spin_for_s)

    def measure(
        self,
        enqueue: Enqueue,
        *,
        prelaunch: Enqueue | None = None,
        budget_s: float = 0.25,
        n_warmup: int = 2,
        min_repeats: int = 5,
        max_repeats: int = 200,
    ) -> dict[str, Any]:
        """Warm up, then time ``enqueue`` repeatedly; return median, spread and dispatch numbers.

        The spin grows to cover the host's dispatch when the warm-up shows it is longer than ``spin_s``,
        and to 5% of the work's time (at most 2 ms) for long work, where it costs little. ``prelaunch``
        runs (and finishes) before each spin.
        """
        warm = [self.time_once(enqueue, prelaunch=prelaunch) for _ in range(n_warmup)]
        dispatch_s = max(s.host_dispatch_s for s in warm)
        gpu_s = float(np.median([s.gpu_s for s in warm]))
        spin_s = max(self.spin_s, 3.0 * dispatch_s + 50e-6, min(0.05 * gpu_s, 2e-3))
        estimate_s = gpu_s + spin_s + 2.0 * dispatch_s
        repeats = repeats_for(estimate_s, budget_s, min_repeats, max_repeats)
        samples = [self.time_once(enqueue, spin_s=spin_s, prelaunch=prelaunch) for _ in range(repeats)]
        gpu = [s.gpu_s for s in samples]
        return {
            "time_s": float(np.median(gpu)),
            "spread": summarize(gpu),
            "repeats": repeats,
            "warmup": n_warmup,
            "host_dispatch_s": float(np.median([s.host_dispatch_s for s in samples])),
            "host_queue_s": float(np.median([s.host_queue_s for s in samples])),
            "dispatch_hidden_fraction": float(np.mean([s.hidden for s in samples])),
            "spin_s": spin_s,
        }


def measure_back_to_back(
    timer: EventTimer, enqueue: Enqueue, n_launches: int, prequeued: bool, repeats: int = 5
) -> dict[str, Any]:
    """Time ``n_launches`` launches queued one after another between two events; report per launch.

    ``prequeued``: all launches are queued behind a spin kernel, so the GPU runs them back to back and
    the result is the GPU-side cost of a launch in a chain. Otherwise the host queues them while the
    clock runs, and the result is bounded by the host's dispatch rate. ``host_dispatch_s`` is the median
    host time of one ``enqueue`` call.
    """
    stream = timer.stream
    start, end = cuda.event(timing=True), cuda.event(timing=True)
    dispatch: list[float] = []
    per_launch: list[float] = []
    spin_s = 0.0
    for repeat in range(repeats + 1):  # the first round warms up and sizes the spin
        if prequeued and repeat > 0:
            spin_s = 2.0 * n_launches * float(np.median(dispatch)) + 200e-6
            timer.spinner.enqueue(stream, timer.iters_for(spin_s))
        start.record(stream)
        for _ in range(n_launches):
            t0 = time.perf_counter()
            enqueue(stream)
            dispatch.append(time.perf_counter() - t0)
        end.record(stream)
        end.synchronize()
        if repeat > 0:
            per_launch.append(elapsed_s(start, end) / n_launches)
    result: dict[str, Any] = {
        "time_s": float(np.median(per_launch)),
        "time_source": "events around the chain, divided by n_launches",
        "spread": summarize(per_launch),
        "repeats": repeats,
        "host_dispatch_s": float(np.median(dispatch)),
        "host_dispatch_spread": summarize(dispatch),
    }
    if prequeued:
        result["spin_s"] = spin_s
    return result

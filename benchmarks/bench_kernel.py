"""Wall time of ``predict_kernel`` against grid size and fidelity, and for every example spec.

Usage: ``.venv/bin/python benchmarks/bench_kernel.py`` (or ``make bench``). Prints markdown tables:

1. ``examples/kernels/process.yaml`` with ``n_elements`` = 2^10, 2^12, ..., 2^30 threads on the H200,
   for each fidelity: median wall time of 3 runs and the number of simulation events. ``wave`` and
   ``block`` are skipped once the estimate from the previous size (its time x the growth in threads)
   exceeds ``--budget-s`` (default 20 s per run).
2. every ``examples/kernels/*.yaml`` at its default parameters on the H200, each fidelity.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from gpusim.hardware import load_model
from gpusim.kernels import KernelSpec, load_spec
from gpusim.predict import predict_kernel
from gpusim.sim.gpu import FIDELITIES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "kernels"
REPEATS = 3


def time_predict(spec: KernelSpec, model: object, fidelity: str, repeats: int = REPEATS) -> tuple[float, int]:
    """Median wall seconds of ``predict_kernel`` over ``repeats`` runs, and its simulation events."""
    times = []
    events = 0
    for _ in range(repeats):
        start = time.perf_counter()
        p = predict_kernel(spec, model, fidelity=fidelity)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        events = p.simulation_events
    return statistics.median(times), events


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def grid_sweep(model: object, budget_s: float) -> None:
    print("## process.yaml against grid size (h200; median of 3; events in brackets)\n")
    print("| threads | blocks | waves | " + " | ".join(FIDELITIES) + " |")
    print("| ---: | ---: | ---: | " + " | ".join("---:" for _ in FIDELITIES) + " |")
    previous: dict[str, float | None] = dict.fromkeys(FIDELITIES, 0.0)
    previous_threads = None
    for exponent in range(10, 31, 2):
        threads = 2**exponent
        spec = load_spec(EXAMPLES / "process.yaml", {"n_elements": threads})
        cells = []
        waves = None
        for fidelity in FIDELITIES:
            last = previous[fidelity]
            growth = threads / previous_threads if previous_threads else 1.0
            if fidelity != "aggregate" and (last is None or last * growth > budget_s):
                previous[fidelity] = None
                cells.append("skipped")
                continue
            seconds, events = time_predict(spec, model, fidelity)
            previous[fidelity] = seconds
            cells.append(f"{fmt_s(seconds)} ({events})")
            if waves is None:
                waves = predict_kernel(spec, model).waves  # type: ignore[arg-type]
        previous_threads = threads
        print(f"| 2^{exponent} | {spec.blocks:,} | {waves:.2f} | " + " | ".join(cells) + " |", flush=True)
    print()


def examples(model: object) -> None:
    print("## examples/kernels/*.yaml at their defaults (h200; median of 3; events in brackets)\n")
    print("| spec | blocks | waves | predicted | " + " | ".join(FIDELITIES) + " |")
    print("| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in FIDELITIES) + " |")
    for path in sorted(EXAMPLES.glob("*.yaml")):
        spec = load_spec(path)
        p = predict_kernel(spec, model)  # type: ignore[arg-type]
        cells = []
        for fidelity in FIDELITIES:
            seconds, events = time_predict(spec, model, fidelity)
            cells.append(f"{fmt_s(seconds)} ({events})")
        print(f"| {path.stem} | {spec.blocks:,} | {p.waves:.2f} | {p.time_s * 1e6:.2f} us | " + " | ".join(cells)
              + " |", flush=True)
    print()


def machine() -> str:
    """``nproc``, CPU model, Python and OS of this machine."""
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"nproc {nproc}, {cpu} ({platform.machine()}), Python {sys.version.split()[0]}, "
            f"{platform.system()} {platform.release()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=20.0,
                        help="skip wave/block runs estimated to take longer than this (seconds per run)")
    args = parser.parse_args()
    model = load_model("h200")
    predict_kernel(load_spec(EXAMPLES / "process.yaml"), model)  # warm-up: imports, caches
    print(f"Machine: {machine()}\n")
    grid_sweep(model, args.budget_s)
    examples(model)


if __name__ == "__main__":
    main()

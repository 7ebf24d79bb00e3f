"""Wall time of a host-device timeline simulation against program length (10 to 1,000 operations).

    .venv/bin/python benchmarks/bench_pipeline.py [--model h200] [--repeats 5]

Programs are pattern B (H2D, kernel, D2H per batch over 4 streams, pinned) with fixed-duration
kernels, pattern C (adds event records and waits), and pattern B with KernelSpec kernels timed by the
kernel model. Prints the median of ``--repeats`` runs per length. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from gpusim.hardware import load_model
from gpusim.kernels.io import load_spec
from gpusim.pipelines import fixed_kernel, pattern_b, pattern_c
from gpusim.sim.program import Program
from gpusim.timeline import Timeline

LENGTHS = (10, 30, 100, 300, 1000)
SPEC = Path(__file__).resolve().parents[1] / "examples" / "kernels" / "process.yaml"


def _batches_for(n_ops: int, ops_per_batch: int) -> int:
    return max(1, round(n_ops / ops_per_batch))


def _median_s(program: Program, model_name: str, repeats: int) -> float:
    model = load_model(model_name)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        Timeline.simulate(program, model)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="h200")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    spec = load_spec(SPEC)
    kernel = fixed_kernel(1e6)
    rows = []
    for n in LENGTHS:
        b = pattern_b(_batches_for(n, 3), 64 * 2**20, kernel, streams=4)
        c = pattern_c(_batches_for(n, 7), 64 * 2**20, kernel)
        s = pattern_b(_batches_for(n, 3), 64 * 2**20, spec, streams=4)
        rows.append((n, len(b.ops), _median_s(b, args.model, args.repeats), len(c.ops),
                     _median_s(c, args.model, args.repeats), len(s.ops), _median_s(s, args.model, args.repeats)))
    print(f"model {args.model}, median of {args.repeats} runs")
    print(f"{'target':>6}  {'B fixed ops':>11} {'ms':>8}  {'C events ops':>12} {'ms':>8}  {'B spec ops':>10} {'ms':>8}")
    for n, nb, tb, nc, tc, ns, ts in rows:
        print(f"{n:>6}  {nb:>11} {tb * 1e3:>8.2f}  {nc:>12} {tc * 1e3:>8.2f}  {ns:>10} {ts * 1e3:>8.2f}")


if __name__ == "__main__":
    main()

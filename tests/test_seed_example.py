"""The seed example's predictions keep the physics the seed's table describes."""

from __future__ import annotations

from gpusim.hardware import load_model
from gpusim.seed_example import run_seed_example


def test_overlap_patterns_beat_the_serial_one_and_newer_gpus_are_faster() -> None:
    results = {n: run_seed_example(load_model(n), n_elements=2**24, batches=8) for n in ("a100", "h200")}
    for r in results.values():
        a, b, c = (r.pattern_makespan_s[p] for p in "ABC")
        assert b < 0.8 * a and c < 0.8 * a  # copies overlap kernels and each other across batches
        assert r.total_with_transfers_s > 10 * r.kernel.time_s  # the copies dominate this kernel
    assert results["h200"].kernel.time_s < results["a100"].kernel.time_s
    assert results["h200"].total_with_transfers_s < results["a100"].total_with_transfers_s  # Gen5 vs Gen4

"""Every shipped kernel spec loads and predicts on every shipped model; cost grows with waves, not threads.

Wall-clock speed is measured by benchmarks/bench_kernel.py, not asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpusim.hardware import load_model, shipped_model_names
from gpusim.kernels import load_spec
from gpusim.predict import predict_kernel

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples" / "kernels").glob("*.yaml"))


def test_examples_exist() -> None:
    names = {p.stem for p in EXAMPLES}
    required = {"process", "process_fast", "process_grid_stride", "saxpy", "copy", "reduction", "sgemm_naive",
                "sgemm_tiled", "transpose_naive", "transpose_tiled", "fma_fp32", "fma_fp64", "sfu_loop",
                "strided_read", "random_gather", "shared_limited", "divergent"}
    assert required <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_predicts(path: Path) -> None:
    spec = load_spec(path)
    for name in shipped_model_names():
        p = predict_kernel(spec, load_model(name))
        assert p.simulation_events < 100
        assert p.time_s >= p.roofline.bound_ns * 1e-9 * (1 - 1e-6)


def test_simulation_events_do_not_grow_with_grid_size() -> None:
    h200 = load_model("h200")
    path = EXAMPLES[0].parent / "process.yaml"
    small = predict_kernel(load_spec(path, {"n_elements": 2**20}), h200)
    huge = predict_kernel(load_spec(path, {"n_elements": 2**30}), h200)
    assert huge.waves > 900 * small.waves
    assert huge.simulation_events <= small.simulation_events + 2

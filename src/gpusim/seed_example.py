"""The seed document's migration example, predicted on a model: the element-wise kernel alone, with
its transfers, and batched through the stream patterns A, B and C.

``out[i] = sqrt(x) * sin(x) / log(x + 1)`` over ``n_elements`` float32 values, copied in and out from
pinned host memory. Used by ``gpusim demo``; returns values, prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gpusim.hardware.schema import GpuModel
from gpusim.kernels.io import load_spec
from gpusim.pipelines import build_pattern
from gpusim.predict import KernelPrediction, predict_kernel
from gpusim.timeline import Timeline

SPEC_PATH = Path(__file__).resolve().parents[2] / "examples" / "kernels" / "process.yaml"
DEFAULT_ELEMENTS = 2**26  # 256 MiB in, 256 MiB out
DEFAULT_BATCHES = 8


@dataclass(frozen=True)
class SeedResult:
    model: str
    n_elements: int
    kernel: KernelPrediction
    total_with_transfers_s: float
    pattern_makespan_s: dict[str, float]
    timelines: dict[str, Timeline]


def run_seed_example(model: GpuModel, n_elements: int = DEFAULT_ELEMENTS, batches: int = DEFAULT_BATCHES,
                     spec_path: Path = SPEC_PATH) -> SeedResult:
    """Predict the seed example on ``model``: kernel alone, one batch with copies, patterns A/B/C."""
    whole = load_spec(spec_path, {"n_elements": n_elements})
    kernel = predict_kernel(whole, model)
    single = Timeline.simulate(build_pattern("A", 1, n_elements * 4, whole), model)
    per_batch = n_elements // batches
    batch_spec = load_spec(spec_path, {"n_elements": per_batch})
    timelines = {p: Timeline.simulate(build_pattern(p, batches, per_batch * 4, batch_spec), model)
                 for p in ("A", "B", "C")}
    return SeedResult(model=model.name, n_elements=n_elements, kernel=kernel,
                      total_with_transfers_s=single.makespan_ns * 1e-9,
                      pattern_makespan_s={p: t.makespan_ns * 1e-9 for p, t in timelines.items()},
                      timelines=timelines)

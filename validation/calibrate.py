"""Fit the model's few physical parameters on the calibration split and write them into the YAML.

    python -m validation.calibrate [validation/data/h200-YYYY-MM-DD.json] [--dry-run]

Parameters (named, with units; no per-kernel factors): the GPU-side kernel launch latency (us), the
same-address atomic interval (cycles), the
launch-and-retire cost of a block (cycles), the L2 hit latency (cycles) and the DRAM latency (ns).
scipy.optimize.least_squares minimises the log ratio predicted/measured over the calibration cases of
``validation.split``; the fitted values go into ``models/arch/<arch>.yaml`` and ``models/<gpu>.yaml``
with a ``fitted:`` source naming the data file. Accuracy is then reported on the held-out split only.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from gpusim.errors import GpusimError
from gpusim.hardware import load_model
from gpusim.hardware.schema import GpuModel
from validation.compare import ROOT, compare, latest_data, load_document, measured_time_s, stats
from validation.split import is_calibration


@dataclass(frozen=True)
class Parameter:
    """A fitted value: where it lives in the model object and in which YAML file."""

    section: str  # "arch.latency_cycles", "launch", "memory"
    key: str
    layer: str  # "arch" or "product"
    lower: float
    upper: float


KERNEL_PARAMETERS = (
    Parameter("launch", "kernel_launch_latency_us", "product", 0.5, 10.0),
    Parameter("arch.latency_cycles", "block_launch", "arch", 0.0, 2000.0),
    Parameter("arch.latency_cycles", "l2_hit", "arch", 100.0, 1000.0),
    Parameter("memory", "latency_ns", "product", 150.0, 2000.0),
    Parameter("arch.latency_cycles", "atomic_same_address", "arch", 0.5, 50.0),
)
TRANSFER_PARAMETERS = (
    Parameter("pcie", "efficiency", "product", 0.3, 1.0),
    Parameter("pcie", "per_transfer_latency_us", "product", 0.0, 50.0),
    Parameter("pcie", "bidirectional_efficiency", "product", 0.2, 1.0),
    Parameter("pcie", "pageable_h2d_bandwidth_fraction", "product", 0.05, 1.0),
    Parameter("pcie", "pageable_d2h_bandwidth_fraction", "product", 0.05, 1.0),
    Parameter("pcie", "pageable_h2d_latency_us", "product", 0.0, 500.0),
    Parameter("pcie", "pageable_d2h_latency_us", "product", 0.0, 500.0),
)
PARAMETERS = KERNEL_PARAMETERS  # kept for callers that fit kernels only
GROUPS = {"kernel": KERNEL_PARAMETERS, "transfer": TRANSFER_PARAMETERS}


def get_value(model: GpuModel, p: Parameter) -> float:
    obj: Any = model
    for part in p.section.split("."):
        obj = getattr(obj, part)
    return float(getattr(obj, p.key))


def with_values(model: GpuModel, values: Sequence[float],
                parameters: Sequence[Parameter] = KERNEL_PARAMETERS) -> GpuModel:
    """A copy of ``model`` with the parameters set to ``values`` (no validation: values are in bounds)."""
    arch = model.arch
    updates: dict[str, dict[str, float]] = {}
    for p, v in zip(parameters, values, strict=True):
        updates.setdefault(p.section, {})[p.key] = float(v)
    for section, fields in updates.items():
        if section.startswith("arch."):
            sub = section.split(".", 1)[1]
            arch = arch.model_copy(update={sub: getattr(arch, sub).model_copy(update=fields)})
        else:
            model = model.model_copy(update={section: getattr(model, section).model_copy(update=fields)})
    return model.model_copy(update={"arch": arch})


def calibration_entries(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in document["measurements"]
            if e["kind"] == kind and is_calibration(kind, e["case"]) and measured_time_s(e)]


def _predictor(kind: str) -> Any:
    if kind == "kernel":
        from validation.compare import predict_kernel_case

        return predict_kernel_case
    from validation.model_side import PREDICTORS

    return PREDICTORS[kind]


def fit(document: dict[str, Any], model: GpuModel, kind: str = "kernel") -> tuple[list[float], float]:
    """Least-squares fit in log space of the ``kind`` group's parameters on its calibration cases;
    returns the values and the RMS log error at the optimum."""
    parameters = GROUPS[kind]
    entries = calibration_entries(document, kind)
    if not entries:
        raise GpusimError(f"no usable {kind} calibration cases in the data")
    predict = _predictor(kind)
    measured = np.array([measured_time_s(e) for e in entries])

    def residuals(x: np.ndarray) -> np.ndarray:
        m = with_values(model, x, parameters)
        predicted = np.array([predict(e["case"], m) for e in entries])
        return np.log(predicted / measured)

    x0 = np.array([min(max(get_value(model, p), p.lower), p.upper) for p in parameters])
    result = least_squares(residuals, x0, bounds=([p.lower for p in parameters], [p.upper for p in parameters]),
                           x_scale=x0 + 1.0, diff_step=1e-3)
    return [float(v) for v in result.x], float(math.sqrt(np.mean(result.fun**2)))


def _format(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 100 else f"{round(value)}"


def write_value(path: Path, key: str, value: float, source: str) -> None:
    """Replace ``key: {value: ..., source: ...}`` (one line) in a model YAML, keeping the note."""
    text = path.read_text()
    pattern = re.compile(rf"^(\s*{re.escape(key)}: \{{value: )[^,]+(, source: )(\"[^\"]*\"|[^,}}]+)(.*)$", re.M)
    if not pattern.search(text):
        raise GpusimError(f"{path}: {key}: no one-line sourced value to update")
    path.write_text(pattern.sub(lambda m: f'{m.group(1)}{_format(value)}{m.group(2)}"{source}"{m.group(4)}',
                                text, count=1))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="fit and report; write nothing")
    args = parser.parse_args(argv)
    try:
        path = args.data or latest_data()
        document = load_document(path)
        model = load_model(document["gpu_model"])
    except GpusimError as exc:
        print(f"calibrate: error: {exc}", file=sys.stderr)
        return 2
    before = stats([r for r in compare(document, model) if r.split == "held-out"])
    fitted = model
    results = []
    for kind, parameters in GROUPS.items():
        values, rms = fit(document, model, kind)
        fitted = with_values(fitted, values, parameters)
        results.append((kind, parameters, values, rms))
        for p, v in zip(parameters, values, strict=True):
            print(f"{p.section}.{p.key}: {get_value(model, p):g} -> {v:.4g}")
        print(f"{kind} calibration RMS log error {rms:.3f}")
    after = stats([r for r in compare(document, fitted) if r.split == "held-out"])
    print(f"held-out mean abs error {before.mean_abs_error:.1%} -> {after.mean_abs_error:.1%} over {after.n} cases")
    if args.dry_run:
        return 0
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    source = f"fitted: {rel} (validation/calibrate.py)"
    for _kind, parameters, values, _rms in results:
        for p, v in zip(parameters, values, strict=True):
            target = ROOT / "models" / ("arch/" + model.arch.name if p.layer == "arch" else model.name)
            write_value(target.with_suffix(".yaml"), p.key, v, source)
    print(f"wrote fitted values into models/{model.name}.yaml and models/arch/{model.arch.name}.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())

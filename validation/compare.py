"""Compare the model with measurements: per-case table, error statistics, scatter plot, docs/validation.md.

    python -m validation.compare [validation/data/h200-YYYY-MM-DD.json ...]

Each simulated metric maps to one measured one: a kernel's predicted ``time_s`` (launch to last block,
warm L2) against its CUDA-event time with host dispatch hidden; a transfer's or pipeline's predicted
makespan against its event-timed wall time. Statistics are reported for the held-out split only
(``validation.split``); calibration cases are listed apart.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpusim.errors import GpusimError
from gpusim.hardware import load_model
from gpusim.hardware.schema import GpuModel
from gpusim.predict import predict_kernel
from validation.specs import spec_for_case, warm_l2
from validation.split import is_calibration

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "validation" / "data"
DOC = ROOT / "docs" / "validation.md"
SCATTER = ROOT / "docs" / "validation-scatter.png"

Predictor = Callable[[dict[str, Any], GpuModel], float]


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    split: str
    measured_s: float
    predicted_s: float

    @property
    def error(self) -> float:
        """Signed relative error of the prediction."""
        return (self.predicted_s - self.measured_s) / self.measured_s


@dataclass(frozen=True)
class Stats:
    n: int
    mean_abs_error: float
    max_abs_error: float
    log_correlation: float
    within_10: float
    within_25: float


def stats(rows: Sequence[Row]) -> Stats:
    """Mean and max absolute % error, correlation of log times, share within 10% and 25%."""
    if not rows:
        return Stats(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    errs = [abs(r.error) for r in rows]
    xs = [math.log(r.measured_s) for r in rows]
    ys = [math.log(r.predicted_s) for r in rows]
    n = len(rows)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    corr = sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else math.nan
    return Stats(n, sum(errs) / n, max(errs), corr, sum(e <= 0.10 for e in errs) / n, sum(e <= 0.25 for e in errs) / n)


def predict_kernel_case(case: dict[str, Any], model: GpuModel) -> float:
    return predict_kernel(spec_for_case(case), model, warm_l2=warm_l2(case)).time_s


def _predictors() -> dict[str, Predictor]:
    predictors: dict[str, Predictor] = {"kernel": predict_kernel_case}
    try:
        from validation.model_side import PREDICTORS
    except ImportError:
        return predictors
    predictors.update(PREDICTORS)
    return predictors


def load_document(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise GpusimError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise GpusimError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None


def measured_time_s(entry: dict[str, Any]) -> float | None:
    t = entry.get("time_s")
    if not isinstance(t, int | float) or not t > 0 or entry.get("error"):
        return None
    check = entry.get("check")
    if isinstance(check, dict) and (check.get("passed") is False or check.get("ok") is False):
        return None
    return float(t)


ANALYSED = "kernel (analysed spec)"


def predict_analysed_case(case: dict[str, Any], model: GpuModel) -> float:
    """The kernel case predicted from the spec `gpusim analyze` derives from its Numba kernel."""
    from validation.analyzed import analyzed_spec_for_case

    return predict_kernel(analyzed_spec_for_case(case), model, warm_l2=warm_l2(case)).time_s


def compare(document: dict[str, Any], model: GpuModel | None = None, analysed: bool = False) -> list[Row]:
    """Rows of predicted vs measured for every measurement the model can predict; with ``analysed``,
    kernels a second time from their analysed specs (kind ``kernel (analysed spec)``)."""
    model = model or load_model(document["gpu_model"])
    predictors = _predictors()
    rows = []
    for entry in document["measurements"]:
        kind, case = entry["kind"], entry["case"]
        measured = measured_time_s(entry)
        if measured is None or kind not in predictors:
            continue
        predicted = predictors[kind](case, model)
        split = "calibration" if is_calibration(kind, case) else "held-out"
        rows.append(Row(case["name"], kind, split, measured, predicted))
        if analysed and kind == "kernel":
            rows.append(Row(case["name"], ANALYSED, split, measured, predict_analysed_case(case, model)))
    return rows


def _fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.2f} us"
    return f"{s * 1e3:.3f} ms"


def _stats_table(rows: Sequence[Row]) -> list[str]:
    lines = [
        "| set | cases | mean abs error | max abs error | corr(log) | within 10% | within 25% |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    kinds = sorted({r.kind for r in rows})
    for label, subset in (
        [("all held-out (hand-written specs)", [r for r in rows if r.split == "held-out" and r.kind != ANALYSED])]
        + [(f"held-out {k} cases", [r for r in rows if r.split == "held-out" and r.kind == k]) for k in kinds]
        + [
            (f"held-out {k} cases, {tag}", [r for r in rows if r.split == "held-out" and r.kind == k and tag in r.name])
            for k, tag in (("transfer", "pinned"), ("transfer", "pageable"), ("pipeline", "prequeued"),
                           ("pipeline", "live"))
        ]
        + [("calibration (fitted, not accuracy)",
            [r for r in rows if r.split == "calibration" and r.kind != ANALYSED])]
    ):
        s = stats(subset)
        if s.n:
            lines.append(
                f"| {label} | {s.n} | {s.mean_abs_error:.1%} | {s.max_abs_error:.1%} | "
                f"{s.log_correlation:.3f} | {s.within_10:.0%} | {s.within_25:.0%} |"
            )
    return lines


def repeatability_section(data_path: Path) -> list[str]:
    """Run-to-run differences against repeat runs kept in ``validation/data/repeat/<stem>-run*.json``."""
    from validation.repeatability import differences, table

    repeats = sorted((data_path.parent / "repeat").glob(f"{data_path.stem}-run*.json"))
    if not repeats:
        return []
    out = ["## Repeatability (the noise floor)", "",
           f"The same harness run again on the same GPU (`{repeats[0].relative_to(ROOT)}`) against the data "
           "above: relative differences of the medians. Model errors within these are noise.", ""]
    out += table(differences(load_document(data_path), load_document(repeats[0])))
    return [*out, ""]


def render(document: dict[str, Any], rows: Sequence[Row], data_path: Path, notes: str = "") -> str:
    """docs/validation.md from the rows: generated, never edited by hand."""
    dev = document.get("device", {})
    out = [
        "# Validation: gpusim against a real GPU",
        "",
        "Generated by `python -m validation.compare` from "
        f"`{data_path.relative_to(ROOT) if data_path.is_relative_to(ROOT) else data_path}`; do not edit by hand.",
        "",
        f"Device: {dev.get('name', '?')} (compute capability {dev.get('compute_capability', '?')}, "
        f"{dev.get('attributes', {}).get('multiprocessor_count', '?')} SMs); model `{document.get('gpu_model')}`; "
        f"measured {document.get('timestamp_utc', '?')}.",
        "",
        "Kernel times are CUDA-event times with host dispatch hidden behind a GPU spin kernel (median of "
        "repeats); predictions are `gpusim.predict_kernel` on the same spec and parameters (warm L2). "
        "Statistics are over the held-out cases; calibration cases fitted the model's few physical "
        "parameters (`validation/calibrate.py`) and are listed apart.",
        "",
        "## Summary",
        "",
    ]
    out += _stats_table(rows)
    out += ["", f"![predicted vs measured]({SCATTER.name})", ""]
    out += repeatability_section(data_path)
    if notes:
        out += ["## Where the model is off, and why", "", notes.strip(), ""]
    out += [
        "## Every case",
        "",
        "| case | kind | split | measured | predicted | error |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    for r in sorted(rows, key=lambda r: (r.kind, r.split, r.name)):
        out.append(
            f"| {r.name} | {r.kind} | {r.split} | {_fmt_time(r.measured_s)} | {_fmt_time(r.predicted_s)} | "
            f"{r.error:+.1%} |"
        )
    return "\n".join(out) + "\n"


def scatter(rows: Sequence[Row], path: Path) -> None:
    """Predicted-vs-measured scatter (log-log) with the y = x line and +-25% bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 6))
    styles = (("kernel", "o", "C0"), ("transfer", "s", "C1"), ("pipeline", "^", "C2"), ("concurrency", "D", "C3"),
              (ANALYSED, "x", "C4"))
    for kind, marker, colour in styles:
        for split in ("held-out", "calibration"):
            sub = [r for r in rows if r.kind == kind and r.split == split]
            if not sub:
                continue
            xs, ys, label = [r.measured_s for r in sub], [r.predicted_s for r in sub], f"{kind} ({split})"
            if marker == "x":
                ax.scatter(xs, ys, marker=marker, color=colour, label=label, alpha=0.8)
            else:
                face = colour if split == "held-out" else "none"
                ax.scatter(xs, ys, marker=marker, facecolors=face, edgecolors=colour, label=label, alpha=0.8)
    lo = min(min(r.measured_s, r.predicted_s) for r in rows) / 2
    hi = max(max(r.measured_s, r.predicted_s) for r in rows) * 2
    ax.plot([lo, hi], [lo, hi], "k-", lw=1)
    ax.plot([lo, hi], [lo * 1.25, hi * 1.25], "k:", lw=0.8)
    ax.plot([lo, hi], [lo / 1.25, hi / 1.25], "k:", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("measured time (s)")
    ax.set_ylabel("predicted time (s)")
    ax.set_title("gpusim vs measurement")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latest_data() -> Path:
    dated = re.compile(r".+-\d{4}-\d{2}-\d{2}$")  # <gpu>-<YYYY-MM-DD>.json, not the experiments' files
    files = sorted((p for p in DATA_DIR.glob("*.json") if dated.match(p.stem)), key=lambda p: p.stem[-10:])
    if not files:
        raise GpusimError(f"{DATA_DIR}: no measurement files (run validation/run.py on a GPU first)")
    return files[-1]


NOTES_FILE = ROOT / "validation" / "notes.md"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation.compare", description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, help="measurement JSON (default: newest in validation/data)")
    parser.add_argument("--doc", type=Path, default=DOC, help="markdown file to write")
    parser.add_argument("--no-write", action="store_true", help="print the statistics only")
    parser.add_argument("--no-analysed", action="store_true",
                        help="skip the analysed specs (gpusim analyze on each Numba kernel; needs libNVVM)")
    args = parser.parse_args(argv)
    try:
        path = args.data or latest_data()
        document = load_document(path)
        rows = compare(document, analysed=not args.no_analysed)
    except GpusimError as exc:
        print(f"compare: error: {exc}", file=sys.stderr)
        return 2
    for line in _stats_table(rows):
        print(line)
    if not args.no_write:
        notes = NOTES_FILE.read_text() if NOTES_FILE.exists() else ""
        scatter(rows, args.doc.parent / SCATTER.name)
        args.doc.write_text(render(document, rows, path, notes))
        print(f"wrote {args.doc} and {args.doc.parent / SCATTER.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The model side of each measured kernel case: the shipped example spec with the case's parameters.

Measured and predicted runs share one description: ``examples/kernels/<spec>.yaml`` takes the case's
sizes, grid and block as parameter overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpusim.kernels import KernelSpec, load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "kernels"


def _x(dim: Any) -> int:
    return int(dim[0]) if isinstance(dim, list | tuple) else int(dim)


def spec_source(case: dict[str, Any]) -> tuple[str, dict[str, float]]:
    """(example spec name, parameter overrides) for a kernel case of ``validation.cases``."""
    family, variant = case["family"], case["variant"]
    grid, block = _x(case["grid"]), _x(case["block"])
    n = case.get("n_elements", 0)
    if family == "elementwise":
        if variant == "grid_stride":
            return "process_grid_stride", {"n_elements": n, "block": block, "grid": grid}
        return ("process" if variant == "precise" else "process_fast"), {"n_elements": n, "block": block}
    if family == "streaming":
        return variant, {"n_elements": n, "block": block}
    if family == "reduction":
        return "reduction", {"n_elements": n, "grid": grid}
    if family in ("sgemm", "transpose"):
        return f"{family}_{variant}", {"n": case["n"]}
    if family == "fma":
        name = "fma_fp32" if case["dtype"] == "float32" else "fma_fp64"
        return name, {"iters": case["iters"], "chains": case["chains"], "grid": grid, "block": block}
    if family == "special":
        return "sfu_loop", {"iters": case["iters"], "chains": case["chains"], "grid": grid, "block": block}
    if family == "strided":
        return "strided_read", {"n_elements": n, "stride": case["stride"], "block": block}
    if family == "gather":
        return "random_gather", {"n_elements": n, "block": block}
    if family == "shared_stage":
        return "shared_limited", {"n_elements": n, "per_block": case["elements_per_block"], "block": block}
    if family == "divergence":
        return "divergent", {
            "iters": case["iters"],
            "divergent": int(variant == "divergent"),
            "grid": grid,
            "block": block,
        }
    if family == "launch":
        return "empty", {"grid": grid, "block": block}
    if family == "latency":
        # The chain touches one 32-byte sector per distinct line it visits: that is its footprint.
        lines = min(case["n_steps"], case["footprint_bytes"] // case["stride_bytes"])
        return "pointer_chase", {"steps": case["n_steps"], "footprint_bytes": 32 * lines}
    raise KeyError(f"no spec for kernel family {family!r}")


def warm_l2(case: dict[str, Any]) -> bool:
    """Whether L2 holds the case's data at launch: repeated launches leave it warm unless the runner
    flushes L2 before each launch."""
    return not case.get("flush_bytes_before_launch")


def spec_for_case(case: dict[str, Any]) -> KernelSpec:
    name, overrides = spec_source(case)
    spec = load_spec(EXAMPLES / f"{name}.yaml", overrides)
    return spec.model_copy(update={"name": case["name"]})

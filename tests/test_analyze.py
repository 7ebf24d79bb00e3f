"""gpusim analyze end to end: compile the validation kernels for sm_90 (libNVVM and ptxas from the NVIDIA
wheels, no GPU), run samples of them on the CPU and check the specs, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gpusim.analyze import analyze_kernel
from gpusim.cli import app
from gpusim.errors import SpecError
from gpusim.hardware import load_model
from gpusim.kernels import KernelSpec, load_spec
from gpusim.predict import predict_kernel

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "validation" / "data" / "h200-2026-11-28.json"


@cache
def _nvvm_reason() -> str:
    """Empty when kernels compile here, else why not (the static tests still run)."""
    from numba import float32

    from gpusim.analyze.compile import compile_ptx

    def k(x):  # pragma: no cover - compiled, never run
        x[0] = 1

    try:
        compile_ptx(k, (float32[:],))
    except SpecError as exc:
        return str(exc)
    return ""


needs_nvvm = pytest.mark.skipif("_nvvm_reason()", reason="libNVVM is not installed (see docs/analyze.md)")


@cache
def _cases() -> dict[str, dict[str, Any]]:
    from validation.cases import kernel_cases

    tiny = {c["name"]: c for c in kernel_cases(132, "tiny")}
    full = {e["case"]["name"]: e["case"] for e in json.loads(DATA.read_text())["measurements"] if e["kind"] == "kernel"}
    return {**tiny, **full}


def _spec(name: str) -> KernelSpec:
    from validation.analyzed import analyzed_spec_for_case

    return analyzed_spec_for_case(_cases()[name])


def _phase(spec: KernelSpec, contains: str, **match: float) -> Any:
    for p in spec.phases:
        if contains in p.name and all(abs(getattr(p, k) - v) < 1e-6 for k, v in match.items()):
            return p
    raise AssertionError(f"no phase {contains!r} {match} in {[p.name for p in spec.phases]}")


@needs_nvvm
def test_every_workload_kernel_analyses() -> None:
    from validation.cases import kernel_cases

    h200 = load_model("h200")
    kernels = set()
    for case in kernel_cases(132, "tiny"):
        spec = _spec(case["name"])
        assert predict_kernel(spec, h200).time_s > 0
        kernels.add(case["family"] + case["variant"])
    assert len(kernels) == 24


@needs_nvvm
def test_divergence_by_lane_and_by_warp() -> None:
    lanes = _spec("divergence_divergent_i8_g2x64")
    warps = _spec("divergence_uniform_i8_g2x64")
    fmas_lanes = [p for p in lanes.phases if p.instructions.fp32 >= 1 and p.trips > 1]
    fmas_warps = [p for p in warps.phases if p.instructions.fp32 >= 1 and p.trips > 1]
    assert fmas_lanes and all(p.lane_fraction == 0.5 and p.warp_fraction == 1 for p in fmas_lanes)
    assert fmas_warps and all(p.lane_fraction == 1 and p.warp_fraction == 0.5 for p in fmas_warps)


@needs_nvvm
def test_reduction_shared_memory_barriers_and_atomic() -> None:
    spec = _spec("reduction_grid_stride_n67108864_g528")
    assert spec.shared_memory_bytes_per_block == 1024 and spec.registers_per_thread >= 16
    assert sum(p.barriers * p.trips * p.warp_fraction for p in spec.phases) == 8 + 1  # after the store, tree
    atomics = [(p, a) for p in spec.phases for a in p.memory if a.op == "atomic"]
    assert len(atomics) == 1
    p, a = atomics[0]
    assert a.same_address and p.warp_fraction == pytest.approx(1 / 8) and p.lane_fraction == pytest.approx(1 / 32)
    loop = max(spec.phases, key=lambda p: p.trips)
    assert loop.trips * 4 == pytest.approx(2**26 / (528 * 256), rel=0.01)  # unrolled by 4 in PTX


@needs_nvvm
def test_sgemm_tiled_loop_as_in_sass() -> None:
    spec = _spec("sgemm_tiled_n1024")
    loop = max(spec.phases, key=lambda p: p.trips)
    shared_loads = [a for a in loop.memory if a.space == "shared" and a.op == "load"]
    assert len(shared_loads) == 20  # 16 LDS of the B tile's column, 4 LDS.128 of the A tile's row
    vectors = [a for a in shared_loads if a.bytes_per_thread != 4]
    assert len(vectors) == 4 and all(a.bytes_per_thread == 8 and a.bank_conflict_ways == 1 for a in vectors)  # 2
    assert loop.independent_chains == 1  # the 16 FMAs through acc
    assert loop.instructions.fp32 == 16 and loop.instructions.int32 == pytest.approx(37)  # SASS: 39


@needs_nvvm
@pytest.mark.parametrize(("case", "pattern", "stride"), [
    ("strided_s8_n67108864", "strided", 8),
    ("strided_s1_n67108864", "coalesced", 1),
    ("transpose_naive_n8192", "strided", 8192),
])
def test_access_patterns(case: str, pattern: str, stride: int) -> None:
    spec = _spec(case)
    accesses = [a for p in spec.phases for a in p.memory if a.space == "global"]
    assert any(a.pattern == pattern and a.stride_elements == stride for a in accesses)


@needs_nvvm
def test_block_footprints_are_measured() -> None:
    strided = _spec("strided_s8_n67108864")
    load = next(a for p in strided.phases for a in p.memory if a.op == "load")
    assert load.block_footprint_bytes == 256 * 32  # a sector per thread, none shared within the block
    tiled = _spec("sgemm_tiled_n1024")
    a_tile = next(a for p in tiled.phases for a in p.memory if a.op == "load")
    assert a_tile.block_footprint_bytes == 16 * 1024 * 4  # 16 rows of A over the block's life


@needs_nvvm
def test_gather_is_random_and_dependent_and_footprints_scale() -> None:
    spec = _spec("gather_n67108864")
    loads = [a for p in spec.phases for a in p.memory if a.op == "load"]
    assert [a.pattern for a in loads] == ["coalesced", "random"]
    assert loads[1].dependent and not loads[0].dependent
    assert all(a.footprint_bytes == 4 * 2**26 for a in loads)  # the sample scaled to the grid, capped by x


@needs_nvvm
def test_pointer_chase_one_thread() -> None:
    spec = _spec("pointer_chase_l2_16384k_s256")
    loads = [(p, a) for p in spec.phases for a in p.memory if a.op == "load"]
    assert all(a.dependent and a.pattern == "random" for _, a in loads)
    steps = sum(p.trips * a.count for p, a in loads)
    assert steps == 32768
    assert sum(a.footprint_bytes for _, a in loads) >= 32 * 32768  # one sector per distinct line


# Within 15% of the hand-written spec's prediction on h200 (a sample; every case: docs/analyze.md, "Agreement").
AGREE = ["copy_n67108864", "saxpy_n16777216", "elementwise_fast_n67108864", "reduction_grid_stride_n67108864_g528",
         "fma_f32_chains1_i16384_g1056x256", "fma_f64_chains4_i4096_g1056x256", "special_sin_chains4_i2048_g1056x256",
         "divergence_divergent_i16384_g1056x256", "shared_stage_48k_n67104768", "empty_g65536x256",
         "transpose_naive_n8192", "sgemm_tiled_n256", "sgemm_tiled_n1024", "sgemm_tiled_n4096", "sgemm_naive_n1024"]


@needs_nvvm
@pytest.mark.parametrize("name", AGREE)
def test_agrees_with_the_hand_written_spec(name: str) -> None:
    from validation.specs import spec_for_case, warm_l2

    case = _cases()[name]
    h200 = load_model("h200")
    hand = predict_kernel(spec_for_case(case), h200, warm_l2=warm_l2(case)).time_s
    analysed = predict_kernel(_spec(name), h200, warm_l2=warm_l2(case)).time_s
    assert analysed == pytest.approx(hand, rel=0.15)


# --- the command line -----------------------------------------------------------------------------

KERNELS = '''
from numba import cuda


@cuda.jit
def scale(out, x, a, n):
    i = cuda.grid(1)
    if i < n:
        out[i] = a * x[i]


@cuda.jit
def shuffle(out, x):
    i = cuda.grid(1)
    v = x[i]
    v += cuda.shfl_down_sync(0xFFFFFFFF, v, 1)
    out[i] = v
'''

runner = CliRunner()


@needs_nvvm
def test_cli_analyze_then_predict(tmp_path: Path) -> None:
    src = tmp_path / "kernels.py"
    src.write_text(textwrap.dedent(KERNELS))
    out = tmp_path / "scale.yaml"
    result = runner.invoke(app, ["analyze", f"{src}:scale", "--signature", "float32[:], float32[:], float32, int64",
                                 "--grid", "40", "--block", "256", "--args", "10000; 10000:uniform=0,1; 2; 10000",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    spec = load_spec(out)
    assert spec.grid == (40, 1, 1) and spec.registers_per_thread > 0
    assert out.read_text().startswith("# analysed by gpusim analyze")
    body = [p for p in spec.phases if p.memory]
    assert body and body[0].warp_fraction == pytest.approx(313 / 320, rel=0.02)  # 10000 of 10240 threads
    predicted = runner.invoke(app, ["predict", str(out), "--json"])
    assert predicted.exit_code == 0 and json.loads(predicted.stdout)["time_s"] > 0


@needs_nvvm
def test_cli_unsupported_construct_is_one_line_with_file_line_kernel(tmp_path: Path) -> None:
    src = tmp_path / "kernels.py"
    src.write_text(textwrap.dedent(KERNELS))
    proc = subprocess.run([sys.executable, "-m", "gpusim.cli", "analyze", f"{src}:shuffle", "--signature",
                           "float32[:], float32[:]", "--grid", "1", "--block", "32", "--args", "32; 32"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "kernels.py:16: kernel shuffle:" in lines[0] and "shfl.sync" in lines[0]


def test_cli_argument_errors(tmp_path: Path) -> None:
    src = tmp_path / "kernels.py"
    src.write_text("x = 1\n")
    result = runner.invoke(app, ["analyze", f"{src}:nope", "--signature", "int32", "--grid", "1", "--block", "1"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["analyze", f"{src}:x", "--signature", "int32", "--grid", "0", "--block", "1"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["analyze", f"{src}:x", "--signature", "int32", "--grid", "1", "--block", "1",
                                 "--arch", "sm_75"])
    assert result.exit_code == 2


@needs_nvvm
def test_python_api_with_numpy_arrays() -> None:
    import numpy as np

    from validation.workloads.streaming import copy

    x = np.arange(1000, dtype=np.float32)
    out = np.zeros_like(x)
    analysis = analyze_kernel(copy, (out, x), 4, 256)
    assert analysis.resources.source.startswith("ptxas")
    assert not out.any()  # the example arguments are never written
    assert [a.op for p in analysis.spec.phases for a in p.memory] == ["load", "store"]

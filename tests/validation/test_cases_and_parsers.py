"""Case lists, the GPU-name mapping and the PTX/SASS parsers: plain Python, no numba import."""

from __future__ import annotations

import pytest

from validation.asm import ptx_opcode_counts, sass_loops, sass_opcode_counts
from validation.cases import (
    KIB,
    concurrency_cases,
    kernel_cases,
    launch_chain_cases,
    pipeline_cases,
    transfer_cases,
)
from validation.run import gpusim_model_name, parse_args

L2_BYTES = 60 * 1024**2
FAMILIES = {
    "elementwise",
    "streaming",
    "reduction",
    "sgemm",
    "transpose",
    "fma",
    "special",
    "strided",
    "gather",
    "shared_stage",
    "divergence",
    "launch",
    "latency",
}


@pytest.mark.parametrize("scale", ["full", "tiny"])
def test_kernel_cases_are_complete_launch_descriptions(scale: str) -> None:
    cases = kernel_cases(132, scale)
    assert {c["family"] for c in cases} == FAMILIES
    assert len({c["name"] for c in cases}) == len(cases)
    for c in cases:
        assert len(c["grid"]) == 3 and len(c["block"]) == 3
        threads = c["grid"][0] * c["grid"][1] * c["grid"][2] * c["block"][0] * c["block"][1] * c["block"][2]
        assert c["n_threads"] == threads
        assert c["bytes_per_element"] in (4, 8)
        assert c["block"][0] * c["block"][1] * c["block"][2] <= 1024
        for key in ("n_elements", "dynamic_shared_bytes", "static_shared_bytes", "iters", "stride", "dtype"):
            assert key in c, (c["name"], key)


def test_full_scale_streams_past_l2_and_has_launch_bound_cases() -> None:
    cases = kernel_cases(132, "full")
    footprints = [c["n_elements"] * c["bytes_per_element"] for c in cases if c["family"] == "streaming"]
    assert max(footprints) >= 4 * L2_BYTES
    assert min(c["n_elements"] for c in cases if c["family"] == "elementwise") <= 1024
    grids = [c["grid"][0] for c in cases if c["family"] == "elementwise"]
    assert 1 in grids and any(1 < g < 132 for g in grids)
    chase = {c["level"]: c["footprint_bytes"] for c in cases if c["family"] == "latency"}
    assert chase["l1"] <= 64 * KIB < chase["l2"] < L2_BYTES < chase["dram"]


def test_strided_cases_use_power_of_two_sizes() -> None:
    strided = [c for c in kernel_cases(132, "full") if c["family"] == "strided"]
    assert sorted(c["stride"] for c in strided) == [1, 2, 4, 8, 16, 32, 64]
    assert all(c["n_elements"] & (c["n_elements"] - 1) == 0 for c in strided)


def test_shared_stage_cases_divide_their_arrays() -> None:
    for c in kernel_cases(132, "full"):
        if c["family"] == "shared_stage":
            assert c["n_elements"] == c["grid"][0] * c["elements_per_block"]
            assert c["dynamic_shared_bytes"] == 4 * c["elements_per_block"]


def test_stream_cases() -> None:
    transfers = transfer_cases("full")
    sizes = {c["size_bytes"] for c in transfers}
    assert {4 * KIB, 64 * KIB, 1024**2, 1024**3} <= sizes
    assert {(c["host_memory"], c["direction"]) for c in transfers} == {
        (m, d) for m in ("pinned", "pageable") for d in ("h2d", "d2h", "both")
    }
    pipelines = pipeline_cases(132, "full")
    assert {(c["pipeline"], c["n_batches"]) for c in pipelines} == {(p, b) for p in "ABC" for b in (1, 8, 32)}
    for c in pipelines:
        assert c["batch_elements"] * c["n_batches"] == c["total_elements"]
        assert c["kernel"]["n_elements"] <= c["kernel"]["n_threads"]
    conc = concurrency_cases(132, "full")
    assert {c["kernel"]["grid"][0] for c in conc} == {66, 8 * 132}
    assert {c["submission"] for c in launch_chain_cases("full")} == {"live", "prequeued"}


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="scale"):
        kernel_cases(132, "huge")


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("NVIDIA H200", "h200"),
        ("NVIDIA H100 80GB HBM3", "h100"),
        ("NVIDIA A100-SXM4-80GB", "a100"),
        ("NVIDIA A100 80GB PCIe", "a100-pcie"),
        ("NVIDIA A100-PCIE-40GB", "a100-pcie"),
    ],
)
def test_known_gpus_map_to_models(name: str, model: str) -> None:
    assert gpusim_model_name(name) == (model, None)


def test_unknown_gpu_gets_its_own_name_and_a_warning() -> None:
    model, warning = gpusim_model_name("NVIDIA GeForce RTX 4090")
    assert model == "nvidia-geforce-rtx-4090"
    assert warning and "RTX 4090" in warning


def test_only_rejects_unknown_sections() -> None:
    assert parse_args(["--only", "transfers,kernels"]).sections == ["kernels", "transfers"]
    with pytest.raises(SystemExit):
        parse_args(["--only", "kernels,graphs"])


SASS = """
        /*0000*/                   LDC R1, c[0x0][0x28] ;
        /*0010*/                   S2R R2, SR_TID.X ;
        /*0020*/              @!P0 BRA `(.L_x_1) ;
.L_x_0:
        /*0030*/                   FFMA R0, R0, R4, R5 ;
        /*0040*/                   FFMA R0, R0, R4, R5 ;
        /*0050*/                   IADD3 R8, P0, R8, 0x1, RZ ;
        /*0060*/                   ISETP.GE.U32.AND P1, PT, R8, R9, PT ;
        /*0070*/              @!P1 BRA `(.L_x_0) ;
.L_x_1:
        /*0080*/                   STG.E desc[UR4][R2.64], R0 ;
        /*0090*/                   EXIT ;
.L_x_2:
        /*00a0*/                   BRA `(.L_x_2);
"""

PTX = """
	// a comment line: mov.u32 %r1, 2;
	mov.u32 	%r1, %tid.x;
	@%p1 bra 	$L__BB0_2;
	fma.rn.f32 	%f2, %f1, %f3, %f4;
	fma.rn.f32 	%f5, %f2, %f3, %f4;
	ret;
"""


def test_sass_counts_and_loops() -> None:
    assert sass_opcode_counts(SASS)["ISETP.GE.U32.AND"] == 1
    base = sass_opcode_counts(SASS, base_only=True)
    assert base == {"BRA": 3, "FFMA": 2, "LDC": 1, "S2R": 1, "IADD3": 1, "ISETP": 1, "STG": 1, "EXIT": 1}
    loops = sass_loops(SASS)
    body = {"FFMA": 2, "IADD3": 1, "ISETP": 1, "BRA": 1}
    assert loops == [{"label": ".L_x_0", "n_instructions": 5, "opcodes": body}]


def test_ptx_counts_skip_comments() -> None:
    assert ptx_opcode_counts(PTX) == {"fma.rn.f32": 2, "mov.u32": 1, "bra": 1, "ret": 1}

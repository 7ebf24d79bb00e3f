"""gpusim analyze: ptxas's load vectorisation, shared-memory wavefronts, scaled-index adds and chains.

No compiler needed: hand-written PTX. The expected vectors are what ptxas 13 (sm_90) made of the same
PTX (checked with nvdisasm when the rules were written; see docs/analyze.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.analyze.build import independent_chains, shared_width_and_ways
from gpusim.analyze.fold import scaled_index_adds
from gpusim.analyze.interp import Interpreter
from gpusim.analyze.memory import GlobalMemory
from gpusim.analyze.ptx import parse_kernel
from gpusim.analyze.sample import make_lanes
from gpusim.analyze.trace import Trace
from gpusim.analyze.vectorize import load_groups, plan, register_alignment, symbol_alignment
from gpusim.hardware import load_model

HEAD = """
.version 8.0
.target sm_90
.address_size 64
{shared}
.visible .entry k(.param .u64 k_param_0, .param .u64 k_param_1)
{{
	.reg .pred 	%p<4>;
	.reg .b16 	%rs<20>;
	.reg .b32 	%r<20>;
	.reg .f32 	%f<40>;
	.reg .f64 	%fd<20>;
	.reg .b64 	%rd<40>;
	ld.param.u64 	%rd1, [k_param_0];
	cvta.to.global.u64 	%rd2, %rd1;
	mov.u32 	%r1, %tid.x;
	mul.wide.u32 	%rd3, %r1, {row};
	mov.u64 	%rd4, {array};
	add.s64 	%rd5, %rd4, %rd3;
	add.s64 	%rd6, %rd2, %rd3;
	and.b64 	%rd7, %rd6, -16;
	setp.lt.u32 	%p1, %r1, 7;
{body}
	ret;
}}
"""
SHARED = ".shared .align 16 .b8 tile[8192];"


def _ptx(body: list[str], shared: str = SHARED, array: str = "tile", row: int = 64) -> str:
    return HEAD.format(shared=shared, array=array, row=row, body="\n".join("\t" + line for line in body))


def _loads(offsets: tuple[int, ...], t: str = "f32", base: str = "%rd5", space: str = "shared") -> list[str]:
    reg = {"f32": "%f", "f64": "%fd", "u16": "%rs", "u8": "%rs"}[t]
    size = {"f32": 4, "f64": 8, "u16": 2, "u8": 1}[t]
    return [f"ld.{space}.{t} 	{reg}{k + 1}, [{base}+{o * size}];" for k, o in enumerate(offsets)]


def _widths(ptx: str) -> list[int]:
    return sorted(v.nbytes for v in load_groups(parse_kernel(ptx)))


@pytest.mark.parametrize(("offsets", "t", "widths"), [
    (tuple(range(16)), "f32", [16, 16, 16, 16]),  # the tiled SGEMM's row of the A tile: 4 LDS.128
    ((1, 2, 3), "f32", [16]),  # three of four: ptxas over-reads the fourth
    ((0, 1, 3), "f32", [16]),
    ((1, 2), "f32", []),  # adjacent but across an 8-byte boundary
    ((2, 3), "f32", [8]),
    ((0, 2), "f32", []),
    ((1, 2, 3, 4, 5, 6, 7, 8, 9), "f32", [8, 16, 16]),
    ((0, 1), "f64", [16]),
    ((1, 2), "f64", []),
    ((0, 1, 2), "f64", [16]),
    ((0, 1, 2), "u16", [8]),  # vectors hold at most four elements
    ((0, 1, 2, 3, 4, 5, 6, 7), "u16", [8, 8]),
    ((4, 5), "u16", [4]),
    ((0, 1, 2, 3), "u8", []),  # bytes are never merged
])
def test_vectors_follow_ptxas(offsets: tuple[int, ...], t: str, widths: list[int]) -> None:
    assert _widths(_ptx(_loads(offsets, t))) == widths


def test_vector_starts_at_its_aligned_chunk() -> None:
    k = parse_kernel(_ptx(_loads((1, 2, 3))))
    (v,) = load_groups(k)
    first = k.instructions[v.leader]
    assert first.operands[1] == "[%rd5+4]" and v.shift == -4 and len(v.members) == 3
    assert plan(k) == {v.members[0]: (16, -4), v.members[1]: None, v.members[2]: None}


def test_alignment_comes_from_the_layout_and_the_index_arithmetic() -> None:
    # a 68-byte row (a padded 16 x 17 tile): rows are only 4-byte aligned, nothing is merged
    assert _widths(_ptx(_loads(tuple(range(16))), row=68)) == []
    # a row of 72 bytes is 8-byte aligned: pairs only
    assert _widths(_ptx(_loads(tuple(range(16))), row=72)) == [8] * 8
    # static shared arrays in declaration order at their declared alignment: after 12 bytes, 4-aligned;
    # after 8 bytes, 8-aligned; after 16, 16-aligned; a dynamic one is only its declared alignment
    for first, widths in ((12, []), (8, [8] * 8), (16, [16] * 4)):
        shared = f".shared .align 4 .b8 small[{first}];\n.shared .align 4 .b8 tile[1024];"
        assert _widths(_ptx(_loads(tuple(range(16))), shared=shared)) == widths
    dynamic = _ptx(_loads(tuple(range(16))), shared=".extern .shared .align 4 .b8 tile[];")
    assert symbol_alignment(parse_kernel(dynamic)) == {"tile": 4}
    assert _widths(dynamic) == []
    k = parse_kernel(_ptx(_loads((0,))))
    assert register_alignment(k)["%rd5"] == 16 and register_alignment(k)["%rd6"] == 1


def test_global_loads_need_a_proven_alignment() -> None:
    # Numba's data pointers are parameters of unknown alignment: stays scalar
    assert _widths(_ptx(_loads((0, 1, 2, 3), base="%rd6", space="global"))) == []
    # masked to 16 bytes: LDG.E.128, three of four included
    assert _widths(_ptx(_loads((1, 2, 3), base="%rd7", space="global"))) == [16]
    assert _widths(_ptx(_loads((0, 1, 2, 3), base="%rd7", space="global.nc"))) == [16]


@pytest.mark.parametrize(("between", "widths"), [
    ("st.shared.f32 	[tile+4096], %f1;", [8, 8]),  # any shared store splits shared loads
    ("st.global.f32 	[%rd6], %f1;", [16]),  # a global store does not
    ("bar.sync 	0;", [8, 8]),
    ("add.s64 	%rd5, %rd5, 0;", [8, 8]),  # the base changes (same value, another definition)
])
def test_what_separates_loads(between: str, widths: list[int]) -> None:
    loads = _loads((0, 1, 2, 3))
    assert _widths(_ptx([*loads[:2], between, *loads[2:]])) == widths


def test_guarded_loads_merge_only_under_the_same_guard_and_offsets_through_adds() -> None:
    loads = _loads((0, 1, 2, 3))
    assert _widths(_ptx(loads[:2] + ["@%p1 " + line for line in loads[2:]])) == [8, 8]
    assert _widths(_ptx(["@%p1 " + line for line in loads])) == [16]
    # [%rd5], [%rd5+4], then %rd9 = %rd5 + 8: [%rd9], [%rd9+4] is the same chunk
    body = [*loads[:2], "add.s64 \t%rd9, %rd5, 8;", "ld.shared.f32 \t%f3, [%rd9];", "ld.shared.f32 \t%f4, [%rd9+4];"]
    assert _widths(_ptx(body)) == [16]


def test_interpreter_records_one_vector_access() -> None:
    body = [*_loads(tuple(range(4))), "add.f32 	%f9, %f1, %f4;", "st.global.f32 	[%rd6], %f9;"]
    k = parse_kernel(_ptx(body, row=16))
    mem = GlobalMemory()
    params = {"k_param_0": np.uint64(mem.add("out", np.zeros(128, "f4"))), "k_param_1": np.uint64(0)}
    interp = Interpreter(k, params, make_lanes((1, 1, 1), (32, 1, 1), [0]), mem)
    trace = interp.run()
    shared = {i: log for i, log in trace.accesses.items() if log.space == "shared"}
    assert len(shared) == 1
    (log,) = shared.values()
    assert log.nbytes == 16 and log.requests.tolist() == [1]
    # 32 lanes x 16 contiguous bytes: a quarter-warp per wavefront
    assert log.wavefronts.tolist() == [4.0]


def _wavefronts(nbytes: int, addresses: np.ndarray) -> float:
    lanes = make_lanes((1, 1, 1), (32, 1, 1), [0])
    t = Trace(parse_kernel(_ptx([])), lanes)
    idx = np.arange(32)
    return float(t._wavefronts(nbytes, lanes.warp[idx], lanes.laneid[idx], addresses.astype(np.uint64))[0])


def test_shared_wavefronts() -> None:
    lane = np.arange(32)
    assert _wavefronts(4, lane * 4) == 1  # conflict-free
    assert _wavefronts(4, lane * 8) == 2  # two words per bank
    assert _wavefronts(4, np.zeros(32)) == 1  # broadcast
    assert _wavefronts(16, lane * 16) == 4  # LDS.128: one quarter-warp per wavefront
    # lanes 0-15 and 16-31 each read one 16-byte chunk: lane pairs agree, packed: 2 (measured on sm_90)
    assert _wavefronts(16, np.where(lane < 16, 0, 32)) == 2
    # lanes n and n+16 read one chunk, 32 bytes apart: 2-way conflicts in every quarter-warp: 8
    assert _wavefronts(16, (lane % 16) * 32) == 8
    assert _wavefronts(8, lane * 8) == 2  # LDS.64: half-warps


@pytest.mark.parametrize(("nbytes", "wavefronts", "expected"), [
    (16, 4.0, (16, 1)), (16, 2.0, (8, 1)), (16, 8.0, (16, 2)), (8, 1.0, (4, 1)), (4, 3.0, (4, 3)), (4, 1.0, (4, 1)),
])
def test_shared_width_and_ways_reproduce_the_wavefronts(nbytes: int, wavefronts: float,
                                                        expected: tuple[int, int]) -> None:
    assert shared_width_and_ways(nbytes, wavefronts) == expected


def test_scaled_index_adds() -> None:
    body = ["shl.b64 	%rd10, %rd3, 2;", "add.s64 	%rd11, %rd2, %rd10;",  # LEA + LEA.HI.X
            "shl.b64 	%rd12, %rd3, 3;", "mul.lo.s64 	%rd13, %rd12, %rd3;",  # used by a multiply: kept
            "shl.b64 	%rd14, %rd3, 4;", "add.s64 	%rd15, %rd14, %rd14;"]  # both operands: kept
    k = parse_kernel(_ptx(body))
    shifts = {k.instructions[i].operands[0] for i in scaled_index_adds(k)}
    assert shifts == {"%rd10"}


def test_chains_follow_the_floating_point_work_not_the_loads() -> None:
    lat = load_model("h200").arch.latency_cycles
    # one FMA chain through %f20 fed by 16 independent loads: one chain
    chain = [*_loads(tuple(range(16)))] + ["mov.f32 	%f20, 0f00000000;"] + [
        f"fma.rn.f32 	%f20, %f{k + 1}, %f{k + 1}, %f20;" for k in range(16)]
    k = parse_kernel(_ptx(chain))
    assert independent_chains(k.instructions, lat) == 1.0
    # four accumulators: four chains
    four = [*_loads(tuple(range(16)))] + [f"fma.rn.f32 	%f{20 + k % 4}, %f{k + 1}, %f{k + 1}, %f{20 + k % 4};"
                                          for k in range(16)]
    assert independent_chains(parse_kernel(_ptx(four)).instructions, lat) == 4.0
    # integer-only work: its own chains (two independent adds)
    ints = ["add.s32 	%r2, %r1, 1;", "add.s32 	%r3, %r1, 2;"]
    assert independent_chains(parse_kernel(_ptx(ints)).instructions, lat) > 1.0

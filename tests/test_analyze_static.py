"""gpusim analyze, the parts that need no compiler: PTX parsing, CFG, classes, folding, patterns, sampling."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.analyze.args import affine, parse_args, uniform
from gpusim.analyze.build import _structural, choose_pattern, dependent_loads, loop_control, ptxas_unrolls
from gpusim.analyze.classify import costs
from gpusim.analyze.fold import analyse
from gpusim.analyze.interp import Interpreter
from gpusim.analyze.memory import GlobalMemory
from gpusim.analyze.ptx import parse_kernel
from gpusim.analyze.sample import choose_blocks, make_lanes
from gpusim.analyze.trace import AccessLog
from gpusim.errors import SpecError

# out[i] = sum of k < n of x[i]; odd lanes take an extra add; written by hand in NVVM's style.
PTX = """
.version 8.0
.target sm_90
.address_size 64
.visible .entry k(
	.param .u64 k_param_0,
	.param .u64 k_param_1,
	.param .u32 k_param_2
)
{
	.reg .pred 	%p<4>;
	.reg .b32 	%r<8>;
	.reg .f32 	%f<6>;
	.reg .b64 	%rd<8>;
	.loc	1 10 0
	ld.param.u64 	%rd1, [k_param_0];
	ld.param.u64 	%rd2, [k_param_1];
	ld.param.u32 	%r1, [k_param_2];
	.loc	1 11 1
	mov.u32 	%r2, %tid.x;
	mul.wide.u32 	%rd3, %r2, 4;
	add.s64 	%rd4, %rd2, %rd3;
	ld.global.f32 	%f1, [%rd4];
	mov.f32 	%f2, 0f00000000;
	mov.u32 	%r3, 0;
$L__BB0_1:
	.loc	1 12 1
	add.f32 	%f2, %f2, %f1;
	add.s32 	%r3, %r3, 1;
	setp.lt.s32 	%p1, %r3, %r1;
	@%p1 bra 	$L__BB0_1;
	.loc	1 13 1
	and.b32 	%r4, %r2, 1;
	setp.eq.s32 	%p2, %r4, 0;
	@%p2 bra 	$L__BB0_4;
	.loc	1 14 1
	add.f32 	%f2, %f2, 0f3F800000;
$L__BB0_4:
	.loc	1 15 1
	add.s64 	%rd5, %rd1, %rd3;
	st.global.f32 	[%rd5], %f2;
	ret;
}
"""


def test_parse_blocks_successors_and_post_dominators() -> None:
    k = parse_kernel(PTX)
    assert [p for p, _ in k.params] == ["k_param_0", "k_param_1", "k_param_2"]
    assert len(k.blocks) == 5
    assert k.blocks[1].successors == [1, 2]  # the loop: back edge first, then the fall-through
    assert k.blocks[2].successors == [4, 3]
    assert k.ipdom[2] == 4 and k.ipdom[1] == 2 and k.ipdom[4] == -1
    assert k.blocks[1].lines == [12]
    assert k.register_type("%rd5") == "b64"


def _run(n_trips: int, threads: int = 64) -> tuple[Interpreter, np.ndarray]:
    k = parse_kernel(PTX)
    mem = GlobalMemory()
    x = np.arange(threads, dtype=np.float32)
    out = np.zeros(threads, dtype=np.float32)
    params = {"k_param_0": np.uint64(mem.add("out", out)), "k_param_1": np.uint64(mem.add("x", x)),
              "k_param_2": np.uint32(n_trips)}
    lanes = make_lanes((1, 1, 1), (threads, 1, 1), [0])
    interp = Interpreter(k, params, lanes, mem)
    interp.run()
    region = mem.regions[0]
    return interp, region.shadow if region.shadow is not None else out


def test_interpreter_follows_loops_and_divergence() -> None:
    interp, out = _run(5)
    expected = 5 * np.arange(64, dtype=np.float32) + (np.arange(64) % 2)
    assert np.array_equal(out, expected)
    t = interp.trace
    assert t.block_execs[1].tolist() == [5, 5]  # the loop body, per warp
    assert t.block_execs[3].tolist() == [1, 1]  # odd lanes: every warp runs the branch
    assert t.block_lanes[3].tolist() == [16, 16]  # with half its lanes
    log = t.accesses[k_index(interp, "ld.global.f32")]
    assert log.requests.tolist() == [1, 1] and log.sectors.tolist() == [4, 4]


def k_index(interp: Interpreter, opcode: str) -> int:
    return next(i.index for i in interp.k.instructions if i.opcode == opcode)


def test_interpreter_never_writes_the_callers_arrays() -> None:
    k = parse_kernel(PTX)
    mem = GlobalMemory()
    out = np.zeros(32, dtype=np.float32)
    params = {"k_param_0": np.uint64(mem.add("out", out)), "k_param_1": np.uint64(mem.add("x", np.ones(32, "f4"))),
              "k_param_2": np.uint32(1)}
    Interpreter(k, params, make_lanes((1, 1, 1), (32, 1, 1), [0]), mem).run()
    assert not out.any()


def test_out_of_bounds_access_names_the_line() -> None:
    k = parse_kernel(PTX)
    mem = GlobalMemory()
    params = {"k_param_0": np.uint64(mem.add("out", np.zeros(64, "f4"))),
              "k_param_1": np.uint64(mem.add("x", np.zeros(8, "f4"))), "k_param_2": np.uint32(1)}
    with pytest.raises(SpecError, match="line 11: out-of-bounds access"):
        Interpreter(k, params, make_lanes((1, 1, 1), (64, 1, 1), [0]), mem).run()


def test_classes_in_sass_equivalents() -> None:
    k = parse_kernel(PTX)
    by_op = {i.text.split()[0] + " " + (i.operands[1] if len(i.operands) > 1 else ""): costs(i)
             for i in k.instructions}
    assert by_op["add.s64 %rd2"] == {"int32": 2.0}  # IADD3 + IADD3.X
    assert by_op["add.f32 %f2"] == {"fp32": 1.0}
    assert by_op["mov.u32 %tid.x"] == {"misc": 1.0}  # S2R
    assert by_op["mov.u32 0"] == {}  # folded into an operand
    assert by_op["ld.global.f32 [%rd4]"] == {}  # a memory access, not an instruction class
    assert by_op["ret "] == {"branch": 1.0}


def test_loop_control_and_unrolling() -> None:
    k = parse_kernel(PTX)
    loop = k.blocks[1]
    control = loop_control(loop)
    assert {k.instructions[i].opcode for i in control} == {"bra", "setp.lt.s32", "add.s32"}
    assert ptxas_unrolls(loop)  # small body, counter steps by a constant


def test_fold_removes_wraparound_of_thread_indices() -> None:
    ptx = PTX.replace(".reg .b64 	%rd<8>;", ".reg .b64 	%rd<10>;").replace(
        "mul.wide.u32 	%rd3, %r2, 4;", """cvt.s64.s32 	%rd6, %r2;
	shr.s64 	%rd7, %rd6, 63;
	add.s64 	%rd8, %rd6, 8;
	mul.wide.u32 	%rd3, %r2, 4;""")
    k = parse_kernel(ptx)
    folded, narrow = analyse(k)
    assert {k.instructions[i].opcode for i in folded} == {"shr.s64"}  # the sign of threadIdx.x is known
    assert "add.s64" in {k.instructions[i].opcode for i in narrow}  # a 32-bit add in SASS


def test_dependent_loads() -> None:
    ptx = PTX.replace("add.s64 	%rd4, %rd2, %rd3;", "add.s64 	%rd4, %rd2, %rd3;\n\tld.global.u32 	%r5, [%rd4];"
                      "\n\tmul.wide.u32 	%rd4, %r5, 4;")
    k = parse_kernel(ptx)
    loads = [i for i in k.blocks[0].instructions if i.base == "ld" and "global" in i.mods]
    assert dependent_loads(k.blocks[0].instructions, loop=False) == {loads[1].index}


def _log(addresses: list[np.ndarray], nbytes: int = 4) -> AccessLog:
    w = 1
    log = AccessLog("global", "load", nbytes, np.zeros(w, np.int64), np.zeros(w, np.int64), np.zeros(w))
    for a in addresses:
        n = a.size
        log.samples.append((np.zeros(n, np.int64), np.arange(n, dtype=np.uint32), a.astype(np.uint64)))
    return log


@pytest.mark.parametrize(("addresses", "sectors", "expected"), [
    (np.arange(32) * 4, 4.0, ("coalesced", 1)),
    (np.arange(32) * 8, 8.0, ("strided", 2)),
    (np.arange(32) * 4096, 32.0, ("strided", 1024)),
    (np.zeros(32), 1.0, ("broadcast", 1)),
    (np.random.default_rng(1).permutation(4096)[:32] * 4, 31.0, ("random", 1)),
    (np.repeat(np.arange(2) * 8192, 16), 2.0, ("broadcast", 1)),  # two rows of a 16 x 16 block
])
def test_patterns(addresses: np.ndarray, sectors: float, expected: tuple[str, int]) -> None:
    assert choose_pattern(_log([addresses]), sectors) == expected


def test_single_lane_requests_use_the_lanes_successive_addresses() -> None:
    chase = [np.array([k * 4096]) for k in (0, 7, 3, 12)]
    assert _structural(_log(chase)) == ("random", 1)
    same = [np.array([64]) for _ in range(4)]
    assert _structural(_log(same)) == ("broadcast", 1)


def test_block_sample_stands_for_the_grid() -> None:
    ids, weights = choose_blocks(1000, 6, seed=3)
    assert ids[0] == 0 and ids[-1] == 999 and len(ids) == 6
    assert sum(weights) == pytest.approx(1000)
    assert choose_blocks(4, 6) == ([0, 1, 2, 3], [1.0] * 4)


def test_virtual_arrays_and_cli_args() -> None:
    from numba.core import types

    u = uniform(1 << 20, 0.5, 2.0)
    v = u.take(np.array([0, 5, 1 << 19]))
    assert v.dtype == np.float32 and np.all((v >= 0.5) & (v < 2.0))
    perm = affine(16, 5, 3).take(np.arange(16))
    assert sorted(perm.tolist()) == list(range(16))
    ty = (types.float32[:], types.float32, types.int64, types.float32[:, :])
    values = parse_args(["64:uniform=0,1; 2.5", "7", "4x8:fill=1"], ty)
    assert values[0].shape == (64,) and values[1] == np.float32(2.5) and values[2] == 7 and values[3].shape == (4, 8)
    with pytest.raises(SpecError, match="--args item 3"):
        parse_args(["64", "2.5", "x"], ty[:3])

"""PTX instruction -> KernelSpec instruction classes, in SASS-equivalent counts.

A KernelSpec counts what the SM issues (SASS). PTX is one step earlier: ptxas folds some PTX
instructions into operands (parameter loads, moves of constants, ``cvta``), splits others (a 64-bit
add is two 32-bit ones, an IEEE ``div.rn.f32`` is a reciprocal, four FMAs, a check and a branch).
``costs`` gives each PTX instruction its SASS-equivalent counts per class; the table was read off the
sm_90 SASS of the validation kernels (``kernels`` section of ``validation/data/*.json``) and is
documented in ``docs/analyze.md``. Memory instructions, barriers and atomics are not instruction
classes here: `build` turns them into the spec's memory accesses and ``barriers``.
"""

from __future__ import annotations

from gpusim.analyze.ptx import Instruction
from gpusim.errors import SpecError

WIDE_INT = {"b64", "s64", "u64"}
FLOAT16 = {"f16", "bf16", "f16x2", "bf16x2"}

MEMORY_OPS = {"ld", "ldu", "st", "atom", "red"}
NO_COST = {"cvta", "nop", "membar", "fence", "prefetch", "prefetchu", "pmevent"}
INT_OPS = {"add", "sub", "mul", "mad", "min", "max", "abs", "neg", "and", "or", "xor", "not", "cnot", "shl", "shr",
           "shf", "bfe", "bfi", "brev", "popc", "clz", "prmt", "lop3", "selp", "slct", "setp", "set", "copysign",
           "testp", "sad", "addc", "subc", "madc", "mul24", "mad24", "dp4a", "dp2a", "bmsk", "szext", "vote",
           "match", "fns"}
FLOAT_ARITH = {"add", "sub", "mul", "fma", "mad", "neg", "abs"}
ALU_FLOAT = {"min", "max", "setp", "set", "selp", "slct", "testp", "copysign"}  # FSETP/FSEL/FMNMX: ALU pipe
SFU_APPROX = {"sin": 1.0, "cos": 1.0, "ex2": 0.0, "lg2": 0.0, "rsqrt": 0.0, "rcp": 0.0, "sqrt": 0.0, "tanh": 0.0}
SPECIAL_REGS_S2R = ("%tid", "%ctaid", "%laneid", "%warpid", "%smid", "%clock", "%globaltimer", "%lanemask")

Costs = dict[str, float]


def _unsupported(ins: Instruction, what: str = "") -> SpecError:
    return SpecError(f"line {ins.line}: PTX instruction `{ins.text}`{what} is not supported by gpusim analyze")


def _float_type(t: str | None) -> str | None:
    if t == "f32":
        return "fp32"
    if t == "f64":
        return "fp64"
    if t in FLOAT16:
        return "fp16"
    return None


def costs(ins: Instruction) -> Costs:
    """SASS-equivalent instruction counts of one PTX instruction, by KernelSpec class."""
    base, mods, t = ins.base, ins.mods, ins.type_suffix
    if base in MEMORY_OPS:
        space = next((m for m in mods if m in ("param", "const")), None)
        return {"misc": 1.0} if space else {}
    if base in NO_COST or base in ("bar", "barrier"):
        return {}
    if base in ("bra", "ret", "exit"):
        return {"branch": 1.0}
    if base == "mov":
        src = ins.operands[1] if len(ins.operands) > 1 else ""
        return {"misc": 1.0} if src.startswith(SPECIAL_REGS_S2R) else {}
    if base == "cvt":
        types = [m for m in mods if m in ("b8", "s8", "u8", "b16", "s16", "u16", "f16", "bf16", "s32", "u32", "f32",
                                          "s64", "u64", "f64")]
        dst, src = [*types, None, None][:2]
        if dst and src and dst[0] in "su" and src[0] in "su":
            widening_signed = src[0] == "s" and int(dst[1:]) > int(src[1:])
            return {"int32": 1.0} if widening_signed or "sat" in mods else {}
        return {"misc": 1.0}  # I2F, F2I, F2F
    if base in ("and", "or", "xor", "not") and t == "pred":
        return {"misc": 1.0}  # PLOP3
    if base == "mov" or (base in ("selp",) and t == "pred"):
        return {}
    if base in SFU_APPROX and "approx" in mods:
        extra = SFU_APPROX[base]
        out = {"sfu": 1.0}
        if extra:
            out["fp32"] = extra  # range scaling FMUL before MUFU.SIN/COS
        if "ftz" not in mods and base in ("ex2", "lg2", "rsqrt", "rcp", "sqrt"):
            out["fp32"] = out.get("fp32", 0.0) + 2.0  # denormal scaling around the MUFU
            out["int32"] = 1.0
        return out
    if base in ("sqrt", "rcp") and t == "f32":  # IEEE: MUFU.RSQ/RCP, Newton steps, a check, BSSY/BSYNC, a branch
        return {"sfu": 1.0, "fp32": 4.0, "int32": 2.0, "branch": 1.0, "misc": 2.0}
    if base == "div" and t == "f32":
        if "approx" in mods:
            return {"sfu": 1.0, "fp32": 1.0}
        if "full" in mods:
            return {"sfu": 1.0, "fp32": 3.0, "int32": 2.0}
        return {"sfu": 1.0, "fp32": 5.0, "int32": 1.0, "branch": 1.0, "misc": 2.0}  # MUFU.RCP, 5 FFMA, FCHK, BSSY/BSYNC
    if base in ("div", "rcp", "sqrt") and t == "f64":
        return {"sfu": 1.0, "fp64": 8.0, "int32": 3.0, "branch": 1.0}
    if base in ("div", "rem") and t is not None and t[0] in "su":
        if t in WIDE_INT:  # a call to the 64-bit division routine
            return {"int32": 60.0, "sfu": 1.0, "misc": 4.0, "branch": 4.0}
        return {"int32": 14.0, "sfu": 1.0, "misc": 2.0}  # I2F, MUFU.RCP, F2I, IMADs, fix-ups
    kind = _float_type(t)
    if kind and base in ("fma", "mad", "add", "sub", "mul", "neg", "abs"):
        return {kind: 1.0}
    if kind and base in ALU_FLOAT:
        return {"fp64": 1.0} if kind == "fp64" else {"int32": 1.0}
    if base in ("shfl", "activemask", "elect", "bar.warp", "nanosleep"):
        return {"misc": 1.0}
    if base in INT_OPS:
        if base in ("mul", "mad") and "wide" not in mods and t in WIDE_INT:
            return {"int32": 3.0}  # 64-bit multiply: IMAD.WIDE.U32 + two IMADs
        if "wide" in mods:
            return {"int32": 1.0}
        return {"int32": 2.0 if t in WIDE_INT else 1.0}
    if base in ("call", "brx", "trap", "tex", "tld4", "suld", "sust", "wmma", "mma", "wgmma", "cp", "mbarrier"):
        raise _unsupported(ins)
    raise _unsupported(ins, " (unknown opcode)")


def is_fma(ins: Instruction) -> bool:
    return ins.base in ("fma", "mad") and _float_type(ins.type_suffix) is not None

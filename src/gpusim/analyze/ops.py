"""PTX instruction semantics for the interpreter: one factory per opcode, returning ``run(mask)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from gpusim.analyze.interp import NP, _as, _mulhi_u64
from gpusim.analyze.memory import GLOBAL_BASE, LOCAL_WINDOW, REGION_BYTES, SHARED_WINDOW
from gpusim.analyze.ptx import TYPE_BYTES, Instruction
from gpusim.errors import SpecError

if TYPE_CHECKING:
    from gpusim.analyze.interp import Interpreter

Run = Callable[[np.ndarray], None]
Factory = Callable[["Interpreter", Instruction], Run]
HANDLERS: dict[str, Factory] = {}


def handler(*names: str) -> Callable[[Factory], Factory]:
    def register(f: Factory) -> Factory:
        for name in names:
            HANDLERS[name] = f
        return f

    return register


def _type(ins: Instruction) -> str:
    t = ins.type_suffix
    if t is None:
        raise SpecError(f"line {ins.line}: PTX `{ins.text}` has no type")
    return t


def _signed(t: str) -> str:
    return "s" + t[1:] if t[0] in "bu" else t


def _float(t: str) -> bool:
    return t in ("f32", "f64", "f16")


def _sat(x: np.ndarray, ins: Instruction) -> np.ndarray:
    return np.clip(x, 0, 1).astype(x.dtype) if "sat" in ins.mods and x.dtype.kind == "f" else x


def _float_result(x: np.ndarray, t: str) -> np.ndarray:
    return x.astype(NP[t])


# --- arithmetic -----------------------------------------------------------------------------------


@handler("add", "sub", "min", "max", "and", "or", "xor")
def _binary(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    if ins.base in ("add", "sub") and ("cc" in ins.mods):
        raise SpecError(f"line {ins.line}: carry arithmetic `{ins.opcode}` is not supported")
    if t == "pred" or (t[0] == "b" and ins.base in ("and", "or", "xor")):
        rt = "pred" if t == "pred" else "u" + t[1:]
    else:
        rt = t
    a, b = m.reader(ins.operands[1], rt, ins), m.reader(ins.operands[2], rt, ins)
    out = m.writer(ins.operands[0])
    fl = _float(t)
    fn = {"add": np.add, "sub": np.subtract, "min": np.fmin if fl else np.minimum,
          "max": np.fmax if fl else np.maximum, "and": np.logical_and if t == "pred" else np.bitwise_and,
          "or": np.logical_or if t == "pred" else np.bitwise_or,
          "xor": np.logical_xor if t == "pred" else np.bitwise_xor}[ins.base]

    def run(mask: np.ndarray) -> None:
        out(_sat(fn(a(), b()), ins), mask)

    return run


@handler("mul")
def _mul(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    a, b = m.reader(ins.operands[1], t, ins), m.reader(ins.operands[2], t, ins)
    out = m.writer(ins.operands[0])
    if _float(t):
        return lambda mask: out(_sat(a() * b(), ins), mask)
    if "wide" in ins.mods:
        wide = {"s16": "s32", "u16": "u32", "s32": "s64", "u32": "u64"}[t]
        return lambda mask: out(a().astype(NP[wide]) * b().astype(NP[wide]), mask)
    if "hi" in ins.mods:
        if TYPE_BYTES[t] == 8:
            def hi64(mask: np.ndarray) -> None:
                x, y = _as(a(), np.uint64), _as(b(), np.uint64)
                r = _mulhi_u64(x, y)
                if t[0] == "s":
                    r = r - np.where(a() < 0, y, 0).astype(np.uint64) - np.where(b() < 0, x, 0).astype(np.uint64)
                out(r, mask)
            return hi64
        bits = TYPE_BYTES[t] * 8
        return lambda mask: out(((a().astype(np.int64) * b().astype(np.int64)) >> bits).astype(NP[t]), mask)
    return lambda mask: out(a() * b(), mask)


@handler("mad", "fma")
def _mad(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    a, b, c = (m.reader(op, t, ins) for op in ins.operands[1:4])
    out = m.writer(ins.operands[0])
    if "cc" in ins.mods or ins.base == "madc":
        raise SpecError(f"line {ins.line}: carry arithmetic `{ins.opcode}` is not supported")
    if t == "f32":
        return lambda mask: out(_sat((a().astype(np.float64) * b() + c()).astype(np.float32), ins), mask)
    if _float(t):
        return lambda mask: out(_sat(a() * b() + c(), ins), mask)
    if "wide" in ins.mods:
        wide = {"s16": "s32", "u16": "u32", "s32": "s64", "u32": "u64"}[t]
        cw = m.reader(ins.operands[3], wide, ins)
        return lambda mask: out(a().astype(NP[wide]) * b().astype(NP[wide]) + cw(), mask)
    if "hi" in ins.mods:
        if TYPE_BYTES[t] == 8:
            raise SpecError(f"line {ins.line}: `{ins.opcode}` is not supported")
        bits = TYPE_BYTES[t] * 8
        return lambda mask: out((((a().astype(np.int64) * b().astype(np.int64)) >> bits) + c()).astype(NP[t]), mask)
    return lambda mask: out(a() * b() + c(), mask)


@handler("madc")
def _madc(m: Interpreter, ins: Instruction) -> Run:
    return _mad(m, ins)


@handler("div", "rem")
def _div(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    a, b = m.reader(ins.operands[1], t, ins), m.reader(ins.operands[2], t, ins)
    out = m.writer(ins.operands[0])
    if _float(t):
        return lambda mask: out((a() / b()).astype(NP[t]), mask)

    def run(mask: np.ndarray) -> None:
        x, y = a(), b()
        y = np.where(y == 0, 1, y).astype(y.dtype)
        if t[0] == "s":
            q = (np.abs(x) // np.abs(y)).astype(x.dtype)
            q = np.where((x < 0) != (y < 0), -q, q).astype(x.dtype)
        else:
            q = x // y
        out(q if ins.base == "div" else (x - q * y).astype(x.dtype), mask)

    return run


@handler("neg", "abs", "not", "cnot", "popc", "sqrt", "rsqrt", "rcp", "sin", "cos", "ex2", "lg2", "tanh", "clz",
         "brev")
def _unary(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    rt = "pred" if t == "pred" else ("u" + t[1:] if t[0] == "b" else t)
    a = m.reader(ins.operands[1], rt, ins)
    out = m.writer(ins.operands[0])
    base = ins.base
    fns: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "neg": np.negative, "abs": np.abs, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x),
        "rcp": lambda x: 1 / x, "sin": np.sin, "cos": np.cos, "ex2": np.exp2, "lg2": np.log2, "tanh": np.tanh,
        "not": np.logical_not if t == "pred" else np.invert,
        "cnot": lambda x: (x == 0).astype(x.dtype),
        "popc": lambda x: np.bitwise_count(x).astype(np.uint32),
        "clz": lambda x: _clz(x, TYPE_BYTES[t] * 8), "brev": lambda x: _brev(x, TYPE_BYTES[t] * 8),
    }
    fn = fns[base]
    if _float(t):
        return lambda mask: out(_sat(fn(a()).astype(NP[t]), ins), mask)
    return lambda mask: out(fn(a()), mask)


def _clz(x: np.ndarray, bits: int) -> np.ndarray:
    v = x.astype(np.uint64)
    out = np.full(v.shape, bits, dtype=np.uint32)
    for b in range(bits):
        hit = (v >> np.uint64(bits - 1 - b)) & np.uint64(1)
        out = np.where((hit == 1) & (out == bits), b, out).astype(np.uint32)
    return out


def _brev(x: np.ndarray, bits: int) -> np.ndarray:
    v = x.astype(np.uint64)
    r = np.zeros_like(v)
    for b in range(bits):
        r |= ((v >> np.uint64(b)) & np.uint64(1)) << np.uint64(bits - 1 - b)
    return r.astype(x.dtype)


@handler("shl", "shr")
def _shift(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    vt = ("s" + t[1:]) if t[0] == "s" else ("u" + t[1:])
    a, s = m.reader(ins.operands[1], vt, ins), m.reader(ins.operands[2], "u32", ins)
    out = m.writer(ins.operands[0])
    bits = TYPE_BYTES[t] * 8

    def run(mask: np.ndarray) -> None:
        x = a()
        sh = s().astype(np.int64)
        big = sh >= bits
        amt = np.minimum(sh, bits - 1).astype(x.dtype)
        if ins.base == "shl":
            r = np.where(big, 0, x << amt)
        else:
            r = np.where(big, x >> np.array(bits - 1, dtype=x.dtype) if t[0] == "s" else 0, x >> amt)
        out(r.astype(x.dtype), mask)

    return run


@handler("bfi")
def _bfi(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    ut = "u" + t[1:]
    a, b = m.reader(ins.operands[1], ut, ins), m.reader(ins.operands[2], ut, ins)
    pos, length = m.reader(ins.operands[3], "u32", ins), m.reader(ins.operands[4], "u32", ins)
    out = m.writer(ins.operands[0])
    bits = TYPE_BYTES[t] * 8

    def run(mask: np.ndarray) -> None:
        x, y = a().astype(np.uint64), b().astype(np.uint64)
        p, n = pos().astype(np.uint64), length().astype(np.uint64)
        ones = np.where(n >= 64, np.uint64(0xFFFFFFFFFFFFFFFF), (np.uint64(1) << np.minimum(n, 63)) - np.uint64(1))
        field = (ones << np.minimum(p, 63)) & np.uint64((1 << bits) - 1 if bits < 64 else 0xFFFFFFFFFFFFFFFF)
        r = (y & ~field) | ((x << np.minimum(p, 63)) & field)
        out(r.astype(NP[ut]), mask)

    return run


@handler("bfe")
def _bfe(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    a = m.reader(ins.operands[1], t, ins)
    pos, length = m.reader(ins.operands[2], "u32", ins), m.reader(ins.operands[3], "u32", ins)
    out = m.writer(ins.operands[0])
    bits = TYPE_BYTES[t] * 8

    def run(mask: np.ndarray) -> None:
        x = a().astype(np.int64 if t[0] == "s" else np.uint64)
        p = np.minimum(pos(), bits - 1).astype(x.dtype)
        n = np.minimum(length(), bits).astype(np.int64)
        shifted = x >> p
        ones = ((np.ones_like(n, dtype=np.uint64) << n.astype(np.uint64)) - np.uint64(1)).astype(np.uint64)
        r = shifted.astype(np.uint64) & ones
        if t[0] == "s":
            sign = (r >> np.maximum(n - 1, 0).astype(np.uint64)) & np.uint64(1)
            r = np.where((sign == 1) & (n > 0), r | ~ones, r)
        out(np.where(n == 0, 0, r).astype(NP[t]), mask)

    return run


# --- compare, select, convert, move ---------------------------------------------------------------

_CMP = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
        "ge": np.greater_equal, "lo": np.less, "ls": np.less_equal, "hi": np.greater, "hs": np.greater_equal}


def _compare(op: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if op in _CMP:
        return _CMP[op](x, y)
    if op.endswith("u") and op[:-1] in _CMP:  # unordered: true where either is NaN
        return _CMP[op[:-1]](x, y) | np.isnan(x) | np.isnan(y)
    if op == "num":
        return ~(np.isnan(x) | np.isnan(y))
    if op == "nan":
        return np.isnan(x) | np.isnan(y)
    raise KeyError(op)


@handler("setp", "set")
def _setp(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    cmp = ins.mods[0]
    boolop = next((b for b in ("and", "or", "xor") if b in ins.mods), None)
    src_t = t if ins.base == "setp" else [x for x in ins.mods if x in TYPE_BYTES][-1]
    rt = ("u" + src_t[1:]) if (src_t[0] == "b" or cmp in ("lo", "ls", "hi", "hs")) and not _float(src_t) else src_t
    a, b = m.reader(ins.operands[1], rt, ins), m.reader(ins.operands[2], rt, ins)
    c = m.reader(ins.operands[3], "pred", ins) if boolop else None
    dests = ins.operands[0].split("|")
    out_p = m.writer(dests[0])
    out_q = m.writer(dests[1]) if len(dests) > 1 else None
    if ins.base == "set":
        dst_t = next(x for x in ins.mods if x in TYPE_BYTES)
        one = 1.0 if _float(dst_t) else np.array(-1).astype(NP[dst_t])

    def run(mask: np.ndarray) -> None:
        r = _compare(cmp, a(), b())
        q = ~r
        if boolop:
            f = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}[boolop]
            r, q = f(r, c()), f(q, c())
        if ins.base == "set":
            out_p(np.where(r, one, 0).astype(NP[dst_t]), mask)
            return
        out_p(r, mask)
        if out_q:
            out_q(q, mask)

    return run


@handler("selp")
def _selp(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    a, b = m.reader(ins.operands[1], t, ins), m.reader(ins.operands[2], t, ins)
    c = m.reader(ins.operands[3], "pred", ins)
    out = m.writer(ins.operands[0])
    return lambda mask: out(np.where(c(), a(), b()).astype(NP[t]), mask)


_ROUND = {"rni": np.rint, "rzi": np.trunc, "rmi": np.floor, "rpi": np.ceil}


@handler("cvt")
def _cvt(m: Interpreter, ins: Instruction) -> Run:
    types = [x for x in ins.mods if x in TYPE_BYTES]
    if len(types) != 2:
        raise SpecError(f"line {ins.line}: `{ins.opcode}` is not supported")
    dst_t, src_t = types
    a = m.reader(ins.operands[1], src_t, ins)
    out = m.writer(ins.operands[0])
    rnd = next((r for r in _ROUND if r in ins.mods), None)
    sat = "sat" in ins.mods

    def run(mask: np.ndarray) -> None:
        x = a()
        if _float(dst_t):
            y = x.astype(np.float64)
            if rnd:
                y = _ROUND[rnd](y)
            r = y.astype(NP[dst_t])
            out(_sat(r, ins), mask)
            return
        if _float(src_t):
            y = _ROUND[rnd or "rzi"](x.astype(np.float64))
            info = np.iinfo(NP[dst_t])
            y = np.where(np.isnan(y), 0, np.clip(y, info.min, info.max))
            out(y.astype(NP[dst_t]), mask)
            return
        if sat:
            info = np.iinfo(NP[dst_t])
            out(np.clip(x.astype(np.float64), info.min, info.max).astype(NP[dst_t]), mask)
            return
        out(x.astype(NP[dst_t]), mask)

    return run


@handler("cvta")
def _cvta(m: Interpreter, ins: Instruction) -> Run:
    a = m.reader(ins.operands[1], "u64", ins)
    out = m.writer(ins.operands[0])
    window = SHARED_WINDOW if "shared" in ins.mods else LOCAL_WINDOW if "local" in ins.mods else 0
    to = "to" in ins.mods
    delta = np.uint64(window)
    if to:
        return lambda mask: out(a() - delta, mask)
    return lambda mask: out(a() + delta, mask)


@handler("mov")
def _mov(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    dst, src = ins.operands[0], ins.operands[1]
    if src.startswith("{"):  # pack {lo, hi}
        parts = [p.strip() for p in src.strip("{}").split(",")]
        half = {8: "u32", 4: "u16"}[TYPE_BYTES[t]]
        readers = [m.reader(p, half, ins) for p in parts]
        out = m.writer(dst)
        shift = np.uint64(TYPE_BYTES[t] * 4)

        def pack(mask: np.ndarray) -> None:
            lo, hi = readers[0]().astype(np.uint64), readers[1]().astype(np.uint64)
            out((lo | (hi << shift)).astype(NP["u" + t[1:]]), mask)

        return pack
    if dst.startswith("{"):
        parts = [p.strip() for p in dst.strip("{}").split(",")]
        half = {8: "u32", 4: "u16"}[TYPE_BYTES[t]]
        a = m.reader(src, "u" + t[1:] if t[0] == "b" else t, ins)
        outs = [m.writer(p) for p in parts]
        shift = np.uint64(TYPE_BYTES[t] * 4)

        def unpack(mask: np.ndarray) -> None:
            v = _as(a(), NP["u" + t[1:]]).astype(np.uint64)
            outs[0]((v & ((np.uint64(1) << shift) - np.uint64(1))).astype(NP[half]), mask)
            outs[1]((v >> shift).astype(NP[half]), mask)

        return unpack
    a = m.reader(src, t, ins)
    out = m.writer(dst)
    return lambda mask: out(a(), mask)


# --- memory, barriers, control --------------------------------------------------------------------

_SPACES = ("global", "shared", "local", "param", "const")


def _space(ins: Instruction) -> str:
    return next((s for s in _SPACES if s in ins.mods), "generic")


def _vec(ins: Instruction) -> int:
    return 4 if "v4" in ins.mods else 2 if "v2" in ins.mods else 1


def _record(m: Interpreter, ins: Instruction, space: str, op: str, idx: np.ndarray, addrs: np.ndarray,
            nbytes: int) -> None:
    kind = m._resolve_space(space, addrs)
    if kind.startswith("shared"):
        offs = addrs - np.uint64(SHARED_WINDOW) if kind == "shared_generic" else addrs
        m.trace.access(ins.index, "shared", op, nbytes, idx, offs)
        return
    if kind.startswith("local"):
        # thread-private local memory is interleaved by lane: a warp's access is coalesced
        offs = addrs - np.uint64(LOCAL_WINDOW) if kind == "local_generic" else addrs
        word = offs // np.uint64(4)
        fake = (np.uint64(1 << 40) + word * np.uint64(4 * m.n) + idx.astype(np.uint64) * np.uint64(4)
                + offs % np.uint64(4))
        m.trace.access(ins.index, "global", op, nbytes, idx, fake, region=-2)
        return
    region = int((int(addrs.min()) - GLOBAL_BASE) // REGION_BYTES)
    m.trace.access(ins.index, "global", op, nbytes, idx, addrs, region=region)


@handler("ld", "ldu")
def _ld(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    space = _space(ins)
    n = _vec(ins)
    dsts = [p.strip() for p in ins.operands[0].strip("{}").split(",")]
    outs = [m.writer(d) for d in dsts]
    base, off, sym = m._address(ins.operands[1], ins)
    nbytes = TYPE_BYTES[t]
    if space == "param":
        if sym is None:
            raise SpecError(f"line {ins.line}: parameter load `{ins.text}` is not supported")
        const = _as(np.full(m.n, m.params[sym]), NP[t])
        return lambda mask: outs[0](const, mask)
    if space == "const":
        raise SpecError(f"line {ins.line}: constant memory (`{ins.text}`) is not supported")

    def run(mask: np.ndarray) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        addrs = base()[idx] + np.uint64(off % (1 << 64))
        for k in range(n):
            a = addrs + np.uint64(k * nbytes)
            vals = m.load(space, a, idx, NP[t], ins)
            full = np.zeros(m.n, dtype=NP[t])
            full[idx] = vals
            outs[k](full, mask)
        vector = m.vector_loads.get(ins.index, False)
        if vector is None:
            return  # merged by ptxas into the vector load that an earlier load of its group records
        if vector:
            width, shift = vector
            _record(m, ins, space, "load", idx, addrs + np.uint64(shift % (1 << 64)), width)
        else:
            _record(m, ins, space, "load", idx, addrs, nbytes * n)

    return run


@handler("st")
def _st(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    space = _space(ins)
    srcs = [p.strip() for p in ins.operands[1].strip("{}").split(",")]
    readers = [m.reader(s, t, ins) for s in srcs]
    base, off, _ = m._address(ins.operands[0], ins)
    nbytes = TYPE_BYTES[t]

    def run(mask: np.ndarray) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        addrs = base()[idx] + np.uint64(off % (1 << 64))
        for k, r in enumerate(readers):
            m.store(space, addrs + np.uint64(k * nbytes), idx, r()[idx], ins)
        _record(m, ins, space, "store", idx, addrs, nbytes * len(readers))

    return run


_ATOM = {"add": np.add, "min": np.minimum, "max": np.maximum, "and": np.bitwise_and, "or": np.bitwise_or,
         "xor": np.bitwise_xor, "exch": lambda old, v: v}


@handler("atom", "red")
def _atom(m: Interpreter, ins: Instruction) -> Run:
    t = _type(ins)
    space = _space(ins)
    op = next((o for o in ("add", "min", "max", "and", "or", "xor", "exch", "cas", "inc", "dec") if o in ins.mods),
              None)
    if op not in _ATOM:
        raise SpecError(f"line {ins.line}: atomic `{ins.opcode}` is not supported")
    has_dst = ins.base == "atom"
    addr_op = ins.operands[1] if has_dst else ins.operands[0]
    val = m.reader(ins.operands[2] if has_dst else ins.operands[1], t, ins)
    out = m.writer(ins.operands[0]) if has_dst else None
    base, off, _ = m._address(addr_op, ins)
    fn = _ATOM[op]
    nbytes = TYPE_BYTES[t]

    def run(mask: np.ndarray) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        addrs = base()[idx] + np.uint64(off % (1 << 64))
        values = val()[idx]
        olds = np.zeros(m.n, dtype=NP[t])
        for j, lane in enumerate(idx):  # lanes one after the other, as the hardware serialises them
            a = addrs[j:j + 1]
            one = np.array([lane])
            old = m.load(space, a, one, NP[t], ins)
            m.store(space, a, one, np.asarray(fn(old, values[j:j + 1])).astype(NP[t]), ins)
            olds[lane] = old[0]
        if out:
            out(olds, mask)
        _record(m, ins, space, "atomic", idx, addrs, nbytes)

    return run


@handler("bar", "barrier")
def _bar(m: Interpreter, ins: Instruction) -> Run:
    if not any(x in ins.mods for x in ("sync", "red")) or "red" in ins.mods or "warp" in ins.mods:
        if "warp" in ins.mods:
            return lambda mask: None
        raise SpecError(f"line {ins.line}: `{ins.opcode}` is not supported (only bar.sync / __syncthreads)")
    if len(ins.operands) > 1:
        raise SpecError(f"line {ins.line}: `{ins.text}`: barriers with a thread count are not supported")
    slots = m.lanes.n_slots

    def run(mask: np.ndarray) -> None:
        arrived = np.bincount(m.lanes.slot[mask], minlength=slots)
        live = np.bincount(m.lanes.slot[~m.exited], minlength=slots)
        if np.any((arrived > 0) & (arrived != live)):
            raise m._error(ins, "__syncthreads() reached by only part of a block (a barrier in divergent code)")

    return run


@handler("membar", "fence", "nop", "prefetch", "prefetchu", "pmevent")
def _noop(m: Interpreter, ins: Instruction) -> Run:
    return lambda mask: None


@handler("bra", "ret", "exit")
def _control(m: Interpreter, ins: Instruction) -> Run:
    return lambda mask: None  # handled by the SIMT loop

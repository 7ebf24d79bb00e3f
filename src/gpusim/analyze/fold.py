"""What ptxas folds away: arithmetic on thread indices that it can prove small and non-negative.

Numba indexes with 64-bit signed integers and wraps negative indices (``i + (i >> 63 & n)``); the
PTX keeps all of it, ptxas does not when ``i`` comes from ``threadIdx``: it knows the upper bits are
zero, so the sign tests are constants, the wraparound disappears and 64-bit adds of such values take
one 32-bit instruction. This is a flow-insensitive known-bits pass over registers whose every
definition is derived from ``%tid``/``%ntid`` (bounded by 1024) through conversions, additions,
small multiplications and shifts. ``%ctaid`` is left out: ptxas keeps the wraparound for indices
built from it (the validation kernels' SASS shows both).
"""

from __future__ import annotations

import re

from gpusim.analyze.ptx import Instruction, PtxKernel

SMALL = 1 << 24  # values below this are "small": sums and products of a few of them stay in 32 bits
_SOURCES = ("%tid.", "%ntid.", "%laneid")
_REG = re.compile(r"%[\w.]+")


def _imm(op: str) -> int | None:
    text = op.rstrip("U")
    try:
        return int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text)
    except ValueError:
        return None


def _bound(op: str, small: dict[str, int], const: dict[str, int]) -> int | None:
    """Upper bound of a non-negative operand, or None when unknown or possibly negative."""
    if op.startswith(_SOURCES):
        return 1024
    if op in small:
        return small[op]
    if op in const:
        return const[op] if const[op] >= 0 else None
    value = _imm(op)
    return value if value is not None and value >= 0 else None


def _value(ins: Instruction, small: dict[str, int], const: dict[str, int]) -> tuple[int | None, int | None]:
    """(constant result or None, upper bound of a small non-negative result or None)."""
    ops = ins.operands
    srcs = ops[1:]
    b = [_bound(s, small, const) for s in srcs]
    c = [const.get(s, _imm(s)) for s in srcs]
    base = ins.base
    if base == "selp" and len(srcs) == 3 and c[2] is not None:
        pick = 0 if c[2] else 1
        return c[pick], b[pick]
    if base == "setp" and len(srcs) >= 2 and b[0] is not None and c[1] is not None and c[1] <= 0 \
            and ins.mods[0] in ("lt", "ge") and "|" not in ops[0] and len(srcs) == 2:
        return (0 if ins.mods[0] == "lt" else 1), 1
    if base == "mov" and srcs:
        return c[0], b[0]
    if base == "cvt" and "sat" not in ins.mods and not any(m.startswith("f") for m in ins.mods):
        return c[0], b[0]
    if base in ("and",) and len(srcs) == 2:
        if (b[0] is not None and c[1] is not None and c[1] < 0 and b[0] < SMALL) or \
                (b[1] is not None and c[0] is not None and c[0] < 0 and b[1] < SMALL):
            # the mask keeps only high bits (e.g. the sign bit) of a small non-negative value
            mask = c[1] if c[1] is not None else c[0]
            if mask is not None and mask & (SMALL - 1) == 0:
                return 0, 0
        if b[0] is not None and b[1] is not None:
            return None, min(b[0], b[1])
    if base == "shr" and len(srcs) == 2 and b[0] is not None and c[1] is not None and (1 << c[1]) > b[0]:
        return 0, 0
    if base == "shr" and len(srcs) == 2 and b[0] is not None:
        return None, b[0]
    if base == "add" and len(srcs) == 2:
        if c[0] == 0:
            return c[1], b[1]
        if c[1] == 0:
            return c[0], b[0]
        if b[0] is not None and b[1] is not None and b[0] + b[1] < SMALL:
            return None, b[0] + b[1]
    if base in ("mul", "mad") and "hi" not in ins.mods and len(srcs) >= 2 and b[0] is not None \
            and b[1] is not None and b[0] * b[1] < SMALL and (base == "mul" or (len(b) > 2 and b[2] is not None)):
        return None, b[0] * b[1] + ((b[2] or 0) if base == "mad" else 0)
    if base == "shl" and len(srcs) == 2 and b[0] is not None and c[1] is not None and (b[0] << c[1]) < SMALL:
        return None, b[0] << c[1]
    return None, None


def analyse(kernel: PtxKernel) -> tuple[set[int], set[int]]:
    """(instructions ptxas folds away, 64-bit integer instructions it does in one 32-bit instruction)."""
    defs: dict[str, list[Instruction]] = {}
    for ins in kernel.instructions:
        if ins.operands and ins.base not in ("st", "red", "bra", "bar", "barrier", "ret", "exit") \
                and ins.operands[0].startswith("%") and "|" not in ins.operands[0]:
            defs.setdefault(ins.operands[0], []).append(ins)
    small: dict[str, int] = {}
    const: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for reg, sites in defs.items():
            if reg in small or any(s.predicate for s in sites):
                continue
            results = [_value(s, small, const) for s in sites]
            if all(c is not None for c, _ in results) and len({c for c, _ in results}) == 1:
                if reg not in const:
                    const[reg] = results[0][0]  # type: ignore[assignment]
                    small[reg] = max(0, results[0][0])  # type: ignore[type-var]
                    changed = True
            elif all(b is not None for _, b in results):
                small[reg] = max(b for _, b in results)  # type: ignore[type-var]
                changed = True
    folded: set[int] = set()
    narrow: set[int] = set()
    for reg, sites in defs.items():
        for s in sites:
            if reg in const and s.base in ("and", "shr", "shl", "add", "mov", "cvt", "selp", "setp"):
                folded.add(s.index)
            elif reg in small and s.type_suffix in ("s64", "u64", "b64"):
                narrow.add(s.index)
    return folded, narrow


def scaled_index_adds(kernel: PtxKernel) -> set[int]:
    """Shifts ptxas merges into the adds that use them: ``shl x, c`` whose every use is an integer
    ``add`` becomes part of each add's ``LEA`` (``LEA`` + ``LEA.HI.X`` for 64 bits), so the shift costs
    nothing of its own. This is how ``base + (i << 2)`` addresses compile (read off the sm_90 SASS of
    the validation kernels: two ``LEA``/``LEA.HI.X`` pairs per load address in saxpy and SGEMM)."""
    uses: dict[str, list[Instruction]] = {}
    for ins in kernel.instructions:
        sources = list(ins.operands[1:]) if ins.operands and not ins.operands[0].startswith("[") \
            and ins.base not in ("st", "red", "bra") else list(ins.operands)
        if ins.predicate:
            sources.append(ins.predicate.lstrip("!"))
        for op in sources:
            for reg in _REG.findall(op):
                uses.setdefault(reg, []).append(ins)
    out: set[int] = set()
    for ins in kernel.instructions:
        if ins.base != "shl" or len(ins.operands) != 3 or ins.predicate:
            continue
        amount = _imm(ins.operands[2])
        users = uses.get(ins.operands[0], [])
        if amount is None or not 0 < amount < 32 or not users:
            continue
        if all(u.base == "add" and (u.type_suffix or "f")[0] in "sub" and not u.predicate
               and list(u.operands[1:]).count(ins.operands[0]) == 1 for u in users):
            out.add(ins.index)
    return out

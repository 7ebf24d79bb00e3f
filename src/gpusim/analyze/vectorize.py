"""What ptxas merges: neighbouring scalar loads from one base address into one vector load.

NVVM emits one scalar ``ld`` per element; ptxas turns loads of adjacent elements off the same base
register into ``LDS.64``/``LDS.128`` (``LDG.E.128``, ``LD.E.64`` ...) when it can prove the vector's
alignment. Read off the sm_90 SASS of ptxas 13 for hand-written PTX and for Numba kernels (the tiled
SGEMM's row of the A tile: 16 ``ld.shared.f32`` become 4 ``LDS.128``):

- Candidates are loads of one basic block, of one state space, of 2-, 4- or 8-byte elements (single
  bytes are never merged), under the same guard predicate, whose addresses are one base register
  (or symbol) plus a constant: ``[%rd8+4]``, or a register that is such a base plus an immediate
  (``add.s64 %rd9, %rd8, 16``). The base must hold the same value for all of them (no redefinition
  in between), and no store, atomic, barrier or fence that may touch the space lies between them
  (a ``st.shared`` to another array still separates shared loads; a ``st.global`` does not).
- A vector holds at most four elements and 16 bytes (``v4`` of 2- and 4-byte elements, ``v2`` of
  8-byte ones) and starts at a multiple of its width. ptxas knows an address's alignment from its
  known trailing zero bits: a shared or local array's placement (static shared arrays are laid out in
  declaration order at their declared alignment, from an aligned window; a dynamic one is only its
  declared alignment), shifts and multiplications by constants, sums (the smaller alignment). Array
  arguments' data pointers are parameters of unknown alignment, so Numba's global loads stay scalar.
- In an aligned chunk of the maximal width, three or four of its four elements loaded give one full-width load
  (ptxas over-reads the fourth); otherwise each aligned pair of elements loaded gives a two-element
  load, and the rest stay scalar.

`load_groups` gives every vector: the PTX loads it stands for, its width and where it starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gpusim.analyze.ptx import TYPE_BYTES, Instruction, PtxKernel

MAX_VECTOR_BYTES = 16
MAX_ELEMENTS = 4
_MEM = re.compile(r"^\[\s*([%\w$.]+)\s*(?:\+\s*(-?(?:0[xX][0-9a-fA-F]+|\d+)))?\s*\]$")
_IMM = re.compile(r"^-?(0[xX][0-9a-fA-F]+|\d+)U?$")
_NO_DEF = ("st", "red", "bra", "bar", "barrier", "ret", "exit", "membar", "fence")
_SPACES = ("global", "shared", "local")
_ORDERED = ("volatile", "relaxed", "acquire", "mmio")


@dataclass(frozen=True)
class VectorLoad:
    """One vector load of ptxas: the PTX loads it replaces, in program order."""

    members: tuple[int, ...]  # instruction indices
    nbytes: int  # width of the vector load
    shift: int  # its start address minus the first member's address (<= 0: it may start before it)

    @property
    def leader(self) -> int:
        return self.members[0]


def _imm(text: str) -> int | None:
    if not _IMM.match(text):
        return None
    body = text.rstrip("U")
    return int(body, 16) if body.lower().lstrip("-").startswith("0x") else int(body)


def _alignment_of(value: int) -> int:
    """Largest power of two (at most MAX_VECTOR_BYTES) dividing ``value``."""
    if value == 0:
        return MAX_VECTOR_BYTES
    return min(MAX_VECTOR_BYTES, value & -value)


def symbol_alignment(kernel: PtxKernel) -> dict[str, int]:
    """Known alignment of shared and local arrays' addresses, as ptxas lays them out."""
    out: dict[str, int] = {}
    offset = 0
    for var in kernel.shared:
        offset = -(-offset // var.align_bytes) * var.align_bytes
        if var.size_bytes is None:  # dynamic: placed at launch, only its declared alignment is known
            out[var.name] = min(MAX_VECTOR_BYTES, var.align_bytes)
        else:
            out[var.name] = _alignment_of(offset)
            offset += var.size_bytes
    for name in kernel.local:
        out[name] = min(MAX_VECTOR_BYTES, kernel.local_align.get(name, 1))
    return out


def _defines(ins: Instruction) -> str | None:
    if not ins.operands or ins.base in _NO_DEF:
        return None
    dst = ins.operands[0]
    return dst if dst.startswith("%") and "|" not in dst and "{" not in dst else None


def register_alignment(kernel: PtxKernel) -> dict[str, int]:
    """Known alignment (a power of two, at most 16) of every register's value: a flow-insensitive
    trailing-zero-bits pass, optimistic at first and lowered until every definition agrees."""
    symbols = symbol_alignment(kernel)
    defs: dict[str, list[Instruction]] = {}
    for ins in kernel.instructions:
        reg = _defines(ins)
        if reg is not None:
            defs.setdefault(reg, []).append(ins)
    align = dict.fromkeys(defs, MAX_VECTOR_BYTES)

    def operand(op: str) -> int:
        if op in align:
            return align[op]
        value = _imm(op)
        if value is not None:
            return _alignment_of(value)
        return symbols.get(op, 1)  # parameters, special registers, undefined: unknown

    def value(ins: Instruction) -> int:
        base, ops = ins.base, ins.operands[1:]
        a = [operand(o) for o in ops]
        c = [_imm(o) for o in ops]
        floating = any(m.startswith(("f", "bf")) for m in ins.mods)
        if floating or not a:
            return 1
        if base in ("mov", "cvta", "neg") or (base == "cvt" and len(a) == 1):
            return a[0]
        if base in ("add", "sub", "or", "xor") and len(a) == 2:
            return min(a)
        if base == "and" and len(a) == 2:
            return max(a)
        if base == "shl" and len(a) == 2:
            return min(MAX_VECTOR_BYTES, a[0] << c[1]) if c[1] is not None else a[0]
        if base == "shr" and len(a) == 2 and c[1] is not None:
            return max(1, a[0] >> c[1])
        if base in ("mul", "mad") and "hi" not in ins.mods and len(a) >= 2:
            product = min(MAX_VECTOR_BYTES, a[0] * a[1])
            return min(product, a[2]) if base == "mad" and len(a) > 2 else product
        if base == "selp" and len(a) == 3:
            return min(a[0], a[1])
        return 1

    changed = True
    while changed:
        changed = False
        for reg, sites in defs.items():
            new = min(value(s) for s in sites)
            if new < align[reg]:
                align[reg] = new
                changed = True
    return align


def _space(ins: Instruction) -> str:
    return next((s for s in _SPACES if s in ins.mods), "generic")


def _separates(ins: Instruction) -> set[str] | None:
    """State spaces whose loads may not be merged across ``ins``; None: none."""
    base = ins.base
    if base in ("bar", "barrier", "membar", "fence", "call", "exit", "ret"):
        return {*_SPACES, "generic"}
    if base in ("st", "atom", "red") or (base in ("ld", "ldu") and any(m in ins.mods for m in _ORDERED)):
        space = _space(ins)
        return {*_SPACES, "generic"} if space == "generic" else {space, "generic"}
    return None


def _vectors(loads: list[tuple[Instruction, int]], elem: int, align: int) -> list[VectorLoad]:
    """Vectors among loads of ``elem``-byte elements at the given offsets from a base of ``align``."""
    n_max = min(MAX_ELEMENTS, MAX_VECTOR_BYTES // elem)
    chunk = n_max * elem
    pair = 2 * elem
    at: dict[int, Instruction] = {}
    for ins, off in loads:
        if off % elem == 0 and off not in at:
            at[off] = ins
    out: list[VectorLoad] = []
    used: set[int] = set()

    def emit(offsets: list[int], start: int, width: int) -> None:
        members = sorted((at[o] for o in offsets), key=lambda i: i.index)
        first = next(o for o in offsets if at[o] is members[0])
        out.append(VectorLoad(tuple(i.index for i in members), width, start - first))
        used.update(offsets)

    if align >= chunk:
        for start in sorted({o - o % chunk for o in at}):
            present = [start + k * elem for k in range(n_max) if start + k * elem in at]
            if len(present) == n_max or (n_max == MAX_ELEMENTS and len(present) >= 3):
                emit(present, start, chunk)
    if align >= pair and pair < chunk:
        for start in sorted({o - o % pair for o in at if o not in used}):
            both = [start, start + elem]
            if all(o in at and o not in used for o in both):
                emit(both, start, pair)
    return out


class _Block:
    """Scans one basic block for runs of mergeable loads."""

    def __init__(self, kernel: PtxKernel, index: int, align: dict[str, int], symbols: dict[str, int],
                 single: dict[str, Instruction], position: dict[int, tuple[int, int]]) -> None:
        self.block = kernel.blocks[index]
        self.align, self.symbols, self.single, self.position = align, symbols, single, position
        self.runs: dict[tuple, list[tuple[Instruction, int]]] = {}
        self.out: list[VectorLoad] = []
        self.defined_at: dict[str, list[int]] = {}
        for k, ins in enumerate(self.block.instructions):
            reg = _defines(ins)
            if reg is not None:
                self.defined_at.setdefault(reg, []).append(k)

    def close(self, spaces: set[str]) -> None:
        for key in [k for k in self.runs if k[0] in spaces]:
            loads = self.runs.pop(key)
            if len(loads) > 1:
                self.out.extend(_vectors(loads, key[3], key[5]))

    def resolve(self, name: str, offset: int, pos: int) -> tuple[str, int, int]:
        """(root register or symbol, offset from it, position in the block whose value of the root is
        meant), following single definitions that add an immediate or copy."""
        while name in self.single:
            ins = self.single[name]
            b, k = self.position[ins.index]
            if b == self.block.index and k > pos:
                break  # defined later in this block: the use reads the previous trip's value
            if ins.base == "mov" and len(ins.operands) == 2 and _imm(ins.operands[1]) is None:
                name = ins.operands[1]
            elif ins.base in ("add", "sub") and len(ins.operands) == 3 and _imm(ins.operands[2]) is not None:
                step = _imm(ins.operands[2]) or 0
                name, offset = ins.operands[1], offset + (step if ins.base == "add" else -step)
            else:
                break
            if b == self.block.index:
                pos = k
        return name, offset, pos

    def scan(self) -> list[VectorLoad]:
        for k, ins in enumerate(self.block.instructions):
            stop = _separates(ins)
            if stop:
                self.close(stop)
                continue
            if ins.base not in ("ld", "ldu") or len(ins.operands) != 2 or ins.operands[0].startswith("{") or any(
                    m in ins.mods for m in ("v2", "v4", "param", "const", *_ORDERED)):
                continue
            elem = TYPE_BYTES.get(ins.type_suffix or "", 0)
            m = _MEM.match(ins.operands[1].replace(" ", ""))
            if not m or elem not in (2, 4, 8):
                continue
            root, off, pos = self.resolve(m.group(1), _imm(m.group(2) or "0") or 0, k)
            version = sum(1 for p in self.defined_at.get(root, []) if p < pos)
            base_align = self.align.get(root, self.symbols.get(root, 1))
            key = (_space(ins), root, version, elem, ins.predicate, base_align)
            self.runs.setdefault(key, []).append((ins, off))
        self.close({*_SPACES, "generic"})
        return self.out


def load_groups(kernel: PtxKernel) -> list[VectorLoad]:
    """The vector loads ptxas makes of the kernel's scalar loads (see the module's rules)."""
    align = register_alignment(kernel)
    symbols = symbol_alignment(kernel)
    sites: dict[str, list[Instruction]] = {}
    for ins in kernel.instructions:
        reg = _defines(ins)
        if reg is not None:
            sites.setdefault(reg, []).append(ins)
    single = {r: s[0] for r, s in sites.items() if len(s) == 1 and not s[0].predicate}
    position = {i.index: (b.index, k) for b in kernel.blocks for k, i in enumerate(b.instructions)}
    out: list[VectorLoad] = []
    for block in kernel.blocks:
        out.extend(_Block(kernel, block.index, align, symbols, single, position).scan())
    return out


def plan(kernel: PtxKernel) -> dict[int, tuple[int, int] | None]:
    """Per merged PTX load: (width, start shift) for the one that stands for its vector, None for
    the others, which issue nothing of their own. Loads that stay scalar are absent."""
    out: dict[int, tuple[int, int] | None] = {}
    for v in load_groups(kernel):
        out[v.leader] = (v.nbytes, v.shift)
        for i in v.members[1:]:
            out[i] = None
    return out

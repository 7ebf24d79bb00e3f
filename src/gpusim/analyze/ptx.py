"""PTX text -> one kernel's basic blocks, control-flow graph and immediate post-dominators.

Only what `gpusim analyze` needs: the ``.entry`` function's parameters, register, shared and local
declarations, and its instructions with their predicate, operands and source line (from ``.loc``,
so compile with line info). Inline-assembly braces are flattened; ``call`` is kept as an
instruction (the interpreter refuses it with its line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gpusim.errors import SpecError

_LABEL = re.compile(r"^\s*(\$?[\w$.]+):\s*$")
_LOC = re.compile(r"^\s*\.loc\s+(\d+)\s+(\d+)\s+\d+")
_FILE = re.compile(r'^\s*\.file\s+(\d+)\s+"([^"]*)"')
_REG_DECL = re.compile(r"^\s*\.reg\s+\.(\w+)\s+(%\w+)(?:<(\d+)>)?\s*;")
_SHARED_DECL = re.compile(r"^\s*(?:\.visible\s+|\.extern\s+)*\.shared\s+(?:\.align\s+(\d+)\s+)?\.(\w+)\s+([\w$]+)"
                          r"(?:\[(\d*)\])?\s*;")
_LOCAL_DECL = re.compile(r"^\s*\.local\s+(?:\.align\s+(\d+)\s+)?\.(\w+)\s+([\w$]+)(?:\[(\d+)\])?\s*;")
_PARAM = re.compile(r"^\s*\.param\s+\.(\w+)\s+(?:\.ptr\s+\.\w+\s+\.align\s+\d+\s+)?([\w$]+)")
_ENTRY = re.compile(r"\.entry\s+([\w$]+)\s*\(")
_PRED = re.compile(r"^@(!?)(%\w+)\s+")

TYPE_BYTES = {"b8": 1, "s8": 1, "u8": 1, "b16": 2, "s16": 2, "u16": 2, "f16": 2, "bf16": 2, "b32": 4, "s32": 4,
              "u32": 4, "f32": 4, "f16x2": 4, "bf16x2": 4, "b64": 8, "s64": 8, "u64": 8, "f64": 8, "pred": 1}


@dataclass(frozen=True)
class Instruction:
    """One PTX instruction: ``opcode`` with its modifiers (``fma.rn.f32``), operands as written."""

    index: int
    opcode: str
    operands: tuple[str, ...]
    predicate: str | None  # "%p1" or "!%p1"
    line: int  # source line from .loc; 0 when unknown
    text: str

    @property
    def base(self) -> str:
        return self.opcode.split(".")[0]

    @property
    def mods(self) -> tuple[str, ...]:
        return tuple(self.opcode.split(".")[1:])

    @property
    def type_suffix(self) -> str | None:
        """The last modifier that names a type (``f32`` in ``fma.rn.f32``)."""
        for mod in reversed(self.mods):
            if mod in TYPE_BYTES:
                return mod
        return None


@dataclass
class BasicBlock:
    """A straight-line run of instructions; ``successors`` are block indices (taken target first)."""

    index: int
    label: str | None
    instructions: list[Instruction]
    successors: list[int] = field(default_factory=list)

    @property
    def lines(self) -> list[int]:
        return sorted({i.line for i in self.instructions if i.line > 0})


@dataclass
class SharedVar:
    name: str
    size_bytes: int | None  # None: dynamic (extern, sized at launch)
    align_bytes: int


@dataclass
class PtxKernel:
    """The ``.entry`` function of a PTX module."""

    name: str
    params: list[tuple[str, str]]  # (name, type suffix)
    registers: dict[str, str]  # register name or "%prefix<" -> type suffix
    shared: list[SharedVar]
    local: dict[str, int]  # local (stack) arrays: name -> bytes
    blocks: list[BasicBlock]
    source_file: str = ""
    ipdom: list[int] = field(default_factory=list)  # immediate post-dominator per block; -1: the exit
    local_align: dict[str, int] = field(default_factory=dict)  # local arrays' declared alignment in bytes

    def register_type(self, name: str) -> str | None:
        if name in self.registers:
            return self.registers[name]
        prefix = re.sub(r"\d+$", "", name)
        return self.registers.get(prefix + "<")

    @property
    def instructions(self) -> list[Instruction]:
        return [i for b in self.blocks for i in b.instructions]

    @property
    def static_shared_bytes(self) -> int:
        return sum(v.size_bytes or 0 for v in self.shared)


def split_operands(text: str) -> tuple[str, ...]:
    """Split ``a, [b+4], {c, d}`` at top-level commas."""
    out: list[str] = []
    depth = 0
    cur = ""
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return tuple(out)


def _statements(body: str) -> list[tuple[str, int]]:
    """(statement, source line) pairs: labels, declarations and instructions, in order."""
    out: list[tuple[str, int]] = []
    line = 0
    for raw in body.splitlines():
        text = raw.split("//", 1)[0].strip()
        if not text or text in ("{", "}"):
            continue
        loc = _LOC.match(text)
        if loc:
            line = int(loc.group(2))
            continue
        if _LABEL.match(text):
            out.append((text, line))
            continue
        for stmt in text.split(";"):
            stmt = stmt.strip().lstrip("{").strip()
            if stmt:
                out.append((stmt + ";" if not stmt.endswith(":") else stmt, line))
    return out


def parse_kernel(ptx: str, kernel_name: str = "") -> PtxKernel:
    """Parse the (only, or the named) ``.entry`` function of ``ptx``."""
    files = {int(m.group(1)): m.group(2) for m in (_FILE.match(s) for s in ptx.splitlines()) if m}
    entries = list(_ENTRY.finditer(ptx))
    if not entries:
        raise SpecError(f"{kernel_name or 'kernel'}: the PTX has no .entry function")
    entry = entries[0]
    start = entry.end()
    close = ptx.index(")", start)
    params = []
    for decl in ptx[start:close].split(","):
        m = _PARAM.match(decl.strip())
        if m:
            params.append((m.group(2), m.group(1)))
    body_open = ptx.index("{", close)
    depth = 0
    end = body_open
    for pos in range(body_open, len(ptx)):
        if ptx[pos] == "{":
            depth += 1
        elif ptx[pos] == "}":
            depth -= 1
            if depth == 0:
                end = pos
                break
    shared: list[SharedVar] = []
    for text in ptx[:entry.start()].splitlines() + ptx[body_open:end].splitlines():
        m = _SHARED_DECL.match(text)
        if m:
            elem = TYPE_BYTES.get(m.group(2), 1)
            size = int(m.group(4)) * elem if m.group(4) else (None if m.group(4) == "" else elem)
            shared.append(SharedVar(m.group(3), size, int(m.group(1) or elem)))
    registers: dict[str, str] = {}
    local: dict[str, int] = {}
    local_align: dict[str, int] = {}
    blocks: list[BasicBlock] = []
    current = BasicBlock(0, None, [])
    index = 0
    for stmt, line in _statements(ptx[body_open + 1:end]):
        label = _LABEL.match(stmt)
        if label:
            if current.instructions or current.label is not None:
                blocks.append(current)
            current = BasicBlock(len(blocks), label.group(1), [])
            continue
        reg = _REG_DECL.match(stmt)
        if reg:
            registers[reg.group(2) + ("<" if reg.group(3) else "")] = reg.group(1)
            continue
        loc = _LOCAL_DECL.match(stmt)
        if loc:
            local[loc.group(3)] = int(loc.group(4) or 1) * TYPE_BYTES.get(loc.group(2), 1)
            local_align[loc.group(3)] = int(loc.group(1) or TYPE_BYTES.get(loc.group(2), 1))
            continue
        if stmt.startswith("."):
            continue  # other directives (.pragma, .maxntid, ...)
        pred = None
        m = _PRED.match(stmt)
        if m:
            pred = m.group(1) + m.group(2)
            stmt = stmt[m.end():]
        body = stmt.rstrip(";").strip()
        opcode, _, rest = body.partition(" ")
        if not opcode:
            continue
        ins = Instruction(index, opcode.strip(), split_operands(rest.strip()), pred, line, body)
        index += 1
        current.instructions.append(ins)
        if ins.base in ("bra", "ret", "exit", "brx", "trap"):
            blocks.append(current)
            current = BasicBlock(len(blocks), None, [])
    if current.instructions or current.label is not None:
        blocks.append(current)
    blocks = [b for b in blocks if b.instructions or b.label is not None]
    for i, b in enumerate(blocks):
        b.index = i
    _link(blocks)
    kernel = PtxKernel(entry.group(1), params, registers, shared, local, blocks, files.get(1, ""),
                       local_align=local_align)
    kernel.ipdom = immediate_post_dominators(blocks)
    return kernel


def _link(blocks: list[BasicBlock]) -> None:
    by_label = {b.label: b.index for b in blocks if b.label}
    for b in blocks:
        last = b.instructions[-1] if b.instructions else None
        nxt = [b.index + 1] if b.index + 1 < len(blocks) else []
        if last is None:
            b.successors = nxt
        elif last.base == "bra":
            target = last.operands[0]
            if target not in by_label:
                raise SpecError(f"line {last.line}: branch to unknown label {target}")
            b.successors = [by_label[target]] + (nxt if last.predicate else [])
        elif last.base in ("ret", "exit", "trap"):
            b.successors = []
        elif last.base == "brx":
            raise SpecError(f"line {last.line}: indirect branch (brx.idx) is not supported")
        else:
            b.successors = nxt


def immediate_post_dominators(blocks: list[BasicBlock]) -> list[int]:
    """Immediate post-dominator of every block (-1: the virtual exit), by the iterative data-flow method."""
    n = len(blocks)
    exit_node = n
    everything = set(range(n + 1))
    pdom: list[set[int]] = [set(everything) for _ in range(n)] + [{exit_node}]
    changed = True
    while changed:
        changed = False
        for b in reversed(blocks):
            succ = b.successors or [exit_node]
            new = set.intersection(*(pdom[s] for s in succ)) | {b.index}
            if new != pdom[b.index]:
                pdom[b.index] = new
                changed = True
    ipdom = []
    for b in blocks:
        strict = pdom[b.index] - {b.index}
        # the immediate one is the strict post-dominator that every other strict one post-dominates
        best = exit_node
        for c in strict:
            if all(d in pdom[c] for d in strict):
                best = c
                break
        ipdom.append(-1 if best == exit_node else best)
    return ipdom

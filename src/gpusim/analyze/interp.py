"""Execute a kernel's PTX on the CPU for a sample of threads, as SIMT warps do, and record what happened.

All sampled threads (whole blocks) run as one vector: each basic block executes once for the lanes
whose path reaches it, with the classic SIMT stack (a divergent branch runs the taken and the
not-taken lanes one after the other and joins them at the branch's immediate post-dominator). A
warp is counted as executing a block when any of its lanes is active, so the counts are those of
per-warp SIMT execution. Recorded: warp executions and active lanes per basic block, and for every
memory instruction the addresses of the active lanes (see `trace`).

Arithmetic follows PTX on NumPy arrays (IEEE single and double precision; ``fma`` rounds once via
double precision; approximate functions use the exact ones); that is enough to follow the same
control flow as the GPU. An instruction the interpreter does not know raises `SpecError` naming it
and its source line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gpusim.analyze import vectorize
from gpusim.analyze.memory import LOCAL_WINDOW, SHARED_WINDOW, GlobalMemory
from gpusim.analyze.ptx import Instruction, PtxKernel
from gpusim.analyze.trace import Trace
from gpusim.errors import SpecError

NP = {"b8": np.uint8, "u8": np.uint8, "s8": np.int8, "b16": np.uint16, "u16": np.uint16, "s16": np.int16,
      "f16": np.float16, "b32": np.uint32, "u32": np.uint32, "s32": np.int32, "f32": np.float32,
      "b64": np.uint64, "u64": np.uint64, "s64": np.int64, "f64": np.float64, "pred": np.bool_}
_INT_IMM = re.compile(r"^-?(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)U?$")
_MEM = re.compile(r"^\[\s*([^\]+\-]+?)\s*(?:([+-])\s*(-?\w+))?\s*\]$")

Reader = Callable[[], np.ndarray]


@dataclass(frozen=True)
class Lanes:
    """The sampled threads as vectors: thread and block indices, block slot, warp index."""

    tid: tuple[np.ndarray, np.ndarray, np.ndarray]
    ctaid: tuple[np.ndarray, np.ndarray, np.ndarray]
    ntid: tuple[int, int, int]
    nctaid: tuple[int, int, int]
    slot: np.ndarray  # sampled block of each lane (0..n_slots-1)
    warp: np.ndarray  # warp of each lane (0..n_warps-1), warps numbered block by block
    laneid: np.ndarray
    n_slots: int
    n_warps: int

    @property
    def size(self) -> int:
        return int(self.slot.size)


def _as(arr: np.ndarray, dtype: type) -> np.ndarray:
    dt = np.dtype(dtype)
    if arr.dtype == dt:
        return arr
    if arr.dtype.itemsize == dt.itemsize and arr.dtype != np.bool_ and dt != np.bool_:
        return arr.view(dt)
    return arr.astype(dt)


def _int_imm(text: str) -> int:
    t = text.rstrip("U")
    neg = t.startswith("-")
    t = t.lstrip("-")
    value = int(t[2:], 16) if t[:2] in ("0x", "0X") else int(t[2:], 2) if t[:2] in ("0b", "0B") else int(t)
    return -value if neg else value


def _wrap(value: int, dtype: type) -> np.generic:
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        bits = dt.itemsize * 8
        value &= (1 << bits) - 1
        if dt.kind == "i" and value >= 1 << (bits - 1):
            value -= 1 << bits
    return dt.type(value)


def _mulhi_u64(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    mask = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    a_lo, a_hi, b_lo, b_hi = a & mask, a >> s32, b & mask, b >> s32
    lo_lo = a_lo * b_lo
    mid1 = a_hi * b_lo + (lo_lo >> s32)
    mid2 = a_lo * b_hi + (mid1 & mask)
    return a_hi * b_hi + (mid1 >> s32) + (mid2 >> s32)


class Interpreter:
    """Runs one kernel on `Lanes` with its parameter values and memory; `run` returns the `Trace`."""

    def __init__(self, kernel: PtxKernel, params: dict[str, object], lanes: Lanes, memory: GlobalMemory,
                 dynamic_shared_bytes: int = 0, max_steps: int = 2_000_000, source: str = "",
                 kernel_name: str = "") -> None:
        self.k = kernel
        self.params = params
        self.lanes = lanes
        self.mem = memory
        self.n = lanes.size
        self.max_steps = max_steps
        self.source = source
        self.kernel_name = kernel_name or kernel.name
        self.regs: dict[str, np.ndarray] = {}
        self.shared_offsets: dict[str, int] = {}
        offset = 0
        for var in kernel.shared:
            offset = -(-offset // var.align_bytes) * var.align_bytes
            self.shared_offsets[var.name] = offset
            offset += var.size_bytes if var.size_bytes is not None else 0
        self.static_shared = offset
        self.shared_bytes = offset + dynamic_shared_bytes
        self.shared = np.zeros((lanes.n_slots, max(self.shared_bytes, 16)), dtype=np.uint8)
        self.local_offsets: dict[str, int] = {}
        loc = 0
        for name, size in kernel.local.items():
            self.local_offsets[name] = loc
            loc += -(-size // 16) * 16
        self.local = np.zeros((self.n, max(loc, 16)), dtype=np.uint8)
        self.exited = np.zeros(self.n, dtype=bool)
        self.trace = Trace(kernel, lanes)
        self.vector_loads = vectorize.plan(kernel)  # loads ptxas merges: recorded as its vector loads
        self.ops = [self._compile(i) for i in kernel.instructions]

    # --- errors --------------------------------------------------------------------------------

    def _error(self, ins: Instruction, what: str) -> SpecError:
        where = f"{self.source}:{ins.line}" if self.source else f"line {ins.line}"
        return SpecError(f"{where}: kernel {self.kernel_name}: {what} (PTX `{' '.join(ins.text.split())}`)")

    # --- operands ------------------------------------------------------------------------------

    def _special(self, name: str) -> np.ndarray | None:
        lanes = self.lanes
        axes = {"x": 0, "y": 1, "z": 2}
        base, _, axis = name.partition(".")
        if base == "%tid" and axis in axes:
            return lanes.tid[axes[axis]]
        if base == "%ctaid" and axis in axes:
            return lanes.ctaid[axes[axis]]
        if base == "%ntid" and axis in axes:
            return np.full(self.n, lanes.ntid[axes[axis]], dtype=np.uint32)
        if base == "%nctaid" and axis in axes:
            return np.full(self.n, lanes.nctaid[axes[axis]], dtype=np.uint32)
        if base == "%laneid":
            return lanes.laneid
        if base == "%warpid":
            return (lanes.tid[0] + lanes.ntid[0] * (lanes.tid[1] + lanes.ntid[1] * lanes.tid[2])) // 32
        if base in ("%dynamic_smem_size", "%total_smem_size"):
            size = self.shared_bytes - (self.static_shared if base == "%dynamic_smem_size" else 0)
            return np.full(self.n, size, dtype=np.uint32)
        if base == "%nwarpid":
            return np.full(self.n, 64, dtype=np.uint32)
        return None

    def _reg(self, name: str) -> np.ndarray:
        arr = self.regs.get(name)
        if arr is None:
            t = self.k.register_type(name)
            if t is None:
                raise SpecError(f"PTX register {name} is not declared")
            arr = self.regs[name] = np.zeros(self.n, dtype=NP.get(t, np.uint64))
        return arr

    def _symbol(self, name: str) -> int | None:
        if name in self.shared_offsets:
            return self.shared_offsets[name]
        if name in self.local_offsets:
            return self.local_offsets[name]
        return None

    def reader(self, op: str, t: str, ins: Instruction) -> Reader:
        dtype = NP[t]
        if op.startswith("%"):
            special = self._special(op)
            if special is not None:
                const = _as(special.astype(np.uint32), dtype) if t != "pred" else special.astype(bool)
                return lambda: const
            return lambda: _as(self._reg(op), dtype)
        if op.startswith("!%"):
            name = op[1:]
            return lambda: ~self._reg(name)
        if re.match(r"^0[fF][0-9a-fA-F]{8}$", op):
            value = np.array([int(op[2:], 16)], dtype=np.uint32).view(np.float32)[0]
            const = np.full(self.n, value, dtype=np.float32).astype(dtype) if t in ("f32", "f64") else \
                np.full(self.n, int(op[2:], 16), dtype=np.uint32).astype(dtype)
            return lambda: const
        if re.match(r"^0[dD][0-9a-fA-F]{16}$", op):
            value = np.array([int(op[2:], 16)], dtype=np.uint64).view(np.float64)[0]
            const = np.full(self.n, value, dtype=np.float64).astype(dtype)
            return lambda: const
        if _INT_IMM.match(op):
            v = _int_imm(op)
            const = np.full(self.n, float(v) if np.dtype(dtype).kind == "f" else _wrap(v, dtype), dtype=dtype)
            return lambda: const
        if re.match(r"^-?\d+\.\d*(e-?\d+)?$", op):
            const = np.full(self.n, float(op), dtype=dtype)
            return lambda: const
        sym = self._symbol(op)
        if sym is not None:
            const = np.full(self.n, sym, dtype=np.uint64).astype(dtype)
            return lambda: const
        if op in self.params:
            const = _as(np.full(self.n, self.params[op]), dtype)
            return lambda: const
        raise self._error(ins, f"operand {op!r} is not supported")

    def writer(self, op: str) -> Callable[[np.ndarray, np.ndarray], None]:
        if op == "_":
            return lambda v, m: None
        reg_name = op

        def write(value: np.ndarray, mask: np.ndarray) -> None:
            reg = self._reg(reg_name)
            v = _as(value, reg.dtype.type) if reg.dtype != np.bool_ else value.astype(bool)
            np.copyto(reg, v, where=mask)

        return write

    def _address(self, op: str, ins: Instruction) -> tuple[Reader, int, str | None]:
        """A memory operand ``[base+off]``: (base reader as uint64, byte offset, symbol name or None)."""
        m = _MEM.match(op.replace(" ", ""))
        if not m:
            raise self._error(ins, f"memory operand {op!r} is not supported")
        base, sign, off = m.group(1), m.group(2), m.group(3)
        offset = _int_imm(off) * (-1 if sign == "-" else 1) if off else 0
        if base.startswith("%"):
            return self.reader(base, "u64", ins), offset, None
        if base in self.params:
            return (lambda: np.zeros(self.n, dtype=np.uint64)), offset, base
        sym = self._symbol(base)
        if sym is not None:
            const = np.full(self.n, sym, dtype=np.uint64)
            return (lambda: const), offset, base
        if _INT_IMM.match(base):
            const = np.full(self.n, _int_imm(base), dtype=np.uint64)
            return (lambda: const), offset, None
        raise self._error(ins, f"memory operand {op!r} is not supported")

    # --- compile each instruction to a closure run(mask) ---------------------------------------

    def _compile(self, ins: Instruction) -> Callable[[np.ndarray], None]:
        from gpusim.analyze import ops

        handler = ops.HANDLERS.get(ins.base)
        if handler is None:
            return self._refuse(ins)
        try:
            run = handler(self, ins)
        except SpecError as exc:  # refuse only if the sample executes it
            return self._refuse(ins, str(exc))
        if ins.predicate and ins.base != "bra":
            pred = self.reader(ins.predicate, "pred", ins)

            def predicated(mask: np.ndarray) -> None:
                run(mask & pred())

            return predicated
        return run

    def _refuse(self, ins: Instruction, why: str = "") -> Callable[[np.ndarray], None]:
        def refuse(mask: np.ndarray) -> None:
            if mask.any():
                raise self._error(ins, f"`{ins.opcode}` is not supported by the gpusim analyze interpreter"
                                  + (f" ({why})" if why else ""))

        return refuse

    # --- memory --------------------------------------------------------------------------------

    def load(self, space: str, addrs: np.ndarray, idx: np.ndarray, dtype: type, ins: Instruction) -> np.ndarray:
        nbytes = np.dtype(dtype).itemsize
        space = self._resolve_space(space, addrs)
        if space == "global":
            region, elem = self.mem.locate(addrs, nbytes, ins.line)
            return _as(region.read(elem), dtype)
        table, rows, offs = self._window(space, addrs, idx, nbytes, ins)
        out = np.empty(idx.size, dtype=dtype)
        raw = out.view(np.uint8).reshape(idx.size, nbytes)
        for b in range(nbytes):
            raw[:, b] = table[rows, offs + b]
        return out

    def store(self, space: str, addrs: np.ndarray, idx: np.ndarray, values: np.ndarray, ins: Instruction) -> None:
        nbytes = values.dtype.itemsize
        space = self._resolve_space(space, addrs)
        if space == "global":
            region, elem = self.mem.locate(addrs, nbytes, ins.line)
            region.write(elem, _as(values, region.dtype.type))
            return
        table, rows, offs = self._window(space, addrs, idx, nbytes, ins)
        raw = np.ascontiguousarray(values).view(np.uint8).reshape(idx.size, nbytes)
        for b in range(nbytes):
            table[rows, offs + b] = raw[:, b]

    def _resolve_space(self, space: str, addrs: np.ndarray) -> str:
        if space != "generic":
            return space
        lo = int(addrs.min())
        if lo >= SHARED_WINDOW:
            return "shared_generic"
        if lo >= LOCAL_WINDOW:
            return "local_generic"
        return "global"

    def _window(self, space: str, addrs: np.ndarray, idx: np.ndarray, nbytes: int,
                ins: Instruction) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if space.startswith("shared"):
            offs = addrs - np.uint64(SHARED_WINDOW) if space == "shared_generic" else addrs
            table, rows = self.shared, self.lanes.slot[idx]
        elif space.startswith("local"):
            offs = addrs - np.uint64(LOCAL_WINDOW) if space == "local_generic" else addrs
            table, rows = self.local, idx
        else:
            raise self._error(ins, f"the {space} state space is not supported")
        offs = offs.astype(np.int64)
        if offs.min() < 0 or offs.max() + nbytes > table.shape[1]:
            raise self._error(ins, f"{space.split('_')[0]} memory access out of bounds (offset {int(offs.max())} "
                              f"of {table.shape[1]} bytes; is the dynamic shared memory size right?)")
        return table, rows, offs

    # --- the SIMT loop -------------------------------------------------------------------------

    def run(self) -> Trace:
        blocks = self.k.blocks
        stack: list[list] = [[0, None, np.ones(self.n, dtype=bool)]]
        steps = 0
        with np.errstate(all="ignore"):
            while stack:
                top = stack[-1]
                if top[0] == top[1] or top[0] >= len(blocks) or not top[2].any():
                    if top[0] >= len(blocks):  # fell off the end: exit
                        self._exit(top[2], stack)
                    stack.pop()
                    continue
                block = blocks[top[0]]
                mask = top[2]
                self.trace.block_executed(block.index, mask)
                steps += len(block.instructions)
                if steps > self.max_steps:
                    raise SpecError(f"{self.source}: kernel {self.kernel_name}: the sampled run exceeded "
                                    f"{self.max_steps:,} block-instruction steps; give smaller example arguments "
                                    "or raise max_steps")
                for ins in block.instructions[:-1]:
                    self.ops[ins.index](mask)
                last = block.instructions[-1] if block.instructions else None
                if last is None:
                    top[0] = block.index + 1
                    continue
                if last.base == "bra":
                    self._branch(block.index, last, top, stack)
                elif last.base in ("ret", "exit"):
                    run_mask = mask
                    if last.predicate:
                        run_mask = mask & self.reader(last.predicate, "pred", last)()
                    self._exit(run_mask, stack)
                    if last.predicate:
                        top[0] = block.index + 1
                else:
                    self.ops[last.index](mask)
                    top[0] = block.index + 1
        self.trace.steps = steps
        return self.trace

    def _exit(self, mask: np.ndarray, stack: list[list]) -> None:
        self.exited |= mask
        for entry in stack:
            entry[2] = entry[2] & ~mask

    def _branch(self, b: int, ins: Instruction, top: list, stack: list[list]) -> None:
        succ = self.k.blocks[b].successors
        mask = top[2]
        if not ins.predicate:
            top[0] = succ[0]
            return
        taken = mask & self.reader(ins.predicate, "pred", ins)()
        not_taken = mask & ~taken
        if not taken.any():
            top[0] = succ[1] if len(succ) > 1 else len(self.k.blocks)
            return
        if not not_taken.any():
            top[0] = succ[0]
            return
        join = self.k.ipdom[b]
        fall = succ[1] if len(succ) > 1 else len(self.k.blocks)
        if top[1] == join:
            stack.pop()  # already inside a region that joins there: the entry below waits for all lanes
        else:
            top[0] = join if join != -1 else len(self.k.blocks)
        stack.append([fall, join, not_taken])
        stack.append([succ[0], join, taken])

"""Static counts + a sampled run -> KernelSpec.

Per basic block, over the sampled warps weighted by the blocks they stand for: the share of warps
that run it (``warp_fraction``), how often such a warp runs it (``trips``) and the share of its lanes
active (``lane_fraction``). Adjacent blocks with the same three numbers form one phase. A phase's
instructions are the blocks' SASS-equivalent counts (`classify`); its memory accesses come from the
recorded addresses: sectors per request, the pattern that best explains them, the footprint and,
for shared memory, bank conflicts. ``independent_chains`` is the phase's summed latency over its
critical path through register dependencies.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from gpusim.analyze import fold, vectorize
from gpusim.analyze.classify import costs, is_fma
from gpusim.analyze.ptx import BasicBlock, Instruction, PtxKernel
from gpusim.analyze.sample import Sample
from gpusim.analyze.trace import AccessLog
from gpusim.hardware.schema import LatencyCycles
from gpusim.kernels.spec import Instructions, KernelSpec, MemoryAccess, Phase

CLASSES = ("fp32", "fp64", "fp16", "int32", "sfu", "branch", "misc")
SECTOR_BYTES = 32
WARP = 32
SAME = 1e-6  # relative tolerance for merging blocks into one phase


@dataclass(frozen=True)
class BlockStats:
    """One basic block over the sampled warps (weighted)."""

    trips: float
    warp_fraction: float
    lane_fraction: float
    executions: float  # weighted warp executions (for access counts)


@dataclass
class AccessReport:
    """What the sample measured for one memory instruction, beside what the spec says."""

    line: int
    ptx: str
    sectors_per_request: float
    spec: MemoryAccess
    distinct_sectors_sampled: int = 0
    merged: int = 1  # PTX loads ptxas merged into this one vector load
    vector_bytes: int = 0  # its width, when merged > 1
    wavefronts: float = 0.0  # shared memory: wavefronts per request


@dataclass
class PhaseReport:
    name: str
    blocks: list[int]
    lines: list[int]
    accesses: list[AccessReport] = field(default_factory=list)


def block_stats(sample: Sample, kernel: PtxKernel) -> list[BlockStats | None]:
    w = sample.warp_weight
    total = w.sum()
    out: list[BlockStats | None] = []
    for b in range(len(kernel.blocks)):
        execs = sample.trace.block_execs[b].astype(np.float64)
        lanes = sample.trace.block_lanes[b].astype(np.float64)
        ran = execs > 0
        if not ran.any():
            out.append(None)
            continue
        fraction = float((w * ran).sum() / total)
        mean = float((w * execs).sum() / total)
        lane = float((w * lanes).sum() / (w * execs * sample.warp_threads).sum())
        out.append(BlockStats(mean / fraction, fraction, min(1.0, lane), float((w * execs).sum())))
    return out


def _same(a: BlockStats, b: BlockStats) -> bool:
    return all(math.isclose(x, y, rel_tol=SAME) for x, y in ((a.trips, b.trips), (a.warp_fraction, b.warp_fraction),
                                                             (a.lane_fraction, b.lane_fraction)))


def group_blocks(kernel: PtxKernel, stats: list[BlockStats | None]) -> list[list[int]]:
    """Executed blocks in layout order, adjacent ones with equal statistics merged."""
    groups: list[list[int]] = []
    for b in range(len(kernel.blocks)):
        s = stats[b]
        if s is None:
            continue
        if groups and _same(stats[groups[-1][-1]], s):  # type: ignore[arg-type]
            groups[-1].append(b)
        else:
            groups.append([b])
    return groups


# --- memory accesses ------------------------------------------------------------------------------


def _lane_deltas(log: AccessLog) -> tuple[np.ndarray, int]:
    """Address step per lane between neighbouring active lanes of a warp; and multi-lane request count."""
    deltas, multi = [], 0
    for warps, lanes, addrs in log.samples:
        if addrs.size < 2:
            continue
        a = addrs.astype(np.int64)
        same = warps[1:] == warps[:-1]
        gap = lanes[1:].astype(np.int64) - lanes[:-1].astype(np.int64)
        d = np.diff(a)
        ok = same & (gap > 0)
        if ok.any():
            multi += 1
            step = d[ok] / gap[ok]
            deltas.append(step)
    return (np.concatenate(deltas) if deltas else np.zeros(0)), multi


def _structural(log: AccessLog) -> tuple[str, int]:
    """Pattern from how neighbouring lanes' addresses differ (or, for one-lane requests, successive ones)."""
    deltas, multi = _lane_deltas(log)
    nbytes = log.nbytes
    if multi == 0:  # one active lane per request: look at the lane's successive addresses
        seq = np.concatenate([a for _, _, a in log.samples]).astype(np.int64)
        if seq.size < 2 or np.all(np.diff(seq) == 0):
            return "broadcast", 1
        return ("coalesced", 1) if np.all(np.abs(np.diff(seq)) <= SECTOR_BYTES) else ("random", 1)
    if deltas.size == 0 or np.all(deltas == 0):
        return "broadcast", 1
    values, counts = np.unique(deltas, return_counts=True)
    mode = float(values[np.argmax(counts)])
    if counts.max() < 0.5 * deltas.size:
        return "random", 1
    step = abs(mode)
    if step == 0:
        return "broadcast", 1
    if step == nbytes:
        return "coalesced", 1
    if step % nbytes == 0:
        return "strided", int(step // nbytes)
    return "random", 1


def _candidates(nbytes: int) -> list[tuple[str, int]]:
    return [("broadcast", 1), ("coalesced", 1)] + [("strided", k) for k in range(2, 33)] + [("random", 1)]


def _sectors(pattern: str, stride: int, nbytes: int) -> float:
    return MemoryAccess(bytes_per_thread=nbytes, pattern=pattern, stride_elements=stride).sectors_per_request()  # type: ignore[arg-type]


def choose_pattern(log: AccessLog, measured: float) -> tuple[str, int]:
    """The structural pattern if the model's sectors for it are within 2x of the measured ones, else the
    pattern whose sectors per request are nearest (in ratio) to the measurement."""
    pattern, stride = _structural(log)
    _, multi = _lane_deltas(log)
    if multi == 0 or measured <= 0:
        return pattern, stride
    model = _sectors(pattern, stride, log.nbytes)
    if 0.5 <= model / measured <= 2.0:
        return pattern, stride
    best = min(_candidates(log.nbytes), key=lambda c: abs(math.log(_sectors(c[0], c[1], log.nbytes) / measured)))
    return best


def _footprint_bytes(log: AccessLog, sample: Sample, kernel_threads: int, local_bytes: int) -> int:
    distinct = log.distinct_sectors()
    scale = sample.total_blocks / len(sample.block_ids)
    estimate = distinct * SECTOR_BYTES * scale
    cap = 0
    for r in log.regions:
        if r == -2:
            cap += max(local_bytes, log.nbytes) * kernel_threads
        elif 0 <= r < len(sample.memory.regions):
            cap += -(-sample.memory.regions[r].nbytes // SECTOR_BYTES) * SECTOR_BYTES
    if cap:
        estimate = min(estimate, cap)
    return max(SECTOR_BYTES, round(estimate))


def shared_width_and_ways(nbytes: int, wavefronts: float) -> tuple[int, int]:
    """(``bytes_per_thread``, ``bank_conflict_ways``) of a shared access of ``nbytes`` per lane that took
    ``wavefronts`` per request. The model charges ``ways x max(32 x bytes, 128) / 128`` wavefronts; an
    8- or 16-byte access that the hardware serves in fewer than its 2 or 4 (lane pairs reading one
    address) is given the narrower width whose minimum it does take."""
    width = nbytes
    while width > 4 and max(1.0, WARP * width / 128) > wavefronts * (1 + 1e-9):
        width //= 2
    least = max(1.0, WARP * width / 128)
    return width, int(min(32, max(1, round(wavefronts / least))))


def _access(ins: Instruction, log: AccessLog, stats: BlockStats, sample: Sample, kernel_threads: int,
            local_bytes: int, dependent: bool, merged: int = 1) -> AccessReport | None:
    w = sample.warp_weight
    requests = float((w * log.requests).sum())
    if requests == 0:
        return None
    count = requests / stats.executions
    measured = float((w * log.sectors).sum()) / requests
    fields: dict[str, object] = {"space": log.space, "op": log.op, "bytes_per_thread": log.nbytes,
                                 "count": round(min(count, 1.0), 6) if count < 0.999999 else 1}
    wavefronts = float((w * log.wavefronts).sum()) / requests
    if log.space == "shared":
        width, ways = shared_width_and_ways(log.nbytes, wavefronts)
        fields["bytes_per_thread"] = width
        fields["bank_conflict_ways"] = ways
    else:
        pattern, stride = choose_pattern(log, measured)
        fields["pattern"] = pattern
        if pattern == "strided":
            fields["stride_elements"] = stride
        fields["footprint_bytes"] = _footprint_bytes(log, sample, kernel_threads, local_bytes)
        if "block_footprint_bytes" in MemoryAccess.model_fields:
            per_block = log.distinct_sectors_per_block(len(sample.block_ids)).astype(np.float64)
            weights = sample.warp_weight[::max(1, sample.lanes.n_warps // len(sample.block_ids))]
            mean = float((weights * per_block).sum() / weights.sum()) * SECTOR_BYTES
            fields["block_footprint_bytes"] = max(SECTOR_BYTES, min(round(mean), fields["footprint_bytes"]))
        if log.op == "atomic" and len(log.addresses_seen) == 1:
            fields["same_address"] = True
        if dependent and log.op != "store":
            fields["dependent"] = True
    spec = MemoryAccess.model_validate(fields)
    return AccessReport(ins.line, ins.text, measured, spec, log.distinct_sectors(), merged,
                        log.nbytes if merged > 1 else 0, wavefronts)


# --- register data flow: dependent loads, critical path -------------------------------------------


def _regs(text: str) -> list[str]:
    out, cur = [], ""
    for ch in text + " ":
        if ch == "%" or (cur and (ch.isalnum() or ch in "_.")):
            cur += ch
        else:
            if len(cur) > 1:
                out.append(cur)
            cur = ""
    return [r for r in out if not r.startswith(("%tid", "%ntid", "%ctaid", "%nctaid", "%laneid", "%warpid"))]


def _defs_uses(ins: Instruction) -> tuple[list[str], list[str]]:
    ops = ins.operands
    uses = _regs(ins.predicate or "")
    if not ops or ins.base in ("st", "red", "bra", "bar", "barrier", "ret", "exit"):
        return [], uses + [r for op in ops for r in _regs(op)]
    dests = [r for r in _regs(ops[0].replace("|", " "))] if not ops[0].startswith("[") else []
    return dests, uses + [r for op in ops[1:] for r in _regs(op)]


def _is_global_load(ins: Instruction) -> bool:
    return ins.base in ("ld", "ldu", "atom") and not any(s in ins.mods for s in ("param", "const", "shared", "local"))


def dependent_loads(instructions: list[Instruction], loop: bool) -> set[int]:
    """Global loads whose address depends on an earlier global load of the phase (in a loop: of the
    previous trip too), e.g. ``x[idx[i]]`` or a pointer chase."""
    tainted: set[str] = set()
    dependent: set[int] = set()
    for _ in range(2 if loop else 1):
        for ins in instructions:
            defs, uses = _defs_uses(ins)
            if _is_global_load(ins):
                addr = ins.operands[1] if len(ins.operands) > 1 else ""
                if any(r in tainted for r in _regs(addr)):
                    dependent.add(ins.index)
                tainted.update(defs)
                continue
            if any(r in tainted for r in uses):
                tainted.update(defs)
            else:
                tainted.difference_update(defs)
    return dependent


FLOAT_CLASSES = ("fp32", "fp64", "fp16", "sfu")
MEMORY_OPS = ("ld", "ldu", "st", "atom", "red")


def _latency(ins: Instruction, lat: LatencyCycles) -> float:
    """Latency of an arithmetic instruction, by its SASS-equivalent classes (memory instructions: 0,
    their latency is the memory accesses' part of the model)."""
    if ins.base in MEMORY_OPS:
        return 0.0
    return sum(n * getattr(lat, cls) for cls, n in costs(ins).items() if cls != "misc")


def critical_path_cycles(instructions: list[Instruction], latency: dict[int, float]) -> float:
    """Longest register-dependency path through the instructions, in cycles; an instruction absent from
    ``latency`` passes its operands' readiness on to its results at no cost."""
    ready: dict[str, float] = {}
    longest = 0.0
    for ins in instructions:
        defs, uses = _defs_uses(ins)
        start = max((ready.get(r, 0.0) for r in uses), default=0.0)
        finish = start + latency.get(ins.index, 0.0)
        for r in defs:
            ready[r] = finish
        longest = max(longest, finish)
    return longest


def independent_chains(work: list[Instruction], lat: LatencyCycles) -> float:
    """Independent dependency chains of the phase's computation (loop control left out): the summed
    latency of its floating-point instructions (fp32, fp64, fp16, sfu) over the longest register
    dependency path through them. Integer arithmetic and memory instructions pass dependencies on at
    no cost: the index arithmetic beside a chain of FMAs runs in its shadow, and memory latency is the
    accesses' part of the model. A phase without floating-point work counts all its arithmetic. This is
    the hand-written convention (the tiled SGEMM's 16 FMAs through ``acc`` are one chain, whatever its
    independent loads); the spec divides the whole phase's latency by it."""
    floating = {i.index: _latency(i, lat) for i in work
                if i.base not in MEMORY_OPS and any(c in FLOAT_CLASSES for c in costs(i))}
    latency = floating or {i.index: _latency(i, lat) for i in work}
    total = sum(latency.values())
    path = critical_path_cycles(work, latency)
    return round(max(1.0, total / path), 4) if path > 0 else 1.0


# --- ptxas loop unrolling ------------------------------------------------------------------------

UNROLL_FACTOR = 4
UNROLL_MAX_INSTRUCTIONS = 24


def loop_control(block: BasicBlock) -> set[int]:
    """Instructions that only steer a single-block loop: the back branch, the compare that feeds it and
    the counter updates that feed the compare."""
    last = block.instructions[-1]
    control = {last.index}
    wanted = set(_regs(last.predicate or ""))
    for ins in reversed(block.instructions[:-1]):
        defs, uses = _defs_uses(ins)
        if wanted & set(defs):
            control.add(ins.index)
            wanted |= set(uses)
    return control


def ptxas_unrolls(block: BasicBlock) -> bool:
    """Whether ptxas unrolls this single-block loop by `UNROLL_FACTOR`: read off the sm_90 SASS of the
    validation kernels, it does so for small bodies whose induction variables all step by constants."""
    if block.index not in block.successors or len(block.instructions) > UNROLL_MAX_INSTRUCTIONS:
        return False
    for ins in block.instructions:
        if ins.base in ("bar", "barrier", "atom", "red", "call"):
            return False
        defs, uses = _defs_uses(ins)
        integer = (ins.type_suffix or "f")[0] in "sub"
        if ins.base in ("add", "sub") and integer and defs and defs[0] in uses:  # an induction variable
            step = [op for op in ins.operands[1:] if op != defs[0]]
            if not step or step[0].startswith("%"):
                return False
    return True


# --- the spec -------------------------------------------------------------------------------------


def phase_instructions(blocks: list[BasicBlock], scale: dict[int, float] | None = None) -> Instructions:
    """Class counts of the blocks; ``scale`` weighs single instructions (amortised loop control)."""
    total: Counter[str] = Counter()
    fma = {"fp32": 0.0, "fp64": 0.0}
    three_register = 0.0
    for b in blocks:
        for ins in b.instructions:
            f = (scale or {}).get(ins.index, 1.0)
            c = {k: v * f for k, v in costs(ins).items()}
            total.update(c)
            if is_fma(ins) and ins.type_suffix == "f32" and all(op.startswith("%") for op in ins.operands[1:4]):
                three_register += c.get("fp32", 0.0)
            if is_fma(ins):
                for cls in fma:
                    fma[cls] += c.get(cls, 0.0)
    fields: dict[str, float] = {k: round(total[k], 6) for k in CLASSES if total[k]}
    for cls in fma:
        if total[cls] and fma[cls] < total[cls]:
            fields[f"{cls}_fma_fraction"] = round(fma[cls] / total[cls], 6)
    if three_register and "fp32_three_register_share" in Instructions.model_fields:
        fields["fp32_three_register_share"] = round(min(1.0, three_register / total["fp32"]), 6)
    return Instructions.model_validate(fields)


def _phase_name(kind: str, lines: list[int]) -> str:
    if not lines:
        return kind
    return f"{kind}, line {lines[0]}" if lines[0] == lines[-1] else f"{kind}, lines {lines[0]}-{lines[-1]}"


def build_phases(kernel: PtxKernel, sample: Sample, lat: LatencyCycles, local_bytes: int = 0,
                 ) -> tuple[list[Phase], list[PhaseReport]]:
    stats = block_stats(sample, kernel)
    folded, narrow = fold.analyse(kernel)
    base_scale: dict[int, float] = {}
    for i in narrow:
        total = sum(costs(kernel.instructions[i]).values())
        if total > 1:
            base_scale[i] = 1.0 / total
    base_scale.update(dict.fromkeys(folded | fold.scaled_index_adds(kernel), 0.0))
    vectors = {v.leader: len(v.members) for v in vectorize.load_groups(kernel)}
    threads = sample.lanes.ntid[0] * sample.lanes.ntid[1] * sample.lanes.ntid[2] * sample.total_blocks
    phases, reports = [], []
    for group in group_blocks(kernel, stats):
        blocks = [kernel.blocks[b] for b in group]
        s = stats[group[0]]
        assert s is not None
        instructions = [i for b in blocks for i in b.instructions]
        loop = s.trips > 1 or any(b.index in b.successors for b in blocks)
        dependent = dependent_loads(instructions, loop)
        lines = sorted({ln for b in blocks for ln in b.lines})
        report = PhaseReport(_phase_name("loop" if loop else "code", lines), group, lines)
        memory = []
        for ins in instructions:
            log = sample.trace.accesses.get(ins.index)
            if log is None:
                continue
            acc = _access(ins, log, s, sample, threads, local_bytes, ins.index in dependent,
                          vectors.get(ins.index, 1))
            if acc is not None:
                memory.append(acc.spec)
                report.accesses.append(acc)
        scale = {i.index: base_scale[i.index] for i in instructions if i.index in base_scale}
        if len(blocks) == 1 and ptxas_unrolls(blocks[0]) and s.trips >= UNROLL_FACTOR:
            for i in loop_control(blocks[0]):
                scale[i] = scale.get(i, 1.0) / UNROLL_FACTOR
            report.name += f", unrolled x{UNROLL_FACTOR} by ptxas"
        ins_counts = phase_instructions(blocks, scale)
        barriers = sum(1 for i in instructions if i.base in ("bar", "barrier") and "warp" not in i.mods)
        control = loop_control(blocks[-1]) if blocks[-1].instructions[-1].base == "bra" else set()
        chains = independent_chains([i for i in instructions if i.index not in control], lat)
        phases.append(Phase(name=report.name, trips=round(s.trips, 6), instructions=ins_counts, memory=tuple(memory),
                            independent_chains=chains, barriers=barriers,
                            warp_fraction=round(s.warp_fraction, 6),
                            lane_fraction=round(max(s.lane_fraction, 1e-6), 6)))
        reports.append(report)
    return phases, reports


def build_spec(name: str, description: str, kernel: PtxKernel, sample: Sample, lat: LatencyCycles,
               registers_per_thread: int, shared_bytes_per_block: int, local_bytes: int = 0,
               ) -> tuple[KernelSpec, list[PhaseReport]]:
    phases, reports = build_phases(kernel, sample, lat, local_bytes)
    spec = KernelSpec(name=name, description=description, grid=sample.lanes.nctaid, block=sample.lanes.ntid,
                      registers_per_thread=max(1, min(255, registers_per_thread)),
                      shared_memory_bytes_per_block=shared_bytes_per_block, phases=tuple(phases))
    return spec, reports

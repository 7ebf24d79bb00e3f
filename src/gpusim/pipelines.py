"""The seed's stream pipeline patterns as programs.

- A: one stream, serial: H2D -> kernel -> D2H per batch on the legacy default stream.
- B: batch ``b`` on stream ``b % streams`` (3 or more): batches overlap, each batch is serial.
- C: a copy-in, a compute and a copy-out stream (or one copy stream and a compute stream) joined by
  events per batch; the copy streams run ahead of the compute stream (a device buffer per batch).
- D: several tenants, one stream each, issuing their own batches; kernels of different tenants run
  concurrently where the SMs have room.

``n_bytes`` is copied in and out per batch (0: no copies, kernels only). Pageable host memory
(``pinned=False``) makes every copy synchronous and serialising, whatever the pattern.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gpusim.errors import SpecError
from gpusim.kernels.spec import KernelSpec
from gpusim.sim.program import (
    DEFAULT_STREAM,
    Copy,
    DeviceSync,
    EventRecord,
    EventWait,
    Kernel,
    Op,
    Program,
    StreamSync,
)
from gpusim.sim.work import FixedKernel

KernelWork = KernelSpec | FixedKernel
PATTERNS = ("A", "B", "C", "D")


def _check(pattern: str, batches: int, n_bytes: int, streams: int, allowed: Sequence[int] | None = None) -> None:
    if isinstance(batches, bool) or not isinstance(batches, int) or batches < 1:
        raise SpecError(f"pattern {pattern}: batches must be a whole number >= 1 (got {batches!r})")
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, int) or n_bytes < 0:
        raise SpecError(f"pattern {pattern}: bytes must be a whole number >= 0 (got {n_bytes!r})")
    if allowed is not None and streams not in allowed:
        raise SpecError(f"pattern {pattern}: streams must be one of {', '.join(map(str, allowed))} (got {streams})")
    if streams < 1:
        raise SpecError(f"pattern {pattern}: streams must be >= 1 (got {streams})")


def _batch(b: int, n_bytes: int, work: KernelWork, stream: str, pinned: bool, prefix: str = "") -> list[Op]:
    ops: list[Op] = []
    if n_bytes:
        ops.append(Copy("h2d", n_bytes, stream, pinned, f"{prefix}H2D[{b}]"))
    ops.append(Kernel(work, stream, f"{prefix}{work.name}[{b}]"))
    if n_bytes:
        ops.append(Copy("d2h", n_bytes, stream, pinned, f"{prefix}D2H[{b}]"))
    return ops


def pattern_a(batches: int, n_bytes: int, kernel: KernelWork, *, pinned: bool = True,
              streams: int = 1) -> Program:
    """A: every batch on the legacy default stream, one after another."""
    _check("A", batches, n_bytes, streams, (1,))
    ops = [op for b in range(batches) for op in _batch(b, n_bytes, kernel, DEFAULT_STREAM, pinned)]
    return Program((*ops, DeviceSync()), name=f"pattern A: {batches} batches serial")


def pattern_b(batches: int, n_bytes: int, kernel: KernelWork, *, pinned: bool = True,
              streams: int = 3) -> Program:
    """B: batch ``b`` on stream ``s{b % streams}``, then cudaStreamSynchronize on each stream."""
    _check("B", batches, n_bytes, streams)
    names = [f"s{i}" for i in range(streams)]
    ops = [op for b in range(batches) for op in _batch(b, n_bytes, kernel, names[b % streams], pinned)]
    ops += [StreamSync(s) for s in names[:batches]]
    return Program(tuple(ops), name=f"pattern B: {batches} batches over {streams} streams")


def pattern_c(batches: int, n_bytes: int, kernel: KernelWork, *, pinned: bool = True,
              streams: int = 3) -> Program:
    """C: copies and kernels on separate streams, each batch's stages joined by events.

    With 3 streams: ``h2d``, ``compute``, ``d2h``. With 2: ``copy`` carries both directions and
    issues the next batch's H2D before waiting for this batch's kernel, so copies keep flowing.
    """
    _check("C", batches, n_bytes, streams, (2, 3))
    copy_in, copy_out = ("h2d", "d2h") if streams == 3 else ("copy", "copy")
    if not n_bytes:
        ops = [Kernel(kernel, "compute", f"{kernel.name}[{b}]") for b in range(batches)]
        return Program((*ops, DeviceSync()), name=f"pattern C: {batches} batches, kernels only")

    def copy_in_ops(b: int) -> list[Op]:
        return [Copy("h2d", n_bytes, copy_in, pinned, f"H2D[{b}]"), EventRecord(f"in{b}", copy_in)]

    def compute_ops(b: int) -> list[Op]:
        return [EventWait(f"in{b}", "compute"), Kernel(kernel, "compute", f"{kernel.name}[{b}]"),
                EventRecord(f"out{b}", "compute")]

    def copy_out_ops(b: int) -> list[Op]:
        return [EventWait(f"out{b}", copy_out), Copy("d2h", n_bytes, copy_out, pinned, f"D2H[{b}]")]

    ops: list[Op] = []
    if streams == 3:
        for b in range(batches):
            ops += copy_in_ops(b) + compute_ops(b) + copy_out_ops(b)
    else:
        ops += copy_in_ops(0)
        for b in range(batches):
            ops += compute_ops(b)
            if b + 1 < batches:
                ops += copy_in_ops(b + 1)
            ops += copy_out_ops(b)
    return Program((*ops, DeviceSync()), name=f"pattern C: {batches} batches, {streams} streams joined by events")


def pattern_d(batches: int, n_bytes: int, kernel: KernelWork | Sequence[KernelWork], *, pinned: bool = True,
              streams: int = 2) -> Program:
    """D: ``streams`` tenants (stream ``tenant{t}``), each running its own kernel on its own batches;
    the tenants' batches are issued round-robin. ``kernel`` may be one per tenant (cycled)."""
    _check("D", batches, n_bytes, streams)
    works = [kernel] if isinstance(kernel, KernelSpec | FixedKernel) else list(kernel)
    if not works:
        raise SpecError("pattern D: needs at least one kernel")
    ops: list[Op] = []
    for b in range(batches):
        for t in range(streams):
            ops += _batch(b, n_bytes, works[t % len(works)], f"tenant{t}", pinned, prefix=f"t{t}:")
    return Program((*ops, DeviceSync()), name=f"pattern D: {streams} tenants x {batches} batches")


BUILDERS: dict[str, Callable[..., Program]] = {"A": pattern_a, "B": pattern_b, "C": pattern_c, "D": pattern_d}
DEFAULT_STREAMS = {"A": 1, "B": 3, "C": 3, "D": 2}


def build_pattern(pattern: str, batches: int, n_bytes: int, kernel: KernelWork, *, pinned: bool = True,
                  streams: int | None = None) -> Program:
    """The program of ``pattern`` (A, B, C or D; case-insensitive)."""
    key = pattern.upper()
    if key not in BUILDERS:
        raise SpecError(f"pattern: must be one of {', '.join(PATTERNS)} (got {pattern!r})")
    return BUILDERS[key](batches, n_bytes, kernel, pinned=pinned, streams=streams or DEFAULT_STREAMS[key])


def fixed_kernel(duration_ns: float, name: str = "kernel", blocks: int | None = None,
                 blocks_per_sm: int = 1) -> FixedKernel:
    """A kernel of known duration (whole GPU by default) for the patterns."""
    if not duration_ns > 0:
        raise SpecError(f"kernel duration must be > 0 (got {duration_ns!r})")
    return FixedKernel(name, duration_ns, blocks, blocks_per_sm)

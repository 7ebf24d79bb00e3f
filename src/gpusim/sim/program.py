"""A host program: the CUDA API calls one host thread makes, in order, as plain dataclasses.

Streams are named; ``default`` is the legacy default stream. A stream named by an operation exists
from then on as a blocking stream unless ``Program.streams`` declares it ``non_blocking``. Events are
named too; waiting on an event that no earlier operation recorded is an error (CUDA would treat it
as already complete, which is rarely what a program means). The YAML form is in ``program_yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from gpusim.errors import SpecError, located
from gpusim.kernels.spec import KernelSpec
from gpusim.sim.pcie import CopyDirection
from gpusim.sim.work import FixedKernel

DEFAULT_STREAM = "default"
HostApi = Literal["cpp", "python"]
HOST_APIS: tuple[str, ...] = ("cpp", "python")
COPY_DIRECTIONS: tuple[str, ...] = ("h2d", "d2h", "d2d")


@dataclass(frozen=True)
class Copy:
    """cudaMemcpyAsync of ``bytes`` in ``direction``; ``pinned=False`` is pageable host memory."""

    direction: CopyDirection
    bytes: int
    stream: str = DEFAULT_STREAM
    pinned: bool = True
    name: str = ""


@dataclass(frozen=True)
class Kernel:
    """A kernel launch: a KernelSpec timed by the model, or a FixedKernel of known duration."""

    work: KernelSpec | FixedKernel
    stream: str = DEFAULT_STREAM
    name: str = ""


@dataclass(frozen=True)
class EventRecord:
    """cudaEventRecord: the event completes when all work issued to ``stream`` before it has."""

    event: str
    stream: str = DEFAULT_STREAM
    name: str = ""


@dataclass(frozen=True)
class EventWait:
    """cudaStreamWaitEvent: later work in ``stream`` waits for the event's latest record."""

    event: str
    stream: str = DEFAULT_STREAM
    name: str = ""


@dataclass(frozen=True)
class EventSync:
    """cudaEventSynchronize: the host waits for the event's latest record."""

    event: str
    name: str = ""


@dataclass(frozen=True)
class StreamSync:
    """cudaStreamSynchronize: the host waits for all work issued to ``stream``."""

    stream: str = DEFAULT_STREAM
    name: str = ""


@dataclass(frozen=True)
class DeviceSync:
    """cudaDeviceSynchronize: the host waits for all work issued to every stream."""

    name: str = ""


@dataclass(frozen=True)
class HostWork:
    """CPU work of the host thread (no API call): it issues nothing for ``duration_ns``."""

    duration_ns: float
    name: str = ""


Op: TypeAlias = Copy | Kernel | EventRecord | EventWait | EventSync | StreamSync | DeviceSync | HostWork
STREAM_OPS = (Copy, Kernel, EventRecord, EventWait)


@dataclass(frozen=True)
class StreamDecl:
    """A stream's creation flags; ``non_blocking`` streams do not synchronise with the default stream."""

    name: str
    non_blocking: bool = False


@dataclass(frozen=True)
class Program:
    """Operations in the order the host thread issues them.

    ``source`` names the file (or ``<program>``) and ``origins`` the key path of each operation in it;
    both only serve error messages.
    """

    ops: tuple[Op, ...]
    streams: tuple[StreamDecl, ...] = ()
    host_api: HostApi = "cpp"
    name: str = "program"
    source: str = field(default="<program>", compare=False)
    origins: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ops", tuple(self.ops))
        object.__setattr__(self, "streams", tuple(self.streams))
        _check(self)

    def where(self, index: int) -> str:
        """Key path of operation ``index`` in the source."""
        return self.origins[index] if index < len(self.origins) else f"ops[{index}]"

    def stream_names(self) -> list[str]:
        """Declared streams, then streams in order of first use."""
        names = [s.name for s in self.streams]
        for op in self.ops:
            stream = getattr(op, "stream", None)
            if stream is not None and stream not in names:
                names.append(stream)
        return names


def op_kind(op: Op) -> str:
    """Short name of an operation's type, as written in the YAML form (``h2d``, ``kernel``, ...)."""
    if isinstance(op, Copy):
        return op.direction
    return _KINDS[type(op)]


_KINDS: dict[type, str] = {Kernel: "kernel", EventRecord: "event_record", EventWait: "event_wait",
                           EventSync: "event_sync", StreamSync: "stream_sync", DeviceSync: "device_sync",
                           HostWork: "host"}


def op_label(op: Op, index: int) -> str:
    """The operation's display name: its ``name``, else one made from its type and index."""
    if op.name:
        return op.name
    if isinstance(op, Copy):
        return f"{op.direction.upper()}#{index}"
    if isinstance(op, Kernel):
        return f"{op.work.name}#{index}"
    if isinstance(op, EventRecord):
        return f"record {op.event}"
    if isinstance(op, EventWait):
        return f"wait {op.event}"
    if isinstance(op, EventSync):
        return f"sync {op.event}"
    if isinstance(op, StreamSync):
        return f"sync {op.stream}"
    if isinstance(op, DeviceSync):
        return "device sync"
    return f"host#{index}"


def _check(program: Program) -> None:
    """Raise SpecError on the first operation that cannot run."""

    def fail(key: str, message: str) -> None:
        raise SpecError(located(program.source, key, message))

    if program.host_api not in HOST_APIS:
        fail("host_api", f"must be one of {', '.join(HOST_APIS)} (got {program.host_api!r})")
    declared: set[str] = set()
    for i, decl in enumerate(program.streams):
        if not decl.name:
            fail(f"streams[{i}]", "stream name must not be empty")
        if decl.name in declared:
            fail(f"streams.{decl.name}", "stream declared twice")
        if decl.name == DEFAULT_STREAM and decl.non_blocking:
            fail(f"streams.{decl.name}", "the legacy default stream cannot be non_blocking")
        declared.add(decl.name)
    recorded: set[str] = set()
    for i, op in enumerate(program.ops):
        where = program.where(i)
        if not isinstance(op, Op):
            fail(where, f"not an operation: {op!r}")
        stream = getattr(op, "stream", None)
        if stream is not None and (not isinstance(stream, str) or not stream):
            fail(f"{where}.stream", "must be a non-empty stream name")
        if isinstance(op, Copy):
            if op.direction not in COPY_DIRECTIONS:
                fail(f"{where}.direction", f"must be one of {', '.join(COPY_DIRECTIONS)}")
            if isinstance(op.bytes, bool) or not isinstance(op.bytes, int) or op.bytes < 0:
                fail(f"{where}.bytes", f"must be a whole number of bytes >= 0 (got {op.bytes!r})")
            if op.direction == "d2d" and not op.pinned:
                fail(f"{where}.pinned", "a device-to-device copy has no host memory to be pageable")
        elif isinstance(op, HostWork):
            if not op.duration_ns >= 0:
                fail(f"{where}.duration", f"must be >= 0 (got {op.duration_ns!r})")
        elif isinstance(op, Kernel):
            if not isinstance(op.work, KernelSpec | FixedKernel):
                fail(f"{where}.work", f"must be a KernelSpec or a FixedKernel (got {type(op.work).__name__})")
            if isinstance(op.work, FixedKernel) and not op.work.duration_ns > 0:
                fail(f"{where}.duration", f"a kernel's duration must be > 0 (got {op.work.duration_ns!r})")
        elif isinstance(op, EventRecord):
            recorded.add(op.event)
        elif isinstance(op, EventWait | EventSync) and op.event not in recorded:
            fail(f"{where}.event", f"event {op.event!r} is not recorded by any earlier operation")

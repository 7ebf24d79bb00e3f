"""Records of what happened in a simulation: values, not objects with behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

OpKind = Literal["kernel", "h2d", "d2h", "d2d", "host", "event_record", "event_wait", "sync", "launch"]


@dataclass(frozen=True)
class OpRecord:
    """One operation's life: issued (reached the head of its stream), started and ended, in ns.

    ``resource`` is where it ran: ``sm`` for kernels, ``copy_h2d``/``copy_d2h`` for copy engines,
    ``host`` for host work and dispatch.
    """

    name: str
    kind: OpKind
    stream: str
    resource: str
    issue_ns: float
    start_ns: float
    end_ns: float
    bytes: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_ns(self) -> float:
        return self.end_ns - self.start_ns

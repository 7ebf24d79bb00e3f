"""What a kernel launch asks of the GPU: a KernelSpec timed by the model, or a fixed duration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gpusim.kernels.spec import KernelSpec


@dataclass(frozen=True)
class FixedKernel:
    """A kernel of known duration: ``blocks`` blocks of ``block_duration_ns`` each, at most
    ``blocks_per_sm`` resident per SM. The default (one block per SM, as many blocks as SMs when
    ``blocks`` is None) takes the whole GPU for ``duration_ns``."""

    name: str
    duration_ns: float
    blocks: int | None = None
    blocks_per_sm: int = 1


@dataclass(frozen=True)
class KernelLaunch:
    """One launch: the work and the stream it was issued on."""

    work: KernelSpec | FixedKernel
    stream: str = "default"

    @property
    def name(self) -> str:
        return self.work.name

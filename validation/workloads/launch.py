"""Launch cost: an empty kernel, and the spin kernel the runner queues to hide host dispatch.

``empty`` does nothing: its event time is the GPU-side cost of a launch (and of its blocks).
``spin`` keeps one thread busy on a dependent float32 FMA chain of ``iters`` trips (no clock
reads); the runner sizes ``iters`` once so that it lasts tens of microseconds.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from .common import Case, Check, Instance, f32


@cuda.jit
def empty():
    pass


@cuda.jit
def spin(out, b, c, iters):
    a = out[0]
    k = 0
    while k < iters:
        a = cuda.fma(a, b, c)
        k += 1
    out[0] = a


KERNELS = {"empty": empty, "spin": spin}


class Spinner:
    """Owns the spin kernel's one-element buffer; ``enqueue(stream, iters)`` queues one spin."""

    def __init__(self) -> None:
        self.buffer = cuda.to_device(np.ones(1, dtype=np.float32))
        self.b, self.c = f32(0.999), f32(0.001)

    def enqueue(self, stream: object, iters: int) -> None:
        spin[1, 1, stream](self.buffer, self.b, self.c, int(iters))


def prepare(case: Case) -> Instance:
    grid, block = case["grid"], case["block"]

    def launch(stream: object = 0) -> None:
        empty[grid, block, stream]()

    def check() -> Check:
        return Check(0.0, 0.0, 0)

    return Instance(case, "empty", launch, check)

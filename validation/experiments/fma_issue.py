"""Why does one dependent FP32 FMA chain per warp run at ~2.2 cycles per FMA with 16 warps per scheduler,
when four chains run at ~1.1? Hypothesis: register-bank conflicts on three-register-source FFMAs, which
the operand reuse cache only hides when one warp issues FFMAs back to back (independent chains).

Variants (full grid: 8 blocks x 256 threads per SM, ``iters`` trips, SASS unrolled by 16):
``reg``: a = fma(a, b, c) with b, c kernel arguments (registers); ``imm``: b, c compile-time constants
(immediate / constant operands: fewer register sources); chains 1, 2, 4.

    python3 -m validation.experiments.fma_issue --out result.json     (on a CUDA GPU)
"""

from __future__ import annotations

import argparse
import json
import sys

from validation import ensure_numpy_compat

ensure_numpy_compat()

import numpy as np  # noqa: E402
from numba import cuda, float32  # noqa: E402

from validation.timing import EventTimer  # noqa: E402


def _kernels() -> dict[str, object]:
    @cuda.jit
    def reg1(out, x, b, c, iters):
        i = cuda.grid(1)
        a = x[i]
        k = 0
        while k < iters:
            a = cuda.fma(a, b, c)
            k += 1
        out[i] = a

    @cuda.jit
    def reg2(out, x, b, c, iters):
        i = cuda.grid(1)
        a0 = x[i]
        a1 = a0 + float32(1.0)
        k = 0
        while k < iters:
            a0 = cuda.fma(a0, b, c)
            a1 = cuda.fma(a1, b, c)
            k += 1
        out[i] = a0 + a1

    @cuda.jit
    def reg4(out, x, b, c, iters):
        i = cuda.grid(1)
        a0 = x[i]
        a1 = a0 + float32(1.0)
        a2 = a0 + float32(2.0)
        a3 = a0 + float32(3.0)
        k = 0
        while k < iters:
            a0 = cuda.fma(a0, b, c)
            a1 = cuda.fma(a1, b, c)
            a2 = cuda.fma(a2, b, c)
            a3 = cuda.fma(a3, b, c)
            k += 1
        out[i] = a0 + a1 + a2 + a3

    @cuda.jit
    def imm1(out, x, b, c, iters):
        i = cuda.grid(1)
        a = x[i]
        k = 0
        while k < iters:
            a = cuda.fma(a, float32(0.999), float32(0.001))
            k += 1
        out[i] = a

    @cuda.jit
    def add1(out, x, b, c, iters):
        i = cuda.grid(1)
        a = x[i]
        k = 0
        while k < iters:
            a = a * b
            k += 1
        out[i] = a

    return {"reg1": reg1, "reg2": reg2, "reg4": reg4, "imm1": imm1, "mul1_reg": add1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--iters", type=int, default=16384)
    args = parser.parse_args(argv)
    if not cuda.is_available():
        print("fma_issue: no CUDA GPU", file=sys.stderr)
        return 2
    dev = cuda.get_current_device()
    sms = dev.MULTIPROCESSOR_COUNT
    stream = cuda.stream()
    timer = EventTimer(stream)
    timer.calibrate()
    results = []
    for blocks_per_sm in (8, 4, 2, 1):
        grid, block = blocks_per_sm * sms, 256
        n = grid * block
        x = cuda.to_device(np.random.default_rng(0).uniform(0.5, 1.0, n).astype(np.float32))
        out = cuda.device_array(n, np.float32)
        for name, kernel in _kernels().items():
            chains = int(name[-1]) if name[-1].isdigit() else 1

            def launch(s, kernel=kernel, grid=grid, out=out, x=x, block=block):
                kernel[grid, block, s](out, x, np.float32(0.999), np.float32(0.001), args.iters)

            m = timer.measure(launch, budget_s=0.15)
            t = m["time_s"] if isinstance(m, dict) else m.time_s
            fmas = args.iters * chains
            warps_per_scheduler = blocks_per_sm * block / 32 / 4
            cycles = t * dev.CLOCK_RATE * 1e3 / (fmas * warps_per_scheduler)
            try:
                regs = int(kernel.get_regs_per_thread())
            except Exception:
                regs = -1
            results.append({"variant": name, "blocks_per_sm": blocks_per_sm, "time_s": t,
                            "cycles_per_fma_per_scheduler": cycles, "regs": regs})
            print(f"{name:9s} {blocks_per_sm} blocks/SM  {t * 1e6:9.2f} us  {cycles:5.2f} cycles/FMA/scheduler")
    with open(args.out, "w") as fh:
        json.dump({"device": dev.name.decode() if isinstance(dev.name, bytes) else dev.name, "iters": args.iters,
                   "results": results}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

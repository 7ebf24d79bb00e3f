"""Runs under ``NUMBA_ENABLE_CUDASIM=1``: the runner's measuring code paths on a few tiny cases.

The simulator's events have no times and no ``timing`` argument, so this script gives ``cuda.event``
that argument and sets the spin calibration by hand; the numbers are meaningless, but every transfer,
pipeline, concurrency, launch-chain and kernel path runs and checks its results. Writes nothing;
prints one JSON document.
"""

from __future__ import annotations

import json

from numba import cuda

from validation import run as runner

MATCH = ",".join(
    [
        "saxpy",
        "empty_g1x1",
        "pointer_chase_dram",
        "back_to_back_empty",
        "transfer_both_pinned_4k",
        "transfer_h2d_pageable_64k",
        "transfer_d2h_pinned_1024k",
        "transfer_both_pageable_4k",
        "pipeline_A_light_b4_live",
        "pipeline_B_heavy_b4_prequeued",
        "pipeline_C_heavy_b4_live",
        "pipeline_C_light_b1_prequeued",
        "concurrency",
    ]
)


def main() -> None:
    simulator_event = cuda.event
    cuda.event = lambda timing=True: simulator_event()
    args = runner.parse_args(["--scale", "tiny", "--no-sass", "--match", MATCH])
    document: dict = {"measurements": [], "failed": []}
    run = runner.Run(args, cuda, document, runner.Writer([]))
    run.timer.spin_s_per_iter, run.timer.spin_iters = 1e-4, 1
    run.kernels(4)
    run.transfers()
    run.pipelines(4)
    run.concurrency(4)
    run.inspect_kernels()
    summary = [
        {
            "name": m["case"]["name"],
            "kind": m["kind"],
            "error": m.get("error"),
            "traceback": m.get("traceback"),
            "check_passed": (m.get("check") or {}).get("passed"),
            "has_time": "time_s" in m,
            "n_ops": len(m.get("ops", [])),
        }
        for m in document["measurements"]
    ]
    print(json.dumps({"measurements": summary, "failed": document["failed"]}))


if __name__ == "__main__":
    main()

"""Model-side predictions of the measured transfer, pipeline and concurrency cases.

Each case becomes a gpusim Program mirroring what ``validation/transfers.py`` and
``validation/pipelines.py`` queue on the GPU: the same copies, streams, events and kernels. Work queued
behind a spin kernel ("prequeued", every pinned transfer) pays no host dispatch; live submission and
pageable copies pay the Python dispatch cost per API call.
"""

from __future__ import annotations

from typing import Any

from gpusim.hardware.schema import GpuModel
from gpusim.pipelines import pattern_a, pattern_b, pattern_c
from gpusim.sim.program import Copy, DeviceSync, Kernel, Op, Program
from gpusim.sim.simulate import simulate
from gpusim.timeline import Timeline
from validation.specs import spec_for_case


def _makespan_s(program: Program, model: GpuModel, dispatch_hidden: bool) -> float:
    result = simulate(program, model, host_api="python", dispatch_ns=0.0 if dispatch_hidden else None)
    return Timeline.from_result(result).makespan_ns * 1e-9


def transfer_program(case: dict[str, Any]) -> Program:
    n, pinned, direction = case["size_bytes"], case["host_memory"] == "pinned", case["direction"]
    ops: list[Op] = []
    if direction in ("h2d", "both"):
        ops.append(Copy("h2d", n, "s0", pinned, "H2D"))
    if direction in ("d2h", "both"):
        ops.append(Copy("d2h", n, "s1" if direction == "both" else "s0", pinned, "D2H"))
    return Program((*ops, DeviceSync()), name=case["name"])


def predict_transfer(case: dict[str, Any], model: GpuModel) -> float:
    return _makespan_s(transfer_program(case), model, dispatch_hidden=case["host_memory"] == "pinned")


def pipeline_program(case: dict[str, Any]) -> Program:
    kernel = spec_for_case(case["kernel"])
    batches, n_bytes = case["n_batches"], case["batch_bytes"]
    pattern = case["pipeline"]
    if pattern == "A":  # one stream; the harness's is not the legacy default stream, which alone behaves the same
        return pattern_a(batches, n_bytes, kernel)
    if pattern == "B":
        return pattern_b(batches, n_bytes, kernel, streams=case["n_streams"])
    return pattern_c(batches, n_bytes, kernel, streams=3)


def predict_pipeline(case: dict[str, Any], model: GpuModel) -> float:
    return _makespan_s(pipeline_program(case), model, dispatch_hidden=case["submission"] == "prequeued")


def concurrency_program(case: dict[str, Any]) -> Program:
    kernel = spec_for_case(case["kernel"])
    streams = ["s0", "s1"] if case["n_streams"] == 2 else ["s0", "s0"]
    ops = [Kernel(kernel, s, f"k{i}") for i, s in enumerate(streams)]
    return Program((*ops, DeviceSync()), name=case["name"])


def predict_concurrency(case: dict[str, Any], model: GpuModel) -> float:
    return _makespan_s(concurrency_program(case), model, dispatch_hidden=True)


PREDICTORS = {"transfer": predict_transfer, "pipeline": predict_pipeline, "concurrency": predict_concurrency}

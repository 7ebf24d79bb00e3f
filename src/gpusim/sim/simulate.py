"""Run a program: build the environment, the GPU, the copy engines and the host thread; return records."""

from __future__ import annotations

from dataclasses import dataclass

import simpy

from gpusim.errors import SpecError
from gpusim.hardware.schema import GpuModel
from gpusim.sim.gpu import Gpu
from gpusim.sim.pcie import CopyEngines, CopyParams
from gpusim.sim.program import HOST_APIS, HostApi, Program
from gpusim.sim.records import OpRecord
from gpusim.sim.streams import HostThread, StreamTable
from gpusim.units import NS_PER_US


@dataclass(frozen=True)
class SimResult:
    """What a program did: records in program order, the streams in order of creation, the settings."""

    records: tuple[OpRecord, ...]
    streams: tuple[str, ...]
    model_name: str
    host_api: HostApi
    host_dispatch_ns: float


def host_dispatch_ns(model: GpuModel, host_api: HostApi) -> float:
    """Host-side cost of one API call: C++ runtime or Python (Numba) dispatch."""
    if host_api not in HOST_APIS:
        raise SpecError(f"host_api: must be one of {', '.join(HOST_APIS)} (got {host_api!r})")
    us = model.launch.host_dispatch_cpp_us if host_api == "cpp" else model.launch.host_dispatch_python_us
    return us * NS_PER_US


def simulate(program: Program, model: GpuModel, *, host_api: HostApi | None = None,
             dispatch_ns: float | None = None, copy_params: CopyParams | None = None) -> SimResult:
    """Simulate ``program`` on ``model``.

    ``host_api`` overrides the program's; ``dispatch_ns`` overrides the per-call host cost it implies;
    ``copy_params`` overrides the copy-engine figures derived from the model.
    """
    api = host_api or program.host_api
    cost_ns = host_dispatch_ns(model, api) if dispatch_ns is None else dispatch_ns
    if cost_ns < 0:
        raise SpecError(f"dispatch_ns: must be >= 0 (got {cost_ns})")
    env = simpy.Environment()
    streams = StreamTable(program.streams)
    host = HostThread(env, Gpu(env, model), CopyEngines(env, copy_params or CopyParams.from_model(model)),
                      cost_ns, streams)
    env.process(host.run(program))
    env.run()
    names = [s.name for s in program.streams] + [n for n in streams.names if n not in
                                                  {s.name for s in program.streams}]
    return SimResult(tuple(host.records()), tuple(names), model.name, api, cost_ns)

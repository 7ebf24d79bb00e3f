"""The GPU's block scheduler. PLACEHOLDER: fixed-duration kernels only, one at a time."""

from __future__ import annotations

import simpy

from gpusim.hardware.schema import GpuModel
from gpusim.sim.records import OpRecord
from gpusim.sim.work import FixedKernel, KernelLaunch


class Gpu:
    """Runs kernel launches on the SMs. ``launch`` returns an event whose value is an OpRecord."""

    def __init__(self, env: simpy.Environment, model: GpuModel) -> None:
        self.env = env
        self.model = model
        self._sms = simpy.Resource(env, capacity=1)

    def launch(self, launch: KernelLaunch) -> simpy.Event:
        done = self.env.event()
        self.env.process(self._run(launch, done))
        return done

    def _run(self, launch: KernelLaunch, done: simpy.Event):  # type: ignore[no-untyped-def]
        issue = self.env.now
        with self._sms.request() as req:
            yield req
            yield self.env.timeout(self.model.launch.kernel_launch_latency_us * 1e3)
            start = self.env.now
            work = launch.work
            assert isinstance(work, FixedKernel)
            yield self.env.timeout(work.duration_ns)
        done.succeed(OpRecord(launch.name, "kernel", launch.stream, "sm", issue, start, self.env.now))

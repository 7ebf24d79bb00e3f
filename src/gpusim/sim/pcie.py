"""Copy engines: one SimPy resource per direction (H2D, D2H) over a shared PCIe link, plus D2D copies.

A copy holds its direction's engine for a fixed cost (per-transfer latency, plus the staging cost of
pageable memory) and then moves its bytes over the link. While copies of both directions move data
at the same time each gets ``bidirectional_factor`` of its solo bandwidth: a fluid model in which
the rates change at the moments a data phase starts or ends, so a copy's duration depends on how
much of it overlapped the other direction. Device-to-device copies run at DRAM speed (each byte is
read and written) on their own engine and do not use the link.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

import simpy

from gpusim.hardware.derived import achievable_dram_bandwidth_bytes_per_s, pcie_bandwidth_bytes_per_s
from gpusim.hardware.schema import GpuModel
from gpusim.sim.records import OpRecord
from gpusim.units import NS_PER_S, NS_PER_US

CopyDirection = Literal["h2d", "d2h", "d2d"]
COPY_RESOURCES: dict[str, str] = {"h2d": "copy_h2d", "d2h": "copy_d2h", "d2d": "copy_d2d"}


@dataclass(frozen=True)
class CopyParams:
    """Everything the copy engines need, in simulation units (bytes/s and ns)."""

    pcie_bandwidth_bytes_per_s: float
    per_transfer_ns: float
    bidirectional_factor: float
    pageable_bandwidth_fraction: dict[str, float]
    pageable_latency_ns: dict[str, float]
    d2d_bandwidth_bytes_per_s: float
    d2d_latency_ns: float
    separate_directions: bool = True

    @classmethod
    def from_model(cls, model: GpuModel) -> CopyParams:
        """Link bandwidth from generation x lanes x efficiency; the per-direction share under
        bidirectional load is ``bidirectional_efficiency / efficiency`` (at most 1); D2D copies
        move 2 x bytes at the achievable DRAM bandwidth and pay the kernel launch latency."""
        p = model.pcie
        return cls(
            pcie_bandwidth_bytes_per_s=pcie_bandwidth_bytes_per_s(model),
            per_transfer_ns=p.per_transfer_latency_us * NS_PER_US,
            bidirectional_factor=min(1.0, p.bidirectional_efficiency / p.efficiency),
            pageable_bandwidth_fraction={"h2d": p.pageable_h2d_bandwidth_fraction,
                                         "d2h": p.pageable_d2h_bandwidth_fraction},
            pageable_latency_ns={"h2d": p.pageable_h2d_latency_us * NS_PER_US,
                                 "d2h": p.pageable_d2h_latency_us * NS_PER_US},
            d2d_bandwidth_bytes_per_s=achievable_dram_bandwidth_bytes_per_s(model) / 2,
            d2d_latency_ns=model.launch.kernel_launch_latency_us * NS_PER_US,
            separate_directions=model.copy_engines.async_engines >= 2,
        )

    def solo_time_ns(self, direction: CopyDirection, n_bytes: int, pinned: bool = True) -> float:
        """Duration of a copy that runs alone (no bidirectional sharing)."""
        latency, rate = self.cost(direction, pinned)
        return latency + n_bytes / rate * NS_PER_S

    def cost(self, direction: CopyDirection, pinned: bool) -> tuple[float, float]:
        """(fixed cost in ns, solo rate in bytes/s) of one copy."""
        if direction == "d2d":
            return self.d2d_latency_ns, self.d2d_bandwidth_bytes_per_s
        if pinned:
            return self.per_transfer_ns, self.pcie_bandwidth_bytes_per_s
        return (self.per_transfer_ns + self.pageable_latency_ns[direction],
                self.pcie_bandwidth_bytes_per_s * self.pageable_bandwidth_fraction[direction])


@dataclass(frozen=True)
class CopyRequest:
    """One copy as the engines see it."""

    name: str
    direction: CopyDirection
    n_bytes: int
    stream: str
    pinned: bool = True


class _Link:
    """The PCIe link: counts the data phases running in each direction and wakes them when it changes."""

    def __init__(self, env: simpy.Environment, bidirectional_factor: float) -> None:
        self.env = env
        self.factor = bidirectional_factor
        self._active: Counter[str] = Counter()
        self._changed = env.event()

    def _share(self, direction: str) -> float:
        other = "d2h" if direction == "h2d" else "h2d"
        scale = self.factor if self._active[other] else 1.0
        return scale / self._active[direction]

    def _notify(self) -> None:
        changed, self._changed = self._changed, self.env.event()
        changed.succeed()

    def move(self, direction: str, n_bytes: int, solo_rate: float) -> Generator[simpy.Event, Any, float]:
        """Move ``n_bytes``; returns the data-phase duration in ns."""
        env = self.env
        began = env.now
        self._active[direction] += 1
        self._notify()
        remaining = float(n_bytes)
        try:
            while remaining > 0:
                rate_per_ns = solo_rate * self._share(direction) / NS_PER_S
                t0 = env.now
                finish = env.timeout(remaining / rate_per_ns)
                fired = yield finish | self._changed
                if finish in fired:
                    break
                remaining -= rate_per_ns * (env.now - t0)
                if remaining <= n_bytes * 1e-12:
                    break
        finally:
            self._active[direction] -= 1
            self._notify()
        return env.now - began


class CopyEngines:
    """The GPU's copy engines. ``copy`` returns an event whose value is the copy's OpRecord."""

    def __init__(self, env: simpy.Environment, params: CopyParams) -> None:
        self.env = env
        self.params = params
        h2d = simpy.Resource(env, capacity=1)
        d2h = simpy.Resource(env, capacity=1) if params.separate_directions else h2d
        self._engines = {"h2d": h2d, "d2h": d2h, "d2d": simpy.Resource(env, capacity=1)}
        self._link = _Link(env, params.bidirectional_factor)

    def copy(self, request: CopyRequest) -> simpy.Process:
        return self.env.process(self._run(request))

    def _run(self, req: CopyRequest) -> Generator[simpy.Event, Any, OpRecord]:
        env = self.env
        issue = env.now
        latency_ns, solo_rate = self.params.cost(req.direction, req.pinned)
        with self._engines[req.direction].request() as granted:
            yield granted
            start = env.now
            if latency_ns > 0:
                yield env.timeout(latency_ns)
            data_ns = 0.0
            if req.n_bytes > 0:
                if req.direction == "d2d":
                    data_ns = req.n_bytes / solo_rate * NS_PER_S
                    yield env.timeout(data_ns)
                else:
                    data_ns = yield from self._link.move(req.direction, req.n_bytes, solo_rate)
            end = env.now
        detail = {
            "pinned": req.pinned,
            "latency_ns": latency_ns,
            "bandwidth_bytes_per_s": req.n_bytes / data_ns * NS_PER_S if data_ns > 0 else 0.0,
        }
        return OpRecord(req.name, req.direction, req.stream, COPY_RESOURCES[req.direction], issue, start, end,
                        bytes=req.n_bytes, detail=detail)

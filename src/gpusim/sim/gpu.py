"""The GPU: a block scheduler handing thread blocks to SMs as slots free up, in SimPy.

SMs with identical contents form a group; blocks dispatched together to a group form a cohort that
progresses at a rate set by the memory-system solution (``memory.solve_mva``) for everything resident
at that moment. Events happen only where something changes: a kernel becomes ready, a cohort ends.
Fidelity ``aggregate`` also folds a kernel's identical full waves into one cohort; ``wave``
dispatches wave by wave; ``block`` treats every SM and every block on its own. All three follow the
same rules and agree where they apply; ``aggregate`` costs per distinct wave, not per block.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal

import simpy

from gpusim.hardware import derived
from gpusim.hardware.schema import GpuModel
from gpusim.kernels.occupancy import occupancy
from gpusim.kernels.spec import KernelSpec
from gpusim.sim.memory import CustomerClass, cache_view, solve_mva
from gpusim.sim.records import OpRecord
from gpusim.sim.sm import WarpDemand, warp_demand
from gpusim.sim.work import FixedKernel, KernelLaunch

Fidelity = Literal["aggregate", "wave", "block"]
FIDELITIES: tuple[Fidelity, ...] = ("aggregate", "wave", "block")
_EPS = 1e-9


@dataclass(frozen=True)
class _Usage:
    """SM resources: warps, blocks, registers, shared memory bytes."""

    warps: int
    blocks: int
    registers: int
    shared_bytes: int

    def fits(self, per_block: _Usage) -> int:
        return min(self.warps // per_block.warps, self.blocks // per_block.blocks,
                   self.registers // max(1, per_block.registers),
                   self.shared_bytes // max(1, per_block.shared_bytes))

    def minus(self, other: _Usage, n: int) -> _Usage:
        return _Usage(self.warps - n * other.warps, self.blocks - n * other.blocks,
                      self.registers - n * other.registers, self.shared_bytes - n * other.shared_bytes)


@dataclass
class _Kernel:
    index: int
    launch: KernelLaunch
    done: simpy.Event
    issue_ns: float
    blocks_total: int
    blocks_left: int
    max_per_sm: int
    warps_per_block: int
    usage: _Usage
    demand: WarpDemand | None
    fixed_block_ns: float | None
    start_ns: float | None = None
    running: int = 0
    sm_busy_ns: float = 0.0
    all_dispatched_ns: float | None = None
    parts_ns: dict[str, float] = field(default_factory=dict)
    tail_idle_ns: float = 0.0


@dataclass
class _Group:
    index: int
    n_sms: int
    free: _Usage
    cohorts: list[_Cohort] = field(default_factory=list)


@dataclass
class _Cohort:
    kernel: _Kernel
    group: _Group
    blocks_per_sm: int
    waves: int
    progress: float = 0.0
    rate_per_ns: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)


class Gpu:
    """Runs kernel launches on the SMs; ``launch`` returns an event whose value is an OpRecord."""

    def __init__(self, env: simpy.Environment, model: GpuModel, fidelity: Fidelity = "aggregate",
                 warm_l2: bool = True, sms: int | None = None) -> None:
        if fidelity not in FIDELITIES:
            raise ValueError(f"fidelity must be one of {FIDELITIES}, got {fidelity!r}")
        self.env = env
        self.model = model
        self.fidelity = fidelity
        self.warm_l2 = warm_l2
        self.n_sms = sms if sms is not None else model.gpu.sms
        lim = model.arch.limits
        self._sm_capacity = _Usage(lim.max_warps_per_sm, lim.max_blocks_per_sm, lim.registers_per_sm,
                                   lim.max_shared_memory_per_sm_bytes)
        self._groups: list[_Group] = []
        self._group_counter = 0
        if fidelity == "block":
            for _ in range(self.n_sms):
                self._groups.append(self._new_group(1, self._sm_capacity))
        else:
            self._groups.append(self._new_group(self.n_sms, self._sm_capacity))
        self._ready: list[_Kernel] = []
        self._kernel_counter = 0
        self._last_ns = 0.0
        self._wake: simpy.Event = env.event()
        self._l2_bytes_per_ns = derived.l2_bandwidth_bytes_per_s(model) / 1e9
        self._dram_bytes_per_ns = derived.achievable_dram_bandwidth_bytes_per_s(model) / 1e9
        self.events_processed = 0
        env.process(self._loop())

    # -- public -----------------------------------------------------------------------------------
    def launch(self, launch: KernelLaunch) -> simpy.Event:
        """Launch a kernel now; its blocks start after the GPU-side launch latency."""
        done = self.env.event()
        kernel = self._make_kernel(launch, done)
        self.env.process(self._arrive(kernel))
        return done

    # -- building kernels -------------------------------------------------------------------------
    def _new_group(self, n_sms: int, free: _Usage) -> _Group:
        self._group_counter += 1
        return _Group(self._group_counter, n_sms, free)

    def _make_kernel(self, launch: KernelLaunch, done: simpy.Event) -> _Kernel:
        self._kernel_counter += 1
        work = launch.work
        if isinstance(work, FixedKernel):
            per_sm = max(1, work.blocks_per_sm)
            blocks = work.blocks if work.blocks is not None else self.n_sms * per_sm
            waves = math.ceil(blocks / (self.n_sms * per_sm))
            cap = self._sm_capacity
            usage = _Usage(max(1, cap.warps // per_sm), 1, cap.registers // per_sm, cap.shared_bytes // per_sm)
            return _Kernel(self._kernel_counter, launch, done, self.env.now, blocks, blocks, per_sm,
                           usage.warps, usage, None, work.duration_ns / waves)
        spec: KernelSpec = work
        occ = occupancy(spec, self.model.arch)
        smem = occ.shared_memory_per_block_bytes
        usage = _Usage(occ.warps_per_block, 1, occ.registers_per_warp * occ.warps_per_block, smem)
        cache = cache_view(spec, self.model.l2.size_bytes, self.warm_l2)
        demand = warp_demand(spec, self.model, cache)
        return _Kernel(self._kernel_counter, launch, done, self.env.now, spec.blocks, spec.blocks,
                       occ.blocks_per_sm, occ.warps_per_block, usage, demand, None)

    def _arrive(self, kernel: _Kernel) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(self.model.launch.kernel_launch_latency_us * 1e3)
        self._ready.append(kernel)
        self._poke()

    def _poke(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()

    # -- the event loop ---------------------------------------------------------------------------
    def _loop(self) -> Generator[simpy.Event, Any, None]:
        while True:
            self.events_processed += 1
            self._advance()
            changed = self._complete()
            changed = self._dispatch() or changed
            if changed:
                self._solve_rates()
            cohorts = [c for g in self._groups for c in g.cohorts]
            next_ns = min(((c.waves - c.progress) / c.rate_per_ns for c in cohorts), default=math.inf)
            if self._wake.triggered:
                self._wake = self.env.event()
            if math.isinf(next_ns):
                yield self._wake
            else:
                yield self.env.timeout(max(0.0, next_ns)) | self._wake

    def _advance(self) -> None:
        """Move every cohort forward to now; account SM time, the parts of the time and tail idling."""
        dt = self.env.now - self._last_ns
        self._last_ns = self.env.now
        if dt <= 0:
            return
        running: dict[int, float] = {}
        for g in self._groups:
            for c in g.cohorts:
                running[c.kernel.index] = running.get(c.kernel.index, 0.0) + g.n_sms * c.blocks_per_sm
        seen: set[int] = set()
        for g in self._groups:
            for c in g.cohorts:
                k = c.kernel
                c.progress += c.rate_per_ns * dt
                blocks = g.n_sms * c.blocks_per_sm
                k.sm_busy_ns += dt * blocks / k.max_per_sm
                share = blocks / running[k.index]
                for name, v in c.parts.items():
                    k.parts_ns[name] = k.parts_ns.get(name, 0.0) + v * share * dt
                if k.index not in seen and k.all_dispatched_ns is not None:
                    seen.add(k.index)
                    k.tail_idle_ns += dt * (1.0 - running[k.index] / (self.n_sms * k.max_per_sm))

    def _complete(self) -> bool:
        changed = False
        for g in self._groups:
            keep = []
            for c in g.cohorts:
                if c.waves - c.progress <= _EPS * max(1.0, c.waves):
                    g.free = g.free.minus(c.kernel.usage, -c.blocks_per_sm)
                    c.kernel.running -= 1
                    changed = True
                    if c.kernel.running == 0 and c.kernel.blocks_left == 0:
                        self._finish(c.kernel)
                else:
                    keep.append(c)
            g.cohorts = keep
        if changed and self.fidelity != "block":
            empty = [g for g in self._groups if not g.cohorts]
            if len(empty) > 1:
                merged = self._new_group(sum(g.n_sms for g in empty), self._sm_capacity)
                self._groups = [g for g in self._groups if g.cohorts] + [merged]
        return changed

    def _finish(self, k: _Kernel) -> None:
        end = self.env.now
        detail: dict[str, Any] = {
            "blocks": k.blocks_total,
            "blocks_per_sm": k.max_per_sm,
            "sm_busy_ns": k.sm_busy_ns,
            "sm_utilization": k.sm_busy_ns / (self.n_sms * (end - k.start_ns)) if k.start_ns is not None
            and end > k.start_ns else 0.0,
            "tail_ns": k.tail_idle_ns,
            "parts_ns": dict(k.parts_ns),
        }
        start = k.start_ns if k.start_ns is not None else end
        record = OpRecord(k.launch.name, "kernel", k.launch.stream, "sm", k.issue_ns, start, end, detail=detail)
        k.done.succeed(record)

    # -- dispatch ---------------------------------------------------------------------------------
    def _eligible(self) -> list[_Kernel]:
        limit = self.model.arch.limits.max_concurrent_kernels
        live = [k for k in self._ready if k.blocks_left > 0 or k.running > 0]
        self._ready = live
        return [k for k in live[:limit] if k.blocks_left > 0]

    def _dispatch(self) -> bool:
        changed = False
        for k in self._eligible():
            if self._place(k):
                changed = True
                if k.start_ns is None:
                    k.start_ns = self.env.now
                if k.blocks_left == 0:
                    k.all_dispatched_ns = self.env.now
        return changed

    def _fit(self, g: _Group, k: _Kernel) -> int:
        return min(k.max_per_sm, g.free.fits(k.usage))

    def _place(self, k: _Kernel) -> bool:
        fits = [(g, self._fit(g, k)) for g in self._groups]
        fits = [(g, f) for g, f in fits if f > 0]
        if not fits:
            return False
        capacity = sum(g.n_sms * f for g, f in fits)
        if k.blocks_left >= capacity:
            # Every SM with room takes what it can; fold identical full waves in aggregate mode.
            for g, f in fits:
                waves = 1
                if (self.fidelity == "aggregate" and len(fits) == 1 and not g.cohorts):
                    waves = max(1, k.blocks_left // capacity)
                self._add_cohorts(k, g, f, waves)
            return True
        # Fewer blocks than room: spread breadth-first, one block per SM per round.
        per_sm = 0
        while True:
            nxt = sum(g.n_sms * min(f, per_sm + 1) for g, f in fits)
            if nxt > k.blocks_left:
                break
            per_sm += 1
        remainder = k.blocks_left - sum(g.n_sms * min(f, per_sm) for g, f in fits)
        for g, f in fits:
            base = min(f, per_sm)
            extra_sms = min(remainder, g.n_sms) if f > per_sm else 0
            remainder -= extra_sms
            if extra_sms and extra_sms < g.n_sms:
                part = self._split(g, extra_sms)
                self._add_cohorts(k, part, base + 1, 1)
                if base:
                    self._add_cohorts(k, g, base, 1)
            elif extra_sms:
                self._add_cohorts(k, g, base + 1, 1)
            elif base:
                self._add_cohorts(k, g, base, 1)
        return True

    def _split(self, g: _Group, n_sms: int) -> _Group:
        """Carve ``n_sms`` SMs out of group ``g`` into a new group with the same contents."""
        part = self._new_group(n_sms, g.free)
        g.n_sms -= n_sms
        for c in g.cohorts:
            copy = _Cohort(c.kernel, part, c.blocks_per_sm, c.waves, c.progress, c.rate_per_ns, dict(c.parts))
            part.cohorts.append(copy)
            c.kernel.running += 1
        self._groups.append(part)
        return part

    def _add_cohorts(self, k: _Kernel, g: _Group, blocks_per_sm: int, waves: int) -> None:
        n = blocks_per_sm * g.n_sms * waves
        g.free = g.free.minus(k.usage, blocks_per_sm)
        if self.fidelity == "block":
            for _ in range(blocks_per_sm):
                g.cohorts.append(_Cohort(k, g, 1, waves))
                k.running += 1
        else:
            g.cohorts.append(_Cohort(k, g, blocks_per_sm, waves))
            k.running += 1
        k.blocks_left -= n

    # -- rates ------------------------------------------------------------------------------------
    def _solve_rates(self) -> None:
        """Set each cohort's rate from the MVA solution for everything resident now."""
        q = self.model.arch.limits.warp_schedulers_per_sm
        keyed: dict[tuple[int, tuple[tuple[int, int], ...]], dict[str, Any]] = {}
        signatures: dict[tuple[tuple[int, int], ...], int] = {}
        for g in self._groups:
            per_kernel: dict[int, int] = {}
            for c in g.cohorts:
                per_kernel[c.kernel.index] = per_kernel.get(c.kernel.index, 0) + c.blocks_per_sm
            sig = tuple(sorted(per_kernel.items()))
            sig_id = signatures.setdefault(sig, len(signatures))
            for c in g.cohorts:
                k = c.kernel
                if k.demand is None:
                    continue
                entry = keyed.setdefault((k.index, sig), {"kernel": k, "sig": sig_id, "population": 0.0,
                                                           "per_queue": per_kernel[k.index] * k.warps_per_block / q,
                                                           "cohorts": []})
                entry["population"] += g.n_sms * c.blocks_per_sm * k.warps_per_block
                entry["cohorts"].append(c)
            for c in g.cohorts:
                if c.kernel.fixed_block_ns is not None:
                    c.rate_per_ns = 1.0 / c.kernel.fixed_block_ns
                    c.parts = {"fixed": 1.0}
        entries = list(keyed.values())
        classes = []
        for e in entries:
            d: WarpDemand = e["kernel"].demand
            classes.append(CustomerClass(
                population=e["population"], per_queue=e["per_queue"], queue_group=e["sig"],
                delay_ns=d.latency_ns, scheduler_ns=d.scheduler_ns, l2_ns=d.l2_bytes / self._l2_bytes_per_ns,
                dram_ns=d.dram_bytes / self._dram_bytes_per_ns, atomic_ns=d.atomic_ns,
                per_sm=e["per_queue"] * q, block_launch_ns=d.block_launch_ns))
        for e, sol in zip(entries, solve_mva(classes), strict=True):
            d = e["kernel"].demand
            cycle = sol.cycle_ns
            parts = {name: v / cycle for name, v in d.parts_ns.items() if v > 0}
            sched_own = d.scheduler_ns
            parts_sched = {k: v for k, v in parts.items() if k in ("issue", "pipes")}
            scale = sol.scheduler_ns / sched_own if sched_own > 0 else 0.0
            for k in parts_sched:
                parts[k] *= scale
            parts["block_launch"] = sol.block_launch_ns / cycle
            parts["memory_bandwidth"] = (sol.dram_ns + sol.l2_ns) / cycle
            parts["atomics"] = sol.atomic_ns / cycle
            for c in e["cohorts"]:
                c.rate_per_ns = 1.0 / cycle
                c.parts = {k: v for k, v in parts.items() if v > 0}

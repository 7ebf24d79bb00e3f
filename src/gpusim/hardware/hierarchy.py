"""The GPU > GPC > TPC > SM hierarchy of a model, and each SM's sub-partitions and units.

Products with fewer TPCs than GPCs x max_tpcs_per_gpc have TPCs fused off unevenly per die; the
exact layout varies chip to chip, so TPCs are spread as evenly as possible (documented assumption).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpusim.hardware.schema import GpuModel


@dataclass(frozen=True)
class Gpc:
    index: int
    tpcs: int
    sms: int
    first_sm: int


@dataclass(frozen=True)
class SubPartition:
    """One of the SM's four quadrants: a warp scheduler and its share of the units."""

    fp32_lanes: float
    fp64_lanes: float
    int32_lanes: float
    sfu_lanes: float
    tensor_cores: float
    registers: int


def gpcs(model: GpuModel) -> list[Gpc]:
    """The GPCs with their TPC and SM counts (TPCs spread evenly, larger GPCs first)."""
    n_gpcs, n_tpcs = model.gpu.gpcs, model.gpu.tpcs
    per_sm = model.arch.limits.sms_per_tpc
    base, extra = divmod(n_tpcs, n_gpcs)
    out: list[Gpc] = []
    first = 0
    for i in range(n_gpcs):
        tpcs = base + (1 if i < extra else 0)
        out.append(Gpc(index=i, tpcs=tpcs, sms=tpcs * per_sm, first_sm=first))
        first += tpcs * per_sm
    return out


def sm_gpc_order(model: GpuModel) -> list[int]:
    """SM indices in the order the block scheduler fills them: round-robin over GPCs."""
    groups = [list(range(g.first_sm, g.first_sm + g.sms)) for g in gpcs(model)]
    order: list[int] = []
    depth = max(len(g) for g in groups)
    for i in range(depth):
        order.extend(g[i] for g in groups if i < len(g))
    return order


def sub_partition(model: GpuModel) -> SubPartition:
    """Units of one warp scheduler's quadrant of an SM."""
    a = model.arch
    q = a.limits.warp_schedulers_per_sm
    return SubPartition(
        fp32_lanes=a.units_per_sm.fp32_cores / q,
        fp64_lanes=a.units_per_sm.fp64_cores / q,
        int32_lanes=a.units_per_sm.int32_cores / q,
        sfu_lanes=a.units_per_sm.sfu / q,
        tensor_cores=a.units_per_sm.tensor_cores / q,
        registers=a.limits.registers_per_sm // q,
    )

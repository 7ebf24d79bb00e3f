"""``gpusim models`` and ``gpusim show``: list the shipped models and draw one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.tree import Tree

from gpusim.hardware import load_model, load_model_with_sources, peaks, shipped_model_names
from gpusim.hardware.hierarchy import gpcs, sub_partition
from gpusim.hardware.schema import GpuModel
from gpusim.units import format_bytes, format_rate

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _summary(m: GpuModel) -> dict[str, object]:
    p = peaks(m)
    return {
        "name": m.name,
        "marketing_name": m.marketing_name,
        "arch": m.arch.name,
        "compute_capability": m.arch.compute_capability,
        "sms": m.gpu.sms,
        "boost_clock_mhz": m.clocks.boost_clock_mhz,
        "memory": f"{m.memory.type} {m.memory.capacity_bytes / 2**30:.0f} GiB",
        "fp32_flops_per_s": p.fp32_flops_per_s,
        "dram_bandwidth_bytes_per_s": p.dram_bandwidth_bytes_per_s,
    }


def hierarchy_tree(m: GpuModel) -> Tree:
    """The hierarchy as a rich Tree: GPU > GPC > TPC > SM > warp schedulers and units."""
    lim, units = m.arch.limits, m.arch.units_per_sm
    root = Tree(f"[bold]{m.marketing_name}[/] ({m.arch.name}, cc {m.arch.compute_capability}): "
                f"{m.gpu.gpcs} GPCs, {m.gpu.tpcs} TPCs, {m.gpu.sms} SMs; "
                f"L2 {format_bytes(m.l2.size_bytes)} in {m.l2.partitions} partitions; "
                f"{m.memory.type} {format_bytes(m.memory.capacity_bytes)}, {m.memory.stacks} stacks, "
                f"{m.memory.bus_width_bits}-bit, {m.memory.controllers} controllers")
    sp = sub_partition(m)
    for g in gpcs(m):
        gnode = root.add(f"GPC {g.index}: {g.tpcs} TPCs, {g.sms} SMs (SM {g.first_sm}-{g.first_sm + g.sms - 1})")
        if g.index > 0:
            continue
        tnode = gnode.add(f"TPC (x{g.tpcs}): {lim.sms_per_tpc} SMs")
        snode = tnode.add(
            f"SM (x{m.gpu.sms}): {units.fp32_cores} FP32, {units.fp64_cores} FP64, {units.int32_cores} INT32, "
            f"{units.sfu} SFU, {units.ldst} LD/ST, {units.tensor_cores} tensor cores; "
            f"{lim.registers_per_sm} registers; L1/shared {format_bytes(lim.l1_shared_per_sm_bytes)} "
            f"(shared up to {format_bytes(lim.max_shared_memory_per_sm_bytes)}); "
            f"max {lim.max_threads_per_sm} threads / {lim.max_warps_per_sm} warps / {lim.max_blocks_per_sm} blocks"
        )
        for q in range(lim.warp_schedulers_per_sm):
            snode.add(
                f"warp scheduler {q}: 1 warp instruction/clock; {sp.fp32_lanes:g} FP32, {sp.fp64_lanes:g} FP64, "
                f"{sp.int32_lanes:g} INT32, {sp.sfu_lanes:g} SFU lanes, {sp.tensor_cores:g} tensor core; "
                f"{sp.registers} registers"
            )
    if m.gpu.gpcs > 1:
        root.add(f"(GPCs 1-{m.gpu.gpcs - 1} have the same TPC and SM structure)")
    return root


def peaks_table(models: list[GpuModel]) -> Table:
    """Derived peak figures, one column per model."""
    table = Table(title="Derived peaks (computed from the model)")
    table.add_column("figure")
    for m in models:
        table.add_column(m.name, justify="right")
    ps = [peaks(m) for m in models]
    rows = [
        ("FP32 (CUDA cores)", [format_rate(p.fp32_flops_per_s, "FLOP/s") for p in ps]),
        ("FP64 (CUDA cores)", [format_rate(p.fp64_flops_per_s, "FLOP/s") for p in ps]),
        ("FP16 tensor, dense", [format_rate(p.tensor_fp16_flops_per_s, "FLOP/s") for p in ps]),
        ("TF32 tensor, dense", [format_rate(p.tensor_tf32_flops_per_s, "FLOP/s") for p in ps]),
        ("FP64 tensor", [format_rate(p.tensor_fp64_flops_per_s, "FLOP/s") for p in ps]),
        ("DRAM bandwidth (peak)", [format_rate(p.dram_bandwidth_bytes_per_s, "B/s") for p in ps]),
        ("DRAM bandwidth (sustained)", [format_rate(p.achievable_dram_bandwidth_bytes_per_s, "B/s") for p in ps]),
        ("L2 bandwidth", [format_rate(p.l2_bandwidth_bytes_per_s, "B/s") for p in ps]),
        ("PCIe per direction", [format_rate(p.pcie_bandwidth_bytes_per_s, "B/s") for p in ps]),
        ("max resident threads", [f"{p.max_resident_threads:,}" for p in ps]),
        ("SMs", [str(m.gpu.sms) for m in models]),
        ("boost clock", [f"{m.clocks.boost_clock_mhz:g} MHz" for m in models]),
        ("L2", [format_bytes(m.l2.size_bytes) for m in models]),
        ("memory", [f"{m.memory.type} {m.memory.capacity_bytes / 2**30:.0f} GiB" for m in models]),
    ]
    for name, cells in rows:
        table.add_row(name, *cells)
    return table


def register(app: typer.Typer) -> None:
    from gpusim.cli import console, print_json, user_errors

    @app.command("models")
    @user_errors
    def models_cmd(as_json: JsonOpt = False) -> None:
        """List the shipped hardware models, one per line."""
        summaries = [_summary(load_model(n)) for n in shipped_model_names()]
        if as_json:
            print_json(summaries)
            return
        for s in summaries:
            fp32 = format_rate(float(s["fp32_flops_per_s"]), "FLOP/s")  # type: ignore[arg-type]
            dram = format_rate(float(s["dram_bandwidth_bytes_per_s"]), "B/s")  # type: ignore[arg-type]
            print(f"{s['name']:<10} {s['marketing_name']:<42} {s['arch']} {s['sms']:>3} SMs  "
                  f"{fp32} FP32  {dram}  {s['memory']}")

    @app.command("show")
    @user_errors
    def show_cmd(
        model: Annotated[str, typer.Argument(help="A shipped model name (see `gpusim models`) or a YAML path.")],
        as_json: JsonOpt = False,
        sources: Annotated[bool, typer.Option("--sources", help="Also list every value's source.")] = False,
    ) -> None:
        """Draw a model's hierarchy and its derived peaks."""
        loaded = load_model_with_sources(model)
        m = loaded.model
        if as_json:
            print_json({"model": m.model_dump(mode="json"), "peaks": peaks(m).as_dict(),
                        "sources": loaded.sources, "files": [str(f) for f in loaded.files]})
            return
        console.print(hierarchy_tree(m))
        console.print(peaks_table([m]))
        if sources:
            table = Table(title="Sources")
            table.add_column("key")
            table.add_column("source")
            for key, src in sorted(loaded.sources.items()):
                table.add_row(key, src)
            console.print(table)

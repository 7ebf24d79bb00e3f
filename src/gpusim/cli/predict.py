"""``gpusim predict``: a kernel spec's predicted time on one or more models."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gpusim.errors import SpecError
from gpusim.hardware import load_model
from gpusim.kernels import load_spec
from gpusim.predict import KernelPrediction, predict_kernel
from gpusim.sim.gpu import FIDELITIES
from gpusim.units import format_bytes, format_rate, format_time_ns


def parse_overrides(items: list[str]) -> dict[str, float]:
    """``["n=1024", "block=128"]`` -> ``{"n": 1024, "block": 128}``."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SpecError(f"--set {item!r}: expected NAME=NUMBER")
        try:
            number = float(value)
        except ValueError:
            raise SpecError(f"--set {item!r}: {value!r} is not a number") from None
        out[name.strip()] = int(number) if number.is_integer() else number
    return out


def explain(p: KernelPrediction) -> Table:
    """One prediction in detail: time, rates, occupancy, waves, where the time goes, the roofline."""
    table = Table(title=f"{p.kernel} on {p.model}: {format_time_ns(p.time_s * 1e9)}", show_header=False)
    table.add_column("what")
    table.add_column("value")
    occ = p.occupancy
    table.add_row("predicted time", format_time_ns(p.time_s * 1e9))
    table.add_row("roofline bound", f"{format_time_ns(p.roofline.bound_ns)} ({p.roofline.limiter}-bound)")
    table.add_row("achieved DRAM bandwidth", format_rate(p.achieved_dram_bandwidth_bytes_per_s, "B/s"))
    table.add_row("achieved FLOP/s", format_rate(p.achieved_flops_per_s, "FLOP/s"))
    table.add_row("DRAM / L2 traffic", f"{format_bytes(p.dram_bytes)} / {format_bytes(p.l2_bytes)}")
    table.add_row("occupancy", f"{occ.blocks_per_sm} blocks/SM, {occ.warps_per_sm} warps/SM "
                  f"({occ.fraction:.0%}, limited by {occ.limiter})")
    table.add_row("waves", f"{p.waves:.2f} (SM utilisation {p.sm_utilization:.0%}; the tail leaves the "
                  f"GPU's block slots idle for {format_time_ns(p.tail_s * 1e9)})")
    total = sum(p.breakdown_s.values()) or 1.0
    for key, value in sorted(p.breakdown_s.items(), key=lambda kv: -kv[1]):
        if value > 0:
            table.add_row(f"  time in {key.replace('_', ' ')}", f"{format_time_ns(value * 1e9)} ({value / total:.0%})")
    return table


def register(app: typer.Typer) -> None:
    from gpusim.cli import console, fail, print_json, user_errors

    @app.command("predict")
    @user_errors
    def predict_cmd(
        specs: Annotated[list[str], typer.Argument(help="Kernel spec YAML files.")],
        model: Annotated[list[str], typer.Option("--model", "-m", help="Model name or YAML path; repeatable.")
                         ] = ["h200"],  # noqa: B006
        set_: Annotated[list[str], typer.Option("--set", help="Override a spec parameter: NAME=NUMBER.")
                        ] = [],  # noqa: B006
        fidelity: Annotated[str, typer.Option(help=f"One of {', '.join(FIDELITIES)}.")] = "aggregate",
        cold_l2: Annotated[bool, typer.Option("--cold-l2", help="Start with an empty L2 (default: warm, "
                                              "as in repeated launches).")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Predict kernel time, bandwidth, FLOP/s, occupancy, waves and where the time goes."""
        if fidelity not in FIDELITIES:
            fail(f"--fidelity: must be one of {', '.join(FIDELITIES)} (got {fidelity!r})")
        overrides = parse_overrides(set_)
        models = [load_model(m) for m in model]
        loaded = [load_spec(s, overrides) for s in specs]
        results = [predict_kernel(s, m, fidelity=fidelity, warm_l2=not cold_l2)  # type: ignore[arg-type]
                   for s in loaded for m in models]
        if as_json:
            if len(results) == 1:
                print_json(results[0].as_dict())
            else:
                print_json({"time_s": [r.time_s for r in results], "predictions": [r.as_dict() for r in results]})
            return
        if len(results) == 1:
            console.print(explain(results[0]))
            return
        table = Table(title="Predictions")
        for col in ("kernel", "model", "time", "roofline", "DRAM B/s", "FLOP/s", "occupancy", "waves", "bottleneck"):
            table.add_column(col, justify="left" if col in ("kernel", "model", "bottleneck") else "right")
        for r in results:
            table.add_row(r.kernel, r.model, format_time_ns(r.time_s * 1e9), format_time_ns(r.roofline.bound_ns),
                          format_rate(r.achieved_dram_bandwidth_bytes_per_s, "B/s"),
                          format_rate(r.achieved_flops_per_s, "FLOP/s"), f"{r.occupancy.fraction:.0%}",
                          f"{r.waves:.2f}", r.bottleneck.replace("_", " "))
        console.print(table)

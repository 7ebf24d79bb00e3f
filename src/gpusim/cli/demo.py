"""``gpusim demo``: the main job, shown on the shipped A100, H100 and H200 models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from gpusim.hardware import load_model
from gpusim.seed_example import DEFAULT_BATCHES, DEFAULT_ELEMENTS, run_seed_example
from gpusim.units import format_bytes, format_time_ns

DEMO_MODELS = ("a100", "h100", "h200")


def register(app: typer.Typer) -> None:
    from gpusim.cli import console, user_errors
    from gpusim.cli.models import peaks_table

    @app.command("demo")
    @user_errors
    def demo_cmd(
        out_dir: Annotated[Path, typer.Option("--out", help="Folder for the Gantt chart PNGs.")] = Path("out"),
    ) -> None:
        """The seed's CPU-to-GPU migration example predicted on A100, H100 and H200."""
        from gpusim.report import gantt_png

        models = [load_model(n) for n in DEMO_MODELS]
        console.print(peaks_table(models))
        results = [run_seed_example(m) for m in models]
        n = DEFAULT_ELEMENTS
        table = Table(title=escape(f"Seed example: out[i] = sqrt(x)*sin(x)/log(x+1) over {n:,} float32 "
                                   f"({format_bytes(4 * n)} in, {format_bytes(4 * n)} out, pinned)"))
        table.add_column("prediction")
        for r in results:
            table.add_column(r.model, justify="right")
        table.add_row("kernel alone", *[format_time_ns(r.kernel.time_s * 1e9) for r in results])
        table.add_row("  its bottleneck", *[r.kernel.bottleneck.replace("_", " ") for r in results])
        table.add_row("H2D + kernel + D2H, one stream",
                      *[format_time_ns(r.total_with_transfers_s * 1e9) for r in results])
        for p, label in (("A", "single stream"), ("B", "3 streams, rotating"), ("C", "copy/compute streams")):
            table.add_row(f"{DEFAULT_BATCHES} batches, pattern {p} ({label})",
                          *[format_time_ns(r.pattern_makespan_s[p] * 1e9) for r in results])
        console.print(table)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for r in results:
            path = out_dir / f"demo-{r.model}-pattern-C.png"
            gantt_png(r.timelines["C"], path, title=f"{r.model}: pattern C, {DEFAULT_BATCHES} batches")
            written.append(str(path))
        console.print("Gantt charts of pattern C written to: " + ", ".join(written))
        console.print("Next: `gpusim predict examples/kernels/process.yaml -m h200`, "
                      "`gpusim pipeline --pattern B ...` (see README).")

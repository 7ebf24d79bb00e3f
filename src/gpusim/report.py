"""Tables (rich) and plots (matplotlib, Agg backend): the only module that imports matplotlib."""

from __future__ import annotations

import os
from typing import Any

from rich import box
from rich.table import Table

from gpusim.timeline import STREAM_KINDS, Timeline, assign_lanes
from gpusim.units import format_bytes, format_time_ns

KIND_LABELS = {
    "h2d": "H2D copy", "d2h": "D2H copy", "d2d": "D2D copy", "kernel": "kernel", "host": "host work",
    "launch": "API call", "sync": "host waits", "event_wait": "stream waits", "event_record": "event record",
}
KIND_COLOURS = {
    "h2d": "#4C72B0", "d2h": "#DD8452", "d2d": "#8172B3", "kernel": "#55A868", "host": "#937860",
    "launch": "#C9C9C9", "sync": "#F2B5B5", "event_wait": "#E8DFB0", "event_record": "#C44E52",
}


def _time_scale(makespan_ns: float) -> tuple[float, str]:
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "us")):
        if makespan_ns >= 2 * scale:
            return scale, unit
    return 1.0, "ns"


def gantt_png(timeline: Timeline, path: str | os.PathLike[str], title: str | None = None,
              width_in: float = 11.0, dpi: int = 110) -> None:
    """Write a Gantt chart: one row per stream, then one per engine (SM rows split into lanes where
    kernels overlap). Colours by kind; event records are ticks; host waits are pale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    scale, unit = _time_scale(timeline.makespan_ns)
    rows: list[tuple[str, list[Any]]] = [(f"stream {s}", timeline.on_stream(s)) for s in timeline.streams]
    rows += [(f"engine {e}", timeline.on_engine(e)) for e in timeline.engines]
    fig, ax = plt.subplots(figsize=(width_in, 1.1 + 0.42 * max(1, len(rows))))
    # a label fits when its characters (about 0.06 inch each at 7 pt) fit in the bar
    units_per_char = timeline.makespan_ns / scale / (0.72 * width_in) * 0.06
    for y, (_, recs) in enumerate(rows):
        lanes = assign_lanes(recs)
        n_lanes = max(lanes, default=0) + 1
        height = 0.8 / n_lanes
        for rec, lane in zip(recs, lanes, strict=True):
            x0, w = rec.start_ns / scale, (rec.end_ns - rec.start_ns) / scale
            top = y - 0.4 + lane * height
            colour = KIND_COLOURS.get(rec.kind, "#999999")
            if w <= 0:
                ax.vlines(x0, top, top + height, colors=colour, linewidth=1.2)
                continue
            ax.broken_barh([(x0, w)], (top, height), facecolors=colour, edgecolors="white", linewidth=0.4)
            if w >= (len(rec.name) + 1) * units_per_char and rec.kind in STREAM_KINDS and n_lanes == 1:
                ax.text(x0 + w / 2, y, rec.name, ha="center", va="center", fontsize=7, clip_on=True)
    ax.set_yticks(range(len(rows)), [name for name, _ in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, max(timeline.makespan_ns / scale, 1e-9) * 1.01)
    ax.set_xlabel(f"time ({unit})")
    ax.grid(axis="x", alpha=0.3)
    present = {r.kind for r in timeline.records}
    handles = [Patch(color=c, label=KIND_LABELS[k]) for k, c in KIND_COLOURS.items() if k in present]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, frameon=False)
    heading = title or "timeline"
    ax.set_title(f"{heading}: makespan {format_time_ns(timeline.makespan_ns)}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def operations_table(timeline: Timeline, max_rows: int = 40) -> Table:
    """Every stream operation and host work: stream, engine, start, end, duration, bytes (first ``max_rows``)."""
    scale, unit = _time_scale(timeline.makespan_ns)
    table = Table(title="operations", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("name", "stream", "engine", f"start {unit}", f"end {unit}", f"duration {unit}", "bytes"):
        table.add_column(col, justify="left" if col in ("name", "stream", "engine") else "right", no_wrap=True)
    recs = [r for r in timeline.records if r.kind in STREAM_KINDS or r.kind == "host"]
    for r in recs[:max_rows]:
        table.add_row(r.name, r.stream, r.resource, f"{r.start_ns / scale:.3f}", f"{r.end_ns / scale:.3f}",
                      f"{r.duration_ns / scale:.3f}", format_bytes(r.bytes) if r.bytes else "")
    if len(recs) > max_rows:
        table.caption = f"... {len(recs) - max_rows} more (use --max-rows, --json or --trace)"
    return table


def summary_table(timeline: Timeline) -> Table:
    """Makespan, serial sum, per-engine busy time and utilisation, overlap and bytes."""
    s = timeline.summary()
    table = Table(title=f"summary ({s['model']})" if s["model"] else "summary", title_justify="left",
                  show_header=False, box=box.SIMPLE, pad_edge=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("operations", str(s["operations"]))
    table.add_row("makespan", format_time_ns(s["makespan_ns"]))
    table.add_row("serial sum", f"{format_time_ns(s['serial_ns'])} ({s['speedup_vs_serial']:.2f}x makespan)")
    if s["host_dispatch_ns"] is not None:
        table.add_row("host dispatch per API call", format_time_ns(s["host_dispatch_ns"]))
    for engine, e in s["engines"].items():
        table.add_row(f"{engine} busy", f"{format_time_ns(e['busy_ns'])} ({e['utilisation']:.0%})")
    o = s["overlap"]
    table.add_row("overlap, 2+ engines", format_time_ns(o["two_or_more_engines_ns"]))
    table.add_row("overlap, copy + compute", format_time_ns(o["copy_compute_ns"]))
    table.add_row("overlap, H2D + D2H", format_time_ns(o["h2d_d2h_ns"]))
    for direction, n in s["bytes"].items():
        if n:
            table.add_row(f"bytes {direction}", format_bytes(n))
    return table

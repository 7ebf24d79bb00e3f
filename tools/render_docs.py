"""Render docs/pipelines.md, kernel-spec.md, design.md and hardware-models.md from docs/templates/ by running the model.

    .venv/bin/python tools/render_docs.py           # write docs/*.md and docs/img/pattern_{A,B,C}.png
    .venv/bin/python tools/render_docs.py --check   # exit 1, naming each file, if docs/*.md are stale

Edit the templates, never the rendered pages. In a template:

- ``{{ name }}`` is a value this script computes for that page (``pipelines_values`` and so on);
- ``{{ $ gpusim ARGS }}`` is the command line and its real output (run through typer's CliRunner from
  the repository root); ``{{ $ gpusim ARGS [N lines] }}`` keeps the first N lines of the output and
  ends with ``...``.

Every placeholder must have a value and every value must be used. Where a page's prose states a fact
that depends on the numbers ("worse than serial pinned A"), the script checks it and stops with a
``ProseError`` naming the sentence when the model no longer agrees: rewrite that sentence in the
template, then render again.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import inspect
import io
import json
import math
import re
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gpusim.hardware import GpuModel, derived, load_model, load_model_with_sources, shipped_model_names
from gpusim.kernels import KernelSpec, load_spec, occupancy, spec_from_dict, spec_parameters
from gpusim.kernels.spec import Instructions, MemoryAccess, Phase
from gpusim.pipelines import build_pattern, fixed_kernel
from gpusim.predict import KernelPrediction, predict_kernel, serial_bound_s
from gpusim.sim import memory as sim_memory
from gpusim.sim import sm as sim_sm
from gpusim.sim.pcie import CopyParams
from gpusim.sim.records import OpRecord
from gpusim.timeline import Timeline
from gpusim.units import GB, MIB, NS_PER_MS, NS_PER_US, format_rate, format_time_ns

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TEMPLATES = DOCS / "templates"
IMAGES = DOCS / "img"
CONSOLE_WIDTH = 120  # the width the CLI's rich console has without a wider terminal

_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.S)
_COMMAND = re.compile(r"^\$ (gpusim\b.*?)(?:\s+\[(\d+) lines\])?$", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")


class RenderError(RuntimeError):
    """A template cannot be rendered (unknown or unused placeholder, a command that fails)."""


class ProseError(RenderError):
    """A page's prose states something the model no longer gives."""


def require(condition: bool, page: str, claim: str, detail: str = "") -> None:
    """Stop when ``claim``, a statement of the page ``page``, no longer holds."""
    if not condition:
        raise ProseError(f"docs/templates/{page}: the model no longer supports the prose {claim!r}"
                         + (f" ({detail})" if detail else "") + "; rewrite it, then render again")


# --- formatting -------------------------------------------------------------------------------------
def ms(ns: float, digits: int = 2) -> str:
    return f"{ns / NS_PER_MS:.{digits}f}"


def pct(share: float) -> str:
    return f"{share:.0%}"


def num(value: float) -> str:
    """A number as short as it is exact: 1,024, 0.8773, 2.5."""
    return format(value, ",g")


def words(n: float, up_to: int = 20) -> str:
    """Whole numbers up to ``up_to`` (at most twenty) in words, others as digits."""
    return _WORDS[int(n)] if float(n).is_integer() and 0 <= n <= min(up_to, len(_WORDS) - 1) else num(n)


def kib(n_bytes: float) -> str:
    return f"{n_bytes / 1024:g} KiB" if n_bytes >= 1024 and n_bytes % 1024 == 0 else f"{n_bytes:g} B"


def mib(n_bytes: float) -> str:
    return f"{n_bytes / MIB:,.0f} MiB"


def rec(tl: Timeline, name: str) -> OpRecord:
    found = [r for r in tl.records if r.name == name]
    if len(found) != 1:
        raise RenderError(f"expected one record named {name!r}, found {len(found)}")
    return found[0]


def overlaps(a: OpRecord, b: OpRecord) -> bool:
    return min(a.end_ns, b.end_ns) > max(a.start_ns, b.start_ns)


# --- what the model files say about themselves ------------------------------------------------------
def status(source: str) -> str:
    """``fitted``, ``unverified``, ``measured``, ``derived`` or ``sourced`` (a cited reference)."""
    for prefix, word in (("fitted", "fitted"), ("UNVERIFIED", "unverified"), ("measured", "measured"),
                         ("derived", "derived")):
        if source.startswith(prefix):
            return word
    return "sourced"


def describe_source(source: str, model_name: str) -> str:
    """How a value was obtained, for prose: 'fitted by validation/calibrate.py to ...'."""
    kind = status(source)
    rest = source.split(":", 1)[1].strip() if ":" in source else ""
    if kind == "fitted":
        data = rest.split()[0] if rest else "the validation data"
        return f"fitted by `validation/calibrate.py` to `{data}`"
    if kind in ("measured", "derived"):
        return f"{kind}: {rest}" if rest else kind
    if kind == "unverified":
        return "unverified"
    return f"from source {source.split()[0]} of `models/{model_name}.yaml`"


def get_path(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


ARCH_MODELS = {"sm80": "a100", "sm90": "h200"}  # a product model of each architecture


def arch_value(key: str, unit: str = "", with_status: bool = False) -> str:
    """An architecture value (``latency_cycles.l2_hit``) for prose: ``24 cycles`` when every architecture
    agrees, else ``233 cycles on sm80, 279 on sm90``; ``with_status`` adds fitted/unverified."""
    items = []
    for arch, name in ARCH_MODELS.items():
        loaded = load_model_with_sources(name)
        value = get_path(loaded.model.arch, key)
        kind = status(loaded.sources[f"arch.{key}"])
        items.append((arch, value, kind if with_status and kind in ("fitted", "unverified") else ""))
    if len({(v, k) for _, v, k in items}) == 1:
        _, value, kind = items[0]
        return f"{num(value)}{unit}" + (f", {kind}" if kind else "")
    parts = [f"{num(value)}{unit if i == 0 else ''} on {arch}" + (f", {kind}" if kind else "")
             for i, (arch, value, kind) in enumerate(items)]
    return ("; " if with_status else ", ").join(parts)


def same_on_all_archs(key: str) -> float:
    """An architecture value the prose states once for all architectures."""
    values = {get_path(load_model(name).arch, key) for name in ARCH_MODELS.values()}
    if len(values) != 1:
        raise ProseError(f"limits differ between architectures for {key} ({sorted(values)}): the templates "
                         "state one value; rewrite them")
    return values.pop()


def per_arch_pair(fn: Callable[[GpuModel], float]) -> str:
    """``2 / 1``: a figure on sm80, then on sm90."""
    return " / ".join(num(fn(load_model(name))) for name in ARCH_MODELS.values())


def yaml_flow(node: Any) -> str:
    """A YAML mapping on one line, as the specs write it."""
    return yaml.safe_dump(node, default_flow_style=True, sort_keys=False, width=1000).strip()


# --- running the CLI and Python blocks ----------------------------------------------------------------
@contextlib.contextmanager
def _cli_console() -> Iterator[Any]:
    """The CLI's app, its rich console held at a fixed width so output does not depend on the terminal."""
    from gpusim import cli

    old = cli.console.width
    cli.console.width = CONSOLE_WIDTH
    try:
        yield cli.app
    finally:
        cli.console.width = old


def run_command(command: str) -> str:
    """Run ``gpusim ARGS`` (as quoted in a page) from the repository root; its output, lines stripped."""
    from typer.testing import CliRunner

    args = shlex.split(command)
    if args[0] != "gpusim":
        raise RenderError(f"not a gpusim command: {command}")
    with contextlib.chdir(ROOT), _cli_console() as app:
        result = CliRunner().invoke(app, args[1:])
    output = _ANSI.sub("", result.output)
    if result.exit_code not in (0, 2) or (result.exit_code == 2 and not output.startswith("gpusim: error: ")):
        raise RenderError(f"`{command}` exited {result.exit_code}:\n{output}") from result.exception
    return "\n".join(line.rstrip() for line in output.rstrip().splitlines())


def console_block(command: str, keep_lines: int | None) -> str:
    lines = run_command(command).splitlines()
    if keep_lines is not None and len(lines) > keep_lines:
        lines = [*lines[:keep_lines], "..."]
    return "\n".join([f"$ {' '.join(command.split())}", *lines])


def run_python_block(template: str, after: str) -> tuple[str, dict[str, Any]]:
    """Execute the first ```python block after the text ``after`` in a template: (stdout, namespace)."""
    start = template.index(after)
    code = template[start:].split("```python\n", 1)[1].split("```", 1)[0]
    if "{{" in code:
        raise RenderError("a python block that the renderer runs must not contain placeholders")
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    out = io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out):
        exec(compile(code, "docs example", "exec"), namespace)
    return out.getvalue().rstrip(), namespace


def fill(template: str, values: Mapping[str, object], page: str) -> str:
    """Replace every placeholder of ``template``; every value must be used."""
    used: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        command = _COMMAND.match(key)
        if command:
            return console_block(command.group(1), int(command.group(2)) if command.group(2) else None)
        if key not in values:
            raise RenderError(f"docs/templates/{page}: no value for the placeholder {{{{ {key} }}}}")
        used.add(key)
        return str(values[key])

    text = _PLACEHOLDER.sub(replace, template)
    unused = sorted(set(values) - used)
    if unused:
        raise RenderError(f"docs/templates/{page}: values computed but not used: {', '.join(unused)}")
    return text


# --- docs/pipelines.md --------------------------------------------------------------------------------
PIPE_MODEL = "h200"
PIPE_BATCHES = (4, 8, 32)
PIPE_BYTES = 200 * MIB
PIPE_BYTES_TEXT = "200MiB"
PIPE_KERNEL_MS = 8
PLOT_BATCHES = 4
PCIE_KEYS = ("efficiency", "bidirectional_efficiency", "per_transfer_latency_us", "pageable_h2d_bandwidth_fraction",
             "pageable_d2h_bandwidth_fraction", "pageable_h2d_latency_us", "pageable_d2h_latency_us")


@dataclass
class PipelineRuns:
    model: GpuModel
    values: dict[str, object]
    plots: dict[str, tuple[Timeline, str]]  # pattern -> (4-batch timeline, chart title)


def pipeline_runs() -> PipelineRuns:
    page = "pipelines.md"
    loaded = load_model_with_sources(PIPE_MODEL)
    m = loaded.model
    kernel = fixed_kernel(PIPE_KERNEL_MS * NS_PER_MS)
    v: dict[str, object] = {}

    def run(pattern: str, batches: int, n_bytes: int = PIPE_BYTES, **options: Any) -> tuple[Timeline, str]:
        program = build_pattern(pattern, batches, n_bytes, kernel, **options)
        return Timeline.simulate(program, m), f"{program.name} on {m.name}"  # the CLI's chart title

    # PCIe figures and one copy alone
    params = CopyParams.from_model(m)
    copy_ns = params.solo_time_ns("h2d", PIPE_BYTES)
    require(3.4 * NS_PER_MS < copy_ns < 4.6 * NS_PER_MS, page, "a copy of 200 MiB takes about that [4 ms]",
            f"{ms(copy_ns, 3)} ms")
    theoretical = derived.pcie_theoretical_bytes_per_s(m)
    v |= {
        "pcie_generation": m.pcie.generation, "pcie_lanes": m.pcie.lanes,
        "pcie_theoretical_gbs": f"{theoretical / GB:.1f}",
        "pcie_efficiency": num(m.pcie.efficiency),
        "pcie_efficiency_source": describe_source(loaded.sources["pcie.efficiency"], m.name),
        "pcie_gbs": f"{params.pcie_bandwidth_bytes_per_s / GB:.1f}",
        "per_transfer_us": num(m.pcie.per_transfer_latency_us),
        "copy_mb": f"{PIPE_BYTES / 1e6:.1f}", "copy_ms": ms(copy_ns, 3), "copy_ms_short": ms(copy_ns),
        "kernel_launch_us": f"{m.launch.kernel_launch_latency_us:.3g}",
        "dispatch_cpp_us": num(m.launch.host_dispatch_cpp_us),
        "dispatch_python_us": num(m.launch.host_dispatch_python_us),
        "pcie_bidirectional_efficiency": num(m.pcie.bidirectional_efficiency),
        "pageable_h2d_fraction": num(m.pcie.pageable_h2d_bandwidth_fraction),
        "pageable_d2h_fraction": num(m.pcie.pageable_d2h_bandwidth_fraction),
        "pageable_h2d_latency_us": num(m.pcie.pageable_h2d_latency_us),
        "pageable_d2h_latency_us": num(m.pcie.pageable_d2h_latency_us),
    }
    v["plot_commands"] = "\n".join(
        f"gpusim pipeline --pattern {p} --batches {PLOT_BATCHES} --bytes {PIPE_BYTES_TEXT} --kernel-ms "
        f"{PIPE_KERNEL_MS} --model {PIPE_MODEL} --plot docs/img/pattern_{p}.png" for p in "ABC")

    # the table
    runs = {(p, n): run(p, n) for p in "ABC" for n in PIPE_BATCHES}
    for (p, n), (tl, _) in runs.items():
        v[f"{p}_{n}"] = ms(tl.makespan_ns)
    a, b, c = (runs[(p, PLOT_BATCHES)][0] for p in "ABC")
    v["B_4_1dp"] = round(b.makespan_ns / NS_PER_MS, 1)
    plots = {p: runs[(p, PLOT_BATCHES)] for p in "ABC"}

    # A
    sa = a.summary()
    launches = [r for r in a.records if r.kind == "launch"]
    require(sa["overlap"]["two_or_more_engines_ns"] == 0, page, "no two engines ever work at once (overlap 0)")
    util = {e: pct(sa["engines"][e]["utilisation"]) for e in ("copy_h2d", "copy_d2h")}
    require(util["copy_h2d"] == util["copy_d2h"], page, "each copy engine N%", str(util))
    v |= {"A_per_batch": ms(a.makespan_ns / PLOT_BATCHES), "A_sm_busy": f"{a.busy_ns('sm') / NS_PER_MS:.0f}",
          "A_sm_util": pct(sa["engines"]["sm"]["utilisation"]), "A_copy_util": util["copy_h2d"],
          "A_calls": words(len(launches)), "A_issue_us": f"{max(r.end_ns for r in launches) / NS_PER_US:.1f}"}

    # B
    sb = b.summary()
    kernels = [rec(b, f"kernel[{i}]") for i in range(PLOT_BATCHES)]
    require(overlaps(rec(b, "H2D[1]"), kernels[0]), page, "H2D[1] runs while kernel[0] computes")
    gaps = [kernels[i + 1].start_ns - kernels[i].end_ns for i in range(PLOT_BATCHES - 1)]
    require(max(gaps) < 1e-6 * NS_PER_MS, page, "from then on the SMs never wait", f"gaps {gaps} ns")
    require(copy_ns < PIPE_KERNEL_MS * NS_PER_MS, page, "the kernel (8 ms) is the slowest stage")
    require(rec(b, "H2D[3]").start_ns >= rec(b, "D2H[0]").end_ns, page, "H2D[3] waits for D2H[0] to finish")
    v |= {"B_sm_util": pct(sb["engines"]["sm"]["utilisation"]),
          "B_copy_compute_ms": ms(sb["overlap"]["copy_compute_ns"], 1)}

    # C
    sc = c.summary()
    require(abs(c.makespan_ns - b.makespan_ns) < 0.01 * b.makespan_ns, page,
            "the makespan is about the same kernel-bound N ms [as B]")
    h2d3, d2h0 = rec(c, "H2D[3]"), rec(c, "D2H[0]")
    require(overlaps(h2d3, d2h0), page, "H2D[3] and D2H[0] move data at the same time")
    require(params.bidirectional_factor < 1, page, "PCIe does not give both directions full speed")
    require(d2h0.duration_ns > copy_ns, page, "D2H[0] takes N ms instead of [the solo time]")
    v |= {"C_inputs_ms": ms(max(r.end_ns for r in c.records if r.kind == "h2d"), 1),
          "bidirectional_share": pct(params.bidirectional_factor),
          "pcie_shared_gbs": f"{params.pcie_bandwidth_bytes_per_s * params.bidirectional_factor / GB:.1f}",
          "C_d2h0_ms": ms(d2h0.duration_ns), "C_h2d_d2h_ms": ms(sc["overlap"]["h2d_d2h_ns"])}
    big = {p: run(p, 8, 2**30)[0] for p in "BC"}
    sbig = big["B"].summary()
    require(abs(big["B"].makespan_ns - big["C"].makespan_ns) < 0.005 * big["B"].makespan_ns, page,
            "with --batches 8 --bytes 1GiB --kernel-ms 8 (B or C) ...: B and C agree")
    big_util = {e: pct(sbig["engines"][e]["utilisation"]) for e in ("copy_h2d", "copy_d2h")}
    require(big_util["copy_h2d"] == big_util["copy_d2h"], page, "both copy engines are busy N%", str(big_util))
    require(big["B"].busy_ns("copy_h2d") > big["B"].busy_ns("sm"), page, "when copies are the bottleneck")
    v |= {"big_copy_util": big_util["copy_h2d"], "big_makespan_ms": f"{big['B'].makespan_ns / NS_PER_MS:.0f}",
          "big_h2d_d2h_ms": f"{sbig['overlap']['h2d_d2h_ns'] / NS_PER_MS:.0f}",
          "big_sm_util": pct(sbig["engines"]["sm"]["utilisation"])}
    c2 = run("C", PLOT_BATCHES, streams=2)[0]
    require(c2.bidirectional_ns() == 0, page, "--streams 2: no bidirectional sharing at all")
    v["C2_4"] = ms(c2.makespan_ns)

    # pageable
    bp = run("B", PLOT_BATCHES, pinned=False)[0]
    h2d_ns, d2h_ns = rec(bp, "H2D[0]").duration_ns, rec(bp, "D2H[0]").duration_ns
    same = all(math.isclose(rec(bp, f"H2D[{i}]").duration_ns, h2d_ns, rel_tol=1e-9)
               and math.isclose(rec(bp, f"D2H[{i}]").duration_ns, d2h_ns, rel_tol=1e-9) for i in range(PLOT_BATCHES))
    require(same, page, "4 x (H2D + 8 + D2H): every batch's copies take the same time")
    by_hand = PLOT_BATCHES * (h2d_ns + PIPE_KERNEL_MS * NS_PER_MS + d2h_ns)
    require(abs(bp.makespan_ns - by_hand) < 0.002 * bp.makespan_ns, page, "4 x (H2D + 8 + D2H) = makespan",
            f"{ms(by_hand)} against {ms(bp.makespan_ns)}")
    require(bp.overlap_ns() == 0, page, "pattern B [pageable] then overlaps nothing")
    require(bp.makespan_ns > a.makespan_ns, page, "worse than serial pinned A")
    v |= {"B_pageable_4": ms(bp.makespan_ns), "pageable_h2d_ms": ms(h2d_ns), "pageable_d2h_ms": ms(d2h_ns)}

    # which PCIe figures are still unverified, in which models
    by_models: dict[tuple[str, ...], list[str]] = {}
    for key in PCIE_KEYS:
        names = tuple(name for name in shipped_model_names()
                      if status(load_model_with_sources(name).sources[f"pcie.{key}"]) == "unverified")
        if names:
            by_models.setdefault(names, []).append(f"`{key}`")
    v["pcie_unverified"] = "; ".join(f"{', '.join(keys)} on {', '.join(names)}"
                                     for names, keys in by_models.items()) or "none"
    return PipelineRuns(m, v, plots)


def pipelines_values() -> dict[str, object]:
    return pipeline_runs().values


def write_pipeline_charts(runs: PipelineRuns) -> list[Path]:
    from gpusim.report import gantt_png

    written = []
    for pattern, (tl, title) in runs.plots.items():
        path = IMAGES / f"pattern_{pattern}.png"
        gantt_png(tl, path, title=title)
        written.append(path)
    return written


# --- docs/kernel-spec.md ------------------------------------------------------------------------------
KERNELS = ROOT / "examples" / "kernels"
STRIDES = (1, 2, 4, 8, 16, 32)
STRIDE_SHOWN = 8  # the stride of the quoted `gpusim predict ... --set stride=8`
SGEMM_BIG_N = 4096  # the n of the quoted `gpusim predict sgemm_tiled.yaml --set n=4096 ...`


def _predict_json(command: str) -> dict[str, Any]:
    return json.loads(run_command(command))


def _phase_cycles(model: GpuModel, phase: Phase) -> dict[str, float]:
    """Scheduler cycles per warp and trip by pipe, and issue slots, as the kernel model charges them."""
    return sim_sm._pipe_cycles(phase, model)


def _sectors(pattern: str, n_bytes: int, stride: int = 1) -> float:
    access = MemoryAccess(pattern=pattern, bytes_per_thread=n_bytes, stride_elements=stride)  # type: ignore[arg-type]
    return access.sectors_per_request(32, sim_sm.SECTOR_BYTES)


def _strided_sectors(n_bytes: int) -> str:
    """``s=2: 8, s=4: 16, s≥8: 32``: sectors per request of a strided warp access, by stride."""
    parts, stride, full = [], 2, _sectors("random", n_bytes)
    while _sectors("strided", n_bytes, stride) < full:
        parts.append(f"s={stride}: {num(_sectors('strided', n_bytes, stride))}")
        stride *= 2
    if any(_sectors("strided", n_bytes, s) != full for s in range(stride, 4 * stride + 1)):
        raise ProseError("kernel-spec.md: strided sectors are not constant from the first full stride on")
    return ", ".join([*parts, f"s≥{stride}: {num(full)}"])


def _breakdown_share(p: KernelPrediction, key: str) -> float:
    return p.breakdown_s[key] / sum(p.breakdown_s.values())


def kernel_spec_values(template: str) -> dict[str, object]:
    page = "kernel-spec.md"
    h200 = load_model("h200")
    v: dict[str, object] = {}
    for text in (f"--set stride={STRIDE_SHOWN} }}}}", f"--set n={SGEMM_BIG_N} "):
        if text not in template:
            raise RenderError(f"docs/templates/{page}: no command with {text!r} (STRIDE_SHOWN, SGEMM_BIG_N)")

    # the architecture tables and figures
    schedulers = same_on_all_archs("limits.warp_schedulers_per_sm")
    warp = same_on_all_archs("limits.warp_size")
    v |= {"schedulers": words(schedulers), "schedulers_n": num(schedulers), "warp_size": num(warp),
          "register_allocation_unit": num(same_on_all_archs("limits.register_allocation_unit")),
          "reserved_shared": kib(same_on_all_archs("limits.reserved_shared_memory_per_block_bytes")),
          "shared_allocation_unit": kib(same_on_all_archs("limits.shared_memory_allocation_unit_bytes")),
          "shared_bytes": num(same_on_all_archs("throughput_per_sm_per_clock.shared_memory_bytes")),
          "ldst_lanes": arch_value("throughput_per_sm_per_clock.ldst"),
          "shared_latency": arch_value("latency_cycles.shared_memory", " cycles"),
          "block_launch": arch_value("latency_cycles.block_launch", " cycles", with_status=True),
          "barrier": arch_value("latency_cycles.barrier", " cycles", with_status=True),
          "atomic_same_address": arch_value("latency_cycles.atomic_same_address", " cycles", with_status=True),
          "l2_hit": arch_value("latency_cycles.l2_hit", " cycles"),
          "fetch_bytes": num(same_on_all_archs("limits.l2_fetch_granularity_bytes")),
          "sector_bytes": num(sim_sm.SECTOR_BYTES)}
    for pipe in ("fp32", "fp64", "fp16", "int32", "sfu", "branch"):
        one = Phase(instructions=Instructions(**{pipe: 1}))
        v[f"cycles_{pipe}"] = per_arch_pair(lambda m, one=one, pipe=pipe: _phase_cycles(m, one)[pipe])
        v[f"latency_{pipe}"] = per_arch_pair(lambda m, pipe=pipe: get_path(m.arch.latency_cycles, pipe))
    v["latency_tensor"] = per_arch_pair(lambda m: m.arch.latency_cycles.tensor)
    v["ldst_cycles"] = arch_value_fn(lambda m: _phase_cycles(m, Phase(memory=(MemoryAccess(),)))["ldst"])
    for pattern in ("coalesced", "broadcast", "random"):
        for n_bytes in (4, 8):
            v[f"sectors_{pattern}_{n_bytes}"] = num(_sectors(pattern, n_bytes))
    v["sectors_strided_4"], v["sectors_strided_8"] = _strided_sectors(4), _strided_sectors(8)

    # divergence and independent chains
    div = {d: predict_kernel(load_spec(KERNELS / "divergent.yaml", {"divergent": d}), h200) for d in (0, 1)}
    ratio = div[0].time_s / div[1].time_s
    require(0.4 < ratio < 0.6, page, "with divergent=0 ... the time roughly halves", f"{ratio:.2f}")
    v["divergent_ratio"] = pct(ratio)
    chains = {k: predict_kernel(load_spec(KERNELS / "fma_fp32.yaml", {"chains": k}), h200) for k in (1, 4)}
    share = {k: _breakdown_share(p, "compute_latency") for k, p in chains.items()}
    require(share[4] < share[1] and chains[4].achieved_flops_per_s > chains[1].achieved_flops_per_s, page,
            "with one chain the schedulers wait on the FMA latency part of the time, with four they issue "
            "nearly back to back", f"compute latency {share}")
    v |= {"fp32_latency": num(h200.arch.latency_cycles.fp32), "chains1_latency_share": pct(share[1]),
          "chains4_latency_share": pct(share[4])}

    # parameters
    derived_spec = spec_from_dict({"name": "p", "parameters": {"n": 1024, "blocks": "n / 256"}, "grid": "blocks",
                                   "block": 256, "phases": [{}]}, overrides={"n": 4096})
    v["derived_blocks"] = num(derived_spec.blocks)
    require(derived_spec.blocks == 4096 // 256, page, "--set n=4096 makes `blocks` 16 (overrides come first)")

    # example 1: process.yaml
    process = load_spec(KERNELS / "process.yaml")
    p = predict_kernel(process, h200)
    occ = p.occupancy
    demand = sim_sm.warp_demand(process, h200, sim_memory.cache_view(process, h200.l2.size_bytes, True))
    per_scheduler = occ.warps_per_sm / schedulers
    load_ns = per_scheduler * demand.scheduler_ns
    alone_ns = ((serial_bound_s(process, h200) * 1e9 - h200.launch.kernel_launch_latency_us * NS_PER_US)
                / (process.blocks * occ.warps_per_block))
    footprint = sim_memory.launch_footprint_bytes(process)
    achievable = derived.achievable_dram_bandwidth_bytes_per_s(h200)
    dram_share = p.achieved_dram_bandwidth_bytes_per_s / achievable
    require(len(process.phases) == 1, page, "process.yaml: one phase")
    require(demand.parts_ns["memory_latency"] > 0.5 * demand.latency_ns, page,
            "waits N ns, mostly a DRAM round trip")
    require(footprint > h200.l2.size_bytes, page, "the footprint is larger than the L2")
    require(load_ns > alone_ns and p.bottleneck in ("issue", "pipes"), page,
            "N warps x scheduler time is more than a warp alone, so the schedulers are the bottleneck",
            f"{load_ns:.0f} ns against {alone_ns:.0f} ns, bottleneck {p.bottleneck}")
    require(dram_share < 0.6, page, "DRAM is far from its bandwidth", pct(dram_share))
    v |= {"process_threads": f"{process.working_threads:,}", "process_blocks": f"{process.blocks:,}",
          "process_block": num(process.threads_per_block),
          "process_instructions": num(process.phases[0].instructions.issue_slots),
          "process_registers": num(process.registers_per_thread), "process_blocks_per_sm": num(occ.blocks_per_sm),
          "process_warps_per_sm": num(occ.warps_per_sm), "process_waves": f"{p.waves:.2f}",
          "process_scheduler": format_time_ns(demand.scheduler_ns),
          "process_issue_slots": num(_phase_cycles(h200, process.phases[0])["issue"]),
          "process_block_launch": format_time_ns(demand.block_launch_ns),
          "process_latency": format_time_ns(demand.latency_ns), "process_footprint": mib(footprint),
          "h200_l2": mib(h200.l2.size_bytes),
          "process_warps_per_scheduler_word": words(per_scheduler).capitalize(),
          "process_warps_per_scheduler": num(per_scheduler), "process_scheduler_load": format_time_ns(load_ns),
          "process_alone": format_time_ns(alone_ns), "process_dram_share": pct(dram_share),
          "h200_dram": format_rate(achievable, "B/s")}

    # example 2: strided reads
    load_lines = [line.strip().removeprefix("- ") for line in (KERNELS / "strided_read.yaml").read_text().splitlines()
                  if line.strip().startswith("- {op: load")]
    if len(load_lines) != 1:
        raise RenderError("examples/kernels/strided_read.yaml: expected one line `- {op: load, ...}` to quote")
    params = spec_parameters(KERNELS / "strided_read.yaml")
    shown = load_spec(KERNELS / "strided_read.yaml", {"stride": STRIDE_SHOWN})
    load = next(a for a in shown.phases[0].memory if a.op == "load")
    shown_footprint = sim_memory.launch_footprint_bytes(shown)
    require(shown_footprint >= 4 * h200.l2.size_bytes, page, "the footprint is far larger than L2")
    v |= {"strided_elements": f"{int(params['n_elements']):,}", "strided_bytes_word": words(load.bytes_per_thread),
          "strided_load": load_lines[0], "strided_shown": num(STRIDE_SHOWN), "strided_footprint": mib(shown_footprint)}
    full = _sectors("random", load.bytes_per_thread)
    v["stride_full"] = num(next(s for s in STRIDES if _sectors("strided", load.bytes_per_thread, s) == full))
    v["sectors_stride_1"] = num(_sectors("strided", load.bytes_per_thread, 1))
    fetch = same_on_all_archs("limits.l2_fetch_granularity_bytes")
    v["stride_fetch"] = num(next(s for s in STRIDES if s * load.bytes_per_thread >= fetch))
    rows = []
    for stride in STRIDES:
        j = _predict_json(f"gpusim predict examples/kernels/strided_read.yaml --set stride={stride} --json")
        sectors = _sectors("strided", load.bytes_per_thread, stride)
        rows.append(f"| {stride} | {num(sectors)} | {format_time_ns(j['time_s'] * 1e9)} | {mib(j['l2_bytes'])} | "
                    f"{mib(j['dram_bytes'])} | {j['bottleneck'].replace('_', ' ')} |")
    v["stride_sweep_rows"] = "\n".join(rows)

    # example 3: tiled SGEMM
    raw = yaml.safe_load((KERNELS / "sgemm_tiled.yaml").read_text())
    sgemm = load_spec(KERNELS / "sgemm_tiled.yaml")
    require([ph.name for ph in sgemm.phases] == ["setup", "tile_loop", "store"], page,
            "three phases: setup, the tile loop and the store of C")
    tile = sgemm.phases[1]

    def count(space: str, op: str) -> float:
        return sum(a.count for a in tile.memory if a.space == space and a.op == op)

    cycles = _phase_cycles(h200, tile)
    issue = cycles.pop("issue")
    ps = predict_kernel(sgemm, h200)
    n = spec_parameters(KERNELS / "sgemm_tiled.yaml")["n"]
    require(max(cycles, key=lambda k: cycles[k]) == "ldst" and cycles["ldst"] > issue,
            page, "the load/store unit is the busiest", f"{cycles}, issue {issue}")
    require(ps.dram_bytes == 0 and sim_memory.launch_footprint_bytes(sgemm) <= h200.l2.size_bytes, page,
            "A, B and C fit in the H200's warm L2: DRAM traffic is 0")
    big = load_spec(KERNELS / "sgemm_tiled.yaml", {"n": SGEMM_BIG_N})
    require(sim_memory.launch_footprint_bytes(big) > h200.l2.size_bytes, page, f"at n = {SGEMM_BIG_N} they do not")
    v |= {"sgemm_trips": raw["phases"][1]["trips"], "sgemm_global_loads": words(count("global", "load"), 10),
          "sgemm_shared_stores": words(count("shared", "store"), 10),
          "sgemm_shared_loads": words(count("shared", "load"), 10),
          "sgemm_fmas": words(tile.instructions.fp32, 10), "sgemm_barriers": words(tile.barriers, 10),
          "sgemm_memory_instructions": num(sum(a.count for a in tile.memory)),
          "sgemm_ldst_cycles": num(cycles["ldst"]), "sgemm_issue_slots": num(issue),
          "sgemm_matrix": mib(4 * n * n), "sgemm_big_n": SGEMM_BIG_N,
          "sgemm_roofline": format_time_ns(ps.roofline.bound_ns), "sgemm_roofline_limiter": ps.roofline.limiter}
    return v


def arch_value_fn(fn: Callable[[GpuModel], float], unit: str = "") -> str:
    """A figure computed from each architecture's model: one value when they agree, else per architecture."""
    values = {arch: fn(load_model(name)) for arch, name in ARCH_MODELS.items()}
    if len(set(values.values())) == 1:
        return f"{num(next(iter(values.values())))}{unit}"
    return ", ".join(f"{num(val)}{unit if i == 0 else ''} on {arch}" for i, (arch, val) in enumerate(values.items()))


# --- docs/design.md -------------------------------------------------------------------------------------
KNEE_BLOCKS = (1, 2, 3, 4, 6, 8)
CHASE_LOADS = 1000
CHASE_BLOCK = 256


def sci(x: float) -> str:
    """``5e-15``; ``0`` for zero."""
    if x == 0:
        return "0"
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _model_file(name: str, key: str, loaded: Any) -> Path:
    """The file a value of a loaded model comes from: the architecture file for ``arch.*`` keys."""
    return loaded.files[1] if key.startswith("arch.") else loaded.files[0]


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def model_file_sources() -> dict[tuple[str, str], tuple[Any, str, list[str]]]:
    """(file, key without ``arch.``) -> (value, source, models using it) over every shipped model."""
    out: dict[tuple[str, str], tuple[Any, str, list[str]]] = {}
    for name in shipped_model_names():
        loaded = load_model_with_sources(name)
        for key, source in loaded.sources.items():
            file = _relative(_model_file(name, key, loaded))
            short = key.removeprefix("arch.")
            value = get_path(loaded.model.arch if key.startswith("arch.") else loaded.model, short) \
                if "[" not in key else None
            entry = out.setdefault((file, short), (value, source, []))
            entry[2].append(name)
    return out


def _with_grid(spec: KernelSpec, blocks: int) -> KernelSpec:
    return KernelSpec.model_validate({**spec.model_dump(), "grid": blocks})


def latency_bound_ns(spec: KernelSpec, model: GpuModel) -> float:
    """The launch plus one warp's block life alone (``serial_bound_s`` is the launch plus every warp alone)."""
    launch_ns = model.launch.kernel_launch_latency_us * NS_PER_US
    warps = spec.blocks * spec.warps_per_block(model.arch.limits.warp_size)
    return launch_ns + (serial_bound_s(spec, model) * 1e9 - launch_ns) / warps


def design_values(template: str) -> dict[str, object]:
    page = "design.md"
    h200 = load_model("h200")
    v: dict[str, object] = {"fetch_bytes": num(same_on_all_archs("limits.l2_fetch_granularity_bytes")),
                            "h200_sms": num(h200.gpu.sms)}
    signature = inspect.signature(sim_memory.solve_mva).parameters
    v |= {"mva_tolerance": sci(signature["tolerance"].default),
          "mva_iterations": num(signature["max_iterations"].default)}

    # 2.4: the three fidelities on every shipped example
    spread = 0.0
    examples = sorted(KERNELS.glob("*.yaml"))
    for path in examples:
        spec = load_spec(path)
        times = [predict_kernel(spec, h200, fidelity=f).time_s for f in ("aggregate", "wave", "block")]
        spread = max(spread, (max(times) - min(times)) / times[0])
    require(spread < 1e-9, page, "the three [fidelities] differ by at most N in relative time", sci(spread))
    process = load_spec(KERNELS / "process.yaml")
    runs = [predict_kernel(process, h200, fidelity=f) for f in ("aggregate", "wave", "block")]
    threads = process.working_threads
    v |= {"n_examples": words(len(examples)), "fidelity_spread": sci(spread),
          "process_threads": f"2^{threads.bit_length() - 1}" if threads & (threads - 1) == 0 else f"{threads:,}",
          "process_waves": f"{runs[0].waves:.2f}",
          "process_events": " / ".join(str(p.simulation_events) for p in runs)}

    # 3: fitted and unverified values
    sources = model_file_sources()
    fitted = [f"- `{key}` = {num(value)} in `{file}` (used by {', '.join(models)}), from "
              f"`{source.split(':', 1)[1].strip()}`"
              for (file, key), (value, source, models) in sorted(sources.items()) if status(source) == "fitted"]
    v["fitted_values"] = "\n".join(fitted) or "- none yet"
    unverified = [(file, key) for (file, key), (_, source, _) in sources.items() if status(source) == "unverified"]
    h200_unverified = sorted(key for (file, key), (_, source, models) in sources.items()
                             if status(source) == "unverified" and "h200" in models)
    v |= {"unverified_count": num(len(unverified)), "h200_unverified_count": words(len(h200_unverified)),
          "h200_unverified": ", ".join(f"`{k}`" for k in h200_unverified) or "none"}

    # 4: MVA at the knee
    fma = load_spec(KERNELS / "fma_fp32.yaml")
    require(spec_parameters(KERNELS / "fma_fp32.yaml")["chains"] == 1, page, "fma_fp32.yaml (one dependent chain)")
    occ = occupancy(fma, h200.arch)
    schedulers = h200.arch.limits.warp_schedulers_per_sm
    launch_ns = h200.launch.kernel_launch_latency_us * NS_PER_US
    rows, table = [], []
    for b in KNEE_BLOCKS:
        require(b <= occ.blocks_per_sm, page, f"{b} blocks of fma_fp32 per SM are resident at once")
        spec = load_spec(KERNELS / "fma_fp32.yaml", {"grid": h200.gpu.sms * b})
        demand = sim_sm.warp_demand(spec, h200, sim_memory.cache_view(spec, h200.l2.size_bytes, True))
        latency_bound = latency_bound_ns(spec, h200)
        per_scheduler = b * occ.warps_per_block / schedulers
        issue_bound = launch_ns + per_scheduler * demand.scheduler_ns
        predicted = predict_kernel(spec, h200).time_s * 1e9
        ratio = predicted / max(latency_bound, issue_bound)
        table.append((per_scheduler, ratio, abs(latency_bound - issue_bound) / max(latency_bound, issue_bound)))
        rows.append(f"| {b} | {num(per_scheduler)} | {predicted / 1e3:.1f} us | {latency_bound / 1e3:.1f} us | "
                    f"{issue_bound / 1e3:.1f} us | {ratio:.3f} |")
    worst = max(table, key=lambda row: row[1])
    meet = min(table, key=lambda row: row[2])
    require(worst is meet and worst[1] > 1, page, "the prediction is furthest above the larger bound where the two "
            "bounds meet", f"worst at {worst[0]} warps per scheduler, bounds closest at {meet[0]}")
    v |= {"fma_block": num(fma.threads_per_block), "knee_rows": "\n".join(rows),
          "knee_excess": pct(worst[1] - 1), "knee_warps": num(worst[0])}

    # 4: the breakdown is not the bottleneck
    p = predict_kernel(fma, h200)
    share = _breakdown_share(p, "compute_latency")
    require(p.roofline.limiter == "issue" and share >= 0.01, page,
            'fma_fp32.yaml is issue-bound by its roofline, yet N% of its breakdown is "compute latency"',
            f"{p.roofline.limiter}, {pct(share)}")
    v |= {"fma_time": format_time_ns(p.time_s * 1e9), "fma_roofline": format_time_ns(p.roofline.bound_ns),
          "fma_latency_share": pct(share)}

    # 4: averaging over warps
    access = {"op": "load", "pattern": "random", "dependent": True}
    chase = {wf: predict_kernel(KernelSpec.model_validate({
        "name": "chase", "grid": h200.gpu.sms, "block": CHASE_BLOCK,
        "phases": [{"trips": CHASE_LOADS, "warp_fraction": wf, "memory": [access]}]}), h200).time_s * 1e9
        for wf in (1.0, 0.125)}
    require(chase[0.125] < 0.5 * chase[1.0], page, "one warp in eight: the model gives far less, though that warp "
            "still needs the full chain")
    v |= {"chase_loads": f"{CHASE_LOADS:,}", "chase_trips": CHASE_LOADS, "chase_access": yaml_flow(access),
          "chase_block": CHASE_BLOCK, "chase_all": format_time_ns(chase[1.0]),
          "chase_one_in_eight": format_time_ns(chase[0.125])}

    # 4: more SMs can be slower: run the page's own example, then look at its waves
    output, ns = run_python_block(template, "**\"More SMs is never slower\"")
    v["more_sms_output"] = output
    spec, small, big = ns["spec"], ns["h200"], ns["h200_144"]
    preds = {m.gpu.sms: predict_kernel(spec, m) for m in (small, big)}
    t_small, t_big = (preds[m.gpu.sms].time_s for m in (small, big))
    require(t_big > t_small, page, "144 SMs are slower", f"{t_big * 1e6:.2f} us against {t_small * 1e6:.2f} us")
    firsts = {m.gpu.sms: min(spec.blocks, preds[m.gpu.sms].occupancy.blocks_per_sm * m.gpu.sms) for m in (small, big)}
    for m in (small, big):
        require(math.ceil(preds[m.gpu.sms].waves) == 2, page, "two waves on both GPUs")
    first_time = {m.gpu.sms: predict_kernel(_with_grid(spec, firsts[m.gpu.sms]), m) for m in (small, big)}
    second = {m.gpu.sms: spec.blocks - firsts[m.gpu.sms] for m in (small, big)}
    second_time = {m.gpu.sms: predict_kernel(_with_grid(spec, second[m.gpu.sms]), m) for m in (small, big)}
    s_small, s_big = second_time[small.gpu.sms], second_time[big.gpu.sms]
    require(first_time[big.gpu.sms].time_s > first_time[small.gpu.sms].time_s, page,
            "the extra blocks [of the larger first wave] share the same L2 bandwidth")
    require(abs(s_small.time_s - s_big.time_s) < 0.05 * s_big.time_s, page,
            "a second wave of N blocks costs about as much as one of a single block")
    for m in (small, big):
        s = second_time[m.gpu.sms]
        bound = latency_bound_ns(_with_grid(spec, second[m.gpu.sms]), m)
        require(s.time_s * 1e9 < 1.05 * bound, page, "both are latency-bound [within 5% of one warp's block life "
                "alone plus the launch]", f"{s.time_s * 1e6:.2f} us against {bound / 1e3:.2f} us")
    v |= {"small_sms": small.gpu.sms, "big_sms": big.gpu.sms, "more_sms_slower": f"{t_big / t_small - 1:.1%}",
          "small_first": firsts[small.gpu.sms], "big_first": firsts[big.gpu.sms],
          "small_second": second[small.gpu.sms], "big_second": second[big.gpu.sms],
          "extra_blocks": firsts[big.gpu.sms] - firsts[small.gpu.sms],
          "small_first_time": format_time_ns(first_time[small.gpu.sms].time_s * 1e9),
          "big_first_time": format_time_ns(first_time[big.gpu.sms].time_s * 1e9),
          "small_second_time": format_time_ns(s_small.time_s * 1e9),
          "big_second_time": format_time_ns(s_big.time_s * 1e9)}

    # 5: the seed's A100 figures against the model's
    a100 = load_model("a100")
    v |= {"a100_cc": a100.arch.compute_capability, "a100_threads": f"{a100.arch.limits.max_threads_per_sm:,}",
          "a100_warps": num(a100.arch.limits.max_warps_per_sm), "a100_memory": a100.memory.type,
          "a100_memory_mhz": f"{a100.memory.clock_mhz:g}", "a100_transfers": num(a100.memory.transfers_per_clock),
          "a100_bus_bits": f"{a100.memory.bus_width_bits:,}",
          "a100_dram": f"{derived.dram_bandwidth_bytes_per_s(a100) / 1e12:.3f} TB/s"}
    require(a100.arch.limits.max_threads_per_sm != 1536, page, "the seed's 1,536 threads per SM are wrong")
    return v


# --- hardware-models.md ---------------------------------------------------------------------------------
MODEL_ERROR_EDITS = (
    ("h200.yaml", "sms: {value: 132, source: DEV}", "sms: {value: 130, source: DEV}"),
    ("h200.yaml", "tdp_w: {value: 700, source: AT}", "tdp_w: 700"),
    ("h200.yaml", "type: {value: HBM3e, source: AT}", "type: {value: HBM3e, source: ANANDTECH}"),
    ("arch/sm90.yaml", "max_warps_per_sm: {value: 64,", "max_warps_per_sm: {value: 48,"),
    ("h200.yaml", "  stacks: {value: 6,", "  stack: {value: 6,"),
)
COPY_DIR = "/tmp/gpusim-models-copy"


def _model_error_examples() -> str:
    """Each edit applied to a fresh copy of models/ and the one-line error `gpusim show` gives."""
    import shutil
    import tempfile

    from gpusim.hardware.loader import models_dir

    lines = []
    for file, old, new in MODEL_ERROR_EDITS:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "models"
            shutil.copytree(models_dir(), copy)
            target = copy / file
            text = target.read_text()
            if old not in text:
                raise RenderError(f"hardware-models.md: {file} no longer contains {old!r}")
            target.write_text(text.replace(old, new, 1))
            output = run_command(f"gpusim show {copy / 'h200.yaml'}").replace(str(copy), COPY_DIR)
        lines += [f"# {file}: {old}  ->  {new}", f"$ gpusim show {COPY_DIR}/h200.yaml", output]
    return "\n".join(lines)


def _h200_memory_excerpt() -> str:
    keys = ("clock_mhz", "controllers", "latency_ns", "achievable_bandwidth_fraction")
    text = (ROOT / "models" / "h200.yaml").read_text()
    section = text[text.index("\nmemory:\n"):]
    return "\n".join(next(line for line in section.splitlines() if line.strip().startswith(f"{k}:"))
                     for k in keys)


def _peaks_table() -> str:
    from gpusim.hardware import load_model, peaks, shipped_model_names

    models = [load_model(n) for n in shipped_model_names()]
    ps = [peaks(m) for m in models]
    rows = [
        ("SMs", [f"{m.gpu.sms}" for m in models]),
        ("boost clock (MHz)", [f"{m.clocks.boost_clock_mhz:g}" for m in models]),
        ("L2 (MiB)", [f"{m.l2.size_bytes / 2**20:g}" for m in models]),
        ("memory (GiB)", [f"{m.memory.capacity_bytes / 2**30:.1f}" for m in models]),
        ("FP32, CUDA cores (TFLOP/s)", [f"{p.fp32_flops_per_s / 1e12:.1f}" for p in ps]),
        ("FP64, CUDA cores (TFLOP/s)", [f"{p.fp64_flops_per_s / 1e12:.1f}" for p in ps]),
        ("FP16, CUDA cores (TFLOP/s)", [f"{p.fp16_flops_per_s / 1e12:.1f}" for p in ps]),
        ("FP16 tensor, dense (TFLOP/s)", [f"{p.tensor_fp16_flops_per_s / 1e12:.1f}" for p in ps]),
        ("TF32 tensor, dense (TFLOP/s)", [f"{p.tensor_tf32_flops_per_s / 1e12:.1f}" for p in ps]),
        ("FP64 tensor (TFLOP/s)", [f"{p.tensor_fp64_flops_per_s / 1e12:.1f}" for p in ps]),
        ("INT8 tensor, dense (TOP/s)", [f"{p.tensor_int8_ops_per_s / 1e12:,.1f}" for p in ps]),
        ("FP8 tensor, dense (TFLOP/s)", [f"{p.tensor_fp8_flops_per_s / 1e12:,.1f}" for p in ps]),
        ("DRAM bandwidth, peak (GB/s)", [f"{p.dram_bandwidth_bytes_per_s / 1e9:,.0f}" for p in ps]),
        ("DRAM bandwidth, sustained (GB/s)", [f"{p.achievable_dram_bandwidth_bytes_per_s / 1e9:,.0f}" for p in ps]),
        ("L2 bandwidth (GB/s)", [f"{p.l2_bandwidth_bytes_per_s / 1e9:,.0f}" for p in ps]),
        ("PCIe per direction, pinned (GB/s)", [f"{p.pcie_bandwidth_bytes_per_s / 1e9:.1f}" for p in ps]),
        ("max resident threads", [f"{p.max_resident_threads:,}" for p in ps]),
        ("max resident warps", [f"{p.max_resident_warps:,}" for p in ps]),
    ]
    out = ["| figure | " + " | ".join(m.name for m in models) + " |",
           "| --- | " + " | ".join("---:" for _ in models) + " |"]
    out += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]
    return "\n".join(out)


def hardware_values(template: str) -> dict[str, object]:
    return {"h200_memory_excerpt": _h200_memory_excerpt(), "error_examples": _model_error_examples(),
            "peaks_table": _peaks_table()}


# --- the pages -------------------------------------------------------------------------------------------
PAGES: dict[str, Callable[[str], dict[str, object]]] = {
    "pipelines.md": lambda template: pipelines_values(),
    "kernel-spec.md": kernel_spec_values,
    "design.md": design_values,
    "hardware-models.md": hardware_values,
}


def header(page: str) -> str:
    return (f"<!-- Generated by tools/render_docs.py from docs/templates/{page}: edit the template, then run "
            "`.venv/bin/python tools/render_docs.py`. -->\n\n")


def render(page: str, values: Mapping[str, object] | None = None) -> str:
    """The text of ``docs/<page>`` rendered from its template."""
    template = (TEMPLATES / page).read_text()
    text = fill(template, PAGES[page](template) if values is None else values, page)
    if "{{" in text or "}}" in text:
        raise RenderError(f"docs/templates/{page}: a placeholder was left unrendered")
    return header(page) + text


def stale_docs() -> list[str]:
    """One message per rendered page whose committed text differs from a fresh render (empty: all fresh)."""
    problems = []
    for page in PAGES:
        path = DOCS / page
        fresh = render(page)
        current = path.read_text() if path.exists() else ""
        if current != fresh:
            diff = list(difflib.unified_diff(current.splitlines(), fresh.splitlines(), f"docs/{page} (committed)",
                                             f"docs/{page} (fresh render)", n=0, lineterm=""))
            shown = "\n".join(diff[:30]) + ("\n..." if len(diff) > 30 else "")
            problems.append(f"docs/{page} differs from a fresh render of docs/templates/{page}; run "
                            f"`.venv/bin/python tools/render_docs.py`\n{shown}")
    return problems


def write_all() -> list[Path]:
    """Render every page and the pattern charts; returns the files written."""
    runs = pipeline_runs()
    written = []
    for page in PAGES:
        path = DOCS / page
        path.write_text(render(page, runs.values if page == "pipelines.md" else None))
        written.append(path)
    written += write_pipeline_charts(runs)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/*.md differ from a fresh render")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = stale_docs()
            for problem in problems:
                print(problem)
            if not problems:
                print(f"{', '.join(f'docs/{p}' for p in PAGES)}: up to date")
            return 1 if problems else 0
        for path in write_all():
            print(f"wrote {_relative(path)}")
    except RenderError as exc:
        print(f"render_docs: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

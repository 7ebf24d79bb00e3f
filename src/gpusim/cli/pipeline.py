"""``gpusim pipeline`` (the seed's stream patterns A-D) and ``gpusim timeline`` (a program file)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gpusim.cli.predict import parse_overrides
from gpusim.errors import GpusimError, SpecError
from gpusim.hardware import load_model
from gpusim.kernels.io import load_spec
from gpusim.pipelines import PATTERNS, build_pattern, fixed_kernel
from gpusim.sim.program import HOST_APIS, HostApi
from gpusim.sim.program_yaml import load_program
from gpusim.timeline import Timeline
from gpusim.units import NS_PER_MS, parse_size_bytes

ModelOpt = Annotated[str, typer.Option("--model", "-m", help="Shipped model name (h200) or a product YAML path.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary and every record as JSON.")]
TraceOpt = Annotated[Path | None, typer.Option("--trace", help="Write a Chrome Trace Event JSON (Perfetto).")]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Write a Gantt chart PNG.")]
RowsOpt = Annotated[int, typer.Option("--max-rows", help="Operations shown in the table.")]


def _host_api(text: str | None) -> HostApi | None:
    if text is not None and text not in HOST_APIS:
        raise SpecError(f"--host-api: must be one of {', '.join(HOST_APIS)} (got {text!r})")
    return text  # type: ignore[return-value]


def _check_output(path: Path | None, option: str) -> None:
    if path is not None and not path.parent.resolve().is_dir():
        raise SpecError(f"{option}: folder does not exist: {path.parent}")


def _write_outputs(writers: list[tuple[Path, Callable[[Path], None]]]) -> None:
    """Write every output to a temporary file in its folder, then move them all into place: a failure
    leaves nothing half-written."""
    done: list[tuple[Path, Path]] = []
    current = Path()
    try:
        for current, write in writers:
            tmp = current.parent / f".{current.stem}.{os.getpid()}.tmp{current.suffix}"  # with the usual umask
            done.append((tmp, current))
            write(tmp)
        for tmp, current in done:
            os.replace(tmp, current)
    except OSError as exc:
        raise GpusimError(f"{current}: cannot write ({exc.strerror or exc})") from None
    finally:
        for tmp, _ in done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _emit(tl: Timeline, title: str, as_json: bool, trace: Path | None, plot: Path | None, max_rows: int) -> None:
    from gpusim.cli import console, print_json
    from gpusim.report import gantt_png, operations_table, summary_table

    writers: list[tuple[Path, Callable[[Path], None]]] = []
    if trace is not None:
        writers.append((trace, tl.write_chrome_trace))
    if plot is not None:
        writers.append((plot, lambda p: gantt_png(tl, p, title=title)))
    _write_outputs(writers)
    if as_json:
        print_json(tl.as_dict())
        return
    console.print(f"[bold]{title}[/]")
    console.print(operations_table(tl, max_rows))
    console.print(summary_table(tl))


def register(app: typer.Typer) -> None:
    from gpusim.cli import user_errors

    @app.command("pipeline")
    @user_errors
    def pipeline_cmd(
        pattern: Annotated[str, typer.Option("--pattern", "-p", help=f"One of {', '.join(PATTERNS)}.")] = "B",
        batches: Annotated[int, typer.Option("--batches", "-n", help="Number of batches.")] = 8,
        size: Annotated[str, typer.Option("--bytes", help="Bytes copied in and out per batch (1GiB, 200MB; "
                                          "0: kernels only).")] = "256MiB",
        kernel: Annotated[Path | None, typer.Option("--kernel", "-k", help="KernelSpec YAML file.")] = None,
        kernel_ms: Annotated[float | None, typer.Option("--kernel-ms", help="Fixed kernel duration (ms), "
                                                        "instead of --kernel.")] = None,
        params: Annotated[list[str] | None, typer.Option("--set", "--param", help="Spec parameter override NAME=VALUE "
                                                         "(repeatable), e.g. n_elements=268435456.")] = None,
        streams: Annotated[int | None, typer.Option("--streams", help="Streams (A: 1, B: >=1, default 3; "
                                                    "C: 2 or 3; D: tenants, default 2).")] = None,
        pageable: Annotated[bool, typer.Option("--pageable/--pinned", help="Host memory kind.")] = False,
        model: ModelOpt = "h200",
        host_api: Annotated[str, typer.Option("--host-api", help="cpp or python (Numba) dispatch cost.")] = "cpp",
        as_json: JsonOpt = False,
        trace: TraceOpt = None,
        plot: PlotOpt = None,
        max_rows: RowsOpt = 40,
    ) -> None:
        """Simulate one of the seed's stream pipeline patterns (A serial, B rotation, C events, D tenants)."""
        api = _host_api(host_api)
        _check_output(trace, "--trace")
        _check_output(plot, "--plot")
        try:
            n_bytes = parse_size_bytes(size)
        except ValueError as exc:
            raise SpecError(f"--bytes: {exc}") from None
        if (kernel is None) == (kernel_ms is None):
            raise SpecError("give exactly one of --kernel SPEC.yaml or --kernel-ms MS")
        if kernel is not None:
            if not kernel.exists():
                raise SpecError(f"--kernel: file not found: {kernel}")
            work = load_spec(kernel, parse_overrides(params or []))
        else:
            if params:
                raise SpecError("--set: only with --kernel SPEC.yaml")
            if not kernel_ms > 0:  # type: ignore[operator]
                raise SpecError(f"--kernel-ms: must be > 0 (got {kernel_ms})")
            work = fixed_kernel(kernel_ms * NS_PER_MS)  # type: ignore[operator]
        program = build_pattern(pattern, batches, n_bytes, work, pinned=not pageable, streams=streams)
        m = load_model(model)
        tl = Timeline.simulate(program, m, host_api=api)
        _emit(tl, f"{program.name} on {m.name}", as_json, trace, plot, max_rows)

    @app.command("timeline")
    @user_errors
    def timeline_cmd(
        program_file: Annotated[Path, typer.Argument(metavar="PROGRAM.yaml", help="Program YAML file.")],
        model: ModelOpt = "h200",
        host_api: Annotated[str | None, typer.Option("--host-api", help="cpp or python; default: the "
                                                     "program's host_api.")] = None,
        as_json: JsonOpt = False,
        trace: TraceOpt = None,
        plot: PlotOpt = None,
        max_rows: RowsOpt = 40,
    ) -> None:
        """Simulate a program file (streams, events, copies, kernels) and show its timeline."""
        api = _host_api(host_api)
        _check_output(trace, "--trace")
        _check_output(plot, "--plot")
        program = load_program(program_file)
        m = load_model(model)
        tl = Timeline.simulate(program, m, host_api=api)
        _emit(tl, f"{program.name} on {m.name}", as_json, trace, plot, max_rows)


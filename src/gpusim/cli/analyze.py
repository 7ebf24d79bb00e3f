"""``gpusim analyze``: a kernel spec from a Numba CUDA kernel, without a GPU."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gpusim.errors import SpecError


def parse_dims(text: str, what: str) -> tuple[int, ...]:
    """``"256"``, ``"64x64"`` or ``"64,64,1"`` -> a tuple of 1 to 3 positive integers."""
    parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise SpecError(f"{what} {text!r}: expected 1 to 3 positive integers, e.g. 256 or 64x64") from None
    if not 1 <= len(dims) <= 3 or any(d < 1 for d in dims):
        raise SpecError(f"{what} {text!r}: expected 1 to 3 positive integers, e.g. 256 or 64x64")
    return dims


def load_kernel(target: str) -> tuple[Any, str]:
    """``FILE.py:KERNEL`` -> (the kernel object, the file as given)."""
    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name:
        raise SpecError(f"{target!r}: expected FILE.py:KERNEL")
    path = Path(path_text)
    if not path.is_file():
        raise SpecError(f"{path_text}: no such file")
    from gpusim.analyze.compile import numba_cuda

    numba_cuda()  # the NumPy alias some numba-cuda releases need, before the file imports numba.cuda
    resolved = path.resolve()
    parts = [resolved.stem]
    root = resolved.parent
    while (root / "__init__.py").exists():
        parts.insert(0, root.name)
        root = root.parent
    try:
        if len(parts) > 1:  # inside a package: import it as such, so relative imports work
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            module = importlib.import_module(".".join(parts))
        else:
            spec = importlib.util.spec_from_file_location(f"_gpusim_analyze_{resolved.stem}", resolved)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            spec.loader.exec_module(module)  # type: ignore[union-attr]
    except SyntaxError as exc:
        raise SpecError(f"{path_text}:{exc.lineno}: cannot import: {exc.msg}") from None
    except Exception as exc:
        tb = exc.__traceback__
        line = None
        while tb is not None:
            if Path(tb.tb_frame.f_code.co_filename).resolve() == resolved:
                line = tb.tb_lineno
            tb = tb.tb_next
        where = f"{path_text}:{line}" if line else path_text
        raise SpecError(f"{where}: cannot import: {type(exc).__name__}: {exc}") from None
    if not hasattr(module, name):
        raise SpecError(f"{path_text}: no kernel named {name!r}")
    return getattr(module, name), path_text


def register(app: typer.Typer) -> None:
    from gpusim.cli import console, user_errors

    @app.command("analyze")
    @user_errors
    def analyze_cmd(
        target: Annotated[str, typer.Argument(help="FILE.py:KERNEL, a @cuda.jit kernel.")],
        grid: Annotated[str, typer.Option(help="Blocks: G, GxH or GxHxK.")],
        block: Annotated[str, typer.Option(help="Threads per block: B, BxC or BxCxD.")],
        signature: Annotated[str, typer.Option(help='Numba argument types, e.g. "float32[:], float32[:], int32".')],
        args: Annotated[list[str], typer.Option("--args", help="Example arguments, ';'-separated or repeated: "
                                                "a number, SHAPE[:INIT] (zeros, fill=V, uniform=LO,HI, arange, "
                                                "affine=A,B, perm) or @FILE.npy (docs/analyze.md).")] = [],  # noqa: B006
        arch: Annotated[str, typer.Option(help="Target architecture: sm_80 or sm_90.")] = "sm_90",
        dynamic_shared_bytes: Annotated[int, typer.Option(help="Dynamic shared memory per block, bytes.")] = 0,
        sample_blocks: Annotated[int, typer.Option(help="Blocks run on the CPU (first, last, random).")] = 6,
        seed: Annotated[int, typer.Option(help="Seed of the random block choice.")] = 0,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the spec here (default: "
                                                    "print it).")] = None,
    ) -> None:
        """Derive a kernel spec from a Numba CUDA kernel: compile it, count, run a sample on the CPU."""
        from gpusim.analyze import analyze_kernel, signature_types
        from gpusim.analyze.args import parse_args
        from gpusim.analyze.compile import parse_arch
        from gpusim.kernels.io import dump_spec

        parse_arch(arch)
        grid_dims, block_dims = parse_dims(grid, "--grid"), parse_dims(block, "--block")
        kernel, _ = load_kernel(target)
        types = signature_types(signature)
        values = parse_args(args, types)
        analysis = analyze_kernel(kernel, values, grid_dims, block_dims, signature=signature, arch=arch,
                                  dynamic_shared_bytes=dynamic_shared_bytes, sample_blocks=sample_blocks, seed=seed,
                                  name=target.rpartition(":")[2])
        text = analysis.header() + dump_spec(analysis.spec)
        if output is None:
            typer.echo(text, nl=False)  # plain: the console would wrap long lines
            return
        try:
            output.write_text(text)
        except OSError as exc:
            raise SpecError(f"{output}: cannot write: {exc.strerror}") from None
        console.print(f"wrote {output}: {len(analysis.spec.phases)} phases, "
                      f"{analysis.spec.registers_per_thread} registers ({analysis.resources.source})",
                      markup=False, highlight=False)

"""The ``gpusim`` command line: arguments and file I/O only; the model lives in the library."""

from __future__ import annotations

import functools
import json
import shutil
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from gpusim.errors import GpusimError

app = typer.Typer(
    name="gpusim",
    help="Predict how CUDA work runs on NVIDIA A100, H100 and H200 GPUs, without a GPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, width=max(120, shutil.get_terminal_size((120, 24)).columns))

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(func: F) -> F:
    """Turn user mistakes (GpusimError, ValueError from parsing) into one line on stderr and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GpusimError as exc:
            print(f"gpusim: error: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def fail(message: str) -> None:
    """Print one error line and exit with code 2."""
    print(f"gpusim: error: {message}", file=sys.stderr)
    raise typer.Exit(2)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


from gpusim.cli import analyze as _analyze  # noqa: E402
from gpusim.cli import demo as _demo  # noqa: E402
from gpusim.cli import models as _models  # noqa: E402
from gpusim.cli import pipeline as _pipeline  # noqa: E402
from gpusim.cli import predict as _predict  # noqa: E402
from gpusim.cli import validate as _validate  # noqa: E402

_models.register(app)
_demo.register(app)
_predict.register(app)
_pipeline.register(app)
_validate.register(app)
_analyze.register(app)
# register command modules here


def _usage_error_types() -> tuple[type[Exception], type[Exception]]:
    try:  # typer >= 0.20 vendors click
        from typer._click.exceptions import NoArgsIsHelpError, UsageError
    except ImportError:  # pragma: no cover - older typer on click
        from click.exceptions import NoArgsIsHelpError, UsageError  # type: ignore[no-redef]
    return NoArgsIsHelpError, UsageError


def main() -> None:
    """Entry point of the ``gpusim`` script: a usage mistake is one line on stderr and exit code 2."""
    no_args, usage_error = _usage_error_types()
    try:
        result = app(standalone_mode=False)
    except no_args as exc:
        print(exc.ctx.get_help() if exc.ctx else "gpusim --help")  # type: ignore[attr-defined]
        sys.exit(0)
    except usage_error as exc:
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path.removeprefix(ctx.find_root().info_name or "").strip() if ctx is not None else ""
        prefix = f"{command}: " if command else ""
        print(f"gpusim: error: {prefix}{exc.format_message()}", file=sys.stderr)  # type: ignore[attr-defined]
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)

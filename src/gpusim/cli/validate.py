"""``gpusim validate``: run the measurement harness (``validation/run.py``) on this machine's GPU.

The harness lives beside the package in the repository (it needs numba-cuda and a CUDA GPU); gpusim
never imports it, so this command runs it as its own process and passes its exit code on.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer

from gpusim.hardware.loader import models_dir


def register(app: typer.Typer) -> None:
    from gpusim.cli import fail

    @app.command("validate", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def validate_cmd(
        ctx: typer.Context,
        compare: Annotated[bool, typer.Option("--compare", help="Compare the newest data with the model "
                                              "instead of measuring (no GPU needed).")] = False,
    ) -> None:
        """Measure the validation workloads on this GPU (or --compare the committed data); other options
        go to ``python -m validation.run`` (see its --help)."""
        root = models_dir().parent
        module = "validation.compare" if compare else "validation.run"
        if not (root / "validation" / "run.py").exists():
            fail(f"{root / 'validation'}: the validation harness is not here (it ships with the repository)")
        proc = subprocess.run([sys.executable, "-m", module, *ctx.args], cwd=root, check=False)
        raise typer.Exit(proc.returncode)

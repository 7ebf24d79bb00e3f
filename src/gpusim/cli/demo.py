"""``gpusim demo``: the main job, shown on the shipped A100, H100 and H200 models."""

from __future__ import annotations

import typer

from gpusim.hardware import load_model

DEMO_MODELS = ("a100", "h100", "h200")


def register(app: typer.Typer) -> None:
    from gpusim.cli import console, user_errors
    from gpusim.cli.models import peaks_table

    @app.command("demo")
    @user_errors
    def demo_cmd() -> None:
        """Show A100, H100 and H200 side by side."""
        models = [load_model(n) for n in DEMO_MODELS]
        console.print(peaks_table(models))

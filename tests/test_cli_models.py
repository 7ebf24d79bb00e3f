"""CLI: ``gpusim models``, ``show``, ``demo`` and their errors (one line, exit code 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpusim.cli import app

runner = CliRunner()


def test_models_one_line_each() -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["a100", "a100-pcie", "h100", "h200"]


def test_models_json() -> None:
    result = runner.invoke(app, ["models", "--json"])
    data = json.loads(result.stdout)
    assert {d["name"]: d["sms"] for d in data} == {"a100": 108, "a100-pcie": 108, "h100": 132, "h200": 132}


def test_show_tree_and_peaks() -> None:
    result = runner.invoke(app, ["show", "a100"])
    assert result.exit_code == 0
    out = result.stdout
    assert "GPC 0" in out and "TPC" in out and "warp scheduler 3" in out
    assert "19.5 TFLOP/s" in out and "2.04 TB/s" in out and "221,184" in out


def test_show_json_by_path() -> None:
    path = Path(__file__).resolve().parents[1] / "models" / "h200.yaml"
    result = runner.invoke(app, ["show", str(path), "--json"])
    data = json.loads(result.stdout)
    assert data["model"]["gpu"]["sms"] == 132
    assert abs(data["peaks"]["dram_bandwidth_bytes_per_s"] - 4.8e12) / 4.8e12 < 0.02
    assert data["sources"]["memory.clock_mhz"] == "DEV"


def test_demo_shows_the_seed_example_on_three_gpus(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for name in ("a100", "h100", "h200"):
        assert name in result.stdout
        assert (tmp_path / f"demo-{name}-pattern-C.png").stat().st_size > 10_000
    for row in ("kernel alone", "H2D + kernel + D2H", "pattern A", "pattern B", "pattern C"):
        assert row in result.stdout


def test_bad_model_exits_2_with_one_line(model_copy: Path) -> None:
    bad = model_copy / "h100.yaml"
    bad.write_text(bad.read_text().replace("sms: {value: 132, source: DQ}", "sms: {value: 0, source: DQ}"))
    proc = subprocess.run([sys.executable, "-m", "gpusim.cli", "show", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "h100.yaml: gpu.sms" in lines[0]


def test_unknown_option_exits_2() -> None:
    result = runner.invoke(app, ["show", "h200", "--frobnicate"])
    assert result.exit_code == 2


@pytest.mark.parametrize(("args", "message"), [
    (["predict"], "gpusim: error: predict: Missing argument 'specs'."),
    (["show", "h200", "--frobnicate"], "gpusim: error: show: No such option: --frobnicate"),
    (["show", "models/arch/sm90.yaml"], "sm90.yaml: kind: this is an architecture layer"),
])
def test_usage_mistakes_are_one_line_from_the_script(args: list[str], message: str) -> None:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "gpusim.cli", *args], capture_output=True, text=True,
                          cwd=root, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message.split(": error: ")[-1] in lines[0], proc.stderr

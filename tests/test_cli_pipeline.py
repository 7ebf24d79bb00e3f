"""CLI: ``gpusim pipeline`` and ``gpusim timeline``: tables, JSON, trace and plot files, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpusim.cli import app
from gpusim.hardware import load_model

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "programs" / "seed_pattern_c.yaml"
PROCESS = ROOT / "examples" / "kernels" / "process.yaml"


def test_pipeline_prints_table_and_summary() -> None:
    result = runner.invoke(app, ["pipeline", "--pattern", "A", "--batches", "2", "--bytes", "200MiB",
                                 "--kernel-ms", "8", "--model", "h200"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "pattern A" in out and "H2D[1]" in out and "makespan" in out and "copy_h2d busy" in out


def test_pipeline_json_matches_the_library() -> None:
    result = runner.invoke(app, ["pipeline", "--pattern", "B", "--batches", "4", "--bytes", "64MiB",
                                 "--kernel-ms", "2", "--json", "--host-api", "python"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["host_dispatch_ns"] == load_model("h200").launch.host_dispatch_python_us * 1e3
    assert data["summary"]["bytes"]["h2d"] == 4 * 64 * 2**20
    assert len([r for r in data["records"] if r["kind"] == "kernel"]) == 4


def test_pipeline_writes_trace_and_plot(tmp_path: Path) -> None:
    trace, plot = tmp_path / "t.json", tmp_path / "g.png"
    result = runner.invoke(app, ["pipeline", "--pattern", "C", "--batches", "3", "--bytes", "1GiB",
                                 "--kernel", str(PROCESS), "--set", "n_elements=268435456",
                                 "--trace", str(trace), "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert json.loads(trace.read_text())["traceEvents"]
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert set(tmp_path.iterdir()) == {plot, trace}  # no temporary files left behind


def test_timeline_runs_a_program_file(tmp_path: Path) -> None:
    trace = tmp_path / "c.json"
    result = runner.invoke(app, ["timeline", str(EXAMPLE), "--model", "a100", "--trace", str(trace), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["model"] == "a100"
    assert set(data["summary"]["streams"]) == {"h2d", "compute", "d2h"}
    assert trace.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["pipeline", "--kernel-ms", "8", "--bytes", "12 parsecs"], "--bytes: not a size"),
    (["pipeline", "--kernel-ms", "8", "--pattern", "Z"], "pattern: must be one of A, B, C, D"),
    (["pipeline"], "give exactly one of --kernel"),
    (["pipeline", "--kernel-ms", "8", "--kernel", str(PROCESS)], "give exactly one of --kernel"),
    (["pipeline", "--kernel", "nope.yaml"], "--kernel: file not found"),
    (["pipeline", "--kernel-ms", "0"], "--kernel-ms: must be > 0"),
    (["pipeline", "--kernel-ms", "8", "--host-api", "java"], "--host-api: must be one of cpp, python"),
    (["pipeline", "--kernel-ms", "8", "--model", "h900"], "h900: no such model"),
    (["pipeline", "--kernel-ms", "8", "--pattern", "C", "--streams", "5"], "pattern C: streams must be"),
    (["pipeline", "--kernel", str(PROCESS), "--set", "n_elements"], "--set 'n_elements': expected NAME=NUMBER"),
    (["timeline", "missing.yaml"], "missing.yaml: file not found"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(app, [*args, "--trace", str(out / "t.json"), "--plot", str(out / "g.png")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert list(out.iterdir()) == []


def test_missing_output_folder_is_reported_before_simulating(tmp_path: Path) -> None:
    result = runner.invoke(app, ["pipeline", "--kernel-ms", "1", "--trace", str(tmp_path / "no" / "t.json")])
    assert result.exit_code == 2 and "--trace: folder does not exist" in result.stderr


def test_bad_program_file_from_a_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("ops:\n  - {op: h2d, bytes: 1MiB}\n  - {op: event_wait, event: nope}\n")
    proc = subprocess.run([sys.executable, "-m", "gpusim.cli", "timeline", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (f"gpusim: error: {bad}: ops[1].event: event 'nope' is not recorded by any "
                                   "earlier operation")


def test_unwritable_output_leaves_no_file_behind(tmp_path: Path) -> None:
    (tmp_path / "t.json").mkdir()  # a folder where the trace should go
    result = runner.invoke(app, ["pipeline", "--kernel-ms", "1", "--batches", "2",
                                 "--trace", str(tmp_path / "t.json"), "--plot", str(tmp_path / "g.png")])
    assert result.exit_code == 2 and "t.json: cannot write" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]  # no plot, no temporary files

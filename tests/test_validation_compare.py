"""compare and calibrate on the committed H200 measurements (no GPU needed)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from gpusim.hardware import load_model
from validation.calibrate import PARAMETERS, fit, get_value, with_values, write_value
from validation.compare import ROOT, compare, latest_data, load_document, render, stats

DATA = latest_data()


def test_committed_data_compares() -> None:
    doc = load_document(DATA)
    rows = compare(doc)
    held = [r for r in rows if r.split == "held-out"]
    assert len(held) >= 50
    s = stats(held)
    assert math.isfinite(s.mean_abs_error) and s.log_correlation > 0.9
    text = render(doc, rows, DATA)
    assert "| all held-out (hand-written specs) |" in text and "NVIDIA H200" in text


def test_calibration_cases_are_not_reported_as_held_out() -> None:
    rows = compare(load_document(DATA))
    names = {r.name for r in rows if r.split == "calibration"}
    assert "empty_g1x1" in names
    assert not names & {r.name for r in rows if r.split == "held-out"}


def test_fit_matches_the_calibration_cases() -> None:
    doc = load_document(DATA)
    values, rms = fit(doc, load_model("h200"))
    assert rms < 0.05
    for p, v in zip(PARAMETERS, values, strict=True):
        assert p.lower <= v <= p.upper


def test_with_values_changes_only_the_parameters() -> None:
    m = load_model("h200")
    changed = with_values(m, [9.0, 10.0, 111.0, 222.0, 7.0])
    assert [get_value(changed, p) for p in PARAMETERS] == [9.0, 10.0, 111.0, 222.0, 7.0]
    assert changed.memory.clock_mhz == m.memory.clock_mhz


def test_write_value_keeps_the_note(tmp_path: Path) -> None:
    path = tmp_path / "h200.yaml"
    shutil.copy(ROOT / "models" / "h200.yaml", path)
    write_value(path, "latency_ns", 512.0, "fitted: x.json")
    line = next(ln for ln in path.read_text().splitlines() if ln.strip().startswith("latency_ns:"))
    assert line.startswith('  latency_ns: {value: 512, source: "fitted: x.json"')
    with pytest.raises(Exception, match="no one-line sourced value"):
        write_value(path, "no_such_key", 1.0, "fitted: x.json")


def test_repeat_run_is_close_for_kernels() -> None:
    from validation.repeatability import differences

    repeat = DATA.parent / "repeat" / f"{DATA.stem}-run2.json"
    diffs = differences(load_document(DATA), load_document(repeat))
    kernels = sorted(abs(d) for kind, d in diffs.values() if kind == "kernel")
    assert len(kernels) >= 60 and kernels[len(kernels) // 2] < 0.02

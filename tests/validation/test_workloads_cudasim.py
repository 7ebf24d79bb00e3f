"""The Numba workloads and the GPU runner, exercised on the CPU with the Numba CUDA simulator.

``NUMBA_ENABLE_CUDASIM`` must be set before ``numba.cuda`` is first imported and then holds for the
whole process, so every simulator run happens in a subprocess: nothing leaks into other tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def _env(simulator: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _run(args: list[str], simulator: bool, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, *args]
    env = _env(simulator)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)


def _json_output(script: str) -> dict[str, Any]:
    done = _run([str(HERE / script)], simulator=True)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tiny_results() -> dict[str, Any]:
    return _json_output("cudasim_workloads.py")


def test_runs_in_the_simulator(tiny_results: dict[str, Any]) -> None:
    assert tiny_results["simulator"] is True


def test_every_tiny_kernel_matches_numpy(tiny_results: dict[str, Any]) -> None:
    failed = {r["name"]: r["check"] for r in tiny_results["results"] if not r["check"]["passed"]}
    assert not failed


def test_every_family_and_kernel_is_covered(tiny_results: dict[str, Any]) -> None:
    results = tiny_results["results"]
    assert {r["family"] for r in results} == set(tiny_results["families"])
    assert {r["kernel"] for r in results} | {"spin"} == set(tiny_results["kernels"])


def test_checks_compare_every_element_at_tiny_scale(tiny_results: dict[str, Any]) -> None:
    for r in tiny_results["results"]:
        if r["kernel"] in ("empty", "reduce_sum", "pointer_chase"):
            continue
        assert r["check"]["n_checked"] >= 128, r["name"]


def test_a_wrong_output_fails_its_check(tiny_results: dict[str, Any]) -> None:
    """One corrupted element on the device must make every kernel's check fail."""
    for r in tiny_results["results"]:
        if r["kernel"] == "empty":
            assert r["corrupted_check_passed"] is None
        else:
            assert r["corrupted_check_passed"] is False, r["name"]


def test_tiny_cases_stay_small(tiny_results: dict[str, Any]) -> None:
    assert max(r["n_threads"] for r in tiny_results["results"]) <= 1024


def test_runner_sections_run_and_check_under_the_simulator() -> None:
    document = _json_output("cudasim_runner_sections.py")
    measurements = document["measurements"]
    errors = {m["name"]: m["traceback"] for m in measurements if m["error"]}
    assert not errors
    assert not document["failed"]
    kinds = {m["kind"] for m in measurements}
    assert kinds == {"kernel", "launch", "transfer", "pipeline", "concurrency"}
    for m in measurements:
        assert m["has_time"], m["name"]
        if m["kind"] != "launch":
            assert m["check_passed"] is True, m["name"]
        if m["kind"] == "pipeline":
            assert m["n_ops"] > 0


def _assert_refused(done: subprocess.CompletedProcess[str], tmp_path: Path, data_before: set[str]) -> None:
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no CUDA GPU" in lines[0]
    assert "pass" not in lines[0].lower()
    assert list(tmp_path.rglob("*")) == []
    assert {p.name for p in (ROOT / "validation" / "data").glob("*")} == data_before


def test_runner_refuses_the_simulator(tmp_path: Path) -> None:
    data_before = {p.name for p in (ROOT / "validation" / "data").glob("*")}
    args = ["-m", "validation.run", "--scale", "tiny", "--out", str(tmp_path / "out.json")]
    done = _run([*args, "--data-dir", str(tmp_path / "data")], simulator=True)
    _assert_refused(done, tmp_path, data_before)


def test_runner_refuses_to_run_without_a_gpu(tmp_path: Path) -> None:
    probe = _run(["-c", "from numba import cuda; print(cuda.is_available())"], simulator=False)
    if probe.stdout.strip() == "True":
        pytest.skip("a CUDA GPU is reachable here")
    data_before = {p.name for p in (ROOT / "validation" / "data").glob("*")}
    done = _run(["-m", "validation.run", "--out", str(tmp_path / "out.json")], simulator=False)
    _assert_refused(done, tmp_path, data_before)

"""``gpusim validate`` runs the harness as its own process: without a GPU it says so and exits 2."""

from __future__ import annotations

import os
import subprocess
import sys


def test_validate_without_a_gpu_exits_2_and_writes_nothing(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    proc = subprocess.run([sys.executable, "-m", "gpusim.cli", "validate", "--scale", "tiny",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "no CUDA GPU" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_validate_compare_reads_the_committed_data() -> None:
    proc = subprocess.run([sys.executable, "-m", "gpusim.cli", "validate", "--compare", "--no-write", "--no-analysed"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "| all held-out (hand-written specs) |" in proc.stdout

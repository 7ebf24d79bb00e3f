"""Shared fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gpusim.hardware.loader import models_dir


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped models folder; returns its path."""
    dst = tmp_path / "models"
    shutil.copytree(models_dir(), dst)
    return dst

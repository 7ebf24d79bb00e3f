"""Every `$ gpusim ...` command quoted in docs/kernel-spec.md and docs/hardware-models.md runs as shown.

A ```console block whose quoted output contains ``gpusim: error:`` documents a mistake and must exit 2;
every other command must exit 0. Paths in the commands are relative to the repository root.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gpusim.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "docs" / "kernel-spec.md", ROOT / "docs" / "hardware-models.md"]
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.M | re.S)


def _commands() -> list[tuple[str, str, int]]:
    """(doc name, command line, expected exit code) for every quoted `$ gpusim` command."""
    found = []
    for doc in DOCS:
        for block in _BLOCK.findall(doc.read_text()):
            lines = block.splitlines()
            if not lines or not lines[0].startswith("$ gpusim"):
                continue
            expected = 2 if "gpusim: error:" in block else 0
            for line in lines:
                if line.startswith("$ gpusim"):
                    found.append((doc.name, line[2:], expected))
    return found


COMMANDS = _commands()


def test_docs_quote_commands() -> None:
    assert len(COMMANDS) >= 5
    assert any(code == 2 for _, _, code in COMMANDS)


@pytest.mark.parametrize(("doc", "command", "expected"), COMMANDS, ids=[c for _, c, _ in COMMANDS])
def test_documented_command_runs(doc: str, command: str, expected: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == expected, f"{doc}: `{command}` exited {result.exit_code}:\n{result.output}"
    if expected == 2:
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gpusim: error: "), result.output

"""Static instruction counts and resources of compiled Numba kernels (PTX, SASS, registers, shared).

The parsers work on text and need no GPU; `kernel_report` needs a compiled dispatcher, and SASS needs
``nvdisasm`` (Numba's ``inspect_sass``) or ``cuobjdump`` on the PATH. Counts are static (instructions
in the code), not executed; ``sass_loops`` gives the body of every backward branch, which with the
loop's trip count gives executed counts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from typing import Any

_PTX_INSTRUCTION = re.compile(r"^\s+(?:@!?%\w+\s+)?([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)[\s;]")
_SASS_INSTRUCTION = re.compile(
    r"/\*([0-9a-f]{4,})\*/\s+(?:\{\s*)?(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)*)"
)
_SASS_LABEL = re.compile(r"^\s*(\.L_x_\d+|\.L_\w+):")
_SASS_BRANCH_TARGET = re.compile(r"\bBRA\b[^`]*`\((\.L_\w+)\)")


def ptx_opcode_counts(ptx: str) -> dict[str, int]:
    """Static count of each PTX instruction (with its type suffixes, e.g. ``fma.rn.f32``)."""
    counts: Counter[str] = Counter()
    for line in ptx.splitlines():
        if line.lstrip().startswith("//"):
            continue
        match = _PTX_INSTRUCTION.match(line)
        if match:
            counts[match.group(1)] += 1
    return dict(counts.most_common())


def sass_opcode_counts(sass: str, base_only: bool = False) -> dict[str, int]:
    """Static count of each SASS instruction, with modifiers (``LDG.E.128``) or base names (``LDG``)."""
    counts: Counter[str] = Counter()
    for line in sass.splitlines():
        match = _SASS_INSTRUCTION.search(line)
        if match:
            opcode = match.group(2)
            counts[opcode.split(".")[0] if base_only else opcode] += 1
    return dict(counts.most_common())


def sass_loops(sass: str) -> list[dict[str, Any]]:
    """Every backward branch's body (label to branch): its length and base-opcode counts."""
    items: list[tuple[str, str]] = []  # ("label", name) or ("insn", line)
    for line in sass.splitlines():
        label = _SASS_LABEL.match(line)
        if label:
            items.append(("label", label.group(1)))
        elif _SASS_INSTRUCTION.search(line):
            items.append(("insn", line))
    positions = {name: i for i, (kind, name) in enumerate(items) if kind == "label"}
    loops = []
    for i, (kind, line) in enumerate(items):
        if kind != "insn":
            continue
        target = _SASS_BRANCH_TARGET.search(line)
        if target and positions.get(target.group(1), i) < i:  # backward: a loop (or the end pad)
            body = "\n".join(text for k, text in items[positions[target.group(1)] : i + 1] if k == "insn")
            ops = sass_opcode_counts(body, base_only=True)
            if ops == {"BRA": 1}:
                continue  # the ``BRA`` to itself that pads the end of the code
            loops.append({"label": target.group(1), "n_instructions": sum(ops.values()), "opcodes": ops})
    return loops


def _first(value: Any) -> Any:
    """Numba returns ``{signature: value}`` when no signature is given: take the only (first) value."""
    if isinstance(value, dict):
        return next(iter(value.values())) if value else None
    return value


def _sass_with_cuobjdump(dispatcher: Any) -> str:
    tool = shutil.which("cuobjdump")
    if tool is None:
        raise RuntimeError("neither nvdisasm (for inspect_sass) nor cuobjdump works here")
    overload = next(iter(dispatcher.overloads.values()))
    cubin = overload._codelibrary.get_cubin()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kernel.cubin")
        with open(path, "wb") as handle:
            handle.write(bytes(cubin))
        done = subprocess.run([tool, "-sass", path], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def kernel_report(dispatcher: Any, with_sass: bool = True) -> dict[str, Any]:
    """Resources and static instruction counts of a dispatcher's first compiled signature.

    Each item is collected on its own; a failure is recorded under ``errors`` and never raised.
    """
    report: dict[str, Any] = {"errors": {}}
    signatures = list(getattr(dispatcher, "overloads", {}).keys())
    report["signatures"] = [str(sig) for sig in signatures]
    getters = {
        "regs_per_thread": "get_regs_per_thread",
        "shared_mem_per_block_bytes": "get_shared_mem_per_block",
        "local_mem_per_thread_bytes": "get_local_mem_per_thread",
        "max_threads_per_block": "get_max_threads_per_block",
        "const_mem_bytes": "get_const_mem_size",
    }
    for key, method in getters.items():
        try:
            report[key] = _first(getattr(dispatcher, method)())
        except Exception as exc:
            report["errors"][key] = repr(exc)
    try:
        ptx = _first(dispatcher.inspect_asm())
        report["ptx_opcodes"] = ptx_opcode_counts(ptx)
        report["ptx_n_instructions"] = sum(report["ptx_opcodes"].values())
    except Exception as exc:
        report["errors"]["ptx"] = repr(exc)
    if with_sass:
        sass = None
        try:
            sass = _first(dispatcher.inspect_sass())
        except Exception as exc:
            report["errors"]["sass_nvdisasm"] = repr(exc)
            try:
                sass = _sass_with_cuobjdump(dispatcher)
            except Exception as exc2:
                report["errors"]["sass_cuobjdump"] = repr(exc2)
        if sass:
            report["sass_opcodes"] = sass_opcode_counts(sass)
            report["sass_base_opcodes"] = sass_opcode_counts(sass, base_only=True)
            report["sass_n_instructions"] = sum(report["sass_base_opcodes"].values())
            report["sass_loops"] = sass_loops(sass)
    if not report["errors"]:
        del report["errors"]
    return report

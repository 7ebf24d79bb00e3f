"""The import layering docs/design.md states: gpusim modules import only their own layer or lower ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "gpusim"

# Layer of each module prefix (longest prefix wins), lowest first, as in docs/design.md.
LAYERS = {
    "gpusim.errors": 0, "gpusim.units": 0, "gpusim.yamlio": 0,
    "gpusim.hardware": 1,
    "gpusim.kernels": 2,
    "gpusim.analytic": 3,
    "gpusim.sim": 4,
    "gpusim.predict": 5, "gpusim.pipelines": 5, "gpusim.analyze": 5,
    "gpusim.timeline": 6,
    "gpusim.report": 7, "gpusim.seed_example": 7,
    "gpusim.cli": 8,
    "gpusim": 8,  # the package __init__ re-exports
}


def _layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)
    return LAYERS[best]


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path))
    return out


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
    return names


MODULES = _modules()


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_point_down(module: str, path: Path) -> None:
    own = _layer(module)
    for name in _imports(path):
        if name.startswith("gpusim"):
            assert _layer(name) <= own, f"{module} (layer {own}) imports {name} (layer {_layer(name)})"
        assert not name.startswith("validation"), f"{module} imports {name}"
        if name.split(".")[0] == "matplotlib":
            assert module == "gpusim.report", f"{module} imports matplotlib"


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_numba_is_imported_lazily(module: str, path: Path) -> None:
    top = [n for n in ast.parse(path.read_text()).body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    assert not any(name.split(".")[0] == "numba" for name in names), f"{module} imports numba at import time"

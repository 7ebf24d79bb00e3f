"""docs/pipelines.md, docs/kernel-spec.md and docs/design.md are what tools/render_docs.py renders now.

The numbers in those pages come from running the model; when the model or its fitted parameters
change, re-render them: ``.venv/bin/python tools/render_docs.py``.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _renderer() -> ModuleType:
    """tools/render_docs.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("render_docs", ROOT / "tools" / "render_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_docs"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_rendered_docs_are_up_to_date() -> None:
    problems = _renderer().stale_docs()
    assert not problems, "\n\n".join(problems)


def test_every_rendered_page_has_a_template() -> None:
    renderer = _renderer()
    for page in renderer.PAGES:
        assert (ROOT / "docs" / "templates" / page).exists()
        assert (ROOT / "docs" / page).read_text().startswith(renderer.header(page))

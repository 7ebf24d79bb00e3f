"""Run-to-run repeatability of the measurements: the noise floor under the model's error.

    python -m validation.repeatability A.json B.json

For every case measured in both runs, the relative difference of the medians; summarised per kind
(and pinned/pageable, prequeued/live) as median and max absolute difference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

from validation.compare import load_document, measured_time_s


def differences(a: dict, b: dict) -> dict[str, tuple[str, float]]:
    """case name -> (kind, relative difference of b against a)."""
    times_b = {e["case"]["name"]: measured_time_s(e) for e in b["measurements"]}
    out = {}
    for e in a["measurements"]:
        name, ta = e["case"]["name"], measured_time_s(e)
        tb = times_b.get(name)
        if ta and tb:
            out[name] = (e["kind"], (tb - ta) / ta)
    return out


def table(diffs: dict[str, tuple[str, float]]) -> list[str]:
    groups: dict[str, list[float]] = {}
    for name, (kind, d) in diffs.items():
        groups.setdefault(kind, []).append(abs(d))
        for tag in ("pinned", "pageable", "prequeued", "live"):
            if tag in name:
                groups.setdefault(f"{kind}, {tag}", []).append(abs(d))
    lines = ["| set | cases | median abs difference | max abs difference |", "| --- | ---: | ---: | ---: |"]
    for key in sorted(groups):
        v = groups[key]
        lines.append(f"| {key} | {len(v)} | {statistics.median(v):.1%} | {max(v):.1%} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation.repeatability", description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    diffs = differences(load_document(args.first), load_document(args.second))
    print("\n".join(table(diffs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

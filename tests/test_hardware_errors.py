"""Bad hardware files give one clear line naming the file, the key path and the rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gpusim.errors import ModelError
from gpusim.hardware import load_model


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


CASES = [
    # (file, old text, new text, expected message pattern)
    ("h100.yaml", "gpu:\n", "gpu:\n  rops: {value: 24, source: GL}\n", r"h100\.yaml: gpu\.rops: unknown key"),
    ("h100.yaml", "  tpcs: {value: 66, source: HPCT}\n", "", r"h100\.yaml: gpu\.tpcs: missing key"),
    ("h100.yaml", "sms: {value: 132, source: DQ}", "sms: {value: lots, source: DQ}",
     r"h100\.yaml: gpu\.sms: .*integer"),
    ("h100.yaml", "sms: {value: 132, source: DQ}", "sms: {value: 0, source: DQ}",
     r"h100\.yaml: gpu\.sms: .*greater than 0"),
    ("h100.yaml", "sms: {value: 132, source: DQ}", "sms: {value: -4, source: DQ}",
     r"h100\.yaml: gpu\.sms: .*greater than 0"),
    ("h100.yaml", "sms: {value: 132, source: DQ}", "sms: {value: 130, source: DQ}",
     r"h100\.yaml: gpu\.sms \(130\) must equal gpu\.tpcs x arch sms_per_tpc"),
    ("h100.yaml", "arch: sm90", "arch: sm99", r"h100\.yaml: arch: unknown architecture 'sm99'"),
    ("h100.yaml", "gpu:\n  gpcs", "gpu:\n gpcs: [\n  gpcs", r"h100\.yaml: malformed YAML: line \d+"),
    ("h100.yaml", "{name: 7g.80gb, sms: 132,", "{name: 7g.80gb, sms: 140,",
     r"h100\.yaml: mig\[5\] \(7g\.80gb\): sms 140 exceeds the GPU's 132"),
    ("h100.yaml", "{name: 1g.10gb, sms: 16, memory_gib: 9.75, max_instances: 7",
     "{name: 1g.10gb, sms: 16, memory_gib: 9.75, max_instances: 9",
     r"mig\[0\] \(1g\.10gb\): 9 instances x 16 SMs exceed the GPU's 132 SMs"),
    ("h100.yaml", "tdp_w: {value: 700, source: HWP}", "tdp_w: 700", r"h100\.yaml: tdp_w: value has no source"),
    ("h100.yaml", "tdp_w: {value: 700, source: HWP}", "tdp_w: {value: 700, source: NOPE}",
     r"h100\.yaml: tdp_w: source tag 'NOPE' is not listed under references"),
    ("arch/sm90.yaml", "max_threads_per_sm: {value: 2048", "max_threads_per_sm: {value: 1536",
     r"sm90\.yaml: limits: max_threads_per_sm \(1536\) must equal max_warps_per_sm x warp_size"),
    ("arch/sm90.yaml", "  fp32: {value: 128, source: BPG}",
     "  fp32: {value: 128, source: BPG}\n  fp80: {value: 1, source: BPG}",
     r"sm90\.yaml: throughput_per_sm_per_clock\.fp80: unknown key"),
]


@pytest.mark.parametrize(("file", "old", "new", "pattern"), CASES)
def test_bad_model_gives_one_clear_line(model_copy: Path, file: str, old: str, new: str, pattern: str) -> None:
    _edit(model_copy / file, old, new)
    with pytest.raises(ModelError) as info:
        load_model(model_copy / "h100.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert re.search(pattern, message), message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nope\.yaml: file not found"):
        load_model(tmp_path / "nope.yaml")


def test_unknown_model_name_lists_shipped() -> None:
    with pytest.raises(ModelError, match=r"no such model .*h200"):
        load_model("h300")

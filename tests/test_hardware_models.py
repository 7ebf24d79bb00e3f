"""Shipped hardware models: they load, and the derived figures match the datasheets within 2%."""

from __future__ import annotations

import pytest

from gpusim.hardware import load_model, load_model_with_sources, peaks, shipped_model_names
from gpusim.hardware.hierarchy import gpcs, sm_gpc_order

DATASHEET = [
    # (model, derived figure, datasheet value, unit scale)
    ("a100", "fp32_flops_per_s", 19.5e12),
    ("a100", "fp64_flops_per_s", 9.7e12),
    ("a100", "tensor_fp16_flops_per_s", 312e12),
    ("a100", "dram_bandwidth_bytes_per_s", 2039e9),
    ("a100-pcie", "dram_bandwidth_bytes_per_s", 1935e9),
    ("h100", "fp32_flops_per_s", 66.9e12),
    ("h100", "fp64_flops_per_s", 33.5e12),
    ("h100", "tensor_fp16_flops_per_s", 989e12),
    ("h100", "tensor_fp64_flops_per_s", 66.9e12),
    ("h100", "dram_bandwidth_bytes_per_s", 3352e9),
    ("h200", "dram_bandwidth_bytes_per_s", 4.8e12),
    ("h200", "tensor_fp16_flops_per_s", 989e12),
    ("a100", "max_resident_threads", 221_184),
]


def test_shipped_models_listed() -> None:
    assert shipped_model_names() == ["a100", "a100-pcie", "h100", "h200"]


@pytest.mark.parametrize(("name", "figure", "datasheet"), DATASHEET)
def test_derived_figures_match_datasheets(name: str, figure: str, datasheet: float) -> None:
    value = getattr(peaks(load_model(name)), figure)
    assert value == pytest.approx(datasheet, rel=0.02)


def test_seed_mistakes_are_corrected() -> None:
    a100 = load_model("a100")
    assert a100.arch.limits.max_threads_per_sm == 2048  # not cc 8.6's 1536
    assert a100.arch.limits.max_warps_per_sm == 64
    assert peaks(a100).dram_bandwidth_bytes_per_s > 2.0e12  # 80GB part, not the 40GB's 1.555 TB/s


@pytest.mark.parametrize("name", ["a100", "a100-pcie", "h100", "h200"])
def test_every_value_has_a_source(name: str) -> None:
    loaded = load_model_with_sources(name)
    dumped = loaded.model.model_dump()
    leaves: list[str] = []

    def walk(node: object, key: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k not in ("name", "marketing_name"):
                    walk(v, f"{key}.{k}" if key else k)
        elif isinstance(node, list | tuple) and node and isinstance(node[0], dict):
            for i, v in enumerate(node):
                for k in v:
                    if k != "name":
                        leaves.append(f"{key}[{i}].{k}")
        else:
            leaves.append(key)

    walk(dumped, "")
    missing = [leaf for leaf in leaves if leaf not in loaded.sources]
    assert not missing, missing


@pytest.mark.parametrize("name", ["a100", "h100", "h200"])
def test_hierarchy_partitions_all_sms(name: str) -> None:
    m = load_model(name)
    groups = gpcs(m)
    assert len(groups) == m.gpu.gpcs
    assert sum(g.tpcs for g in groups) == m.gpu.tpcs
    assert sum(g.sms for g in groups) == m.gpu.sms
    assert sorted(sm_gpc_order(m)) == list(range(m.gpu.sms))
    assert all(g.tpcs <= m.arch.limits.max_tpcs_per_gpc for g in groups)


def test_mig_profiles_fit_their_gpu() -> None:
    for name in shipped_model_names():
        m = load_model(name)
        assert m.mig, name
        for p in m.mig:
            assert p.sms * p.max_instances <= m.gpu.sms

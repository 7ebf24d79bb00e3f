"""Program YAML files: the example, repeat blocks, kernel specs by path, and one-line located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpusim.errors import SpecError
from gpusim.hardware import load_model
from gpusim.kernels.spec import KernelSpec
from gpusim.pipelines import fixed_kernel, pattern_c
from gpusim.sim.program import Copy, EventRecord, HostWork, Kernel, StreamDecl
from gpusim.sim.program_yaml import load_program, program_from_dict
from gpusim.sim.work import FixedKernel
from gpusim.timeline import Timeline
from tests.pipeline_helpers import MS, run_exact, spans

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "programs" / "seed_pattern_c.yaml"
SPEC = """\
kind: kernel
name: scale
parameters: {n: 1048576}
grid: "ceil(n / 256)"
block: 256
phases:
  - instructions: {fp32: 4, int32: 6}
    memory:
      - {op: load, bytes_per_thread: 4}
      - {op: store, bytes_per_thread: 4}
"""


def test_example_program_equals_the_pattern_c_builder() -> None:
    program = load_program(EXAMPLE)
    built = pattern_c(4, 200 * 2**20, fixed_kernel(8 * MS))
    assert program.name == "seed pattern C"
    assert program.streams == (StreamDecl("h2d"), StreamDecl("compute"), StreamDecl("d2h"))
    m = load_model("h200")
    a, b = Timeline.simulate(program, m), Timeline.simulate(built, m)
    assert [(r.name, r.start_ns, r.end_ns) for r in a.records] == [(r.name, r.start_ns, r.end_ns) for r in b.records]


def test_every_operation_and_its_fields(tmp_path: Path) -> None:
    data = {
        "name": "all ops",
        "host_api": "python",
        "streams": {"nb": {"non_blocking": True}, "plain": None},
        "ops": [
            {"op": "h2d", "bytes": "4MB", "stream": "nb", "pinned": False, "name": "in"},
            {"op": "d2h", "bytes": 1000},
            {"op": "d2d", "bytes": "1KiB", "stream": "plain"},
            {"op": "kernel", "duration": "2.5ms", "blocks": 66, "blocks_per_sm": 2, "name": "k"},
            {"op": "event_record", "event": "e", "stream": "nb"},
            {"op": "event_wait", "event": "e", "stream": "plain"},
            {"op": "event_sync", "event": "e"},
            {"op": "stream_sync", "stream": "nb"},
            {"op": "device_sync"},
            {"op": "host", "duration": 1500},
        ],
    }
    p = program_from_dict(data, "all.yaml", tmp_path)
    assert p.host_api == "python" and p.streams == (StreamDecl("nb", True), StreamDecl("plain", False))
    assert p.ops[0] == Copy("h2d", 4_000_000, "nb", False, "in")
    assert p.ops[1] == Copy("d2h", 1000, "default", True, "")
    assert p.ops[2] == Copy("d2d", 1024, "plain")
    assert p.ops[3] == Kernel(FixedKernel("k", 2.5 * MS, 66, 2), "default", "k")
    assert p.ops[4] == EventRecord("e", "nb")
    assert p.ops[9] == HostWork(1500.0)
    assert [type(op).__name__ for op in p.ops[5:9]] == ["EventWait", "EventSync", "StreamSync", "DeviceSync"]


def test_repeat_expands_with_the_index(tmp_path: Path) -> None:
    data = {"ops": [{"repeat": 3, "ops": [
        {"op": "h2d", "bytes": "1MB", "stream": "s{i}", "name": "in{i}"},
        {"op": "event_record", "event": "e{i}", "stream": "s{i}"},
    ]}, {"op": "event_wait", "event": "e2", "stream": "z"}]}
    p = program_from_dict(data, "r.yaml", tmp_path)
    assert [op.name for op in p.ops if isinstance(op, Copy)] == ["in0", "in1", "in2"]
    assert p.stream_names() == ["s0", "s1", "s2", "z"]
    assert p.where(3) == "ops[0].ops[1]" and p.where(6) == "ops[1]"
    assert spans(run_exact(p), ("h2d",)) == [("in0", 0.0, 1.0), ("in1", 1.0, 2.0), ("in2", 2.0, 3.0)]


def test_kernel_spec_path_is_relative_to_the_program_file(tmp_path: Path) -> None:
    (tmp_path / "kernels").mkdir()
    (tmp_path / "kernels" / "scale.yaml").write_text(SPEC)
    prog_file = tmp_path / "p.yaml"
    prog_file.write_text("ops:\n"
                         "  - {op: kernel, spec: kernels/scale.yaml, stream: a}\n"
                         "  - {op: kernel, spec: kernels/scale.yaml, parameters: {n: 4096}, stream: a}\n")
    p = load_program(prog_file)
    big, small = p.ops[0].work, p.ops[1].work  # type: ignore[union-attr]
    assert isinstance(big, KernelSpec) and big.grid == (4096, 1, 1) and small.grid == (16, 1, 1)
    tl = Timeline.simulate(p, load_model("h200"))
    kernels = [r for r in tl.records if r.kind == "kernel"]
    assert [r.name for r in kernels] == ["scale#0", "scale#1"]
    assert kernels[0].duration_ns > kernels[1].duration_ns > 0
    assert kernels[1].start_ns >= kernels[0].end_ns


@pytest.mark.parametrize(("text", "message"), [
    ("ops: []\nfoo: 1\n", "p.yaml: foo: unknown key"),
    ("kind: kernel\nops: []\n", "p.yaml: kind: must be 'program'"),
    ("name: x\n", "p.yaml: ops: missing key"),
    ("ops: {op: h2d}\n", "p.yaml: ops: must be a list of operations"),
    ("ops: [h2d]\n", "p.yaml: ops[0]: must be a mapping"),
    ("ops: [{bytes: 1}]\n", "p.yaml: ops[0].op: missing key"),
    ("ops: [{op: memset}]\n", "p.yaml: ops[0].op: unknown operation 'memset'"),
    ("ops: [{op: h2d}]\n", "p.yaml: ops[0].bytes: missing key"),
    ("ops: [{op: h2d, bytes: 12 parsecs}]\n", "p.yaml: ops[0].bytes: not a size: '12 parsecs'"),
    ("ops: [{op: h2d, bytes: 1, colour: red}]\n", "p.yaml: ops[0].colour: unknown key for h2d"),
    ("ops: [{op: h2d, bytes: 1, pinned: maybe}]\n", "p.yaml: ops[0].pinned: must be true or false"),
    ("ops: [{op: d2d, bytes: 1, pinned: true}]\n", "p.yaml: ops[0].pinned: unknown key for d2d"),
    ("ops: [{op: host, duration: 4 fortnights}]\n", "p.yaml: ops[0].duration: not a duration"),
    ("ops: [{op: kernel}]\n", "p.yaml: ops[0]: a kernel needs exactly one of spec"),
    ("ops: [{op: kernel, duration: 1ms, spec: k.yaml}]\n", "p.yaml: ops[0]: a kernel needs exactly one"),
    ("ops: [{op: kernel, duration: 0ms}]\n", "p.yaml: ops[0].duration: a kernel's duration must be > 0"),
    ("ops: [{op: kernel, duration: 1ms, blocks: 0}]\n", "p.yaml: ops[0].blocks: must be a whole number >= 1"),
    ("ops: [{op: kernel, spec: nowhere.yaml}]\n", "p.yaml: ops[0].spec: kernel spec file not found"),
    ("ops: [{op: kernel, duration: 1ms, parameters: {n: 1}}]\n", "p.yaml: ops[0].parameters: only for"),
    ("ops: [{op: event_wait, event: e}]\n", "p.yaml: ops[0].event: event 'e' is not recorded"),
    ("ops: [{op: event_record, event: ''}]\n", "p.yaml: ops[0].event: must be a non-empty string"),
    ("ops: [{repeat: 2, ops: [{op: event_wait, event: 'e{i}'}]}]\n", "p.yaml: ops[0].ops[0].event: event 'e0'"),
    ("ops: [{repeat: -1, ops: []}]\n", "p.yaml: ops[0].repeat: must be a whole number >= 0"),
    ("ops: [{repeat: 2, op: h2d}]\n", "p.yaml: ops[0].op: unknown key (a repeat block has repeat and ops)"),
    ("ops: [{repeat: 2}]\n", "p.yaml: ops[0].ops: missing key"),
    ("host_api: rust\nops: []\n", "p.yaml: host_api: must be one of cpp, python"),
    ("streams: [a]\nops: []\n", "p.yaml: streams: must be a mapping"),
    ("streams: {a: {blocking: false}}\nops: []\n", "p.yaml: streams.a.blocking: unknown key"),
    ("streams: {a: {non_blocking: 1}}\nops: []\n", "p.yaml: streams.a.non_blocking: must be true or false"),
    ("streams: {default: {non_blocking: true}}\nops: []\n", "p.yaml: streams.default: the legacy default"),
    ("ops: [\n", "p.yaml: malformed YAML: line 2"),
    ("- 1\n", "p.yaml: top level must be a mapping"),
])
def test_errors_name_the_file_and_key_path(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_program(path)
    line = str(err.value)
    assert line.startswith(str(path)) and "\n" not in line
    assert message.removeprefix("p.yaml") in line


def test_bad_kernel_spec_is_reported_through_the_program(tmp_path: Path) -> None:
    (tmp_path / "k.yaml").write_text(SPEC.replace("block: 256", "block: 2048"))
    (tmp_path / "p.yaml").write_text("ops: [{op: kernel, spec: k.yaml}]\n")
    with pytest.raises(SpecError, match=r"p\.yaml: ops\[0\]\.spec: .*k\.yaml: .*1024"):
        load_program(tmp_path / "p.yaml")


def test_missing_program_file() -> None:
    with pytest.raises(SpecError, match=r"nowhere\.yaml: file not found"):
        load_program("nowhere.yaml")

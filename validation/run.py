"""Run every validation case on the local CUDA GPU and write the measurements as JSON.

Usage: ``python -m validation.run [--scale full|tiny] [--only kernels,transfers,pipelines,concurrency]
[--match SUBSTR,...] [--out PATH] [--data-dir DIR] [--time-limit-s S]``.

Writes ``<data-dir>/<gpu-model>-<YYYY-MM-DD>.json`` (default data dir: ``validation/data``) and, with
``--out``, the same JSON there too; both are rewritten after every section, so a run that is stopped
early leaves what it measured. Exit status: 0 when every case ran and passed its check, 1 when a case
failed its check or raised, 2 when no CUDA GPU is reachable (or the Numba CUDA simulator is on): then
it prints one line and writes nothing.

JSON layout: ``device`` (name, compute capability, attributes, ``nvidia-smi`` before and after),
``software`` (versions), ``timing`` (method and spin-kernel calibration), ``measurements`` (one per
case: ``case`` (the parameter dict from `validation.cases`), ``kind`` ("kernel", "launch", "transfer",
"pipeline" or "concurrency"), ``time_s`` (median), ``spread``, ``repeats``, ``check`` and
kind-specific fields), ``kernels`` (registers, shared memory and static PTX/SASS opcode counts per
kernel) and ``failed`` (names of cases that failed their check or raised).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import platform
import re
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from validation import ensure_numpy_compat
from validation.cases import SCALES, concurrency_cases, kernel_cases, pipeline_cases, transfer_cases

Case = dict[str, Any]

SECTIONS = ("kernels", "transfers", "pipelines", "concurrency")
DATA_DIR = Path(__file__).resolve().parent / "data"
SCHEMA_VERSION = 1
END_RESERVE_S = 20.0  # kept free at the end of --time-limit-s for kernel inspection and writing

log = logging.getLogger("validation.run")

_DEVICE_ATTRIBUTES = (
    "MULTIPROCESSOR_COUNT",
    "CLOCK_RATE",
    "MEMORY_CLOCK_RATE",
    "GLOBAL_MEMORY_BUS_WIDTH",
    "L2_CACHE_SIZE",
    "PERSISTING_L2_CACHE_MAX_SIZE",
    "MAX_SHARED_MEMORY_PER_BLOCK",
    "MAX_SHARED_MEMORY_PER_BLOCK_OPTIN",
    "MAX_SHARED_MEMORY_PER_MULTIPROCESSOR",
    "MAX_REGISTERS_PER_BLOCK",
    "MAX_REGISTERS_PER_MULTIPROCESSOR",
    "MAX_THREADS_PER_BLOCK",
    "MAX_THREADS_PER_MULTIPROCESSOR",
    "MAX_BLOCKS_PER_MULTIPROCESSOR",
    "WARP_SIZE",
    "TOTAL_CONSTANT_MEMORY",
    "ASYNC_ENGINE_COUNT",
    "CONCURRENT_KERNELS",
    "ECC_ENABLED",
    "PCI_BUS_ID",
    "PCI_DEVICE_ID",
    "COMPUTE_MODE",
    "SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO",
)

_SMI_FIELDS = (
    "name",
    "driver_version",
    "pci.bus_id",
    "pcie.link.gen.current",
    "pcie.link.gen.max",
    "pcie.link.width.current",
    "pcie.link.width.max",
    "clocks.sm",
    "clocks.max.sm",
    "clocks.mem",
    "clocks.max.mem",
    "power.draw",
    "power.limit",
    "temperature.gpu",
    "memory.total",
    "memory.used",
    "compute_mode",
    "persistence_mode",
    "mig.mode.current",
    "ecc.mode.current",
    "clocks_throttle_reasons.active",
)


# --- environment ---------------------------------------------------------------------------------


def gpusim_model_name(device_name: str) -> tuple[str, str | None]:
    """The gpusim model for a CUDA device name, and a warning when the device is not modelled."""
    upper = device_name.upper()
    if "H200" in upper:
        return "h200", None
    if "H100" in upper:
        return "h100", None
    if "A100" in upper:
        return ("a100-pcie" if "PCIE" in upper else "a100"), None
    fallback = re.sub(r"[^a-z0-9.]+", "-", device_name.lower()).strip("-") or "unknown"
    return fallback, f"no gpusim model for {device_name!r}; data filed under {fallback!r}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def is_simulator(cuda: Any) -> bool:
    """Whether ``numba.cuda`` is the CPU simulator rather than a driver-backed GPU."""
    if "simulator" in getattr(cuda.jit, "__module__", ""):
        return True
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def no_gpu_reason() -> str | None:
    """Why no CUDA GPU can be measured here, or None when one can."""
    try:
        from numba import cuda
    except Exception as exc:
        return f"numba.cuda does not import ({type(exc).__name__}: {exc})"
    if is_simulator(cuda):
        return "the Numba CUDA simulator is on (NUMBA_ENABLE_CUDASIM); it has no timings"
    try:
        if not cuda.is_available():
            return "cuda.is_available() is false (no driver or no device)"
        cuda.get_current_device()
    except Exception as exc:
        return f"no usable CUDA device ({type(exc).__name__}: {exc})"
    return None


def query_nvidia_smi() -> dict[str, Any]:
    """``nvidia-smi --query-gpu`` fields (each field alone when the whole query fails)."""

    def query(fields: Sequence[str]) -> list[str] | None:
        try:
            done = subprocess.run(
                ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"],
                capture_output=True,
                text=True,
                timeout=20,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0 or not done.stdout.strip():
            return None
        return [value.strip() for value in done.stdout.strip().splitlines()[0].split(",")]

    values = query(_SMI_FIELDS)
    if values is not None and len(values) == len(_SMI_FIELDS):
        return dict(zip(_SMI_FIELDS, values, strict=True))
    result: dict[str, Any] = {}
    for field in _SMI_FIELDS:
        single = query([field])
        if single:
            result[field] = single[0]
    return result or {"error": "nvidia-smi not available or answered nothing"}


def describe_device(cuda: Any) -> dict[str, Any]:
    """Name, compute capability, attributes and memory of the current device."""
    device = cuda.get_current_device()
    name = device.name.decode() if isinstance(device.name, bytes) else str(device.name)
    info: dict[str, Any] = {"name": name, "id": int(device.id)}
    info["compute_capability"] = list(device.compute_capability)
    attributes = {}
    for attribute in _DEVICE_ATTRIBUTES:
        try:
            attributes[attribute.lower()] = int(getattr(device, attribute))
        except Exception:  # not every numba-cuda/driver knows every attribute
            continue
    info["attributes"] = attributes
    try:
        free_bytes, total_bytes = cuda.current_context().get_memory_info()
        info["memory_total_bytes"], info["memory_free_bytes"] = int(total_bytes), int(free_bytes)
    except Exception as exc:
        info["memory_error"] = repr(exc)
    with contextlib.suppress(Exception):
        info["uuid"] = str(device.uuid)
    return info


def software_versions(cuda: Any) -> dict[str, Any]:
    """Versions of Python, the Python packages involved, the CUDA driver, runtime and NVVM."""
    versions: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    for package in ("numpy", "numba", "numba-cuda", "llvmlite", "cuda-bindings", "cuda-core", "cuda-python"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    probes: dict[str, Callable[[], Any]] = {
        "cuda_driver": lambda: cuda.cudadrv.driver.driver.get_version(),
        "cuda_runtime": lambda: cuda.runtime.get_version(),
        "nvvm": lambda: cuda.cudadrv.nvvm.NVVM().get_version(),
    }
    for key, probe in probes.items():
        try:
            value = probe()
            versions[key] = list(value) if isinstance(value, tuple) else value
        except Exception as exc:
            versions[f"{key}_error"] = _one_line(repr(exc))[:200]
    return versions


# --- output ----------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


class Writer:
    """Writes the results document to every target path, atomically, whenever asked."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(dict.fromkeys(Path(p) for p in paths))

    def write(self, document: dict[str, Any]) -> None:
        text = json.dumps(document, indent=1, default=_json_default, allow_nan=True)
        for path in self.paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text)
            os.replace(tmp, path)


# --- measuring -------------------------------------------------------------------------------------


class Run:
    """State of one runner invocation: the document, deadline, timer and section runners."""

    def __init__(self, args: argparse.Namespace, cuda: Any, document: dict[str, Any], writer: Writer) -> None:
        self.args = args
        self.cuda = cuda
        self.document = document
        self.writer = writer
        self.started = time.monotonic()
        limit_s = args.time_limit_s
        self.deadline = self.started + limit_s - END_RESERVE_S if limit_s else float("inf")
        self.used_kernels: set[str] = {"spin"}
        from validation.timing import EventTimer

        self.timer = EventTimer(cuda.stream(), spin_s=args.spin_us * 1e-6)

    def selected(self, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.args.match:
            return cases
        needles = [m for m in self.args.match.split(",") if m]
        return [c for c in cases if any(needle in c["name"] for needle in needles)]

    def record(self, case: Case, kind: str, measure: Callable[[Case], dict[str, Any]]) -> None:
        """Run ``measure`` for ``case`` (unless past the deadline) and file the entry, errors included."""
        entry: dict[str, Any] = {"case": case, "kind": kind}
        if time.monotonic() > self.deadline:
            entry["skipped"] = "time limit"
            self.document["measurements"].append(entry)
            return
        t0 = time.monotonic()
        try:
            entry.update(measure(entry))
        except Exception as exc:
            entry["error"] = _one_line(f"{type(exc).__name__}: {exc}")[:2000]
            entry["traceback"] = traceback.format_exc(limit=8)
            with contextlib.suppress(Exception):
                self.cuda.synchronize()
        entry["case_wall_s"] = time.monotonic() - t0
        self.document["measurements"].append(entry)
        check = entry.get("check") or {}
        if "error" in entry or check.get("passed") is False:
            self.document["failed"].append(case["name"])
        status = "ERROR " + entry["error"][:160] if "error" in entry else _status(entry)
        log.info("%-52s %s  (%.1fs)", case["name"], status, entry["case_wall_s"])

    def free_memory(self) -> None:
        gc.collect()
        with contextlib.suppress(Exception):
            self.cuda.current_context().deallocations.clear()

    # sections

    def kernels(self, sm_count: int) -> None:
        from validation import workloads

        for case in self.selected(kernel_cases(sm_count, self.args.scale)):

            def measure(entry: dict[str, Any], case: dict[str, Any] = case) -> dict[str, Any]:
                instance = workloads.prepare(case)
                entry["kernel"] = instance.kernel_name
                self.used_kernels.add(instance.kernel_name)
                instance.launch(self.timer.stream)  # compiles on first use
                self.timer.stream.synchronize()
                result = {"check": instance.check().as_dict()}
                budget_s = self.args.budget_s
                timed = self.timer.measure(instance.launch, prelaunch=instance.prelaunch, budget_s=budget_s)
                result.update(timed)
                result["time_source"] = "events behind a spin kernel"
                return result

            self.record(case, "kernel", measure)
            self.free_memory()
        self.launch_overheads()

    def launch_overheads(self) -> None:
        """Host dispatch of one launch and back-to-back launch gaps (GPU-side and host-bound)."""
        from validation import workloads
        from validation.cases import launch_chain_cases
        from validation.timing import measure_back_to_back

        instances: dict[str, Any] = {}
        for case in self.selected(launch_chain_cases(self.args.scale)):

            def measure(entry: Case, case: Case = case) -> dict[str, Any]:
                kernel_case = case["kernel"]
                if kernel_case["name"] not in instances:
                    instance = workloads.prepare(kernel_case)
                    instance.launch(self.timer.stream)
                    self.timer.stream.synchronize()
                    instances[kernel_case["name"]] = instance
                instance = instances[kernel_case["name"]]
                entry["kernel"] = instance.kernel_name
                self.used_kernels.add(instance.kernel_name)
                prequeued = case["submission"] == "prequeued"
                return measure_back_to_back(self.timer, instance.launch, case["n_launches"], prequeued)

            self.record(case, "launch", measure)
        instances.clear()
        self.free_memory()

    def transfers(self) -> None:
        from validation.transfers import TransferBuffers, TransferTimer

        cases = self.selected(transfer_cases(self.args.scale))
        if not cases:
            return
        buffers = TransferBuffers(max(c["size_bytes"] for c in cases))
        runner = TransferTimer(self.timer)
        for case in cases:
            self.record(case, "transfer", lambda entry, case=case: runner.measure(case, buffers))
        self.free_memory()

    def pipelines(self, sm_count: int) -> None:
        from validation.pipelines import PipelineRunner

        cases = self.selected(pipeline_cases(sm_count, self.args.scale))
        if not cases:
            return
        runner = PipelineRunner(self.timer, cases[0]["total_elements"])
        self.used_kernels.add("fma_f32_chains1")
        for case in cases:
            self.record(case, "pipeline", lambda entry, case=case: runner.measure(case))
        self.free_memory()

    def concurrency(self, sm_count: int) -> None:
        from validation.pipelines import ConcurrencyRunner

        runner = ConcurrencyRunner(self.timer)
        self.used_kernels.add("fma_f32_chains1")
        for case in self.selected(concurrency_cases(sm_count, self.args.scale)):
            self.record(case, "concurrency", lambda entry, case=case: runner.measure(case))
            self.free_memory()

    def inspect_kernels(self) -> None:
        """Registers, shared memory and opcode counts of every kernel that ran."""
        from validation.asm import kernel_report
        from validation.workloads import KERNELS

        reports = {}
        for name in sorted(self.used_kernels):
            dispatcher = KERNELS.get(name)
            if dispatcher is None or not getattr(dispatcher, "overloads", None):
                continue
            try:
                reports[name] = kernel_report(dispatcher, with_sass=not self.args.no_sass)
            except Exception as exc:
                reports[name] = {"errors": {"report": repr(exc)}}
        self.document["kernels"] = reports


def _status(entry: dict[str, Any]) -> str:
    time_s = entry.get("time_s")
    check = entry.get("check") or {}
    passed = {True: "ok", False: "CHECK FAILED"}.get(check.get("passed"), "-")
    shown = f"{time_s * 1e6:12.2f} us" if isinstance(time_s, float) else " " * 15
    return f"{shown}  check {passed}"


def summary_table(measurements: Sequence[dict[str, Any]]) -> str:
    """One line per measurement: name, kind, median time and check status."""
    lines = [f"{'case':52s} {'kind':11s} {'median':>15s}  check"]
    for entry in measurements:
        name, kind = entry["case"]["name"], entry["kind"]
        if "skipped" in entry:
            lines.append(f"{name:52s} {kind:11s} {'skipped':>15s}")
        elif "error" in entry:
            lines.append(f"{name:52s} {kind:11s} {'ERROR':>15s}  {entry['error'][:60]}")
        else:
            lines.append(f"{name:52s} {kind:11s} {_status(entry)}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m validation.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="full")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {','.join(SECTIONS)}")
    parser.add_argument("--match", default="", help="comma list of name substrings to run")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where <model>-<date>.json goes")
    parser.add_argument("--time-limit-s", type=float, default=0.0, help="skip cases after this (0: none)")
    parser.add_argument("--budget-s", type=float, default=0.25, help="timing budget per kernel case")
    parser.add_argument("--spin-us", type=float, default=100.0, help="spin kernel length, microseconds")
    parser.add_argument("--no-sass", action="store_true", help="skip SASS disassembly of the kernels")
    args = parser.parse_args(argv)
    sections = [s for s in args.only.split(",") if s]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown sections {unknown}; choose from {SECTIONS}")
    args.sections = [s for s in SECTIONS if s in sections]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure on the local GPU; return 0 (all passed), 1 (a check failed or a case raised) or 2 (no GPU)."""
    args = parse_args(argv)
    ensure_numpy_compat()  # before numba.cuda is imported (validation/__init__ did it already)
    reason = no_gpu_reason()
    if reason is not None:
        message = f"validation.run: no CUDA GPU to measure: {_one_line(reason)}; nothing written."
        print(message, file=sys.stderr)
        return 2

    from numba import cuda

    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    warnings.filterwarnings("ignore", message=r".*(under-utilization|Host array used in CUDA kernel).*")

    smi_before = query_nvidia_smi()
    device = describe_device(cuda)
    model, warning = gpusim_model_name(device["name"])
    device["nvidia_smi_before"] = smi_before
    now = dt.datetime.now(dt.UTC)
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "gpu_model": model,
        "timestamp_utc": now.isoformat(timespec="seconds"),
        "scale": args.scale,
        "sections": args.sections,
        "match": args.match,
        "device": device,
        "software": software_versions(cuda),
        "timing": {},
        "measurements": [],
        "failed": [],
    }
    if warning:
        document["warning"] = warning
    paths = [args.data_dir / f"{model}-{now.date().isoformat()}.json"]
    if args.out is not None:
        paths.append(args.out)
    writer = Writer(paths)
    sm_count = int(device["attributes"].get("multiprocessor_count", 0)) or 1
    cc = device["compute_capability"]
    log.info("%s (cc %s, %d SMs) -> gpusim model %r", device["name"], cc, sm_count, model)

    run = Run(args, cuda, document, writer)
    document["timing"] = {
        "method": "CUDA events; a spin kernel queued first hides host dispatch; median of repeats",
        "calibration": run.timer.calibrate(),
    }
    log.info("spin calibration: %s", document["timing"]["calibration"])
    writer.write(document)
    for section in args.sections:
        document["timing"][f"calibration_before_{section}"] = run.timer.calibrate(warmup_s=0.1)
        log.info("--- %s (spin: %s)", section, document["timing"][f"calibration_before_{section}"])
        if section == "kernels":
            run.kernels(sm_count)
        elif section == "transfers":
            run.transfers()
        elif section == "pipelines":
            run.pipelines(sm_count)
        else:
            run.concurrency(sm_count)
        writer.write(document)
    run.inspect_kernels()
    device["nvidia_smi_after"] = query_nvidia_smi()
    document["run_wall_s"] = time.monotonic() - run.started
    writer.write(document)
    print(summary_table(document["measurements"]))
    failed = document["failed"]
    print(
        f"wrote {', '.join(str(p) for p in writer.paths)}: {len(document['measurements'])} measurements, "
        f"{len(failed)} failed{': ' + ', '.join(failed) if failed else ''}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Every measured case, as plain parameter dicts: the one place that says what runs and at what size.

A kernel case holds everything that determines its launch, so that the model side can build the same
KernelSpec from it:

- ``name`` (unique), ``family`` (the module under ``validation/workloads``), ``variant`` (the kernel of
  that family), ``dtype`` and ``bytes_per_element``;
- ``grid`` and ``block``: 3-tuples ``(x, y, z)`` of blocks and threads (lists once written as JSON);
- ``n_threads`` (grid x block), ``n_elements`` (elements of the main input; for matrices ``n * n``);
- ``dynamic_shared_bytes`` (passed at launch) and ``static_shared_bytes`` (declared in the kernel);
- ``iters`` (trip count of the kernel's main loop; 0 if it has none), ``stride`` (elements; 1 unless
  strided), and family-specific keys documented in ``validation/workloads/<family>.py``.

Scales: ``"full"`` fills an H100/H200-class GPU (streams several times a 60 MiB L2, plus launch-bound
sizes); ``"tiny"`` runs every kernel on a few hundred elements, for the CPU simulator.
"""

from __future__ import annotations

from typing import Any

KIB = 1024
MIB = 1024**2
GIB = 1024**3

SCALES = ("full", "tiny")

_DTYPE_BYTES = {"float32": 4, "float64": 8, "int32": 4}

Case = dict[str, Any]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _dim3(value: int | tuple[int, ...]) -> tuple[int, int, int]:
    dims = (value,) if isinstance(value, int) else tuple(value)
    return (*dims, *(1,) * (3 - len(dims)))  # type: ignore[return-value]


def _case(
    name: str,
    family: str,
    variant: str,
    grid: int | tuple[int, ...],
    block: int | tuple[int, ...],
    *,
    n_elements: int,
    dtype: str = "float32",
    dynamic_shared_bytes: int = 0,
    static_shared_bytes: int = 0,
    iters: int = 0,
    stride: int = 1,
    **extra: Any,
) -> Case:
    grid3, block3 = _dim3(grid), _dim3(block)
    return {
        "name": name,
        "family": family,
        "variant": variant,
        "dtype": dtype,
        "bytes_per_element": _DTYPE_BYTES[dtype],
        "grid": grid3,
        "block": block3,
        "n_threads": grid3[0] * grid3[1] * grid3[2] * block3[0] * block3[1] * block3[2],
        "n_elements": n_elements,
        "dynamic_shared_bytes": dynamic_shared_bytes,
        "static_shared_bytes": static_shared_bytes,
        "iters": iters,
        "stride": stride,
        **extra,
    }


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")


# --- kernels, one builder per family -------------------------------------------------------------


def _elementwise(variant: str, n_elements: int, *, block: int = 256, grid: int | None = None) -> Case:
    grid_x = _ceil_div(n_elements, block) if grid is None else grid
    suffix = "" if grid is None else f"_g{grid_x}"
    return _case(
        f"elementwise_{variant}_n{n_elements}{suffix}",
        "elementwise",
        variant,
        grid_x,
        block,
        n_elements=n_elements,
        fastmath=variant == "fast",
    )


def _streaming(variant: str, n_elements: int, block: int = 256) -> Case:
    return _case(
        f"{variant}_n{n_elements}",
        "streaming",
        variant,
        _ceil_div(n_elements, block),
        block,
        n_elements=n_elements,
    )


def _reduction(n_elements: int, grid: int | None = None) -> Case:
    """Block 256 (fixed by the kernel's shared array); ``grid`` None gives one element per thread."""
    block = 256
    grid_x = _ceil_div(n_elements, block) if grid is None else grid
    variant = "one_per_thread" if grid is None else "grid_stride"
    return _case(
        f"reduction_{variant}_n{n_elements}_g{grid_x}",
        "reduction",
        variant,
        grid_x,
        block,
        n_elements=n_elements,
        static_shared_bytes=block * 4,
        n_atomics=grid_x,
        elements_per_thread=_ceil_div(n_elements, grid_x * block),
    )


def _sgemm(variant: str, n: int) -> Case:
    tile = 16
    return _case(
        f"sgemm_{variant}_n{n}",
        "sgemm",
        variant,
        (n // tile, n // tile),
        (tile, tile),
        n_elements=n * n,
        n=n,
        tile=tile,
        iters=n if variant == "naive" else n // tile,
        static_shared_bytes=2 * tile * tile * 4 if variant == "tiled" else 0,
    )


def _transpose(variant: str, n: int) -> Case:
    tile, rows = 32, 8
    grid = (n // tile, n // rows) if variant == "naive" else (n // tile, n // tile)
    return _case(
        f"transpose_{variant}_n{n}",
        "transpose",
        variant,
        grid,
        (tile, rows),
        n_elements=n * n,
        n=n,
        tile=tile,
        static_shared_bytes=tile * (tile + 1) * 4 if variant == "tiled" else 0,
        elements_per_thread=1 if variant == "naive" else tile // rows,
    )


def _fma(dtype: str, chains: int, iters: int, grid: int, block: int, tag: str = "") -> Case:
    variant = f"{'f32' if dtype == 'float32' else 'f64'}_chains{chains}"
    return _case(
        f"fma_{variant}_i{iters}_g{grid}x{block}{tag}",
        "fma",
        variant,
        grid,
        block,
        n_elements=grid * block,
        dtype=dtype,
        iters=iters,
        chains=chains,
        fma_per_thread=iters * chains,
    )


def _special(chains: int, iters: int, grid: int, block: int) -> Case:
    return _case(
        f"special_sin_chains{chains}_i{iters}_g{grid}x{block}",
        "special",
        f"sin_chains{chains}",
        grid,
        block,
        n_elements=grid * block,
        iters=iters,
        chains=chains,
        fastmath=True,
        sin_per_thread=iters * chains,
    )


def _strided(n_elements: int, stride: int, block: int = 256) -> Case:
    return _case(
        f"strided_s{stride}_n{n_elements}",
        "strided",
        "read",
        _ceil_div(n_elements, block),
        block,
        n_elements=n_elements,
        stride=stride,
        index="(i * stride) & (n_elements - 1)",
    )


def _gather(n_elements: int, block: int = 256) -> Case:
    return _case(
        f"gather_n{n_elements}",
        "gather",
        "random",
        _ceil_div(n_elements, block),
        block,
        n_elements=n_elements,
        index_dtype="int32",
        index_bytes_per_element=4,
    )


def _shared_stage(dynamic_shared_bytes: int, n_elements_target: int, block: int = 256) -> Case:
    per_block = dynamic_shared_bytes // 4
    grid = max(1, n_elements_target // per_block)
    return _case(
        f"shared_stage_{dynamic_shared_bytes // KIB}k_n{grid * per_block}",
        "shared_stage",
        "reverse_copy",
        grid,
        block,
        n_elements=grid * per_block,
        dynamic_shared_bytes=dynamic_shared_bytes,
        elements_per_block=per_block,
        iters=_ceil_div(per_block, block),
    )


def _divergence(variant: str, iters: int, grid: int, block: int = 256) -> Case:
    return _case(
        f"divergence_{variant}_i{iters}_g{grid}x{block}",
        "divergence",
        variant,
        grid,
        block,
        n_elements=grid * block,
        iters=iters,
        fma_per_thread=iters,
        branch="threadIdx.x & 1" if variant == "divergent" else "(threadIdx.x >> 5) & 1",
    )


def _empty(grid: int, block: int) -> Case:
    return _case(f"empty_g{grid}x{block}", "launch", "empty", grid, block, n_elements=0)


def _pointer_chase(
    footprint_bytes: int,
    stride_bytes: int,
    n_steps: int,
    level: str,
    flush_bytes: int = 0,
) -> Case:
    """``flush_bytes``: bytes streamed through L2 (by a copy kernel) before every launch, untimed."""
    return _case(
        f"pointer_chase_{level}_{footprint_bytes // KIB}k_s{stride_bytes}",
        "latency",
        "pointer_chase",
        1,
        1,
        n_elements=footprint_bytes // 4,
        dtype="int32",
        iters=n_steps,
        stride=stride_bytes // 4,
        footprint_bytes=footprint_bytes,
        stride_bytes=stride_bytes,
        n_steps=n_steps,
        level=level,
        distinct_lines=min(n_steps, footprint_bytes // stride_bytes),
        flush_bytes_before_launch=flush_bytes,
    )


def kernel_cases(sm_count: int, scale: str) -> list[Case]:
    """All kernel cases for a GPU with ``sm_count`` SMs at ``scale`` ("full" or "tiny")."""
    _check_scale(scale)
    if sm_count < 1:
        raise ValueError(f"sm_count must be positive, got {sm_count}")
    cases = _tiny_kernel_cases() if scale == "tiny" else _full_kernel_cases(sm_count)
    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        raise AssertionError("duplicate case names")
    return cases


def _full_kernel_cases(sm_count: int) -> list[Case]:
    full_grid = 8 * sm_count  # 8 blocks of 256 = 2,048 threads per SM where registers allow
    cases: list[Case] = []
    for exp in (10, 12, 14, 16, 20, 24, 26, 28):
        cases.append(_elementwise("precise", 2**exp))
    cases.append(_elementwise("precise", 256))  # one block
    cases.append(_elementwise("precise", 256 * (sm_count // 2)))  # half the SMs, one block each
    cases.append(_elementwise("precise", 256 * sm_count))  # one block per SM
    for exp in (16, 26):
        cases.append(_elementwise("fast", 2**exp))
    cases.append(_elementwise("grid_stride", 2**26, grid=2 * sm_count))
    cases.append(_elementwise("grid_stride", 2**26, grid=full_grid))
    for exp in (16, 20, 24, 26, 28):
        cases.append(_streaming("saxpy", 2**exp))
    for exp in (12, 16, 20, 24, 26, 28):
        cases.append(_streaming("copy", 2**exp))
    cases += [_reduction(2**16), _reduction(2**26), _reduction(2**26, grid=4 * sm_count)]
    for n in (256, 1024, 4096):
        cases += [_sgemm("naive", n), _sgemm("tiled", n)]
    for n in (1024, 8192):
        cases += [_transpose("naive", n), _transpose("tiled", n)]
    cases += [
        _fma("float32", 1, 16384, full_grid, 256),
        _fma("float32", 4, 16384, full_grid, 256),
        _fma("float32", 1, 16384, full_grid + sm_count, 256, "_tail"),  # 1 1/8 waves at 8 blocks/SM
        _fma("float32", 1, 65536, sm_count, 128, "_lowocc"),  # 1 warp per scheduler: latency exposed
        _fma("float32", 4, 16384, sm_count, 128, "_lowocc"),
        _fma("float64", 1, 4096, full_grid, 256),
        _fma("float64", 4, 4096, full_grid, 256),
    ]
    cases += [_special(1, 2048, full_grid, 256), _special(4, 2048, full_grid, 256)]
    cases += [_strided(2**26, s) for s in (1, 2, 4, 8, 16, 32, 64)]
    cases += [_gather(2**20), _gather(2**26)]
    cases += [_shared_stage(b * KIB, 2**26) for b in (16, 48, 96, 200)]
    cases += [_divergence(v, 16384, full_grid) for v in ("divergent", "uniform")]
    cases += [_empty(1, 1), _empty(sm_count, 256), _empty(65536, 256)]
    cases += [
        _pointer_chase(16 * KIB, 128, 16384, "l1"),
        _pointer_chase(16 * MIB, 256, 32768, "l2"),
        _pointer_chase(256 * MIB, 4 * KIB, 65536, "dram", flush_bytes=256 * MIB),
    ]
    return cases


def _tiny_kernel_cases() -> list[Case]:
    """Every kernel once or twice, a few hundred threads, short loops: for the CUDA simulator."""
    return [
        _elementwise("precise", 300, block=128),
        _elementwise("fast", 300, block=128),
        _elementwise("grid_stride", 1000, block=64, grid=3),
        _streaming("saxpy", 300, block=128),
        _streaming("copy", 300, block=128),
        _reduction(1000),
        _reduction(1000, grid=2),
        _sgemm("naive", 16),
        _sgemm("tiled", 32),
        _transpose("naive", 32),
        _transpose("tiled", 64),
        _fma("float32", 1, 8, 2, 64),
        _fma("float32", 4, 8, 2, 64),
        _fma("float64", 1, 8, 2, 64),
        _fma("float64", 4, 8, 2, 64),
        _special(1, 8, 2, 64),
        _special(4, 8, 2, 64),
        _strided(256, 1, block=128),
        _strided(256, 8, block=128),
        _strided(256, 64, block=128),
        _gather(300, block=128),
        _shared_stage(1 * KIB, 768, block=64),
        _divergence("divergent", 8, 2, 64),
        _divergence("uniform", 8, 2, 64),
        _empty(1, 1),
        _empty(2, 32),
        _pointer_chase(4 * KIB, 64, 100, "l1"),
        _pointer_chase(8 * KIB, 128, 50, "dram", flush_bytes=512),
    ]


def launch_chain_cases(scale: str) -> list[Case]:
    """Chains of ``n_launches`` back-to-back launches of a small kernel, queued ``live`` by the host or
    ``prequeued`` behind a spin kernel; the result is the time per launch."""
    _check_scale(scale)
    n_launches = 200 if scale == "full" else 20
    cases = []
    for kernel_case in (_empty(1, 1), _streaming("copy", 4096)):
        for submission in ("prequeued", "live"):
            cases.append(
                {
                    "name": f"back_to_back_{kernel_case['name']}_{submission}",
                    "family": "launch_chain",
                    "submission": submission,
                    "n_launches": n_launches,
                    "kernel": kernel_case,
                }
            )
    return cases


# --- transfers, pipelines, concurrency ------------------------------------------------------------


def transfer_cases(scale: str) -> list[Case]:
    """Host<->device copies: every size x {pinned, pageable} x {h2d, d2h, both (two streams)}."""
    _check_scale(scale)
    if scale == "full":
        sizes = [4 * KIB, 64 * KIB, 1 * MIB, 4 * MIB, 16 * MIB, 64 * MIB, 256 * MIB, 1 * GIB]
    else:
        sizes = [4 * KIB, 64 * KIB, 1 * MIB]
    cases = []
    for host_memory in ("pinned", "pageable"):
        for direction in ("h2d", "d2h", "both"):
            for size_bytes in sizes:
                cases.append(
                    {
                        "name": f"transfer_{direction}_{host_memory}_{size_bytes // KIB}k",
                        "family": "transfer",
                        "direction": direction,
                        "host_memory": host_memory,
                        "size_bytes": size_bytes,
                        "n_streams": 2 if direction == "both" else 1,
                    }
                )
    return cases


def pipeline_cases(sm_count: int, scale: str) -> list[Case]:
    """Batched H2D -> kernel -> D2H pipelines A (one stream), B (3 streams, rotating), C (one stream per
    stage, joined by events), for a light (1 FMA per element) and a heavy (FMA loop) kernel.

    The kernel is ``fma`` ``f32_chains1``: one thread per element, ``out = loop(x)``; its per-batch
    grid is ``ceil(batch_elements / block)``. ``submission``: ``live`` (Python queues the operations
    while the clock runs) or ``prequeued`` (everything queued behind a spin kernel first).
    """
    _check_scale(scale)
    if scale == "full":
        total_elements, batch_counts, heavy_iters = 2**26, (1, 8, 32), 2048
    else:
        total_elements, batch_counts, heavy_iters = 2048, (1, 4), 8
    cases = []
    for kernel_weight, iters in (("light", 1), ("heavy", heavy_iters)):
        for pipeline in ("A", "B", "C"):
            for n_batches in batch_counts:
                for submission in ("live", "prequeued"):
                    batch_elements = total_elements // n_batches
                    cases.append(
                        {
                            "name": f"pipeline_{pipeline}_{kernel_weight}_b{n_batches}_{submission}",
                            "family": "pipeline",
                            "pipeline": pipeline,
                            "submission": submission,
                            "n_streams": {"A": 1, "B": 3, "C": 3}[pipeline],
                            "kernel_weight": kernel_weight,
                            "n_batches": n_batches,
                            "total_elements": total_elements,
                            "total_bytes": total_elements * 4,
                            "batch_elements": batch_elements,
                            "batch_bytes": batch_elements * 4,
                            "host_memory": "pinned",
                            "kernel": _fma("float32", 1, iters, _ceil_div(batch_elements, 256), 256),
                        }
                    )
    return cases


def concurrency_cases(sm_count: int, scale: str) -> list[Case]:
    """Two kernels on one stream vs two streams: half-SM-count grids (long blocks) and full grids."""
    _check_scale(scale)
    half = max(1, sm_count // 2)
    full_grid = 8 * sm_count
    if scale == "full":
        half_iters, full_iters = 2**19, 2**14
    else:
        half, full_grid, half_iters, full_iters = 1, 2, 8, 8
    cases = []
    for label, grid, iters in (("half_grid", half, half_iters), ("full_grid", full_grid, full_iters)):
        for n_streams in (1, 2):
            cases.append(
                {
                    "name": f"concurrency_{label}_{n_streams}stream{'s' if n_streams > 1 else ''}",
                    "family": "concurrency",
                    "n_streams": n_streams,
                    "n_kernels": 2,
                    "kernel": _fma("float32", 1, iters, grid, 256),
                }
            )
    return cases

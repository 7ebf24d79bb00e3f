"""The interpreter's memory: kernel arguments as address ranges, reads from them, private writes.

Every array argument gets its own address range; a load finds its range and reads the element.
Stores never touch the caller's arrays: the first store to a range allocates a shadow (lazily
zeroed pages) and a written-flag array, so large outputs cost only the pages the sample touches.
`VirtualArray` is an input whose elements are computed on demand (no allocation at all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gpusim.errors import SpecError

REGION_BYTES = 1 << 35  # address space per array argument (32 GiB)
GLOBAL_BASE = 1 << 35
SHARED_WINDOW = 1 << 41  # generic addresses of shared memory start here
LOCAL_WINDOW = 3 << 40  # generic addresses of local memory start here
MAX_REGIONS = (SHARED_WINDOW - GLOBAL_BASE) // REGION_BYTES - 1


@dataclass(frozen=True)
class VirtualArray:
    """An input array whose element ``k`` (flat, C order) is ``fill(k)``; nothing is allocated.

    ``fill`` takes an int64 array of flat indices and returns the values (any numeric dtype).
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    fill: Callable[[np.ndarray], np.ndarray]
    label: str = "virtual"

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def itemsize(self) -> int:
        return np.dtype(self.dtype).itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    def take(self, flat: np.ndarray) -> np.ndarray:
        return np.asarray(self.fill(flat.astype(np.int64))).astype(self.dtype, copy=False)


@dataclass
class Region:
    """One array argument in the global address space."""

    name: str
    base: int
    array: np.ndarray | VirtualArray
    shadow: np.ndarray | None = None
    written: np.ndarray | None = None
    flat: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.array, np.ndarray):
            self.flat = self.array.reshape(-1)

    @property
    def itemsize(self) -> int:
        return self.array.itemsize

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.array.dtype)

    @property
    def nbytes(self) -> int:
        return int(self.array.size) * self.itemsize

    def read(self, index: np.ndarray) -> np.ndarray:
        values = self.flat[index] if self.flat is not None else self.array.take(index)  # type: ignore[union-attr]
        if self.written is not None:
            hit = self.written[index]
            if hit.any():
                values = np.where(hit, self.shadow[index], values)  # type: ignore[index]
        return values

    def write(self, index: np.ndarray, values: np.ndarray) -> None:
        if self.shadow is None:
            self.shadow = np.zeros(int(self.array.size), dtype=self.dtype)
            self.written = np.zeros(int(self.array.size), dtype=bool)
        self.shadow[index] = values.astype(self.dtype, copy=False)
        self.written[index] = True  # type: ignore[index]


class GlobalMemory:
    """Array arguments laid out one per `REGION_BYTES` range."""

    def __init__(self) -> None:
        self.regions: list[Region] = []

    def add(self, name: str, array: np.ndarray | VirtualArray) -> int:
        if len(self.regions) >= MAX_REGIONS:
            raise SpecError(f"more than {MAX_REGIONS} array arguments")
        if isinstance(array, np.ndarray) and not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
        base = GLOBAL_BASE + len(self.regions) * REGION_BYTES
        self.regions.append(Region(name, base, array))
        return base

    def locate(self, addrs: np.ndarray, nbytes: int, line: int) -> tuple[Region, np.ndarray]:
        """The one region all ``addrs`` fall in, and their element indices."""
        lo, hi = int(addrs.min()), int(addrs.max())
        k = (lo - GLOBAL_BASE) // REGION_BYTES
        if k < 0 or k >= len(self.regions) or (hi - GLOBAL_BASE) // REGION_BYTES != k:
            raise SpecError(f"line {line}: a load or store outside the kernel's array arguments "
                            f"(address {lo:#x}); pointer arithmetic across arrays is not supported")
        region = self.regions[k]
        offsets = addrs - np.uint64(region.base)
        if hi - region.base + nbytes > region.nbytes:
            raise SpecError(f"line {line}: out-of-bounds access to argument {region.name} "
                            f"(byte {hi - region.base} of {region.nbytes}); check the example arguments")
        if nbytes != region.itemsize or np.any(offsets % np.uint64(nbytes)):
            raise SpecError(f"line {line}: a {nbytes}-byte access to argument {region.name} of "
                            f"{region.itemsize}-byte elements (mixed-width access is not supported)")
        return region, (offsets // np.uint64(nbytes)).astype(np.int64)

"""Example arguments without allocating them: virtual arrays, and the ``--args`` mini-language.

``--args`` takes one item per kernel argument, separated by ``;`` or given as repeated options:

- a number: a scalar (typed by the signature);
- ``SHAPE[:INIT]`` for an array, SHAPE ``N`` or ``NxM[xK]``; INIT is ``zeros`` (default),
  ``fill=V``, ``uniform=LO,HI``, ``arange``, ``affine=A,B`` (element k is ``(A*k + B) mod size``: with
  A odd and a power-of-two size, a permutation; ``affine=1,S`` is a chain of stride S), ``perm``
  (a random permutation of a 1-D array: computed per element for power-of-two sizes);
- ``@FILE.npy``: a NumPy array from a file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from gpusim.analyze.memory import VirtualArray
from gpusim.errors import SpecError

_SHAPE = re.compile(r"^\d+(x\d+){0,2}$")


def _mix(k: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64 of ``k + seed``: uniform 64-bit values from indices."""
    with np.errstate(over="ignore"):
        z = k.astype(np.uint64) + np.uint64((0x9E3779B97F4A7C15 * (seed + 1)) % (1 << 64))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniform(shape: int | tuple[int, ...], low: float, high: float, dtype: Any = np.float32,
            seed: int = 0) -> VirtualArray:
    """Values uniform in [low, high), computed per element from its index."""
    def fill(k: np.ndarray) -> np.ndarray:
        u = (_mix(k, seed) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
        return low + (high - low) * u

    return VirtualArray(_shape(shape), np.dtype(dtype), fill, f"uniform={low},{high}")


def constant(shape: int | tuple[int, ...], value: float, dtype: Any = np.float32) -> VirtualArray:
    return VirtualArray(_shape(shape), np.dtype(dtype), lambda k: np.full(k.shape, value), f"fill={value}")


def affine(shape: int | tuple[int, ...], a: int, b: int, dtype: Any = np.int32) -> VirtualArray:
    """Element k is ``(a * k + b) mod size``."""
    size = int(np.prod(_shape(shape), dtype=np.int64))

    def fill(k: np.ndarray) -> np.ndarray:
        if abs(a) * size + abs(b) < 1 << 62:
            return (k.astype(np.int64) * a + b) % size
        return np.array([(int(i) * a + b) % size for i in k], dtype=np.int64)

    return VirtualArray(_shape(shape), np.dtype(dtype), fill, f"affine={a},{b}")


def permutation(size: int, seed: int = 0, dtype: Any = np.int32) -> Any:
    """A random-looking permutation of ``range(size)``: computed per element (xor-shift-multiply rounds,
    each a bijection modulo ``2**k``) when ``size`` is a power of two, else drawn and allocated."""
    if size & (size - 1):
        return np.random.default_rng(seed).permutation(size).astype(dtype)
    bits = max(1, size.bit_length() - 1)
    mask = np.uint64(size - 1)
    keys = [np.uint64((int(v) | 1) & (size - 1) | 1) for v in _mix(np.arange(3, dtype=np.uint64), seed)]
    shift = np.uint64(max(1, bits // 2))

    def fill(k: np.ndarray) -> np.ndarray:
        x = k.astype(np.uint64) & mask
        with np.errstate(over="ignore"):
            for key in keys:
                x = (x * key) & mask
                x ^= x >> shift
        return x

    return VirtualArray((size,), np.dtype(dtype), fill, "perm")


def _shape(shape: int | tuple[int, ...]) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int | np.integer) else tuple(int(s) for s in shape)


def parse_arg(text: str, ty: Any, position: int) -> Any:
    """One ``--args`` item as a value for Numba type ``ty``."""
    from numba.core import types

    item = text.strip()
    where = f"--args item {position + 1} ({item!r})"
    if isinstance(ty, types.Array):
        dtype = np.dtype(str(ty.dtype))
        if item.startswith("@"):
            try:
                arr = np.load(Path(item[1:]))
            except (OSError, ValueError) as exc:
                raise SpecError(f"{where}: cannot read {item[1:]}: {exc}") from None
            return arr.astype(dtype, copy=False)
        shape_text, _, init = item.partition(":")
        if not _SHAPE.match(shape_text):
            raise SpecError(f"{where}: the signature says an array; expected SHAPE[:INIT], e.g. 1048576:uniform=0,1")
        shape = tuple(int(s) for s in shape_text.split("x"))
        if len(shape) != ty.ndim:
            raise SpecError(f"{where}: the signature says {ty.ndim} dimensions")
        return _array(shape, dtype, init.strip() or "zeros", where)
    try:
        number = float(item)
    except ValueError:
        raise SpecError(f"{where}: the signature says {ty}; expected a number") from None
    if isinstance(ty, types.Integer | types.Boolean):
        if not number.is_integer():
            raise SpecError(f"{where}: the signature says {ty}; expected an integer")
        return np.dtype(str(ty)).type(int(number)) if isinstance(ty, types.Integer) else bool(number)
    if isinstance(ty, types.Float):
        return np.dtype(str(ty)).type(number)
    raise SpecError(f"{where}: arguments of type {ty} are not supported")


def _array(shape: tuple[int, ...], dtype: np.dtype, init: str, where: str) -> Any:
    name, _, values = init.partition("=")
    try:
        nums = [float(v) for v in values.split(",")] if values else []
    except ValueError:
        raise SpecError(f"{where}: bad numbers in {init!r}") from None
    if name == "zeros" and not nums:
        return constant(shape, 0, dtype)
    if name == "fill" and len(nums) == 1:
        return constant(shape, nums[0], dtype)
    if name == "uniform" and len(nums) == 2:
        return uniform(shape, nums[0], nums[1], dtype)
    if name == "arange" and not nums:
        return affine(shape, 1, 0, dtype)
    if name == "affine" and len(nums) == 2 and all(v.is_integer() for v in nums):
        return affine(shape, int(nums[0]), int(nums[1]), dtype)
    if name == "perm" and not nums and len(shape) == 1:
        return permutation(shape[0], 0, dtype)
    raise SpecError(f"{where}: unknown INIT {init!r} (zeros, fill=V, uniform=LO,HI, arange, affine=A,B, perm)")


def parse_args(items: list[str], types: tuple[Any, ...]) -> tuple[Any, ...]:
    """All ``--args`` items (``;`` separated or repeated) for the signature's types."""
    flat = [part for item in items for part in item.split(";") if part.strip()]
    if len(flat) != len(types):
        raise SpecError(f"--args: the signature has {len(types)} arguments, --args gives {len(flat)}")
    return tuple(parse_arg(text, ty, k) for k, (text, ty) in enumerate(zip(flat, types, strict=True)))

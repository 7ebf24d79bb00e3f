"""Measurement side of gpusim: Numba CUDA workloads, their cases and the GPU runner.

Importing this package applies one NumPy compatibility alias that numba-cuda needs: some numba-cuda
releases call ``np.row_stack``, which newer NumPy removed. The alias must exist before ``numba.cuda``
is imported, so every module that imports numba does so after importing this package.
"""

import warnings

import numpy as np


def ensure_numpy_compat() -> None:
    """Give NumPy back ``row_stack`` (an alias of ``vstack``) where it was removed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        has_row_stack = hasattr(np, "row_stack")
    if not has_row_stack:
        np.row_stack = np.vstack


ensure_numpy_compat()

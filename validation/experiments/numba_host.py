"""Host-side cost of Numba's stream API calls: are copies from slices of pinned arrays asynchronous?

For 2 MiB and 8 MiB copies on a non-default stream, time the Python call itself (host) and the whole
operation (to stream synchronize), for: a whole pinned array, a slice of a larger pinned array, a
pageable array; H2D and D2H; and a kernel launch, an event record and an event wait.

    python3 -m validation.experiments.numba_host --out result.json     (on a CUDA GPU)
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from validation import ensure_numpy_compat

ensure_numpy_compat()

import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402


def _median_host_and_total(call, stream, repeats: int = 30) -> tuple[float, float]:
    host, total = [], []
    for _ in range(repeats):
        stream.synchronize()
        t0 = time.perf_counter()
        call()
        t1 = time.perf_counter()
        stream.synchronize()
        t2 = time.perf_counter()
        host.append(t1 - t0)
        total.append(t2 - t0)
    return float(np.median(host)), float(np.median(total))


@cuda.jit
def _empty():
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if not cuda.is_available():
        print("numba_host: no CUDA GPU", file=sys.stderr)
        return 2
    s = cuda.stream()
    results = []
    big = cuda.pinned_array(64 * 2**20, np.uint8)
    for n in (2 * 2**20, 8 * 2**20):
        whole = cuda.pinned_array(n, np.uint8)
        pageable = np.zeros(n, np.uint8)
        sliced = big[n: 2 * n]
        d = cuda.device_array(n, np.uint8)
        for label, host in (("pinned_whole", whole), ("pinned_slice", sliced), ("pageable", pageable)):
            h, t = _median_host_and_total(lambda d=d, host=host: d.copy_to_device(host, stream=s), s)
            results.append({"op": "h2d", "host": label, "bytes": n, "call_s": h, "total_s": t})
            h, t = _median_host_and_total(lambda d=d, host=host: d.copy_to_host(host, stream=s), s)
            results.append({"op": "d2h", "host": label, "bytes": n, "call_s": h, "total_s": t})
    _empty[1, 1, s]()
    s.synchronize()
    h, t = _median_host_and_total(lambda: _empty[1, 1, s](), s)
    results.append({"op": "launch", "call_s": h, "total_s": t})
    ev = cuda.event(timing=False)
    h, t = _median_host_and_total(lambda: ev.record(s), s)
    results.append({"op": "event_record", "call_s": h, "total_s": t})
    s2 = cuda.stream()
    h, t = _median_host_and_total(lambda: ev.wait(s2), s)
    results.append({"op": "event_wait", "call_s": h, "total_s": t})
    for r in results:
        print(r)
    with open(args.out, "w") as fh:
        json.dump({"results": results}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""No references or memory kept over many calls."""

import gc
import sys
import tracemalloc

import numpy as np

import tandem

CALLS = 10_000


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def calls(x, w, prepared):
    tandem.relu(x)
    tandem.matmul(x, w)
    tandem.quantized_relu(tandem.quantize(x))
    tandem.quantized_linear(x, prepared, None, "relu")
    tandem.dot(x, x)
    try:
        tandem.matmul(x, x)
    except tandem.ShapeError:
        pass


def test_no_leak_over_ten_thousand_calls():
    x = np.ones((8, 16), np.float32)
    w = np.ones((16, 4), np.float32)
    prepared = tandem.QuantizedWeights.prepare(w)
    for _ in range(200):  # warm up allocators and caches
        calls(x, w, prepared)
    gc.collect()
    refs = (sys.getrefcount(x), sys.getrefcount(w), sys.getrefcount(prepared))
    tracemalloc.start()
    traced_before = tracemalloc.get_traced_memory()[0]
    rss_before = resident_bytes()
    for _ in range(CALLS):
        calls(x, w, prepared)
    gc.collect()
    traced_growth = tracemalloc.get_traced_memory()[0] - traced_before
    rss_growth = resident_bytes() - rss_before
    tracemalloc.stop()
    assert (sys.getrefcount(x), sys.getrefcount(w), sys.getrefcount(prepared)) == refs
    assert traced_growth < 64 * 1024, f"Python heap grew by {traced_growth} bytes"
    # 60,000 results of at least 128 bytes each would be 7.7 MB if kept.
    assert rss_growth < 4 * 2**20, f"resident memory grew by {rss_growth} bytes"

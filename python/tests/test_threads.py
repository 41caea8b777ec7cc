"""Kernels release the GIL; Python functions run from Tandem's worker threads; prepared
weights are shared by threads."""

import threading
import time

import numpy as np
import pytest

import tandem
from conftest import integer_valued


def test_another_python_thread_runs_while_a_large_matmul_does(rng):
    a = rng.standard_normal((1200, 1200), dtype=np.float32)
    b = rng.standard_normal((1200, 1200), dtype=np.float32)
    span = {}

    def work():
        span["start"] = time.perf_counter()
        tandem.matmul(a, b, threads=1)
        span["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    duration = span["end"] - span["start"]
    # Ticks strictly inside the call (a margin for the switches at both ends). Free, this
    # loop ticks some 10^5 to 10^6 times a second; against a call that holds the GIL it
    # gets a few thousand a second, in the moments the interpreter's switch interval
    # hands it the GIL (measured with a C call that holds it: re on a catastrophic pattern).
    inside = [t for t in ticks if span["start"] + 0.002 < t < span["end"] - 0.002]
    assert duration > 0.01, f"the matmul took only {duration * 1e3:.1f} ms: too short to tell"
    rate = len(inside) / duration
    assert rate > 20_000, f"{len(inside)} Python ticks in a {duration * 1e3:.0f} ms matmul"


def test_batch_apply_runs_a_python_function_on_row_blocks(rng):
    batch = rng.standard_normal((37, 4, 5), dtype=np.float32)
    seen = []

    def double(block):
        assert block.dtype == np.float32 and block.shape[1:] == (4, 5)
        assert not block.flags.writeable
        seen.append(block.shape[0])
        return block * 2

    out = tandem.batch_apply(batch, double, 4)
    np.testing.assert_array_equal(out, batch * 2)
    assert sum(seen) == 37 and len(seen) == 4


def test_batch_apply_function_errors_reach_the_caller(rng):
    batch = rng.standard_normal((8, 3), dtype=np.float32)

    def fails(block):
        raise KeyError("from the worker")

    with pytest.raises(KeyError, match="from the worker"):
        tandem.batch_apply(batch, fails, 2)
    with pytest.raises(tandem.ShapeError, match="batch_apply: the function returned 3 elements"):
        tandem.batch_apply(batch, lambda block: block[0], 2)
    with pytest.raises(tandem.DTypeError, match="batch_apply: the function returned a str"):
        tandem.batch_apply(batch, lambda block: "no", 2)
    with pytest.raises(tandem.ArgumentError, match="workers must be at least 1"):
        tandem.batch_apply(batch, lambda block: block, 0)


def test_prepared_weights_are_shared_by_threads(rng):
    w = tandem.QuantizedWeights.prepare(rng.standard_normal((300, 40), dtype=np.float32))
    inputs = [integer_valued(rng, (16, 300)) for _ in range(8)]
    expected = [tandem.quantized_linear(x, w, threads=1) for x in inputs]
    results = [None] * len(inputs)

    def run(i):
        for _ in range(20):
            results[i] = tandem.quantized_linear(inputs[i], w, threads=1)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)

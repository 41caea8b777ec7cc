"""tandem.seed against the teaching module's API (seed-api.md): every function, its
documented keys and errors, the kinds of input the module's users pass (float32,
float64, integer arrays, lists, any rank allowed), and the places where Tandem is
deliberately more correct (exact 16-bit sums)."""

import threading

import numpy as np
import pytest

import tandem
from tandem import seed
from conftest import integer_valued, quantize_oracle


def module_quantize(x, bits):
    """The module's own quantization, in NumPy (float64 scale arithmetic)."""
    qmax = 2 ** (bits - 1) - 1
    max_abs = float(np.max(np.abs(x))) if x.size else 0.0
    scale = max_abs / qmax if max_abs else 1.0
    q = np.clip(np.round(x / scale), -qmax - 1, qmax)
    return q.astype(np.int64), scale


def test_every_documented_function_is_there():
    for name in ["time_kernel", "matmul_baseline", "cache_friendly_matmul", "vectorized_relu",
                 "vectorized_operations", "parallel_relu", "parallel_batch_processing",
                 "quantized_matmul", "quantized_relu"]:
        assert callable(getattr(seed, name)), name


def test_time_kernel_warms_up_then_times_one_call():
    calls = []
    result, microseconds = seed.time_kernel(lambda x, y=0: calls.append(x + y) or x + y, 2, y=3)
    assert result == 5 and calls == [5, 5]
    assert isinstance(microseconds, float) and microseconds > 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_matmul_baseline_is_np_dot_for_the_modules_dtypes(rng, dtype):
    a = integer_valued(rng, (13, 29), dtype=dtype)
    b = integer_valued(rng, (29, 6), dtype=dtype)
    c = seed.matmul_baseline(a, b)
    assert isinstance(c, np.ndarray) and c.shape == (13, 6) and c.dtype == np.float32
    np.testing.assert_array_equal(c, np.dot(a, b))


def test_matmul_baseline_float64_normal_values(rng):
    a, b = rng.standard_normal((20, 50)), rng.standard_normal((50, 10))
    np.testing.assert_allclose(seed.matmul_baseline(a, b), a @ b, rtol=1e-4, atol=1e-4)


def test_matmul_baseline_inner_dimensions_differ_is_value_error():
    with pytest.raises(ValueError, match=r"inner dimensions differ: \[2, 3\] x \[2, 3\]"):
        seed.matmul_baseline(np.ones((2, 3)), np.ones((2, 3)))


def test_matmul_baseline_accepts_lists_and_non_contiguous_arrays(rng):
    a = integer_valued(rng, (8, 6))
    np.testing.assert_array_equal(seed.matmul_baseline([[1, 2], [3, 4]], [[5], [6]]),
                                  [[17], [39]])
    np.testing.assert_array_equal(seed.matmul_baseline(a.T, a), a.T @ a)


def test_integer_matmul_that_float32_cannot_hold_exactly_is_refused():
    big = np.full((2, 3), 5000, np.int64)
    with pytest.raises(tandem.ArgumentError, match="can sum past 2\\*\\*24"):
        seed.matmul_baseline(big, big.T)
    with pytest.raises(ValueError, match="integers beyond 2\\*\\*24"):
        seed.vectorized_relu(np.array([2**25], np.int64))
    with pytest.raises(ValueError, match="beyond float32's range"):
        seed.vectorized_relu(np.array([1e300]))
    np.testing.assert_array_equal(seed.vectorized_relu(np.array([np.inf, -np.inf])), [np.inf, 0])


@pytest.mark.parametrize("block_size", [1, 3, 16, 64, 1000])
def test_cache_friendly_matmul_any_block_size_same_result(rng, block_size):
    a, b = integer_valued(rng, (37, 45)), integer_valued(rng, (45, 29))
    np.testing.assert_array_equal(seed.cache_friendly_matmul(a, b, block_size), a @ b)
    np.testing.assert_array_equal(seed.cache_friendly_matmul(a, b, block_size=block_size), a @ b)


def test_cache_friendly_matmul_block_size_below_one_is_value_error(rng):
    a = integer_valued(rng, (4, 4))
    with pytest.raises(ValueError, match="block_size must be >= 1, got 0"):
        seed.cache_friendly_matmul(a, a, 0)
    with pytest.raises(TypeError, match="block_size must be an int"):
        seed.cache_friendly_matmul(a, a, 2.5)


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_vectorized_relu_any_shape_and_dtype(rng, shape, dtype):
    x = integer_valued(rng, shape, dtype=dtype)
    y = seed.vectorized_relu(x)
    assert y.shape == x.shape
    np.testing.assert_array_equal(y, np.maximum(0, x))


def test_vectorized_relu_makes_non_contiguous_input_contiguous(rng):
    x = integer_valued(rng, (10, 12))[:, ::3]
    np.testing.assert_array_equal(seed.vectorized_relu(x), np.maximum(0, x))
    np.testing.assert_array_equal(seed.vectorized_relu([-1, 2, -3]), [0, 2, 0])


def test_vectorized_operations_keys_and_values(rng):
    x, y = integer_valued(rng, (6, 7)), integer_valued(rng, (6, 7))
    r = seed.vectorized_operations(x, y)
    assert set(r) == {"element_wise_add", "element_wise_multiply", "squared_difference",
                      "euclidean_distance", "dot_product", "cosine_similarity"}
    np.testing.assert_array_equal(r["element_wise_add"], x + y)
    np.testing.assert_array_equal(r["element_wise_multiply"], x * y)
    np.testing.assert_array_equal(r["squared_difference"], (x - y) ** 2)
    xf, yf = x.ravel().astype(np.float64), y.ravel().astype(np.float64)
    assert r["dot_product"] == np.dot(xf, yf)
    assert r["euclidean_distance"] == pytest.approx(np.linalg.norm(xf - yf), rel=1e-12)
    cosine = np.dot(xf, yf) / (np.linalg.norm(xf) * np.linalg.norm(yf))
    assert r["cosine_similarity"] == pytest.approx(cosine, rel=1e-9)
    for key in ["euclidean_distance", "dot_product", "cosine_similarity"]:
        assert isinstance(r[key], float)


def test_vectorized_operations_shapes_differ_is_value_error():
    with pytest.raises(ValueError, match=r"shapes differ: \[2, 3\] and \[3, 2\]"):
        seed.vectorized_operations(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(ValueError):
        seed.vectorized_operations(np.ones(6), np.ones((2, 3)))


@pytest.mark.parametrize("n", [10, 9999, 10000, 250_001])
@pytest.mark.parametrize("workers", [1, 2, 4, 7])
def test_parallel_relu_equals_relu(rng, n, workers):
    x = rng.standard_normal(n).astype(np.float32)
    np.testing.assert_array_equal(seed.parallel_relu(x, workers), np.maximum(0, x))
    np.testing.assert_array_equal(seed.parallel_relu(x.reshape(1, n), num_workers=workers),
                                  np.maximum(0, x).reshape(1, n))


def test_parallel_relu_workers_below_one_is_value_error():
    with pytest.raises(ValueError, match="num_workers must be >= 1"):
        seed.parallel_relu(np.ones(10), 0)


def test_parallel_batch_processing_default_is_relu(rng):
    batch = rng.standard_normal((33, 5, 4)).astype(np.float32)
    np.testing.assert_array_equal(seed.parallel_batch_processing(batch), np.maximum(0, batch))
    np.testing.assert_array_equal(seed.parallel_batch_processing(batch, num_workers=3),
                                  np.maximum(0, batch))


def test_parallel_batch_processing_any_callable_any_output_shape(rng):
    batch = integer_valued(rng, (20, 6), dtype=np.int64)
    threads = set()

    def row_sums(part):
        threads.add(threading.get_ident())
        return part.sum(axis=1)

    out = seed.parallel_batch_processing(batch, row_sums, num_workers=4)
    np.testing.assert_array_equal(out, batch.sum(axis=1))
    assert out.dtype == np.int64  # the operation's own dtype: Tandem does not touch it
    assert len(threads) >= 1


def test_parallel_batch_processing_fewer_samples_than_workers_is_one_call(rng):
    batch = integer_valued(rng, (3, 4))
    calls = []
    out = seed.parallel_batch_processing(batch, lambda part: calls.append(part.shape) or part * 2,
                                         num_workers=4)
    assert calls == [(3, 4)]
    np.testing.assert_array_equal(out, batch * 2)


@pytest.mark.parametrize("bits", [8, 16])
def test_quantized_matmul_follows_the_module_and_is_exact(rng, bits):
    a = rng.standard_normal((12, 64)).astype(np.float32)
    b = rng.standard_normal((64, 9)).astype(np.float32)
    c = seed.quantized_matmul(a, b, bits)
    assert c.dtype == np.float32 and c.shape == (12, 9)
    (qa, sa), (qb, sb) = quantize_oracle(a, bits), quantize_oracle(b, bits)
    exact = (qa.astype(np.int64) @ qb.astype(np.int64)).astype(np.float64) * sa * sb
    np.testing.assert_allclose(c, exact, rtol=1e-6, atol=1e-6 * np.abs(exact).max())
    (ma, msa), (mb, msb) = module_quantize(a, bits), module_quantize(b, bits)
    module = (ma @ mb) * msa * msb  # int64 sums: the module's result where it does not wrap
    # The scales differ in their last bits (float32 here, float64 there), so a value on a
    # rounding tie may quantize one step apart: each of the K terms then moves by at most
    # one step of a times |qb|, or the reverse.
    steps = 64 * (int(np.abs(qa).max()) + int(np.abs(qb).max()))
    assert np.abs(c - module).max() <= float(sa) * float(sb) * steps + 1e-5 * np.abs(module).max()


def test_quantized_matmul_16_bits_exact_where_the_module_wraps():
    # Full range, K = 1000: the module's int32 sums would wrap (1000 * 32767^2 > 2^31).
    k = 1000
    a = np.ones((2, k), np.float32)
    b = np.ones((k, 3), np.float32)
    c = seed.quantized_matmul(a, b, 16)
    np.testing.assert_allclose(c, np.full((2, 3), k), rtol=1e-6)
    wrapped = (np.full((2, k), 32767, np.int32) @ np.full((k, 3), 32767, np.int32))
    assert wrapped[0, 0] != k * 32767 * 32767  # NumPy's int32 sums do wrap


@pytest.mark.parametrize("bits", [0, 4, 32, "8", True])
def test_quantized_bits_other_than_8_or_16_are_value_errors(bits):
    with pytest.raises(ValueError, match="bits must be 8 or 16"):
        seed.quantized_matmul(np.ones((2, 2)), np.ones((2, 2)), bits)
    with pytest.raises(ValueError, match="bits must be 8 or 16"):
        seed.quantized_relu(np.ones(3), bits)


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_quantized_relu(rng, bits, shape):
    x = rng.standard_normal(shape)  # float64, as the module's users pass
    y = seed.quantized_relu(x, bits)
    assert y.dtype == np.float32 and y.shape == shape
    q, scale = quantize_oracle(x.astype(np.float32), bits)
    np.testing.assert_array_equal(y, np.maximum(q, 0).astype(np.float32) * scale)
    np.testing.assert_allclose(y, np.maximum(x, 0), atol=float(scale))


def test_quantized_relu_all_zero_input():
    np.testing.assert_array_equal(seed.quantized_relu(np.zeros((2, 2))), np.zeros((2, 2)))

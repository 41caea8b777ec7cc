"""The f32 operations against NumPy, on every CPU implementation this machine runs,
with the implementation that ran read back from the verbose dispatch log."""

import numpy as np
import pytest

import tandem
from conftest import cpu_implementations, integer_valued

MATMUL_SHAPES = [(1, 1, 1), (1, 7, 1), (3, 5, 2), (17, 33, 9), (64, 64, 64), (5, 0, 4), (0, 3, 2),
                 (130, 257, 31)]


def ran(capfd, call):
    """Runs call() with the verbose log on; returns (its result, the implementations the
    log names for it)."""
    capfd.readouterr()
    tandem.set_verbose(True)
    try:
        result = call()
    finally:
        tandem.set_verbose(False)
    lines = [l for l in capfd.readouterr().err.splitlines() if l and not l.startswith("op,")]
    return result, [l.split(",")[2] for l in lines]


@pytest.mark.parametrize("impl", cpu_implementations("matmul"))
@pytest.mark.parametrize("m,k,n", MATMUL_SHAPES)
def test_matmul_is_exact_on_integer_values(rng, capfd, impl, m, k, n):
    a, b = integer_valued(rng, (m, k)), integer_valued(rng, (k, n))
    c, implementations = ran(capfd, lambda: tandem.matmul(a, b, implementation=impl))
    assert implementations == [impl]
    assert c.dtype == np.float32 and c.shape == (m, n)
    np.testing.assert_array_equal(c, a @ b)


def test_matmul_normal_values_within_k_scaled_tolerance(rng):
    a = rng.standard_normal((96, 300), dtype=np.float32)
    b = rng.standard_normal((300, 80), dtype=np.float32)
    expected = a.astype(np.float64) @ b.astype(np.float64)
    bound = 300 * np.finfo(np.float32).eps * (np.abs(a) @ np.abs(b))
    assert np.all(np.abs(tandem.matmul(a, b) - expected) <= bound)


def test_matmul_into_out_and_options(rng):
    a, b = integer_valued(rng, (40, 50)), integer_valued(rng, (50, 30))
    out = np.full((40, 30), np.nan, dtype=np.float32)
    assert tandem.matmul(a, b, out=out, threads=1, blocking=(8, 16, 8)) is out
    np.testing.assert_array_equal(out, a @ b)


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_blas_semantics_in_place(rng, trans_a, trans_b):
    m, k, n = 13, 21, 7
    a = integer_valued(rng, (k, m) if trans_a else (m, k))
    b = integer_valued(rng, (n, k) if trans_b else (k, n))
    c = integer_valued(rng, (m, n))
    expected = 2 * ((a.T if trans_a else a) @ (b.T if trans_b else b)) - 3 * c
    tandem.gemm(a, b, c, alpha=2.0, beta=-3.0, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_array_equal(c, expected)


def test_gemm_beta_zero_never_reads_c(rng):
    a, b = integer_valued(rng, (4, 5)), integer_valued(rng, (5, 6))
    c = np.full((4, 6), np.nan, dtype=np.float32)
    tandem.gemm(a, b, c)
    np.testing.assert_array_equal(c, a @ b)


@pytest.mark.parametrize("impl", cpu_implementations("linear"))
@pytest.mark.parametrize("activation", ["none", "relu"])
def test_linear_fuses_bias_and_activation(rng, capfd, impl, activation):
    x, w = integer_valued(rng, (33, 70)), integer_valued(rng, (70, 19))
    bias = integer_valued(rng, (19,), -50, 50)
    y, implementations = ran(
        capfd, lambda: tandem.linear(x, w, bias, activation, implementation=impl))
    assert implementations == [impl]
    expected = x @ w + bias
    if activation == "relu":
        expected = np.maximum(expected, 0)
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(tandem.linear(x, w), x @ w)


def test_linear_refuses_bad_bias_and_activation(rng):
    x, w = integer_valued(rng, (3, 4)), integer_valued(rng, (4, 5))
    with pytest.raises(tandem.ShapeError, match=r"linear.*\[4\]"):
        tandem.linear(x, w, np.zeros(4, np.float32))
    with pytest.raises(tandem.ArgumentError, match="unknown activation 'gelu'"):
        tandem.linear(x, w, None, "gelu")


ELEMENTWISE = {
    "add": np.add,
    "multiply": np.multiply,
    "squared_difference": lambda x, y: (x - y) ** 2,
}


@pytest.mark.parametrize("shape", [(0,), (1,), (31,), (4, 5, 6), (1000, 37)])
def test_relu_matches_numpy_and_propagates_nan(rng, shape):
    x = rng.standard_normal(shape, dtype=np.float32)
    if x.size:
        x.flat[0] = np.nan
    y = tandem.relu(x)
    assert y.shape == x.shape
    np.testing.assert_array_equal(y, np.where(np.isnan(x), x, np.maximum(x, 0)))


@pytest.mark.parametrize("impl", cpu_implementations("relu"))
def test_relu_in_place_through_out(rng, capfd, impl):
    x = rng.standard_normal(10_001, dtype=np.float32)
    expected = np.maximum(x, 0)
    result, implementations = ran(capfd, lambda: tandem.relu(x, out=x, implementation=impl))
    assert result is x and implementations == [impl]
    np.testing.assert_array_equal(x, expected)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shape", [(0,), (1,), (17,), (3, 1000)])
def test_binary_ops_match_numpy(rng, name, shape):
    x, y = integer_valued(rng, shape), integer_valued(rng, shape)
    np.testing.assert_array_equal(getattr(tandem, name)(x, y), ELEMENTWISE[name](x, y))
    out = np.empty(shape, np.float32)
    assert getattr(tandem, name)(x, y, out=out) is out
    np.testing.assert_array_equal(out, ELEMENTWISE[name](x, y))


def test_binary_ops_refuse_broadcasting(rng):
    with pytest.raises(tandem.ShapeError, match=r"add.*\[2, 3\].*\[3\]"):
        tandem.add(np.zeros((2, 3), np.float32), np.zeros(3, np.float32))


def test_reductions_match_numpy(rng):
    x, y = integer_valued(rng, (50, 40)), integer_valued(rng, (50, 40))
    dot = float(np.sum(x.astype(np.float64) * y))
    assert tandem.dot(x, y) == dot
    assert tandem.euclidean_distance(x, y) == pytest.approx(np.linalg.norm(x - y), rel=1e-12)
    cosine = dot / (np.linalg.norm(x) * np.linalg.norm(y))
    assert tandem.cosine_similarity(x, y) == pytest.approx(cosine, rel=1e-9)
    zero = np.zeros((50, 40), np.float32)
    assert tandem.cosine_similarity(zero, y) == 0.0
    assert tandem.dot(np.zeros(0, np.float32), np.zeros(0, np.float32)) == 0.0
    assert isinstance(tandem.dot(x, y), float)

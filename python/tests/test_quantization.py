"""Quantization against a NumPy oracle of the same rule (exact), and the layer API:
QuantizedWeights prepared once, quantized_linear with f32, int8 or uint8 out (uint8 x
with a zero point too), 16 bits exact for any K against int64 sums."""

import numpy as np
import pytest

import tandem
from conftest import cpu_implementations, integer_valued, quantize_oracle


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("shape", [(1,), (7, 9), (3, 4, 5), (0,)])
def test_quantize_matches_the_rule_exactly(rng, bits, shape):
    x = rng.standard_normal(shape, dtype=np.float32) * 3
    q = tandem.quantize(x, bits)
    expected, scale = quantize_oracle(x, bits)
    assert q.bits == bits and q.values.dtype == expected.dtype
    assert q.scale == scale
    np.testing.assert_array_equal(q.values, expected)
    np.testing.assert_array_equal(tandem.dequantize(q), expected.astype(np.float32) * scale)


def test_all_zero_scale_is_one_and_nan_is_refused():
    assert tandem.quantize(np.zeros(5, np.float32)).scale == 1.0
    with pytest.raises(tandem.ArgumentError, match="quantize"):
        tandem.quantize(np.array([1.0, np.nan], np.float32))
    with pytest.raises(tandem.ArgumentError, match="bit width 4"):
        tandem.quantize(np.ones(3, np.float32), 4)


def int64_product(qa, qb):
    return qa.astype(np.int64) @ qb.astype(np.int64)


@pytest.mark.parametrize("impl", cpu_implementations("quantized_matmul"))
def test_quantized_matmul_is_the_exact_integer_product(rng, impl):
    a = rng.standard_normal((19, 300), dtype=np.float32)
    b = rng.standard_normal((300, 23), dtype=np.float32)
    (qa, sa), (qb, sb) = quantize_oracle(a, 8), quantize_oracle(b, 8)
    expected = int64_product(qa, qb).astype(np.float32) * np.float32(sa * sb)
    np.testing.assert_allclose(tandem.quantized_matmul(a, b, 8, implementation=impl), expected,
                               rtol=2e-7, atol=0)


def test_quantized_matmul_16_bits_exact_past_int32_on_the_cpu_refused_on_a_gpu():
    k = 3000  # full range: every product is 32767^2; int32 sums would wrap after two
    a, b = np.ones((2, k), np.float32), -np.ones((k, 3), np.float32)
    scale = np.float32(1) / np.float32(32767)
    expected = np.float32(-k * 32767 * 32767) * (scale * scale)
    np.testing.assert_array_equal(tandem.quantized_matmul(a, b, 16), np.full((2, 3), expected))
    with pytest.raises(tandem.ArgumentError, match=r"quantized_matmul: K = 3000 .* needs 64-bit sums"):
        tandem.quantized_matmul(a, b, 16, device="cuda")


@pytest.mark.parametrize("bits", [8, 16])
def test_quantized_relu_on_floats_and_on_quantized_data(rng, bits):
    x = rng.standard_normal((40, 50), dtype=np.float32)
    q, scale = quantize_oracle(x, bits)
    expected = np.maximum(q, 0).astype(np.float32) * scale
    np.testing.assert_array_equal(tandem.quantized_relu(x, bits), expected)
    qx = tandem.quantize(x, bits)
    qr = tandem.quantized_relu(qx)
    assert isinstance(qr, tandem.QuantizedTensor) and qr.scale == qx.scale
    assert qr.values.dtype == qx.values.dtype  # the integers in, the integers out
    np.testing.assert_array_equal(qr.values, np.maximum(q, 0))


def test_quantized_tensor_from_python_copies_its_values():
    values = np.array([-3, 0, 5], np.int8)
    q = tandem.QuantizedTensor(values, 0.5)
    values[0] = 100
    np.testing.assert_array_equal(q.values, [-3, 0, 5])
    np.testing.assert_array_equal(tandem.dequantize(q), [-1.5, 0, 2.5])
    with pytest.raises(tandem.DTypeError, match="int8, int16 or uint8"):
        tandem.QuantizedTensor(np.zeros(3, np.float32), 1.0)


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("granularity", ["per_channel", "per_tensor"])
def test_prepared_weights_describe_themselves(rng, bits, granularity):
    w = rng.standard_normal((70, 12), dtype=np.float32)
    w[:, 3] = 0  # an all-zero channel: scale 1
    prepared = tandem.QuantizedWeights.prepare(w, bits, granularity)
    assert (prepared.k, prepared.n, prepared.bits) == (70, 12, bits)
    assert prepared.granularity == granularity
    qmax = 2 ** (bits - 1) - 1
    if granularity == "per_channel":
        expected = np.where(np.abs(w).max(0) == 0, 1, np.abs(w).max(0) / np.float32(qmax))
        np.testing.assert_allclose(prepared.scales, expected, rtol=1e-7)
    else:
        assert len(prepared.scales) == 1
    assert prepared.stored_bytes >= 70 * 12 * bits // 8
    assert prepared.implementation in cpu_implementations("quantized_linear")


def layer_oracle(x, w, bias, bits, per_channel, activation):
    """quantized_linear's result in NumPy: int64 sums, dequantized with both scales."""
    qx, sx = quantize_oracle(x, bits)
    if per_channel:
        qmax = np.float32(2 ** (bits - 1) - 1)
        maxes = np.abs(w).max(0)
        scales = np.where(maxes == 0, np.float32(1), maxes / qmax).astype(np.float32)
        inv = (np.float32(1) / scales).astype(np.float32)
        qw = np.clip(np.rint(w * inv), -qmax - 1, qmax)
    else:
        qw, scale = quantize_oracle(w, bits)
        scales = np.full(w.shape[1], scale, np.float32)
    sums = qx.astype(np.int64) @ qw.astype(np.int64)
    y = sums.astype(np.float32) * (np.float32(sx) * scales) + (0 if bias is None else bias)
    return np.maximum(y, 0) if activation == "relu" else y


@pytest.mark.parametrize("impl", cpu_implementations("quantized_linear"))
@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("activation", ["none", "relu"])
def test_quantized_linear_against_int64_sums(rng, impl, bits, per_channel, activation):
    x = rng.standard_normal((9, 130), dtype=np.float32)
    w = rng.standard_normal((130, 17), dtype=np.float32)
    bias = rng.standard_normal(17, dtype=np.float32)
    prepared = tandem.QuantizedWeights.prepare(
        w, bits, "per_channel" if per_channel else "per_tensor", implementation=impl)
    y = tandem.quantized_linear(x, prepared, bias, activation, implementation=impl)
    expected = layer_oracle(x, w, bias, bits, per_channel, activation)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)


def test_sixteen_bits_exact_where_int32_would_wrap(rng):
    # Full-range int16 values: K = 4096 products of 32767^2 pass int32 many times over.
    k = 4096
    x = np.full((2, k), 1.0, np.float32)
    w = np.full((k, 3), -1.0, np.float32)
    w[:, 1] = 1.0
    prepared = tandem.QuantizedWeights.prepare(w, 16, "per_tensor")
    qx = tandem.QuantizedTensor(np.full((2, k), 32767, np.int16), 1.0)
    y = tandem.quantized_linear(qx, prepared)
    sums = np.int64(k) * 32767 * 32767
    scale = prepared.scales[0]
    expected = np.array([-sums, sums, -sums], np.float64) * scale
    np.testing.assert_allclose(y, np.tile(expected, (2, 1)), rtol=1e-7)
    assert abs(sums) > 2**31


def test_requantized_output_chains_layers_in_eight_bits(rng):
    x = rng.standard_normal((5, 40), dtype=np.float32)
    w1 = tandem.QuantizedWeights.prepare(rng.standard_normal((40, 30), dtype=np.float32))
    w2 = tandem.QuantizedWeights.prepare(rng.standard_normal((30, 8), dtype=np.float32))
    f32 = tandem.quantized_linear(x, w1, None, "relu")
    out_scale = float(np.abs(f32).max() / 127)
    h = tandem.quantized_linear(x, w1, None, "relu", output_scale=out_scale)
    assert isinstance(h, tandem.QuantizedTensor) and h.values.dtype == np.int8
    assert h.scale == pytest.approx(out_scale)
    expected = np.clip(np.rint(f32 * np.float32(1 / np.float32(out_scale))), -128, 127)
    assert np.abs(h.values.astype(np.int32) - expected).max() <= 1
    y = tandem.quantized_linear(h, w2)
    assert y.shape == (5, 8) and y.dtype == np.float32


def test_quantized_linear_refuses_mismatches_before_running(rng):
    w = tandem.QuantizedWeights.prepare(rng.standard_normal((10, 4), dtype=np.float32))
    with pytest.raises(tandem.ShapeError, match="quantized_linear"):
        tandem.quantized_linear(np.zeros((3, 11), np.float32), w)
    with pytest.raises(tandem.ShapeError, match="quantized_linear"):
        tandem.quantized_linear(np.zeros((3, 10), np.float32), w, np.zeros(5, np.float32))
    with pytest.raises(tandem.ArgumentError, match="quantized_linear"):
        tandem.quantized_linear(np.full((3, 10), np.inf, np.float32), w)
    with pytest.raises(tandem.ArgumentError, match="unknown granularity"):
        tandem.QuantizedWeights.prepare(np.ones((2, 2), np.float32), 8, "per_row")


def asymmetric_oracle(x):
    """quantize_asymmetric in NumPy: x's range with 0 over 256 codes."""
    lo, hi = np.float32(min(x.min(), 0)), np.float32(max(x.max(), 0))
    if lo == hi:
        return np.zeros(x.shape, np.uint8), np.float32(1), 0
    scale = np.float32((hi * np.float32(0.5) - lo * np.float32(0.5)) / np.float32(127.5))
    zero = int(np.clip(np.rint(-lo / scale), 0, 255))
    inv = np.float32(1) / scale
    q = np.clip(np.rint(x * inv) + np.float32(zero), 0, 255).astype(np.uint8)
    return q, scale, zero


def test_quantize_asymmetric_matches_the_rule_and_round_trips(rng):
    x = (rng.standard_normal((30, 20)) + 0.7).astype(np.float32)
    q = tandem.quantize_asymmetric(x)
    want, scale, zero = asymmetric_oracle(x)
    assert q.values.dtype == np.uint8 and q.bits == 8
    assert q.scale == scale and q.zero_point == zero
    np.testing.assert_array_equal(q.values, want)
    back = tandem.dequantize(q)
    assert np.abs(back - x).max() <= scale * 0.5001
    relu = tandem.quantized_relu(q)
    assert relu.zero_point == q.zero_point
    np.testing.assert_array_equal(tandem.dequantize(relu), np.maximum(back, 0))


@pytest.mark.parametrize("impl", cpu_implementations("quantized_linear"))
def test_uint8_layers_against_int64_sums(rng, impl):
    x = (rng.standard_normal((9, 130)) + 0.5).astype(np.float32)
    w = rng.standard_normal((130, 17), dtype=np.float32)
    bias = rng.standard_normal(17, dtype=np.float32)
    prepared = tandem.QuantizedWeights.prepare(w, 8, "per_tensor", implementation=impl)
    xq = tandem.quantize_asymmetric(x)
    assert xq.zero_point > 0
    y = tandem.quantized_linear(xq, prepared, bias, "relu", implementation=impl)
    qw, w_scale = quantize_oracle(w, 8)
    sums = (xq.values.astype(np.int64) - xq.zero_point) @ qw.astype(np.int64)
    expected = np.maximum(sums.astype(np.float32) * (np.float32(xq.scale) * w_scale) + bias, 0)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
    # uint8 out with zero point 0 after the relu: the next layer's x, all 256 codes.
    h = tandem.quantized_linear(xq, prepared, bias, "relu", output_scale=0.05,
                                output_zero_point=0, implementation=impl)
    assert h.values.dtype == np.uint8 and h.zero_point == 0
    codes = np.clip(np.rint(y * np.float32(1 / np.float32(0.05))), 0, 255)
    assert np.abs(h.values.astype(np.int32) - codes).max() <= 1
    bad = tandem.QuantizedTensor(xq.values, xq.scale, 300)
    with pytest.raises(tandem.ArgumentError, match="zero point 300"):
        tandem.quantized_linear(bad, prepared)

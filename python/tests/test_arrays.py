"""How arrays cross into Tandem: without copies, from NumPy, the buffer protocol and
DLPack (PyTorch too, when installed); wrongly typed or laid-out arrays refused with an
error naming the op and the argument; results that own their memory."""

import array
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tandem
from conftest import integer_valued


class DLPackOnly:
    """An array that speaks only DLPack (no buffer protocol), as GPU libraries' do."""

    def __init__(self, values):
        self._values = values

    def __dlpack__(self, **kwargs):
        return self._values.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._values.__dlpack_device__()


def test_results_own_their_memory_and_are_writable(rng):
    x = rng.standard_normal((64, 64), dtype=np.float32)
    expected = np.maximum(x, 0)
    y = tandem.relu(x)
    del x
    assert isinstance(y, np.ndarray) and y.flags.c_contiguous and y.flags.writeable
    assert not y.flags.owndata  # Tandem's storage, kept alive by the array
    np.testing.assert_array_equal(y, expected)
    y[0, 0] = 42.0
    assert y[0, 0] == 42.0


def test_out_is_written_in_place_without_a_copy(rng):
    x = integer_valued(rng, (8, 9))
    view = x[2:5]  # a contiguous row slice: a view into x
    expected = np.maximum(view, 0)
    assert tandem.relu(view, out=view) is view
    np.testing.assert_array_equal(x[2:5], expected)


def test_inputs_are_not_copied():
    # relu of 256 MiB: the process's peak grows by the result only, not by an input copy.
    script = textwrap.dedent("""
        import resource, numpy as np, tandem
        x = np.ones(64 * 2**20, dtype=np.float32)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        y = tandem.relu(x)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) / 1024)
    """)
    grown_mib = float(subprocess.run([sys.executable, "-c", script], check=True,
                                     capture_output=True, text=True).stdout)
    assert 200 < grown_mib < 330, f"peak grew by {grown_mib} MiB for a 256 MiB result"


def test_read_only_inputs_are_accepted_read_only_out_is_refused(rng):
    x = integer_valued(rng, (5, 5))
    x.flags.writeable = False
    np.testing.assert_array_equal(tandem.relu(x), np.maximum(x, 0))
    with pytest.raises(tandem.ArgumentError, match="relu: out is read-only"):
        tandem.relu(x, out=x)


def test_buffer_protocol_and_memoryview():
    values = array.array("f", [-1.0, 2.0, -3.0, 4.0])
    np.testing.assert_array_equal(tandem.relu(values), [0, 2, 0, 4])
    np.testing.assert_array_equal(tandem.relu(memoryview(values)), [0, 2, 0, 4])


def test_dlpack_inputs(rng):
    a, b = integer_valued(rng, (6, 7)), integer_valued(rng, (7, 3))
    np.testing.assert_array_equal(tandem.matmul(DLPackOnly(a), DLPackOnly(b)), a @ b)
    back = np.from_dlpack(tandem.relu(DLPackOnly(a)))
    np.testing.assert_array_equal(back, np.maximum(a, 0))


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int64, np.uint16, np.bool_,
                                   np.complex64])
def test_wrong_dtypes_are_refused_naming_op_and_argument(dtype):
    x = np.zeros((2, 3), dtype=dtype)
    with pytest.raises(tandem.DTypeError, match=r"relu: x is a \w+ array") as info:
        tandem.relu(x)
    assert isinstance(info.value, TypeError)
    with pytest.raises(tandem.DTypeError, match=r"matmul: b is a"):
        tandem.matmul(np.zeros((2, 3), np.float32), np.zeros((3, 2), dtype=dtype))


@pytest.mark.parametrize("make", [
    lambda x: x.T,
    lambda x: x[:, ::2],
    lambda x: x[::2],
    lambda x: np.asfortranarray(x),
], ids=["transposed", "column-step", "row-step", "fortran"])
def test_non_contiguous_arrays_are_refused(rng, make):
    view = make(integer_valued(rng, (6, 8)))
    with pytest.raises(tandem.ArgumentError, match=r"relu: x \[.*\] is not C-contiguous") as e:
        tandem.relu(view)
    assert isinstance(e.value, ValueError)
    np.testing.assert_array_equal(tandem.relu(np.ascontiguousarray(view)),
                                  np.maximum(view, 0))


def test_extent_one_and_empty_arrays_count_as_contiguous():
    column = np.zeros((5, 8), np.float32)[:, 3:4]  # [5, 1] with a row stride of 8
    with pytest.raises(tandem.ArgumentError):
        tandem.relu(column)
    row = np.zeros((8, 5), np.float32)[3:4]  # [1, 5]: contiguous whatever dim 0's stride
    assert tandem.relu(row).shape == (1, 5)
    assert tandem.relu(np.zeros((0, 4), np.float32)[:, ::2]).shape == (0, 2)
    assert tandem.relu(np.float32(-2.0) * np.ones((), np.float32)).shape == ()


@pytest.mark.parametrize("bad", [[1.0, 2.0], 3.0, "x"])
def test_non_arrays_are_type_errors(bad):
    with pytest.raises(TypeError, match="relu: x must be an array"):
        tandem.relu(bad)
    with pytest.raises(TypeError, match=r"relu\(\): incompatible function arguments"):
        tandem.relu(None)


def test_out_of_the_wrong_shape_or_dtype_is_refused_untouched(rng):
    a, b = integer_valued(rng, (4, 5)), integer_valued(rng, (5, 6))
    out = np.full((4, 7), 7.0, np.float32)
    with pytest.raises(tandem.ShapeError, match=r"matmul"):
        tandem.matmul(a, b, out=out)
    assert np.all(out == 7.0)
    with pytest.raises(tandem.DTypeError, match=r"matmul"):
        tandem.matmul(a, b, out=np.zeros((4, 6), np.int32))


def test_torch_tensors_round_trip_through_dlpack(rng):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    a = torch.from_numpy(integer_valued(rng, (9, 4)))
    b = torch.from_numpy(integer_valued(rng, (4, 5)))
    c = tandem.matmul(a, b)
    assert isinstance(c, torch.Tensor)
    torch.testing.assert_close(c, a @ b, rtol=0, atol=0)
    out = torch.empty(9, 5)
    assert tandem.matmul(a, b, out=out) is out
    with pytest.raises(tandem.ArgumentError, match="not C-contiguous"):
        tandem.relu(a.t())
    with pytest.raises(tandem.DTypeError, match=r"relu: x is a float64 array"):
        tandem.relu(a.double())
    t = a.clone()
    assert tandem.relu(t, out=t) is t  # in place, on torch's own memory
    torch.testing.assert_close(t, torch.relu(a), rtol=0, atol=0)
    y = tandem.linear(a, b, torch.ones(5), "relu")
    assert isinstance(y, torch.Tensor)
    torch.testing.assert_close(y, torch.relu(a @ b + 1), rtol=0, atol=0)
    if torch.cuda.is_available():
        g = torch.randn(1000, device="cuda")
        r = tandem.relu(g)
        assert isinstance(r, torch.Tensor) and r.device.type == "cuda"
        torch.testing.assert_close(r, torch.relu(g), rtol=0, atol=0)

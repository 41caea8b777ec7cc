"""info, the verbose log, time_kernel and the version."""

import re

import numpy as np
import pytest

import tandem


def test_info_reports_the_machine_and_the_registry():
    info = tandem.info()
    assert info["version"] == tandem.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", tandem.__version__)
    kernels = info["kernels"]
    assert any(k["op"] == "matmul" and k["implementation"] == "reference" and k["available"]
               for k in kernels)
    assert {"op", "device", "implementation", "available"} <= set(kernels[0])
    if not info["gpus"]:
        assert info["gpu_unavailable_reason"]
    text = tandem.info(as_text=True)
    assert "matmul" in text and "reference" in text


def test_verbose_log_names_op_implementation_and_reason(capfd):
    x = np.ones(10, np.float32)
    assert not tandem.verbose()
    tandem.set_verbose(True)
    try:
        assert tandem.verbose()
        capfd.readouterr()
        tandem.relu(x, implementation="reference")
    finally:
        tandem.set_verbose(False)
    lines = [l for l in capfd.readouterr().err.splitlines() if l.startswith("relu,")]
    assert len(lines) == 1
    op, device, implementation = lines[0].split(",")[:3]
    assert (op, device, implementation) == ("relu", "cpu", "reference")


def test_time_kernel_returns_the_result_and_statistics():
    x = np.arange(-5, 5, dtype=np.float32)
    options = tandem.TimingOptions(warmups=1, min_repetitions=7, min_seconds=0.0)
    result, stats = tandem.time_kernel(tandem.relu, x, timing=options)
    np.testing.assert_array_equal(result, np.maximum(x, 0))
    assert stats.repetitions == 7
    assert 0 < stats.min_us <= stats.median_us <= stats.max_us
    assert stats.min_us <= stats.mean_us <= stats.max_us
    calls = []
    _, stats = tandem.time_kernel(lambda v, scale=1: calls.append(v * scale), 2, scale=3,
                                  timing=options)
    assert calls == [6] * 8  # one warm-up and seven timed calls, with the kwargs
    assert tandem.timer_overhead_us() > 0


def test_time_kernel_propagates_errors():
    with pytest.raises(ZeroDivisionError):
        tandem.time_kernel(lambda: 1 / 0)

"""Every case of tests/hostile.py: a bad input refused with a clear error naming what
was wrong, a valid use working and right (issue 18's regressions among them).

The framework-free, PyTorch and Keras-on-TensorFlow cases run here (make test), one
test per constructor or use, except the sweep of valid uses tried on every Keras
layer (functional model, .keras, pickle...). That sweep, and the Keras cases on JAX
and torch, run in `make test-slow`: `python tools/hostile_run.py` runs every case
on every backend, prints the counts per category and backend, and fails on any
defect. tests/test_other_backends.py (also in make test-slow) checks a functional
model and an empty batch of every attention module on JAX and torch besides.
"""

import re

import hostile
import keras
import numpy as np
import pytest
import torch

import cnn_attention.keras as ck
import cnn_attention.torch as ct
from cnn_attention import utils


def _grouped(cases) -> dict:
    """{what is tried: its cases}: "torch.CBAM(kernel_size=4)" and every other bad
    CBAM argument make one test, "torch se: forward" and the rest of SE's valid uses
    another (one test per case made 2,200 tests, whose own overhead cost ~10 s)."""
    groups = {}
    for case in cases:
        groups.setdefault(re.split(r"[(:]", case.name)[0].strip(), []).append(case)
    return groups


FREE = _grouped(hostile.framework_free_cases())
TORCH = _grouped(hostile.torch_cases())
# Each Keras layer's sweep of valid uses runs on every backend in make test-slow.
KERAS = _grouped(case for case in hostile.keras_cases() if not case.sweep)


def check(cases):
    """Every case clear (a bad input) or correct (a valid use); all defects listed."""
    defects = []
    for case in cases:
        category, detail = hostile.classify(case)
        expected = "correct" if case.refuse is None else "clear"
        if category != expected:
            defects.append(f"{case.name} -- {category}: {detail}")
    assert not defects, "\n".join(defects)


@pytest.mark.parametrize("group", list(FREE))
def test_framework_free(group):
    check(FREE[group])


@pytest.mark.parametrize("group", list(TORCH))
def test_pytorch(group):
    check(TORCH[group])


@pytest.mark.parametrize("group", list(KERAS))
def test_keras_on_tensorflow(group):
    check(KERAS[group])


def test_the_case_lists_cover_every_category_of_the_harness():
    """The classifier itself: a valid use that raises, a bad input accepted, a
    refusal that does not name the argument, and a wrong answer are all caught."""
    assert hostile.classify(hostile.valid("v", lambda: 1 / 0))[0] == "failed"
    assert hostile.classify(hostile.valid("v", lambda: False))[0] == "wrong"
    assert hostile.classify(hostile.invalid("i", lambda: 1, "x"))[0] == "silent"

    def unclear():
        raise ValueError("something went wrong")

    assert hostile.classify(hostile.invalid("i", unclear, "width"))[0] == "unclear"
    every_case = sum(len(cases) for cases in [*TORCH.values(), *KERAS.values()])
    assert every_case > 1800  # every constructor argument, in both frameworks
    assert sum(case.sweep for case in hostile.keras_cases()) > 100


# Behaviours that belong to a framework, documented and tested as documented.


def test_batch_norm_running_variances_drift_as_the_docstring_says():
    """PyTorch updates running_var with the unbiased variance, Keras with the biased:
    after one training step they differ by momentum * var_biased / (n - 1)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 2, 5)).astype("float32")  # n = 4 * 3 * 2 values
    torch_bn = torch.nn.BatchNorm2d(5).train()
    torch_bn(torch.from_numpy(x).permute(0, 3, 1, 2))
    keras_bn = ck.batch_norm(name="bn")
    keras_bn(x, training=True)
    biased = x.reshape(-1, 5).var(axis=0)
    n = 4 * 3 * 2
    drift = torch_bn.running_var.numpy() - utils.to_numpy(keras_bn.moving_variance)
    np.testing.assert_allclose(drift, 0.1 * biased / (n - 1), rtol=1e-4, atol=1e-7)
    means = torch_bn.running_mean.numpy(), utils.to_numpy(keras_bn.moving_mean)
    np.testing.assert_allclose(*means, atol=1e-7)


def test_tensorflow_max_pooling_drops_a_nan_that_torch_keeps():
    """ExtraLevel pools with each framework's max pooling; a NaN in the input
    survives PyTorch's and can vanish in TensorFlow's (its docstring says so)."""
    x = np.zeros((1, 4, 4, 8), "float32")
    x[0, 0, 0, 0] = np.nan
    torch_out = ct.ExtraLevel(8, 8)(torch.from_numpy(utils.to_channels_first(x)))
    assert torch.isnan(torch_out).any()
    keras_out = utils.to_numpy(ck.ExtraLevel(8, 8, name="extra")(x))
    if keras.backend.backend() == "tensorflow":
        assert not np.isnan(keras_out).any()
    assert "NaN" in ck.ExtraLevel.__doc__


def test_a_scripted_module_saved_and_loaded_raises_torchscript_error():
    """After torch.jit.load, the ValueError comes back as torch.jit.Error with the
    same message (TorchScript's behaviour; check_input's docstring says so)."""
    import io

    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(ct.SEModule(16, 4)), buffer)
    buffer.seek(0)
    loaded = torch.jit.load(buffer)
    with pytest.raises(torch.jit.Error, match="was built for 16 channels but got 12"):
        loaded(torch.zeros(2, 12, 3, 3))

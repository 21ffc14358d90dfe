"""Every attention module in every runtime it is deployed to gives eager PyTorch's
output (cnn_attention.torch.runtimes, cnn_attention.keras.runtimes).

The exports take seconds each, so the full matrix runs in make test-slow; make test
runs the quick runtimes and the refusals (the unit tests of each module already
export it to ONNX and torch.export).
"""

import keras
import numpy as np
import pytest
import torch

import cnn_attention.keras as ck
import cnn_attention.torch as ct
from cnn_attention.keras.runtimes import KERAS_RUNTIMES
from cnn_attention.keras.runtimes import in_runtime as keras_runtime
from cnn_attention.torch.runtimes import TORCH_RUNTIMES
from cnn_attention.torch.runtimes import in_runtime as torch_runtime
from cnn_attention.utils import port_weights, to_channels_first, to_channels_last

MODULES = ["se", "eca", "cbam", "coord"]
QUICK = {"eager", "torchscript", "keras", "keras reloaded"}
SHAPE = (2, 16, 7, 5)


def pair(name):
    options = {} if name == "eca" else {"reduction": 4}  # ECA has no bottleneck
    torch.manual_seed(0)
    module = ct.create_attention(name, SHAPE[1], **options).eval()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0, 0.5)
    x = np.random.default_rng(0).normal(size=SHAPE).astype("float32")
    layer = ck.create_attention(name, SHAPE[1], name="attention", **options)
    layer(to_channels_last(x))
    port_weights(module, layer)
    return module, layer, x


def cases():
    for name in MODULES:
        for runtime in (*TORCH_RUNTIMES, *KERAS_RUNTIMES):
            slow = runtime not in QUICK or name != "se"
            marks = [pytest.mark.slow] if slow else []
            yield pytest.param(name, runtime, marks=marks, id=f"{name}-{runtime}")


@pytest.mark.parametrize("name, runtime", cases())
def test_each_runtime_gives_eager_pytorch_output(name, runtime):
    module, layer, x = pair(name)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    if runtime in TORCH_RUNTIMES:
        output = torch_runtime(module, torch.from_numpy(x), runtime)(x)
    else:
        run = keras_runtime(layer, to_channels_last(x), runtime)
        output = to_channels_first(run(to_channels_last(x)))
    np.testing.assert_allclose(output, expected, atol=1e-5)


def test_unknown_runtimes_and_bad_arguments_are_refused():
    module, layer, x = pair("se")
    example = torch.from_numpy(x)
    with pytest.raises(ValueError, match="runtime"):
        torch_runtime(module, example, "tensorrt")
    with pytest.raises(ValueError, match="runtime"):
        keras_runtime(layer, to_channels_last(x), "coreml")
    with pytest.raises(ValueError, match="threads"):
        torch_runtime(module, example, "eager", threads=0)
    with pytest.raises(ValueError, match="threads"):
        keras_runtime(layer, to_channels_last(x), "keras", threads=True)
    with pytest.raises(ValueError, match="torch.nn.Module"):
        torch_runtime(layer, example, "eager")
    with pytest.raises(ValueError, match="floating-point torch.Tensor"):
        torch_runtime(module, x, "eager")  # NumPy, not a tensor
    with pytest.raises(ValueError, match="Keras layer"):
        keras_runtime(module, to_channels_last(x), "keras")
    with pytest.raises(ValueError, match="float32 NumPy array"):
        keras_runtime(layer, to_channels_last(x).astype("float64"), "keras")


def test_a_keras_model_is_taken_as_it_is():
    _, layer, x = pair("se")
    inputs = keras.Input(to_channels_last(x).shape[1:])
    model = keras.Model(inputs, layer(inputs))
    run = keras_runtime(model, to_channels_last(x), "keras")
    np.testing.assert_allclose(run(to_channels_last(x)), model(to_channels_last(x)))

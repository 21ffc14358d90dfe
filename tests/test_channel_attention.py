"""SE and ECA in both frameworks: shapes, gradients, PyTorch == Keras, round trips, other backends, bad input.

Every attention module of the book must pass these; a new module joins by adding a row to CASES.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnn_attention.keras as keras_modules
import cnn_attention.torch as torch_modules
from cnn_attention.utils import (
    max_abs_diff,
    port_weights,
    to_channels_first,
    to_channels_last,
)

# name -> (class name in both frameworks, constructor keyword arguments besides `channels`)
CASES = {
    "se": ("SEModule", {"reduction": 4}),
    "se-swish-hard-sigmoid-no-bias": (
        "SEModule",
        {"reduction": 2, "bias": False, "activation": "swish", "gate": "hard_sigmoid"},
    ),
    "se-explicit-hidden": ("SEModule", {"hidden_channels": 3}),
    "eca": ("ECAModule", {}),
    "eca-k5-hard-sigmoid": ("ECAModule", {"kernel_size": 5, "gate": "hard_sigmoid"}),
}
SHAPES = [(1, 8, 1, 1), (1, 8, 7, 5), (3, 8, 4, 9)]  # batch 1, 1x1 maps and odd sizes


def make_pair(case: str, channels: int = 8, seed: int = 0):
    """A PyTorch module and a Keras layer of the same case, the Keras one holding the PyTorch weights."""
    class_name, kwargs = CASES[case]
    torch.manual_seed(seed)
    torch_module = getattr(torch_modules, class_name)(channels, **kwargs).eval()
    keras_layer = getattr(keras_modules, class_name)(
        channels, name="attention", **kwargs
    )
    keras_layer.build((None, 3, 3, channels))
    port_weights(torch_module, keras_layer)
    return torch_module, keras_layer


def random_input(shape, seed=0):
    return torch.from_numpy(
        np.random.default_rng(seed).normal(size=shape).astype("float32")
    )


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES)
def test_output_shape_equals_input_shape_in_both_frameworks(case, shape):
    torch_module, keras_layer = make_pair(case)
    x = random_input(shape)
    assert tuple(torch_module(x).shape) == shape
    keras_shape = (shape[0], shape[2], shape[3], shape[1])
    assert tuple(keras_layer(to_channels_last(x)).shape) == keras_shape


@pytest.mark.parametrize("case", CASES)
def test_gradients_reach_the_input_and_every_weight(case):
    torch_module, keras_layer = make_pair(case)
    x = random_input((2, 8, 5, 7)).requires_grad_()
    torch_module(x).square().sum().backward()
    assert x.grad.abs().sum() > 0
    for name, parameter in torch_module.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name

    x_keras = tf.constant(to_channels_last(x))
    with tf.GradientTape() as tape:
        tape.watch(x_keras)
        loss = tf.reduce_sum(tf.square(keras_layer(x_keras)))
    gradients = tape.gradient(loss, [x_keras] + keras_layer.trainable_weights)
    assert all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in gradients)
    assert len(gradients) == 1 + len(list(torch_module.parameters()))


@settings(max_examples=30, deadline=None)
@given(
    case=st.sampled_from(sorted(CASES)),
    channels=st.integers(8, 96),
    batch=st.integers(1, 3),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    seed=st.integers(0, 2**16),
)
def test_torch_and_keras_agree_after_porting_weights(
    case, channels, batch, height, width, seed
):
    torch_module, keras_layer = make_pair(case, channels, seed)
    x = random_input((batch, channels, height, width), seed)
    with torch.no_grad():
        expected = torch_module(x)
    assert (
        max_abs_diff(expected, to_channels_first(keras_layer(to_channels_last(x))))
        <= 1e-5
    )


@pytest.mark.parametrize("case", CASES)
def test_keras_config_and_saved_model_round_trips_give_identical_outputs(
    case, tmp_path
):
    _, keras_layer = make_pair(case)
    x = to_channels_last(random_input((2, 8, 5, 7)))
    expected = keras.ops.convert_to_numpy(keras_layer(x))

    clone = type(keras_layer).from_config(keras_layer.get_config())
    clone.build(x.shape)
    clone.set_weights(keras_layer.get_weights())
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(clone(x)), expected)

    inputs = keras.Input((5, 7, 8), name="features")
    model = keras.Model(inputs, keras_layer(inputs), name="round_trip")
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert type(loaded.get_layer("attention")) is type(keras_layer)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)), expected)


@pytest.mark.parametrize("case", CASES)
def test_torch_state_dict_round_trip_gives_identical_outputs(case):
    original, _ = make_pair(case, seed=1)
    copy, _ = make_pair(case, seed=2)
    x = random_input((2, 8, 5, 7))
    assert not torch.equal(original(x), copy(x))  # different initial weights...
    copy.load_state_dict(original.state_dict())
    assert torch.equal(original(x), copy(x))  # ...until the state dict is loaded


TORCH_BACKEND_SCRIPT = textwrap.dedent("""
    import json, sys
    import keras, torch
    sys.path.insert(0, {tests!r})
    from test_channel_attention import CASES, make_pair, random_input
    from cnn_attention.utils import max_abs_diff, to_channels_first, to_channels_last
    assert keras.backend.backend() == "torch"
    results = {{}}
    for case in CASES:
        torch_module, keras_layer = make_pair(case)
        x = random_input((2, 8, 5, 7))
        keras_output = to_channels_first(keras_layer(to_channels_last(x)))
        results[case] = [max_abs_diff(torch_module(x), keras_output), keras_output.tolist()]
    print(json.dumps(results))
""")


def test_keras_layers_give_the_same_result_on_the_torch_backend():
    """Layers written with keras.ops only are backend-agnostic; prove it in a fresh interpreter."""
    environment = {**os.environ, "KERAS_BACKEND": "torch"}
    script = TORCH_BACKEND_SCRIPT.format(tests=os.path.dirname(__file__))
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr[-3000:]
    on_torch_backend = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(on_torch_backend) == set(CASES)
    for case, (diff_to_pytorch, keras_output) in on_torch_backend.items():
        assert diff_to_pytorch <= 1e-5, case
        _, keras_layer_on_tensorflow = make_pair(case)
        on_tensorflow = to_channels_first(
            keras_layer_on_tensorflow(to_channels_last(random_input((2, 8, 5, 7))))
        )
        assert (
            max_abs_diff(on_tensorflow, np.array(keras_output, dtype="float32")) <= 1e-5
        ), case


# Bad input: one test per case, in both frameworks, each matching the message that names the problem.
FRAMEWORKS = {"torch": torch_modules, "keras": keras_modules}


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("class_name", ["SEModule", "ECAModule"])
@pytest.mark.parametrize("channels", [0, -8, 8.0, True, np.int64(8)])
def test_channels_must_be_a_positive_integer(framework, class_name, channels):
    with pytest.raises(
        ValueError, match=r"channels must be a positive integer \(a Python int\), got"
    ):
        getattr(FRAMEWORKS[framework], class_name)(channels)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_reduction_that_leaves_no_hidden_units_is_refused(framework):
    with pytest.raises(
        ValueError,
        match=r"reduction=16 leaves channels // reduction = 8 // 16 = 0 hidden units",
    ):
        FRAMEWORKS[framework].SEModule(8, reduction=16)
    assert (
        FRAMEWORKS[framework].SEModule(8, reduction=16, hidden_channels=2) is not None
    )  # the documented way out


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("argument", [{"reduction": 0}, {"hidden_channels": 0}])
def test_reduction_and_hidden_width_must_be_positive(framework, argument):
    name = next(iter(argument))
    with pytest.raises(
        ValueError, match=rf"{name} must be a positive integer \(a Python int\), got 0"
    ):
        FRAMEWORKS[framework].SEModule(8, **argument)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("class_name", ["SEModule", "ECAModule"])
def test_three_dimensional_input_is_refused(framework, class_name):
    layer = getattr(FRAMEWORKS[framework], class_name)(32)
    with pytest.raises(
        ValueError,
        match=r"expects a 4-D feature map .* got 3-D input of shape \(2, 32, 5\)",
    ):
        layer(
            np.zeros((2, 32, 5), "float32")
            if framework == "keras"
            else torch.zeros(2, 32, 5)
        )


@pytest.mark.parametrize("class_name", ["SEModule", "ECAModule"])
def test_torch_channel_count_must_match_the_constructor(class_name):
    with pytest.raises(
        ValueError,
        match=r"was built for 32 channels but got 16 \(input shape \(1, 16, 3, 3\)",
    ):
        getattr(torch_modules, class_name)(32)(torch.zeros(1, 16, 3, 3))


@pytest.mark.parametrize("class_name", ["SEModule", "ECAModule"])
def test_keras_channel_count_at_call_must_match_the_one_built(class_name):
    layer = getattr(keras_modules, class_name)(32, name="built_for_32")
    layer(np.zeros((1, 3, 3, 32), "float32"))
    with pytest.raises(
        ValueError, match=r"built_for_32 was built for 32 channels but got 16"
    ):
        layer(np.zeros((1, 3, 3, 16), "float32"))


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("kernel_size", [2, 4])
def test_explicit_eca_kernel_must_be_odd(framework, kernel_size):
    with pytest.raises(
        ValueError,
        match=rf"kernel_size must be odd \(1, 3, 5, ...\) .* got {kernel_size}",
    ):
        FRAMEWORKS[framework].ECAModule(64, kernel_size=kernel_size)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_eca_gamma_must_be_positive(framework):
    with pytest.raises(ValueError, match=r"gamma must be positive, got 0"):
        FRAMEWORKS[framework].ECAModule(64, gamma=0)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "argument, message",
    [
        ({"activation": "tanh"}, "activation must be one of 'relu', "),
        ({"gate": "softmax"}, "gate must be one of 'sigmoid', "),
    ],
)
def test_unknown_activation_or_gate_names_the_allowed_ones(
    framework, argument, message
):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].SEModule(16, **argument)

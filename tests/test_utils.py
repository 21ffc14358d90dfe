"""The framework-free helpers of chapter 1 (cnn_attention.utils) and their edges."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
from keras import layers
from torch import nn

import cnn_attention.keras as keras_modules
import cnn_attention.torch as torch_modules
from cnn_attention.utils import (
    check_feature_map,
    check_shape,
    compare_torch_keras,
    count_parameters,
    expect_error,
    max_abs_diff,
    median_milliseconds,
    port_weights,
    seed_everything,
    timed_rounds,
    to_channels_first,
    to_channels_last,
    to_numpy,
    torch_weight_to_keras,
)


def test_seed_everything_makes_both_frameworks_repeat():
    seed_everything(3)
    first = (torch.rand(3), keras.random.uniform((3,)), np.random.rand(3))
    seed_everything(3)
    second = (torch.rand(3), keras.random.uniform((3,)), np.random.rand(3))
    for a, b in zip(first, second):
        assert max_abs_diff(a, b) == 0


@pytest.mark.parametrize("seed", [-1, 2**32, 1.0, True, "0", None])
def test_seed_everything_refuses_what_numpy_cannot_take(seed):
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*32\)"):
        seed_everything(seed)


def test_check_shape_returns_the_shape_and_accepts_none_as_any_size():
    assert check_shape(torch.zeros(2, 8, 1, 1), (2, 8, 1, 1)) == (2, 8, 1, 1)
    assert check_shape(np.zeros((2, 3)), (None, 3)) == (2, 3)
    with pytest.raises(ValueError, match=r"expected shape \(2, 8\), got \(2, 8, 1\)"):
        check_shape(torch.zeros(2, 8, 1), (2, 8))


def test_check_feature_map_accepts_shapes_with_unknown_sizes():
    check_feature_map((None, 5, 7, 8), 8, channels_last=True, layer="x")
    check_feature_map((None, None, None, 8), 8, channels_last=True, layer="x")
    message = r"layer x was built for 8 channels but got 3 .* \(N, C, H, W\)"
    with pytest.raises(ValueError, match=message):
        check_feature_map((None, 3, 5, 7), 8, channels_last=False, layer="layer x")


def test_count_parameters_counts_trainable_weights_in_both_frameworks():
    dense = layers.Dense(4, name="dense")
    dense.build((None, 3))
    assert count_parameters(nn.Linear(3, 4)) == count_parameters(dense) == 16
    batch_norm = layers.BatchNormalization(name="bn")
    batch_norm.build((None, 5))
    # running statistics are not parameters, in either framework
    assert count_parameters(nn.BatchNorm1d(5)) == count_parameters(batch_norm) == 10
    with pytest.raises(
        ValueError, match="expects a torch.nn.Module or a Keras layer, got list"
    ):
        count_parameters([1, 2])


def test_count_parameters_refuses_an_unbuilt_keras_layer():
    """Hole: an unbuilt layer used to count as 0 parameters."""
    with pytest.raises(
        ValueError, match=r"SEModule 'se' is not built, so it has no weights"
    ):
        count_parameters(keras_modules.SEModule(16, name="se"))


def test_layout_conversions_are_inverse():
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    assert to_channels_last(x).shape == (2, 4, 5, 3)
    np.testing.assert_array_equal(to_channels_first(to_channels_last(x)), x)
    with pytest.raises(
        ValueError, match=r"cannot compare arrays of shapes \(2, 3, 4, 5\)"
    ):
        max_abs_diff(x, to_channels_last(x))


# Holes found by a hostile test: each case used to return a wrong number.
@pytest.mark.parametrize(
    "a, b, message",
    [
        (np.array([1j]), np.array([0j]), r"cannot compare arrays of dtype complex128"),
        (None, None, r"expected a tensor or an array, got None"),
        (np.array(["a"]), np.array(["b"]), r"cannot compare arrays of dtype <U1"),
        (np.array([np.nan]), np.array([1.0]), r"containing NaN \(1 and 0 NaN values\)"),
    ],
)
def test_max_abs_diff_refuses_what_has_no_distance(a, b, message):
    with pytest.raises(ValueError, match=message):
        max_abs_diff(a, b)


def test_max_abs_diff_is_exact_for_big_integers_and_equal_infinities():
    assert max_abs_diff(np.array([2**62 + 1]), np.array([2**62])) == 1.0
    assert (
        max_abs_diff(np.array([np.inf, -np.inf, 1.0]), np.array([np.inf, -np.inf, 1.0]))
        == 0
    )
    assert max_abs_diff(np.array([np.inf]), np.array([1.0])) == np.inf
    assert max_abs_diff(np.array([np.inf]), np.array([-np.inf])) == np.inf
    assert max_abs_diff(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


def test_bfloat16_tensors_become_float32_arrays():
    """Hole: to_numpy and port_weights used to fail on bfloat16 with a TypeError."""
    values = torch.tensor([1.5, -2.25], dtype=torch.bfloat16)
    assert to_numpy(values).dtype == np.float32
    assert max_abs_diff(values, tf.constant([1.5, -2.25], dtype=tf.bfloat16)) == 0.0
    linear = nn.Linear(3, 2).to(torch.bfloat16)
    dense = layers.Dense(2, name="dense")
    dense.build((None, 3))
    port_weights(linear, dense)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(dense.kernel),
        linear.weight.float().T.detach().numpy(),
    )


@pytest.mark.parametrize(
    "torch_shape, keras_shape",
    [
        ((5,), (5,)),
        ((4, 3), (3, 4)),
        ((4, 3, 5), (5, 3, 4)),
        ((4, 3, 5, 7), (5, 7, 3, 4)),
        ((6, 1, 3, 3), (3, 3, 6, 1)),  # depthwise
        ((4, 3, 1, 1), (3, 4)),  # 1x1 conv into a Dense kernel
    ],
)
def test_torch_weight_to_keras_layout_rules(torch_shape, keras_shape):
    weight = np.random.default_rng(0).normal(size=torch_shape)
    converted = torch_weight_to_keras(weight, keras_shape)
    assert converted.shape == keras_shape
    assert sorted(converted.ravel()) == sorted(weight.ravel())  # a permutation


def test_torch_weight_to_keras_refuses_shapes_no_rule_explains():
    message = (
        r"no layout rule turns a PyTorch weight of shape \(4, 3\) into Keras shape"
    )
    with pytest.raises(ValueError, match=message):
        torch_weight_to_keras(np.zeros((4, 3)), (4, 4))


@pytest.mark.parametrize(
    "make_torch, make_keras, input_shape",
    [
        (
            lambda: nn.Conv2d(3, 4, 3, padding=1),
            lambda: layers.Conv2D(4, 3, padding="same", name="conv"),
            (2, 3, 7, 5),
        ),
        (
            lambda: nn.Conv1d(3, 4, 5, padding=2),
            lambda: layers.Conv1D(4, 5, padding="same", name="conv"),
            (2, 3, 9),
        ),
        (
            lambda: nn.Conv2d(6, 6, 3, padding=1, groups=6),
            lambda: layers.DepthwiseConv2D(3, padding="same", name="depthwise"),
            (2, 6, 5, 7),
        ),
    ],
)
def test_compare_torch_keras_ports_and_compares(make_torch, make_keras, input_shape):
    torch.manual_seed(0)
    torch_layer, keras_layer = make_torch(), make_keras()
    assert not keras_layer.built
    assert (
        compare_torch_keras(torch_layer, keras_layer, torch.randn(*input_shape)) <= 1e-5
    )
    assert keras_layer.built


def test_compare_torch_keras_takes_lists_and_restores_training_mode():
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 3, 1)

        def forward(self, maps):
            return [self.conv(maps[0]), maps[1] * 2]

    class KerasPair(layers.Layer):
        def __init__(self):
            super().__init__(name="pair")
            self.conv = layers.Conv2D(3, 1, name="conv")

        def call(self, maps):
            return [self.conv(maps[0]), maps[1] * 2]

    module = Pair().train()
    inputs = [torch.randn(2, 3, 4, 4), torch.randn(2, 5, 2, 2)]
    assert compare_torch_keras(module, KerasPair(), inputs) <= 1e-5
    assert module.training


def test_port_weights_tells_when_the_keras_layer_is_not_built():
    message = r"PyTorch has 2 tensors .* Keras has 0 weights .*not built"
    with pytest.raises(ValueError, match=message):
        port_weights(nn.Linear(3, 4), layers.Dense(4, name="dense"))


def test_port_weights_skips_batchnorm_counter_and_keeps_statistics():
    torch_bn = nn.BatchNorm1d(3)
    torch_bn.running_mean.fill_(0.5)
    keras_bn = layers.BatchNormalization(name="bn")
    keras_bn.build((None, 3))
    table = port_weights(torch_bn, keras_bn)
    assert [name for name, _, _ in table] == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
    ]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_bn.moving_mean), 0.5)


@pytest.mark.parametrize(
    "torch_arguments, keras_arguments, difference",
    [
        ({}, {"activation": "swish"}, r"activation: 'relu' vs 'swish'"),
        ({}, {"gate": "hard_sigmoid"}, r"gate: 'sigmoid' vs 'hard_sigmoid'"),
        ({"reduction": 4}, {"hidden_channels": 8}, r"hidden_channels: 4 vs 8"),
    ],
)
def test_port_weights_refuses_modules_configured_differently(
    torch_arguments, keras_arguments, difference
):
    """Hole: porting into a layer with another activation or gate used to succeed."""
    torch_module = torch_modules.SEModule(16, **torch_arguments)
    keras_layer = keras_modules.SEModule(16, name="se", **keras_arguments)
    keras_layer.build((None, 3, 3, 16))
    with pytest.raises(ValueError, match=rf"configured differently \({difference}"):
        port_weights(torch_module, keras_layer)


@pytest.mark.parametrize(
    "kind, torch_arguments, keras_arguments",
    [
        ("SEModule", {"reduction": 4}, {"hidden_channels": 4}),
        ("ECAModule", {"kernel_size": 3}, {}),  # psi(16) = 3
        ("CoordinateAttention", {"reduction": 2}, {"hidden_channels": 8}),
        ("CBAM", {"reduction": 4}, {"reduction": 2, "hidden_channels": 4}),
    ],
)
def test_port_weights_accepts_equal_modules_written_differently(
    kind, torch_arguments, keras_arguments
):
    """Hole: configurations equal once resolved were refused (issue 18)."""
    torch_module = getattr(torch_modules, kind)(16, **torch_arguments)
    keras_layer = getattr(keras_modules, kind)(16, name="m", **keras_arguments)
    difference = compare_torch_keras(
        torch_module, keras_layer, np.ones((2, 16, 3, 3), "float32")
    )
    assert difference <= 1e-5


def test_median_milliseconds_times_every_candidate():
    timings = median_milliseconds(lambda: None, lambda: sum(range(100)), repeats=3)
    assert len(timings) == 2 and all(t >= 0 for t in timings)
    with pytest.raises(ValueError, match=r"repeats must be a positive int"):
        median_milliseconds(lambda: None, repeats=0)
    with pytest.raises(ValueError, match=r"needs one or more callables"):
        median_milliseconds(3)


def test_timed_rounds_alternate_the_order_and_keep_one_time_per_round():
    calls = []
    rounds = timed_rounds(
        lambda: calls.append("a"),
        lambda: calls.append("b"),
        repeats=4,
        warmup=1,
        warmup_seconds=0,
    )
    assert [len(samples) for samples in rounds] == [4, 4]
    assert all(t >= 0 for samples in rounds for t in samples)
    # one warm-up round, then a b | b a | a b | b a
    assert "".join(calls) == "ab" + "abbaabba"
    with pytest.raises(ValueError, match=r"repeats must be a positive int"):
        timed_rounds(lambda: None, repeats=True)


def test_expect_error_prints_the_message_wrapped_and_lets_the_notebook_go_on(capsys):
    with expect_error(ValueError, width=30):
        raise ValueError("a message that is longer than thirty characters")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("ValueError: a message")
    assert all(len(line) <= 30 for line in printed) and len(printed) == 3
    with expect_error():  # any Exception; a multi-line message keeps its lines
        raise RuntimeError("first line\nsecond line")
    assert capsys.readouterr().out == "RuntimeError: first line\nsecond line\n"


def test_expect_error_fails_when_nothing_or_something_else_is_raised():
    with pytest.raises(AssertionError, match="expected KeyError, but nothing"):
        with expect_error(KeyError):
            pass
    with pytest.raises(TypeError):  # not the expected kind: it propagates
        with expect_error(ValueError):
            raise TypeError("other")


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("ValueError",), "expected must be an exception class"),
        ((int,), "expected must be an exception class"),
        ((ValueError, True), "width must be an int"),
        ((ValueError, 5), "width must be an int"),
    ],
)
def test_expect_error_refuses_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        with expect_error(*arguments):
            pass


def test_randomize_draws_what_initialisation_leaves_at_zero_or_one():
    from cnn_attention.torch import randomize

    layer = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).train()
    kernel = layer[0].weight.clone()
    assert randomize(layer, seed=5) is layer and not layer.training
    batch_norm = layer[1]
    assert torch.equal(layer[0].weight, kernel)  # kernels keep their initialisation
    for tensor, low, high in [
        (layer[0].bias, -0.5, 0.5),
        (batch_norm.running_mean, -0.5, 0.5),
        (batch_norm.weight, 0.5, 1.5),
        (batch_norm.running_var, 0.5, 1.5),
    ]:
        assert len(set(tensor.tolist())) == 4 and low <= tensor.min() <= high
        assert low <= tensor.max() <= high
    again = randomize(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)), seed=5)
    assert torch.equal(again[1].running_var, batch_norm.running_var)
    gem = randomize(torch_modules.GeM(4), seed=1)
    assert 1.5 <= float(gem.p) <= 5.0


@pytest.mark.parametrize(
    "module, seed",
    [("not a module", 0), (nn.ReLU(), -1), (nn.ReLU(), True), (nn.ReLU(), 1.5)],
)
def test_randomize_refuses_bad_arguments(module, seed):
    from cnn_attention.torch import randomize

    with pytest.raises(ValueError, match="module must be|seed must be"):
        randomize(module, seed)

"""The numbers the book quotes, recomputed: parameter counts, ECA kernel sizes, activations, seeds' slips."""

import functools

import keras
import numpy as np
import pytest
import torch

import cnn_attention.keras as keras_modules
import cnn_attention.torch as torch_modules
from cnn_attention.arguments import ACTIVATIONS, GATES, eca_kernel_size
from cnn_attention.keras.activations import get_activation, get_gate
from cnn_attention.torch.activations import make_activation, make_gate
from cnn_attention.torch.resnet import resnet50
from cnn_attention.utils import count_parameters, max_abs_diff


@pytest.mark.parametrize(
    "channels, reduction", [(24, 4), (64, 16), (256, 16), (2048, 16), (30, 4)]
)
@pytest.mark.parametrize("bias", [True, False])
def test_se_parameters_follow_the_formula_in_both_frameworks(channels, reduction, bias):
    hidden = channels // reduction
    expected = 2 * channels * hidden + (
        hidden + channels if bias else 0
    )  # 2C^2/r (+ biases)
    keras_layer = keras_modules.SEModule(channels, reduction, bias=bias, name="se")
    keras_layer.build((None, 4, 4, channels))
    assert (
        count_parameters(torch_modules.SEModule(channels, reduction, bias=bias))
        == expected
    )
    assert count_parameters(keras_layer) == expected


def test_seed_001_summaries_are_reproduced():
    """Seed 001: SE on 56x56x24 with ratio 4 has 318 parameters; ECA on 26x26x512 has 5."""
    keras.backend.clear_session()
    inputs = keras.Input((56, 56, 24), name="features")
    assert (
        keras.Model(
            inputs, keras_modules.SEModule(24, reduction=4, name="se")(inputs)
        ).count_params()
        == 318
    )
    inputs = keras.Input((26, 26, 512), name="features")
    eca = keras_modules.ECAModule(512, name="eca")
    assert keras.Model(inputs, eca(inputs)).count_params() == 5 and eca.kernel_size == 5
    assert count_parameters(torch_modules.SEModule(24, reduction=4)) == 318
    assert count_parameters(torch_modules.ECAModule(512)) == 5


@pytest.mark.parametrize(
    "channels, k",
    [(16, 3), (32, 3), (64, 3), (128, 5), (256, 5), (512, 5), (1024, 5), (2048, 7)],
)
def test_eca_kernel_size_table(channels, k):
    assert eca_kernel_size(channels) == k
    assert (
        torch_modules.ECAModule(channels).kernel_size
        == k
        == keras_modules.ECAModule(channels).kernel_size
    )


def test_resnet50_counts():
    """25,557,032 is torchvision's resnet50; the SE paper reports 25.56M and 28.09M with SE (r = 16)."""
    plain = count_parameters(resnet50())
    assert plain == 25_557_032
    assert (
        count_parameters(
            resnet50(attention=functools.partial(torch_modules.SEModule, reduction=16))
        )
        == 28_088_024
    )
    # psi(C) on the block outputs 256/512/1024/2048 gives k = 5, 5, 5, 7 over 3 + 4 + 6 + 3 blocks.
    assert (
        count_parameters(resnet50(attention=torch_modules.ECAModule)) - plain
        == 3 * 5 + 4 * 5 + 6 * 5 + 3 * 7
    )


def test_resnet50_runs_and_puts_attention_before_the_addition():
    model = resnet50(
        num_classes=10,
        attention=functools.partial(torch_modules.SEModule, reduction=16),
    ).eval()
    with torch.no_grad():
        assert tuple(model(torch.zeros(1, 3, 64, 64)).shape) == (1, 10)
    block = model[4]
    assert (
        isinstance(block.attention, torch_modules.SEModule)
        and block.attention.channels == 256
    )


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_are_the_same_function_in_both_frameworks(name):
    x = np.linspace(-6, 6, 97, dtype="float32")
    assert (
        max_abs_diff(
            make_activation(name)(torch.from_numpy(x)), get_activation(name)(x)
        )
        <= 1e-6
    )


@pytest.mark.parametrize("name", GATES)
def test_gates_are_the_same_function_in_both_frameworks(name):
    x = np.linspace(-6, 6, 97, dtype="float32")
    assert max_abs_diff(make_gate(name)(torch.from_numpy(x)), get_gate(name)(x)) <= 1e-6


def test_seed_004_channel_attention_ignores_its_ratio():
    """The slip chapter 2 shows: the hidden width is in_planes // 16 whatever `ratio` says."""
    from cnn_attention.torch.seed_code import ChannelAttention

    assert (
        ChannelAttention(64, ratio=4).fc1.weight.shape
        == ChannelAttention(64, ratio=16).fc1.weight.shape
    )
    assert tuple(ChannelAttention(64, ratio=4).fc1.weight.shape) == (4, 64, 1, 1)


def test_seed_004_se_layer_matches_ours_without_biases():
    from cnn_attention.torch.seed_code import SELayer

    seed_layer, ours = (
        SELayer(32, reduction=4),
        torch_modules.SEModule(32, reduction=4, bias=False),
    )
    ours.load_state_dict(
        {"fc1.weight": seed_layer.fc[0].weight, "fc2.weight": seed_layer.fc[2].weight}
    )
    x = torch.randn(2, 32, 5, 7)
    assert max_abs_diff(seed_layer(x), ours(x)) <= 1e-6

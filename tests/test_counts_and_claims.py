"""The numbers the book quotes, recomputed: counts, kernel sizes, seeds' slips."""

import keras
import numpy as np
import pytest
import torch

import cnn_attention.keras as keras_modules
import cnn_attention.torch as torch_modules
from cnn_attention.arguments import ACTIVATIONS, GATES, eca_kernel_size
from cnn_attention.costs import se_parameters
from cnn_attention.keras.activations import create_activation as keras_activation
from cnn_attention.keras.activations import create_gate as keras_gate
from cnn_attention.torch.activations import create_activation, create_gate
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
    )  # 2C^2/r (+ b)
    keras_layer = keras_modules.SEModule(channels, reduction, bias=bias, name="se")
    keras_layer.build((None, 4, 4, channels))
    assert se_parameters(channels, reduction, bias=bias) == expected
    assert (
        count_parameters(torch_modules.SEModule(channels, reduction, bias=bias))
        == expected
    )
    assert count_parameters(keras_layer) == expected


def test_seed_001_summaries_are_reproduced():
    """Seed 001: SE on 56x56x24, ratio 4 has 318 parameters; ECA on 26x26x512 has 5."""
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
    """25,557,032 is torchvision's resnet50; papers report 25.56M, 28.09M with SE."""
    plain = count_parameters(resnet50())
    assert plain == 25_557_032
    assert count_parameters(resnet50(attention="se")) == 28_088_024
    # psi(C) on the block outputs 256/512/1024/2048 gives k = 5, 5, 5, 7 over 3+4+6+3
    added = count_parameters(resnet50(attention="eca")) - plain
    assert added == 3 * 5 + 4 * 5 + 6 * 5 + 3 * 7 == 86


def test_resnet50_runs_and_puts_attention_before_the_addition():
    model = resnet50(num_classes=10, attention="se").eval()
    with torch.no_grad():
        assert tuple(model(torch.zeros(1, 3, 64, 64)).shape) == (1, 10)
    block = model.stages[0][0]
    assert isinstance(block.attention, torch_modules.SEModule)
    assert block.attention.channels == 256


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_are_the_same_function_in_both_frameworks(name):
    x = np.linspace(-6, 6, 97, dtype="float32")
    assert (
        max_abs_diff(
            create_activation(name)(torch.from_numpy(x)), keras_activation(name)(x)
        )
        <= 1e-6
    )


@pytest.mark.parametrize("name", GATES)
def test_gates_are_the_same_function_in_both_frameworks(name):
    x = np.linspace(-6, 6, 97, dtype="float32")
    assert (
        max_abs_diff(create_gate(name)(torch.from_numpy(x)), keras_gate(name)(x))
        <= 1e-6
    )


def test_seed_004_channel_attention_ignores_its_ratio():
    """Chapter 2 shows it: the hidden width is in_planes // 16, whatever `ratio` is."""
    from cnn_attention.reference.seed_004 import ChannelAttention

    assert (
        ChannelAttention(64, ratio=4).fc1.weight.shape
        == ChannelAttention(64, ratio=16).fc1.weight.shape
    )
    assert tuple(ChannelAttention(64, ratio=4).fc1.weight.shape) == (4, 64, 1, 1)


def test_seed_004_se_layer_matches_ours_without_biases():
    from cnn_attention.reference.seed_004 import SELayer
    from cnn_attention.torch.se import senet_pytorch_keys

    seed_layer = SELayer(32, reduction=4)
    ours = torch_modules.SEModule(32, reduction=4, bias=False)
    ours.load_state_dict(senet_pytorch_keys(seed_layer.state_dict()))
    x = torch.randn(2, 32, 5, 7)
    assert max_abs_diff(seed_layer(x), ours(x)) <= 1e-6
    with pytest.raises(ValueError, match=r"unexpected key 'fc.1.weight'"):
        senet_pytorch_keys({"fc.1.weight": None})

"""Shared blocks and networks in both frameworks: ConvNormAct and the ResNets."""

import keras
import numpy as np
import pytest
import torch
from torch import nn

import cnn_attention.keras as keras_modules
import cnn_attention.torch as torch_modules
from cnn_attention.utils import compare_torch_keras, count_parameters, to_channels_last

FRAMEWORKS = {"torch": torch_modules, "keras": keras_modules}
SMALL = dict(num_classes=10, widths=(8, 16, 16, 16), stem="small")


def randomize_batch_norm(model: nn.Module, seed: int = 0) -> nn.Module:
    """Non-trivial BatchNorm statistics, so that porting them is tested too."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.5, 0.5, generator=generator)
                module.running_mean.uniform_(-0.5, 0.5, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)
    return model


def random_input(shape, seed=0):
    return torch.from_numpy(
        np.random.default_rng(seed).normal(size=shape).astype("float32")
    )


@pytest.mark.parametrize(
    "arguments",
    [
        dict(in_channels=8, out_channels=4, kernel_size=3, stride=2),
        dict(in_channels=8, out_channels=8, kernel_size=3, stride=2, groups=8),
        dict(in_channels=8, out_channels=4, kernel_size=1, activation=None),
        dict(in_channels=8, out_channels=6, kernel_size=5, groups=2, activation="silu"),
        dict(in_channels=8, out_channels=4, kernel_size=7, stride=2, norm=False),
    ],
    ids=str,
)
@pytest.mark.parametrize("size", [(6, 6), (7, 5)])
def test_conv_norm_act_is_the_same_in_both_frameworks(arguments, size):
    torch.manual_seed(0)
    torch_block = randomize_batch_norm(torch_modules.ConvNormAct(**arguments))
    keras_block = keras_modules.ConvNormAct(**arguments, name="block")
    x = random_input((2, 8, *size))
    assert compare_torch_keras(torch_block, keras_block, x) <= 1e-5
    assert count_parameters(torch_block) == count_parameters(keras_block)


def test_keras_batch_norm_moves_its_statistics_like_pytorch():
    torch_norm = nn.BatchNorm2d(4)
    keras_norm = keras_modules.batch_norm(name="bn")
    x = random_input((8, 4, 5, 5))
    torch_norm.train()(x)
    keras_norm(to_channels_last(x), training=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras_norm.moving_mean),
        torch_norm.running_mean.numpy(),
        atol=1e-6,
    )
    # PyTorch updates the running variance with the unbiased batch variance; Keras
    # with the biased one: a factor n / (n - 1), n = 8 * 5 * 5.
    n = 8 * 5 * 5
    torch_variance = 0.9 + 0.1 * x.var(dim=(0, 2, 3), unbiased=True)
    np.testing.assert_allclose(
        torch_norm.running_var.numpy(), torch_variance, atol=1e-5
    )
    keras_variance = 0.9 + 0.1 * x.var(dim=(0, 2, 3), unbiased=True) * (n - 1) / n
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras_norm.moving_variance),
        keras_variance,
        atol=1e-5,
    )


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(kernel_size=4), r"kernel_size must be odd"),
        (dict(groups=3), r"groups=3 must divide in_channels=8 and out_channels=4"),
        (dict(stride=0), r"stride must be a positive integer"),
        (dict(norm="yes"), r"norm must be True or False"),
        (dict(bias=1), r"bias must be True or False"),
        (dict(activation="gelu"), r"activation must be one of"),
    ],
)
def test_conv_norm_act_refuses_bad_arguments(framework, arguments, message):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].ConvNormAct(8, 4, **arguments)


@pytest.mark.parametrize(
    "factory, expected",
    [("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032)],
)
def test_resnet_parameter_counts_match_torchvision(factory, expected):
    assert count_parameters(getattr(torch_modules, factory)()) == expected


def test_keras_resnet50_has_the_same_count_and_builds_from_a_shape():
    model = keras_modules.resnet50(name="resnet50")
    model.build((None, 224, 224, 3))
    assert count_parameters(model) == 25_557_032


@pytest.mark.parametrize("block", ["basic", "bottleneck"])
@pytest.mark.parametrize("attention", [None, "se", "eca"])
def test_resnets_are_the_same_in_both_frameworks(block, attention):
    torch.manual_seed(0)
    arguments = dict(
        SMALL, block=block, layers=(1, 2), widths=(8, 16), attention=attention
    )
    if attention == "se":
        arguments["attention_kwargs"] = {"reduction": 4}
    torch_model = randomize_batch_norm(torch_modules.ResNet(**arguments))
    keras_model = keras_modules.ResNet(**arguments, name="resnet")
    assert (
        compare_torch_keras(torch_model, keras_model, random_input((2, 3, 13, 11)))
        <= 1e-4
    )
    assert count_parameters(torch_model) == count_parameters(keras_model)


def test_imagenet_stem_is_the_same_in_both_frameworks():
    torch.manual_seed(0)
    arguments = dict(layers=(1, 1), widths=(8, 16), num_classes=5)
    torch_model = randomize_batch_norm(torch_modules.ResNet(**arguments))
    keras_model = keras_modules.ResNet(**arguments, name="resnet")
    assert (
        compare_torch_keras(torch_model, keras_model, random_input((2, 3, 32, 30)))
        <= 1e-4
    )


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_resnet_puts_attention_on_the_branch_of_every_block(framework):
    module = FRAMEWORKS[framework]
    model = module.resnet18(attention="se")
    stages = [stage if framework == "torch" else stage.layers for stage in model.stages]
    blocks = [block for stage in stages for block in stage]
    assert all(isinstance(block, module.BasicBlock) for block in blocks)
    assert len(blocks) == 8
    assert all(isinstance(block.attention, module.SEModule) for block in blocks)
    assert [block.attention.channels for block in blocks] == [
        64,
        64,
        128,
        128,
        256,
        256,
        512,
        512,
    ]


def test_resnet_takes_a_head_factory():
    class MaxHead(nn.Module):
        def __init__(self, in_channels, num_classes):
            super().__init__()
            self.fc = nn.Linear(in_channels, num_classes)

        def forward(self, x):
            return self.fc(x.amax(dim=(2, 3)))

    model = torch_modules.ResNet(**dict(SMALL, head=MaxHead))
    assert isinstance(model.head, MaxHead)
    assert tuple(model(torch.zeros(2, 3, 8, 8)).shape) == (2, 10)
    assert tuple(model.forward_features(torch.zeros(2, 3, 8, 8)).shape) == (2, 16, 1, 1)


def test_keras_resnet_config_and_saved_model_round_trip(tmp_path):
    model = keras_modules.ResNet(**dict(SMALL, attention="eca"), name="resnet")
    x = to_channels_last(random_input((2, 3, 9, 9)))
    expected = keras.ops.convert_to_numpy(model(x))
    model.save(tmp_path / "resnet.keras")
    loaded = keras.saving.load_model(tmp_path / "resnet.keras")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), expected, atol=1e-6
    )
    assert loaded.get_config()["attention"] == "eca"


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(block="wide"), r"block must be one of 'basic', 'bottleneck'"),
        (dict(layers=(2, 0)), r"every entry of layers must be a positive integer"),
        (dict(layers=()), r"layers must be a non-empty tuple"),
        (dict(layers=(1, 1), widths=(8,)), r"widths must have 2 entries, got 1"),
        (dict(stem="cifar"), r"stem must be one of 'imagenet', 'small'"),
        (dict(num_classes=0), r"num_classes must be a positive integer"),
        (dict(attention="cbam2"), r"unknown attention 'cbam2'"),
    ],
)
def test_resnet_refuses_bad_arguments(framework, arguments, message):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].ResNet(**arguments)


def test_torch_resnet_scripts():
    model = torch_modules.ResNet(
        **dict(SMALL, attention="se", attention_kwargs={"reduction": 4})
    )
    x = random_input((2, 3, 9, 9))
    assert torch.allclose(torch.jit.script(model.eval())(x), model(x), atol=1e-6)

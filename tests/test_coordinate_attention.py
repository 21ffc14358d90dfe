"""Coordinate Attention beyond the shared standard: the official code and its two
weight layouts, MobileNetV2 in both frameworks and its counts, BatchNorm at batch size
1, the official code's slips, the size rules, and the peak measure of the chapter.
"""

import keras
import numpy as np
import pytest
import torch
from torch import nn

import cnn_attention.keras as keras_modules
import cnn_attention.torch as torch_modules
from cnn_attention.arguments import (
    coordinate_hidden_channels,
    make_divisible,
    mobilenet_v2_blocks,
)
from cnn_attention.costs import (
    coordinate_multiply_adds,
    coordinate_parameters,
    se_parameters,
)
from cnn_attention.data import box_cells, peaks_on_box
from cnn_attention.reference import coordatt_official, seed_003
from cnn_attention.torch.coordatt import (
    coordinate_attention_maps,
    official_coordatt_keys,
)
from cnn_attention.torch.mobilenet import official_mobilenet_keys
from cnn_attention.torch.testing import randomize
from cnn_attention.utils import (
    compare_torch_keras,
    count_parameters,
    max_abs_diff,
    to_channels_first,
    to_channels_last,
)

FRAMEWORKS = {"torch": torch_modules, "keras": keras_modules}
OFFICIAL_CLASSES = [coordatt_official.CoordAtt, coordatt_official.CoordAttMBV2]


def random_input(shape, seed=0):
    return torch.from_numpy(
        np.random.default_rng(seed).normal(size=shape).astype("float32")
    )


# --- the official code ----------------------------------------------------------------


@pytest.mark.parametrize("official_class", OFFICIAL_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "channels, shape",
    [(16, (2, 16, 9, 7)), (96, (1, 96, 5, 11)), (384, (2, 384, 1, 4))],
)
def test_ours_reproduces_both_official_modules(official_class, channels, shape):
    torch.manual_seed(channels)
    official = randomize(official_class(channels, channels))
    ours = torch_modules.CoordinateAttention(channels).eval()
    ours.load_state_dict(official_coordatt_keys(official.state_dict()))
    x = random_input(shape)
    with torch.no_grad():
        assert max_abs_diff(official(x), ours(x)) <= 1e-5
    keras_layer = keras_modules.CoordinateAttention(channels, name="coord")
    assert compare_torch_keras(ours, keras_layer, x) <= 1e-5


def test_ours_reproduces_the_official_module_in_training_mode():
    torch.manual_seed(0)
    official = coordatt_official.CoordAtt(32, 32).train()
    ours = torch_modules.CoordinateAttention(32).train()
    ours.load_state_dict(official_coordatt_keys(official.state_dict()))
    x = random_input((3, 32, 6, 5))
    assert max_abs_diff(official(x), ours(x)) <= 1e-5
    assert max_abs_diff(official.bn1.running_var, ours.bn1.running_var) <= 1e-6


def test_the_two_official_files_name_the_same_weights_differently():
    keys = [list(c(16, 16).state_dict()) for c in OFFICIAL_CLASSES]
    assert [k for k in keys[0] if k.startswith("conv_")] == [
        "conv_h.weight",
        "conv_h.bias",
        "conv_w.weight",
        "conv_w.bias",
    ]
    assert [k for k in keys[1] if k.startswith(("conv2", "conv3"))] == [
        "conv2.weight",
        "conv2.bias",
        "conv3.weight",
        "conv3.bias",
    ]
    assert [official_coordatt_keys(dict.fromkeys(k)) for k in keys] == [
        dict.fromkeys(keys[0]),
        dict.fromkeys(keys[0]),
    ]


@pytest.mark.parametrize(
    "state_dict, message",
    [
        ({"conv4.weight": None}, r"unexpected key 'conv4.weight'"),
        ({"pool_h.weight": None}, r"unexpected key 'pool_h.weight'"),
        (
            {"conv_h.weight": None, "conv2.weight": None},
            r"'conv2.weight' and another key both give 'conv_h.weight'",
        ),
    ],
)
def test_coordatt_loader_refuses_what_it_cannot_map(state_dict, message):
    with pytest.raises(ValueError, match=message):
        official_coordatt_keys(state_dict)


def test_official_mbv2_ca_loads_into_our_mobilenet_even_from_data_parallel():
    torch.manual_seed(0)
    official = randomize(coordatt_official.mbv2_ca(num_classes=7))
    ours = torch_modules.mobilenet_v2(num_classes=7, attention="coord").eval()
    wrapped = {f"module.{key}": value for key, value in official.state_dict().items()}
    ours.load_state_dict(official_mobilenet_keys(wrapped))
    x = random_input((2, 3, 64, 64))
    with torch.no_grad():
        assert max_abs_diff(official(x), ours(x)) <= 1e-4
    assert count_parameters(official) == count_parameters(ours)


@pytest.mark.parametrize(
    "key", ["features.1.conv.6.conv1.weight", "features.2.conv.9.weight", "fc.weight"]
)
def test_mobilenet_loader_names_an_unexpected_key(key):
    with pytest.raises(ValueError, match=rf"unexpected key '{key}'"):
        official_mobilenet_keys({key: None})


# --- the official code's slips --------------------------------------------------------


def test_official_oup_fails_unless_it_equals_the_input_channels_or_one():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(16\) must match"):
        coordatt_official.CoordAtt(16, 32)(torch.randn(1, 16, 5, 7))
    shared = coordatt_official.CoordAtt(16, 1).eval()
    assert tuple(shared(torch.randn(1, 16, 5, 7)).shape) == (1, 16, 5, 7)


def test_mbv2_ca_never_uses_its_swish_nor_conv_bn_relu():
    kinds = [type(module).__name__ for module in coordatt_official.mbv2_ca().modules()]
    assert "swish" not in kinds and "ConvBNReLU" not in kinds
    assert kinds.count("h_swish") == kinds.count("CoordAttMBV2") == 16
    grid = torch.linspace(-6, 6, 101)
    assert (
        max_abs_diff(coordatt_official.swish()(grid), nn.functional.silu(grid)) < 1e-6
    )


def test_mbv2_ca_groups_argument_is_a_reduction():
    module = coordatt_official.CoordAttMBV2(384, 384, groups=8)
    assert module.conv1.out_channels == 48 and module.conv1.groups == 1


# --- BatchNorm ------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 16, 5, 7), (1, 16, 1, 1)])
def test_trains_at_batch_size_one_where_batch_norm_after_pooling_cannot(shape):
    torch_modules.CoordinateAttention(16).train()(torch.randn(shape))
    layer = keras_modules.CoordinateAttention(16, name="coord")
    output = layer(to_channels_last(torch.randn(shape)), training=True)
    assert tuple(output.shape) == (shape[0], shape[2], shape[3], shape[1])
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        seed_003.ChannelAttentionSeparateBN(64).train()(torch.randn(1, 64, 8, 8))


def test_on_a_single_one_by_one_map_training_mode_gates_are_constant():
    module = randomize(torch_modules.CoordinateAttention(16)).train()
    gates = [module.attention(torch.randn(1, 16, 1, 1))[0] for _ in range(3)]
    assert all(max_abs_diff(gates[0], gate) < 1e-6 for gate in gates[1:])


def test_keras_training_mode_matches_pytorch_training_mode():
    torch.manual_seed(0)
    torch_module = randomize(torch_modules.CoordinateAttention(24))
    keras_layer = keras_modules.CoordinateAttention(24, name="coord")
    compare_torch_keras(torch_module, keras_layer, random_input((1, 24, 3, 3)))
    x = random_input((4, 24, 7, 5))
    expected = torch_module.train()(x)
    output = keras_layer(to_channels_last(x), training=True)
    assert max_abs_diff(expected, to_channels_first(output)) <= 1e-5
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras_layer.bn1.moving_mean),
        torch_module.bn1.running_mean.detach().numpy(),
        atol=1e-6,
    )


def test_concatenation_shares_batch_statistics_between_rows_and_columns():
    module = randomize(torch_modules.CoordinateAttention(16))
    x = random_input((4, 16, 5, 7))

    def separately(m):
        def encode(pooled):
            return m.act(m.bn1(m.conv1(pooled)))

        rows = encode(x.mean(dim=3, keepdim=True))
        columns = encode(x.mean(dim=2, keepdim=True)).permute(0, 1, 3, 2)
        return torch.cat([rows, columns], dim=2)

    def together(m):
        pooled = [x.mean(dim=3, keepdim=True), x.mean(dim=2, keepdim=True)]
        y = torch.cat([pooled[0], pooled[1].permute(0, 1, 3, 2)], dim=2)
        return m.act(m.bn1(m.conv1(y)))

    with torch.no_grad():
        assert max_abs_diff(separately(module.eval()), together(module)) < 1e-6
        assert max_abs_diff(separately(module.train()), together(module)) > 0.01


# --- sizes, arguments and costs -------------------------------------------------------


@pytest.mark.parametrize(
    "channels, arguments, expected",
    [
        (4, {}, 8),
        (255, {}, 8),
        (256, {}, 8),
        (288, {}, 9),
        (960, {}, 30),
        (64, {"reduction": 4}, 16),
        (64, {"min_hidden_channels": 1, "reduction": 32}, 2),
        (64, {"hidden_channels": 5}, 5),
    ],
)
def test_hidden_width_is_max_of_floor_and_reduction(channels, arguments, expected):
    assert coordinate_hidden_channels(channels, **arguments) == expected
    assert (
        torch_modules.CoordinateAttention(channels, **arguments).conv1.out_channels
        == expected
    )


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"out_channels": 32}, r"out_channels=32 differs from channels=16"),
        ({"out_channels": 0}, r"out_channels must be a positive integer"),
        ({"out_channels": 16.0}, r"out_channels must be a positive integer"),
        ({"reduction": 0}, r"reduction must be a positive integer"),
        ({"reduction": -32}, r"reduction must be a positive integer"),
        ({"hidden_channels": 0}, r"hidden_channels must be a positive integer"),
        ({"min_hidden_channels": 0}, r"min_hidden_channels must be a positive integer"),
        ({"activation": "relu6"}, r"activation must be one of"),
        ({"gate": "softmax"}, r"gate must be one of"),
    ],
)
def test_coordinate_attention_refuses_bad_arguments(framework, arguments, message):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].CoordinateAttention(16, **arguments)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_out_channels_equal_to_channels_is_accepted(framework):
    layer = FRAMEWORKS[framework].CoordinateAttention(16, out_channels=16)
    assert layer.get_config()["out_channels"] == 16


def test_keras_layer_takes_maps_of_unknown_size():
    layer = keras_modules.CoordinateAttention(8, name="coord")
    inputs = keras.Input((None, None, 8), name="features")
    model = keras.Model(inputs, layer(inputs), name="any_size")
    for height, width in [(5, 7), (1, 9), (4, 1)]:
        x = np.random.default_rng(0).normal(size=(2, height, width, 8))
        assert model(x.astype("float32")).shape == (2, height, width, 8)


@pytest.mark.parametrize(
    "channels, options",
    [
        (16, {}),
        (96, {}),
        (960, {}),
        (256, {"reduction": 8}),
        (64, {"hidden_channels": 5}),
    ],
)
def test_parameter_formula_in_both_frameworks(channels, options):
    keras_layer = keras_modules.CoordinateAttention(channels, name="coord", **options)
    keras_layer.build((None, 5, 5, channels))
    expected = coordinate_parameters(channels, **options)
    assert count_parameters(torch_modules.CoordinateAttention(channels, **options)) == (
        expected
    )
    assert count_parameters(keras_layer) == expected


@pytest.mark.parametrize("channels, height, width", [(96, 56, 56), (960, 7, 9)])
def test_multiply_adds_formula_matches_the_hooks(channels, height, width):
    pooling, convolutions, scaling = coordinate_multiply_adds(channels, height, width)
    module = torch_modules.CoordinateAttention(channels)
    counted = torch_modules.count_multiply_adds(module, (1, channels, height, width))
    assert counted == convolutions
    assert pooling == scaling == 2 * channels * height * width


@pytest.mark.parametrize("value", [8, 12, 16 * 0.35, 24 * 0.75, 100, 1280 * 1.4, 4.2])
@pytest.mark.parametrize("divisor", [4, 8])
def test_make_divisible_is_the_official_rule(value, divisor):
    assert make_divisible(value, divisor) == coordatt_official._make_divisible(
        value, divisor
    )


@pytest.mark.parametrize("width_multiplier", [0.5, 0.75, 1.0, 1.4])
def test_mobilenet_blocks_follow_the_official_network(width_multiplier):
    official = coordatt_official.MBV2_CA(width_mult=width_multiplier)
    blocks = official.features[1:]
    expected = [
        (
            block.conv[0].in_channels,
            block.conv[-1].num_features,
            block.conv[-5 if len(block.conv) == 5 else -6].stride[0],
        )
        for block in blocks
    ]
    ours = [
        (c_in, c_out, s) for c_in, c_out, s, _ in mobilenet_v2_blocks(width_multiplier)
    ]
    assert ours == expected


# --- MobileNetV2 ----------------------------------------------------------------------


def test_mobilenet_counts_of_the_papers_comparison():
    def count(attention=None, reduction=None):
        options = {"reduction": reduction} if reduction else None
        return count_parameters(
            torch_modules.mobilenet_v2(attention=attention, attention_kwargs=options)
        )

    plain = count()
    assert plain == 3_504_872
    assert count("coord") == 3_950_648
    assert (count("se", 24), count("cbam", 24)) == (3_888_208, 3_889_808)
    assert [round(c / 1e6, 2) for c in (count("se", 23), count("se", 25))] == [
        3.9,
        3.87,
    ]
    widths = [c * t for c, _, _, t in mobilenet_v2_blocks() if t > 1]
    assert count("coord") - plain == sum(coordinate_parameters(w) for w in widths)
    assert count("se", 24) - plain == sum(se_parameters(w, 24) for w in widths)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_attention_sits_after_the_depthwise_conv_of_every_expanded_block(framework):
    module = FRAMEWORKS[framework]
    model = module.mobilenet_v2(attention="coord")
    blocks = model.blocks if framework == "torch" else model.blocks.layers
    attentions = [block.attention for block in blocks]
    assert type(attentions[0]).__name__ == "Identity"
    assert all(isinstance(a, module.CoordinateAttention) for a in attentions[1:])
    assert [a.channels for a in attentions[1:]] == [
        c * t for c, _, _, t in mobilenet_v2_blocks() if t > 1
    ]


@pytest.mark.parametrize(
    "attention, width_multiplier, size",
    [(None, 1.0, 64), ("coord", 1.0, 96), ("se", 0.5, 32), ("cbam", 0.5, 40)],
)
def test_mobilenet_is_the_same_in_both_frameworks(attention, width_multiplier, size):
    torch.manual_seed(0)
    arguments = dict(
        num_classes=10, attention=attention, width_multiplier=width_multiplier
    )
    torch_model = randomize(torch_modules.mobilenet_v2(**arguments))
    keras_model = keras_modules.mobilenet_v2(**arguments, name="mobilenet")
    x = random_input((2, 3, size, size))
    assert compare_torch_keras(torch_model, keras_model, x) <= 1e-4
    assert count_parameters(torch_model) == count_parameters(keras_model)


def test_keras_mobilenet_saved_model_round_trip(tmp_path):
    model = keras_modules.mobilenet_v2(
        num_classes=5, width_multiplier=0.35, attention="coord", name="mobilenet"
    )
    x = to_channels_last(random_input((2, 3, 32, 32)))
    expected = keras.ops.convert_to_numpy(model(x))
    model.save(tmp_path / "mobilenet.keras")
    loaded = keras.saving.load_model(tmp_path / "mobilenet.keras")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), expected, atol=1e-6
    )
    assert loaded.get_config()["attention"] == "coord"


def test_torch_mobilenet_scripts():
    model = torch_modules.mobilenet_v2(
        num_classes=5, width_multiplier=0.35, attention="coord"
    ).eval()
    x = random_input((2, 3, 32, 32))
    assert torch.allclose(torch.jit.script(model)(x), model(x), atol=1e-6)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(num_classes=0), r"num_classes must be a positive integer"),
        (dict(in_channels=0), r"in_channels must be a positive integer"),
        (dict(width_multiplier=0), r"width_multiplier must be a finite positive"),
        (dict(dropout=1.0), r"dropout must be in \[0, 1\), got 1.0"),
        (dict(dropout=-0.1), r"dropout must be in \[0, 1\)"),
        (dict(attention="ca"), r"unknown attention 'ca'; known: .*'coord'"),
    ],
)
def test_mobilenet_refuses_bad_arguments(framework, arguments, message):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].mobilenet_v2(**arguments)


# --- reading the maps -----------------------------------------------------------------


def test_coordinate_attention_maps_reads_every_module_in_order():
    model = torch_modules.ResNet(
        "basic",
        (1, 1),
        (8, 16),
        num_classes=3,
        in_channels=1,
        stem="small",
        attention="coord",
    ).train()
    maps = coordinate_attention_maps(model, torch.randn(4, 1, 12, 10))
    assert [(a_h.shape, a_w.shape) for a_h, a_w in maps] == [
        ((4, 8, 12), (4, 8, 10)),
        ((4, 16, 6), (4, 16, 5)),
    ]
    assert model.training  # the mode is restored


def test_box_cells_and_peaks_on_box():
    boxes = np.array([[0, 16, 16, 32], [8, 4, 24, 20]])  # (top, left, bottom, right)
    rows, columns = box_cells(boxes, 8)
    assert rows.sum(axis=1).tolist() == [4, 4] and columns.sum(axis=1).tolist() == [
        4,
        4,
    ]
    assert rows[0].tolist() == [True] * 4 + [False] * 4
    on_box = peaks_on_box(rows.astype(float), columns.astype(float), boxes)
    assert (on_box["rows"], on_box["columns"], on_box["both"]) == (1.0, 1.0, 1.0)
    assert (on_box["chance_rows"], on_box["chance_both"]) == (0.5, 0.25)
    off_box = peaks_on_box(~rows, columns.astype(float), boxes)
    assert (off_box["rows"], off_box["both"]) == (0.0, 0.0)
    with pytest.raises(ValueError, match=r"size=5 must divide canvas_size=32"):
        box_cells(boxes, 5)

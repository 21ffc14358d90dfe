"""BiFPN (chapter 7) in both frameworks, against the standard of the attention modules.

Several inputs and outputs: shapes for even and odd pyramids, gradients to every
input and weight, PyTorch == Keras after porting (BatchNorm statistics included,
property-based over sizes, levels and fusions), Keras config and .keras round trips,
PyTorch state_dict round trips, the Keras layers on the torch and JAX backends,
TorchScript and torch.export, the Yet-Another-EfficientDet-Pytorch loader against the
transcription, the parameter formulas, and the ValueErrors for bad arguments and
bad inputs.
"""

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
from cnn_attention.bifpn_rules import (
    EFFICIENTDET,
    bifpn_node_names,
    bifpn_nodes,
    bifpn_output_ids,
    efficientdet_bifpn,
    halve,
)
from cnn_attention.costs import bifpn_layer_parameters, bifpn_parameters
from cnn_attention.reference import yet_another_efficientdet as yet_another
from cnn_attention.torch.bifpn import same_max_pool, yet_another_efficientdet_keys
from cnn_attention.torch.testing import randomize
from cnn_attention.utils import (
    compare_torch_keras,
    count_parameters,
    port_weights,
    to_channels_first,
    to_channels_last,
)

FRAMEWORKS = {"torch": torch_modules, "keras": keras_modules}
SMALL = dict(in_channels=(6, 10, 12), channels=8, repeats=2)  # 5 levels, P6 adapted


def random_input(shape, seed=0):
    return torch.from_numpy(
        np.random.default_rng(seed).normal(size=shape).astype("float32")
    )


def pyramid(widths, size, batch=2, seed=0):
    """Maps of `widths` channels, the first size x size, each next one halved up."""
    maps = []
    for index, width in enumerate(widths):
        maps.append(random_input((batch, width, size, size + 1), seed + index))
        size = halve(size)
    for index in range(1, len(maps)):  # widths: size + 1 halves to ceil too
        below = maps[index - 1].shape
        maps[index] = maps[index][..., : halve(below[-1])]
    return maps


def make_pair(seed=0, **arguments):
    arguments = {**SMALL, **arguments}
    torch.manual_seed(seed)
    torch_model = randomize(torch_modules.BiFPN(**arguments), seed)
    keras_model = keras_modules.BiFPN(**arguments, name="bifpn")
    inputs = pyramid(arguments["in_channels"], 9)
    compare_torch_keras(torch_model, keras_model, inputs)  # builds and ports
    return torch_model, keras_model


def keras_outputs(layer, maps, **kwargs):
    return [
        to_channels_first(y)
        for y in layer([to_channels_last(x) for x in maps], **kwargs)
    ]


# The graph --------------------------------------------------------------------


def test_the_graph_is_the_official_bifpn_config():
    """google/automl fpn_configs.py, the comment of bifpn_config for P3-P7."""
    assert bifpn_nodes(5) == [
        (3, (3, 4)),
        (2, (2, 5)),
        (1, (1, 6)),
        (0, (0, 7)),
        (1, (1, 7, 8)),
        (2, (2, 6, 9)),
        (3, (3, 5, 10)),
        (4, (4, 11)),
    ]
    assert bifpn_output_ids(5) == [8, 9, 10, 11, 12]
    assert bifpn_node_names(5)[5:] == [
        "P6_td", "P5_td", "P4_td", "P3_out", "P4_out", "P5_out", "P6_out", "P7_out"
    ]  # fmt: skip


@pytest.mark.parametrize("levels", [2, 3, 5, 6, 8])
def test_node_and_weight_counts_follow_the_formulas(levels):
    nodes = bifpn_nodes(levels)
    assert len(nodes) == 2 * (levels - 1)
    assert sum(len(inputs) for _, inputs in nodes) == 5 * levels - 6


# Shapes and values ------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 9, 16, 65])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_outputs_have_the_input_sizes_and_the_bifpn_width(framework, size):
    if framework == "torch":  # eval: BatchNorm cannot train on one value per channel
        model = torch_modules.BiFPN(**SMALL).eval()
    else:
        model = keras_modules.BiFPN(**SMALL, name="b")
    maps = pyramid(SMALL["in_channels"], size, batch=1)
    outputs = model(maps) if framework == "torch" else keras_outputs(model, maps)
    expected = [size]
    for _ in range(4):
        expected.append(halve(expected[-1]))
    assert [tuple(y.shape[:2]) for y in outputs] == [(1, 8)] * 5
    assert [y.shape[2] for y in outputs] == expected


def test_d0_at_512_gives_p3_64_down_to_p7_4():
    model = torch_modules.BiFPN(**efficientdet_bifpn("d0")).eval()
    maps = [torch.zeros(1, c, s, s) for c, s in zip((40, 112, 320), (64, 32, 16))]
    with torch.no_grad():
        shapes = [tuple(y.shape) for y in model(maps)]
    assert shapes == [(1, 64, s, s) for s in (64, 32, 16, 8, 4)]


def test_an_empty_batch_gives_empty_outputs():
    torch_model, keras_model = make_pair()
    maps = pyramid(SMALL["in_channels"], 9, batch=0)
    assert [y.shape[0] for y in torch_model(maps)] == [0] * 5
    assert [y.shape[0] for y in keras_outputs(keras_model, maps)] == [0] * 5


@settings(max_examples=15, deadline=None)
@given(
    size=st.integers(1, 40),
    batch=st.integers(1, 2),
    levels=st.integers(3, 6),
    fusion=st.sampled_from(["fast", "softmax", "unbounded", "sum"]),
    seed=st.integers(0, 2**16),
)
def test_torch_and_keras_agree_after_porting(size, batch, levels, fusion, seed):
    arguments = dict(SMALL, num_levels=levels, fusion=fusion, repeats=2)
    torch.manual_seed(seed)
    torch_model = randomize(torch_modules.BiFPN(**arguments), seed)
    keras_model = keras_modules.BiFPN(**arguments, name="bifpn")
    maps = pyramid(SMALL["in_channels"], size, batch, seed)
    assert compare_torch_keras(torch_model, keras_model, maps) <= 1e-4


@pytest.mark.parametrize("activation", ["relu", "hard_swish"])
def test_other_activations_and_batch_norm_settings_port(activation):
    torch_model, keras_model = make_pair(
        activation=activation, norm_epsilon=1e-5, norm_momentum=0.1, epsilon=1e-3
    )
    assert (
        compare_torch_keras(torch_model, keras_model, pyramid((6, 10, 12), 12)) <= 1e-4
    )


def test_layer_and_node_modules_port_on_their_own():
    torch.manual_seed(0)
    torch_layer = randomize(torch_modules.BiFPNLayer((6, 8, 8, 8), channels=8))
    keras_layer = keras_modules.BiFPNLayer((6, 8, 8, 8), channels=8, name="layer")
    maps = pyramid((6, 8, 8, 8), 11)
    assert compare_torch_keras(torch_layer, keras_layer, maps) <= 1e-5
    assert count_parameters(torch_layer) == count_parameters(keras_layer)


def test_batch_norm_statistics_move_alike_in_training():
    torch_model, keras_model = make_pair()
    maps = pyramid(SMALL["in_channels"], 10, batch=3)
    torch_model.train()(maps)
    keras_outputs(keras_model, maps, training=True)
    torch_norm = torch_model.layers[1].nodes[3].bn
    keras_norm = keras_model.bifpn_layers[1].nodes[3].bn
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(keras_norm.moving_mean),
        torch_norm.running_mean.numpy(),
        atol=1e-5,
    )
    assert keras_norm.momentum == pytest.approx(0.99)
    assert torch_norm.momentum == pytest.approx(0.01)
    assert torch_norm.eps == keras_norm.epsilon == 1e-3


def test_same_max_pool_is_tensorflows_same_pooling():
    x = -torch.rand(2, 3, 9, 12) - 0.1  # all negative: padding must never win
    expected = tf.nn.max_pool2d(to_channels_last(x), 3, 2, "SAME").numpy()
    np.testing.assert_array_equal(same_max_pool(x).numpy(), to_channels_first(expected))


def test_odd_sizes_are_resized_like_the_official_code():
    small = random_input((1, 2, 33, 17))
    cropped = torch_modules.upsample_to(small, 65, 33)
    official = tf.raw_ops.ResizeNearestNeighbor(
        images=to_channels_last(small), size=[65, 33], half_pixel_centers=False
    )
    np.testing.assert_array_equal(cropped.numpy(), to_channels_first(official))


# Gradients --------------------------------------------------------------------


@pytest.mark.parametrize("fusion", ["fast", "softmax", "unbounded", "sum"])
def test_gradients_reach_every_input_and_weight(fusion):
    torch_model, keras_model = make_pair(fusion=fusion)
    torch_model.train()
    maps = [x.requires_grad_() for x in pyramid(SMALL["in_channels"], 9)]
    sum(y.square().sum() for y in torch_model(maps)).backward()
    assert all(x.grad.abs().sum() > 0 for x in maps)
    for name, parameter in torch_model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name

    keras_maps = [tf.constant(to_channels_last(x.detach())) for x in maps]
    with tf.GradientTape() as tape:
        tape.watch(keras_maps)
        outputs = keras_model(keras_maps, training=True)
        loss = tf.add_n([tf.reduce_sum(tf.square(y)) for y in outputs])
    gradients = tape.gradient(loss, keras_maps + keras_model.trainable_weights)
    assert all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in gradients)
    assert len(keras_model.trainable_weights) == len(list(torch_model.parameters()))


# Round trips and export -------------------------------------------------------


def test_keras_config_and_saved_model_round_trips(tmp_path):
    _, keras_model = make_pair()
    maps = [to_channels_last(x) for x in pyramid(SMALL["in_channels"], 9)]
    expected = [keras.ops.convert_to_numpy(y) for y in keras_model(maps)]

    clone = keras_modules.BiFPN.from_config(keras_model.get_config())
    clone.build([x.shape for x in maps])
    clone.set_weights(keras_model.get_weights())
    for y, e in zip(clone(maps), expected):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(y), e)

    inputs = [
        keras.Input(x.shape[1:], name=f"p{level}") for level, x in zip((3, 4, 5), maps)
    ]
    model = keras.Model(inputs, keras_model(inputs), name="round_trip")
    model.save(tmp_path / "bifpn.keras")
    loaded = keras.saving.load_model(tmp_path / "bifpn.keras")
    assert type(loaded.get_layer("bifpn")) is keras_modules.BiFPN
    for y, e in zip(loaded(maps), expected):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(y), e, atol=1e-6)


def test_keras_functional_model_with_unknown_sizes():
    layer = keras_modules.BiFPN(**SMALL, name="bifpn")
    inputs = [
        keras.Input((None, None, c), name=f"p{i}") for i, c in enumerate((6, 10, 12))
    ]
    model = keras.Model(inputs, layer(inputs), name="any_size")
    maps = [to_channels_last(x) for x in pyramid(SMALL["in_channels"], 13)]
    outputs = model(maps)
    assert [(y.shape[0], y.shape[3]) for y in outputs] == [(2, 8)] * 5
    assert [y.shape[1] for y in outputs] == [13, 7, 4, 2, 1]


def test_torch_state_dict_round_trip():
    original, _ = make_pair(seed=1)
    copy, _ = make_pair(seed=2)
    maps = pyramid(SMALL["in_channels"], 9)
    with torch.no_grad():
        assert not torch.equal(original(maps)[0], copy(maps)[0])
        copy.load_state_dict(original.state_dict())
        assert all(torch.equal(a, b) for a, b in zip(original(maps), copy(maps)))


def test_torch_bifpn_scripts_traces_and_exports():
    model, _ = make_pair()
    maps = pyramid(SMALL["in_channels"], 9)
    with torch.no_grad():
        expected = model(maps)
        scripted = torch.jit.script(model)
        assert all(torch.equal(a, b) for a, b in zip(scripted(maps), expected))
        with pytest.raises(Exception, match=r"P4 is 3x4, but P3 \(9x10\) halves"):
            scripted([maps[0], maps[1][..., :3, :4], maps[2]])
        exported = torch.export.export(model, (maps,))
        for a, b in zip(exported.module()(maps), expected):
            assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float64", "mixed_float16"])
def test_keras_dtype_reaches_every_sublayer(dtype):
    layer = keras_modules.BiFPN(**SMALL, dtype=dtype, name="b")
    outputs = layer([to_channels_last(x) for x in pyramid(SMALL["in_channels"], 9)])
    policy = keras.mixed_precision.DTypePolicy(dtype)
    assert {keras.backend.standardize_dtype(y.dtype) for y in outputs} == {
        policy.compute_dtype
    }
    assert {w.dtype for w in layer.weights} == {policy.variable_dtype}


def test_torch_bifpn_runs_in_float64():
    model, _ = make_pair()
    outputs = model.double()([x.double() for x in pyramid(SMALL["in_channels"], 9)])
    assert {y.dtype for y in outputs} == {torch.float64}


OTHER_BACKEND_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras
    sys.path.insert(0, {tests!r})
    from test_bifpn import SMALL, make_pair, pyramid, keras_outputs
    from cnn_attention.utils import compare_torch_keras
    assert keras.backend.backend() == {backend!r}
    results = {{}}
    for fusion in ("fast", "softmax", "sum"):
        torch_model, keras_model = make_pair(fusion=fusion)
        maps = pyramid(SMALL["in_channels"], 11)
        difference = compare_torch_keras(torch_model, keras_model, maps)
        outputs = [y.tolist() for y in keras_outputs(keras_model, maps)]
        results[fusion] = [difference, outputs]
    # In a functional model of unknown sizes (symbolic on JAX and torch).
    inputs = [keras.Input((None, None, width)) for width in SMALL["in_channels"]]
    functional = keras.Model(inputs, keras_model(inputs))
    results["functional"] = [y.tolist() for y in keras_outputs(functional, maps)]
    print(json.dumps(results))
    """
)


def check_other_backend_results(on_backend):
    """Called by tests/test_other_backends.py with what the script printed."""
    assert set(on_backend) == {"fast", "softmax", "sum", "functional"}
    # the last model made (sum fusion), called through a functional model
    for y, e in zip(on_backend.pop("functional"), on_backend["sum"][1], strict=True):
        np.testing.assert_allclose(np.array(y, "float32"), e, atol=1e-5)
    for fusion, (difference, outputs) in on_backend.items():
        assert difference <= 1e-4, fusion
        _, on_tensorflow = make_pair(fusion=fusion)
        expected = keras_outputs(on_tensorflow, pyramid(SMALL["in_channels"], 11))
        for y, e in zip(outputs, expected):
            np.testing.assert_allclose(np.array(y, "float32"), e, atol=1e-4)


# The reference port -----------------------------------------------------------


def their_stack_with_same_pooling(*args, **kwargs):
    stack = randomize(yet_another.bifpn_stack(*args, **kwargs), seed=3)
    for module in stack.modules():
        if isinstance(module, yet_another.MaxPool2dStaticSamePadding):
            module.forward = same_max_pool
    return stack


@pytest.mark.parametrize("size", [16, 32])
def test_loader_gives_the_transcriptions_outputs(size):
    theirs = their_stack_with_same_pooling(16, (6, 10, 12), repeats=3)
    ours = torch_modules.BiFPN((6, 10, 12), 16, repeats=3).eval()
    ours.load_state_dict(yet_another_efficientdet_keys(theirs.state_dict()))
    maps = [
        random_input((2, c, size >> i, size >> i), i) for i, c in enumerate((6, 10, 12))
    ]
    with torch.no_grad():
        for a, b in zip(theirs(maps), ours(maps)):
            assert torch.allclose(a, b, atol=1e-5)


def test_loader_takes_a_whole_detector_and_their_p8_stack():
    theirs = their_stack_with_same_pooling(
        16, (6, 10, 12), 2, attention=False, use_p8=True
    )
    detector = {f"bifpn.{k}": v for k, v in theirs.state_dict().items()}
    detector["backbone_net.conv.weight"] = torch.zeros(1)  # not the BiFPN's: ignored
    ours = torch_modules.BiFPN((6, 10, 12), 16, 2, num_levels=6, fusion="sum").eval()
    ours.load_state_dict(yet_another_efficientdet_keys(detector, fusion="sum"))
    maps = [
        random_input((1, c, 32 >> i, 32 >> i), i) for i, c in enumerate((6, 10, 12))
    ]
    with torch.no_grad():
        for a, b in zip(theirs(maps), ours(maps)):
            assert torch.allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match=r"with P8 .* has no weighted fusion"):
        yet_another_efficientdet_keys(detector)


def test_loader_refuses_unknown_keys():
    with pytest.raises(ValueError, match=r"unexpected key '0.conv9_sideways.weight'"):
        yet_another_efficientdet_keys({"0.conv9_sideways.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match=r"unexpected key 'p6_w1'"):
        yet_another_efficientdet_keys({"p6_w1": torch.zeros(2)})


def test_pool_padding_zeros_loads_their_stack_exactly():
    """Their zero-padded pooling, offered as pool_padding="zeros" (issue 18): the
    loader's output then equals theirs without patching their pooling."""
    theirs = randomize(yet_another.bifpn_stack(16, (6, 10, 12), repeats=2), seed=3)
    same = torch_modules.BiFPN((6, 10, 12), 16, repeats=2).eval()
    zeros = torch_modules.BiFPN((6, 10, 12), 16, repeats=2, pool_padding="zeros")
    zeros.eval()
    for ours in (same, zeros):
        ours.load_state_dict(yet_another_efficientdet_keys(theirs.state_dict()))
    maps = [
        random_input((2, c, 16 >> i, 16 >> i), i) for i, c in enumerate((6, 10, 12))
    ]
    with torch.no_grad():
        expected, with_same, with_zeros = theirs(maps), same(maps), zeros(maps)
    assert max((a - b).abs().max() for a, b in zip(expected, with_zeros)) <= 1e-5
    assert max((a - b).abs().max() for a, b in zip(expected, with_same)) > 1e-3
    keras_bifpn = keras_modules.BiFPN((6, 10, 12), 16, repeats=2, name="bifpn")
    keras_bifpn(
        [
            np.zeros((1, 16 >> i, 16 >> i, c), "float32")
            for i, c in enumerate((6, 10, 12))
        ]
    )
    with pytest.raises(ValueError, match=r"pool_padding: 'zeros' vs 'same'"):
        port_weights(zeros, keras_bifpn)


def test_loader_refuses_an_adapter_our_bifpn_does_not_have():
    theirs = yet_another.bifpn_stack(16, (6, 16, 12), repeats=1)  # P4 as wide
    with pytest.raises(ValueError, match=r"maps 16 channels to 16: their first layer"):
        yet_another_efficientdet_keys(theirs.state_dict())


def test_their_zero_padded_pooling_differs_from_same():
    x = -torch.rand(1, 1, 8, 8) - 0.1
    theirs = yet_another.MaxPool2dStaticSamePadding(3, 2)(x)
    assert theirs.shape == same_max_pool(x).shape
    assert (theirs[..., -1] == 0).all() and (same_max_pool(x) < 0).all()


# Parameters -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["d0", "d1", "d7x"])
def test_parameter_formula_matches_both_frameworks(name):
    arguments = efficientdet_bifpn(name)
    if name == "d7x":  # big: a narrower stack with the same structure
        arguments.update(channels=16, repeats=2)
    expected = bifpn_parameters(**arguments)
    keras_model = keras_modules.BiFPN(**arguments, name="bifpn")
    keras_model.build([(None, None, None, c) for c in arguments["in_channels"]])
    assert count_parameters(torch_modules.BiFPN(**arguments)) == expected
    assert count_parameters(keras_model) == expected


def test_d0_numbers_quoted_in_the_chapter():
    assert bifpn_layer_parameters((64,) * 5, 64) == 38_931
    assert bifpn_layer_parameters((40, 112, 320, 64, 64), 64) == 97_747
    assert bifpn_parameters() == 196_281
    model = torch_modules.BiFPN()
    fusion = sum(p.numel() for n, p in model.named_parameters() if "fusion" in n)
    assert fusion == 57
    assert bifpn_parameters(**efficientdet_bifpn("d0") | {"fusion": "sum"}) == 196_224


def test_efficientdet_table():
    assert set(EFFICIENTDET) == {f"d{i}" for i in range(8)} | {"d7x"}
    assert efficientdet_bifpn("d3") == dict(
        in_channels=(48, 136, 384), channels=160, repeats=6, num_levels=5, fusion="fast"
    )
    assert EFFICIENTDET["d7x"]["num_levels"] == 6
    with pytest.raises(ValueError, match=r"name must be one of 'd0', .*; got 'd8'"):
        efficientdet_bifpn("d8")


# Bad arguments and bad inputs -------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(in_channels=()), r"in_channels must be a non-empty tuple"),
        (dict(in_channels=(40, 0)), r"every entry of in_channels must be a positive"),
        (
            dict(in_channels=(40, True)),
            r"every entry of in_channels must be a positive",
        ),
        (dict(channels=64.0), r"channels must be a positive integer"),
        (dict(repeats=0), r"repeats must be a positive integer"),
        (dict(repeats=True), r"repeats must be a positive integer"),
        (dict(num_levels=1), r"a BiFPN needs at least 2 levels"),
        (dict(num_levels=2), r"num_levels=2 with 3 input widths"),
        (dict(fusion="mean"), r"fusion must be one of 'fast', 'softmax', 'unbounded'"),
        (dict(fusion=None), r"fusion must be one of"),
        (dict(epsilon=0), r"epsilon must be a finite positive number, got 0"),
        (dict(epsilon=float("nan")), r"epsilon must be a finite positive number"),
        (dict(epsilon=True), r"epsilon must be a real number, got True"),
        (dict(activation="gelu"), r"activation must be one of"),
        (dict(norm_epsilon=float("inf")), r"norm_epsilon must be a finite positive"),
        (
            dict(norm_momentum=0.99 + 1),
            r"norm_momentum is PyTorch's BatchNorm momentum",
        ),
        (dict(norm_momentum=False), r"norm_momentum must be a real number"),
    ],
)
def test_bad_arguments_are_refused(framework, arguments, message):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].BiFPN(**arguments)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(num_inputs=0), r"num_inputs must be a positive integer"),
        (dict(num_inputs=2, method="attn"), r"method must be one of 'fast'"),
        (
            dict(num_inputs=2, epsilon=float("nan")),
            r"epsilon must be a finite positive",
        ),
    ],
)
def test_weighted_fusion_refuses_bad_arguments(framework, arguments, message):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].WeightedFusion(**arguments)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_weighted_fusion_refuses_the_wrong_number_of_inputs(framework):
    fusion = FRAMEWORKS[framework].WeightedFusion(3)
    with pytest.raises(ValueError, match=r"expects 3 inputs, got 2"):
        fusion(
            [np.zeros((1, 2, 2, 2), "float32")] * 2
            if framework == "keras"
            else [torch.zeros(1, 2, 2, 2)] * 2
        )


def call(framework, model, maps):
    if framework == "torch":
        return model([torch.as_tensor(x) for x in maps])
    return model([to_channels_last(x) for x in maps])


BAD_INPUTS = [
    (lambda maps: maps[:2], r"expects 3 feature maps \(P3, P4, P5 with \(6, 10, 12\)"),
    (lambda maps: maps + maps[-1:], r"expects 3 feature maps .* got 4"),
    (
        lambda maps: [maps[0], maps[1][:, :7], maps[2]],
        r"level P4 was built for 10 channels but got 7",
    ),
    (
        lambda maps: [maps[0], maps[1][..., :3, :], maps[2]],
        r"P4 is 3x5, but P3 \(9x10\) halves to 5x5",
    ),
    (
        lambda maps: [x.astype("int32") for x in maps],
        r"level P3 expects a floating-point input",
    ),
    (lambda maps: [maps[0][0], *maps[1:]], r"level P3 expects a 4-D feature map"),
    (lambda maps: [maps[0][:, :, :0], *maps[1:]], r"level P3 got an empty feature map"),
]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("change, message", BAD_INPUTS)
def test_bad_inputs_are_refused_naming_the_level(framework, change, message):
    torch_model, keras_model = make_pair()
    model = torch_model if framework == "torch" else keras_model
    maps = [x.numpy() for x in pyramid(SMALL["in_channels"], 9)]
    with pytest.raises(ValueError, match=message):
        call(framework, model, change(maps))


def test_a_layer_checks_its_own_inputs():
    layer = torch_modules.BiFPNLayer((8, 8, 8), channels=8)
    with pytest.raises(ValueError, match=r"^BiFPNLayer level P5 was built for 8"):
        layer(
            [torch.zeros(1, 8, 4, 4), torch.zeros(1, 8, 2, 2), torch.zeros(1, 4, 1, 1)]
        )


# The toy ----------------------------------------------------------------------


def test_the_toy_moves_the_weights_towards_the_signal():
    from cnn_attention.torch.bifpn_toy import train_fusion_toy

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is several times faster
    try:
        for level, edge in ((1, 0), (2, 1)):  # signal in P4: P4_in; in P5: P5_in
            assert train_fusion_toy(level, seed=3, steps=60)["p4_td"][edge] > 0.7
    finally:
        torch.set_num_threads(threads)

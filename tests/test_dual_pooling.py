"""Chapter 5, dual pooling: the global poolings, GeM and the heads, in both frameworks.

The standard of the attention modules' tests (shapes, gradients, PyTorch == Keras after
porting, Keras config and .keras round trips, state_dict round trips, the other Keras
backends, TorchScript, dtypes, refusals), plus what the chapter claims: the formulas,
GeM's numerics, the parameter counts, seed 004's network and its slips, and the
benchmark's results file.
"""

import json
import math
import textwrap
import warnings
from importlib.resources import files

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import cnn_attention.keras as keras_modules
import cnn_attention.torch as torch_modules
from cnn_attention.arguments import GLOBAL_POOLS, HeadFactory, pooled_channels
from cnn_attention.costs import dual_pool_head_parameters, pooling_head_parameters
from cnn_attention.reference import seed_004_dual_pooling as seed_004
from cnn_attention.torch.pooling import seed_dual_pool_keys
from cnn_attention.torch.testing import randomize
from cnn_attention.utils import (
    compare_torch_keras,
    count_parameters,
    max_abs_diff,
    to_channels_first,
    to_channels_last,
    to_numpy,
)

FRAMEWORKS = {"torch": torch_modules, "keras": keras_modules}
CHANNELS = 8
# (class name, keyword arguments): every pooling, and every head with its options
CASES = {
    **{f"pool-{pool}": ("GlobalPool", {"pool": pool}) for pool in GLOBAL_POOLS},
    "pool-gem-fixed": ("GlobalPool", {"pool": "gem", "p": 4.0, "learn_p": False}),
    "pool-catavgmax-4d": ("GlobalPool", {"pool": "catavgmax", "flatten": False}),
    "gem": ("GeM", {"p": 2.0, "eps": 1e-4}),
    **{
        f"head-{pool}": ("PoolingHead", {"num_classes": 5, "pool": pool})
        for pool in GLOBAL_POOLS
    },
    "head-catmaxavg-dropout": (
        "PoolingHead",
        {"num_classes": 5, "pool": "catmaxavg", "dropout": 0.3},
    ),
    "dual": ("DualPoolHead", {"num_classes": 5}),
    "dual-fastai-hidden": (
        "DualPoolHead",
        {"num_classes": 5, "pool": "catmaxavg", "hidden_channels": 3, "dropout": 0.0},
    ),
}
SHAPES = [(1, CHANNELS, 1, 1), (1, CHANNELS, 7, 5), (3, CHANNELS, 4, 9)]


def random_input(shape, seed=0, relu=False):
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    return torch.from_numpy(np.maximum(x, 0) if relu else x)


def make(framework, case, channels=CHANNELS, **extra):
    class_name, kwargs = CASES[case]
    kwargs = {**kwargs, **extra}
    if framework == "keras":
        kwargs["name"] = "layer"
    return getattr(FRAMEWORKS[framework], class_name)(channels, **kwargs)


def make_pair(case, channels=CHANNELS, seed=0):
    torch.manual_seed(seed)
    torch_module = randomize(make("torch", case, channels), seed)
    keras_layer = make("keras", case, channels)
    compare_torch_keras(torch_module, keras_layer, random_input((1, channels, 3, 3)))
    return torch_module, keras_layer


def expected_shape(case, batch, channels=CHANNELS):
    class_name, kwargs = CASES[case]
    if class_name == "GeM":
        return (batch, channels, 1, 1)
    if class_name != "GlobalPool":
        return (batch, kwargs["num_classes"])
    width = pooled_channels(channels, kwargs["pool"])
    return (batch, width) if kwargs.get("flatten", True) else (batch, width, 1, 1)


def keras_output(layer, x, **kwargs):
    return to_channels_first(layer(to_channels_last(x), **kwargs))


# Shapes, gradients, equivalence.


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES)
def test_output_shapes_in_both_frameworks(case, shape):
    torch_module, keras_layer = make_pair(case)
    x = random_input(shape)
    assert tuple(torch_module(x).shape) == expected_shape(case, shape[0])
    assert keras_output(keras_layer, x).shape == expected_shape(case, shape[0])


@pytest.mark.parametrize("case", CASES)
def test_an_empty_batch_gives_an_empty_output(case):
    torch_module, keras_layer = make_pair(case)
    x = random_input((0, CHANNELS, 5, 7))
    assert tuple(torch_module(x).shape) == expected_shape(case, 0)
    assert keras_output(keras_layer, x).shape == expected_shape(case, 0)


@pytest.mark.parametrize("case", CASES)
def test_gradients_reach_the_input_and_every_trainable_weight(case):
    torch_module, keras_layer = make_pair(case)
    x = random_input((2, CHANNELS, 5, 7), relu=True).requires_grad_()
    torch_module.train()(x).square().sum().backward()
    assert x.grad.abs().sum() > 0
    for name, parameter in torch_module.named_parameters():
        if parameter.requires_grad:
            assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name

    x_keras = tf.constant(to_channels_last(x.detach()))
    with tf.GradientTape() as tape:
        tape.watch(x_keras)
        loss = tf.reduce_sum(tf.square(keras_layer(x_keras, training=True)))
    gradients = tape.gradient(loss, [x_keras] + keras_layer.trainable_weights)
    assert all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in gradients)
    trainable = [p for p in torch_module.parameters() if p.requires_grad]
    assert len(gradients) == 1 + len(trainable)


@settings(max_examples=40, deadline=None)
@given(
    case=st.sampled_from(sorted(CASES)),
    channels=st.integers(1, 40),
    batch=st.integers(1, 3),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    relu=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_torch_and_keras_agree_after_porting(
    case, channels, batch, height, width, relu, seed
):
    torch_module, keras_layer = make_pair(case, channels, seed)
    x = random_input((batch, channels, height, width), seed, relu)
    assert compare_torch_keras(torch_module, keras_layer, x) <= 1e-5


def formula(x, pool, p=3.0, eps=1e-6):
    """The poolings as the chapter writes them, in float64."""
    x = x.double()
    average, maximum = x.mean(dim=(2, 3)), x.amax(dim=(2, 3))
    return {
        "avg": average,
        "max": maximum,
        "avgmax": 0.5 * (average + maximum),
        "catavgmax": torch.cat([average, maximum], 1),
        "catmaxavg": torch.cat([maximum, average], 1),
        "gem": x.clamp(min=eps).pow(p).mean(dim=(2, 3)).pow(1 / p),
    }[pool]


@pytest.mark.parametrize("pool", GLOBAL_POOLS)
def test_global_pool_computes_the_formula(pool):
    x = random_input((3, 6, 5, 7), relu=True)
    with torch.no_grad():
        ours = torch_modules.GlobalPool(6, pool)(x)
    assert max_abs_diff(ours, formula(x, pool)) <= 1e-5


def test_the_concatenation_orders_are_timms_and_fastais():
    x = random_input((2, 4, 3, 3))
    average, maximum = x.mean((2, 3)), x.amax((2, 3))
    timm = torch_modules.GlobalPool(4, "catavgmax")(x)
    fastai = torch_modules.GlobalPool(4, "catmaxavg")(x)
    assert torch.equal(timm, torch.cat((average, maximum), 1))  # adaptive_catavgmax
    assert torch.equal(fastai, torch.cat([maximum, average], 1))  # AdaptiveConcatPool
    blend = torch_modules.GlobalPool(4, "avgmax")(x)  # timm's avgmax: not a concat
    assert blend.shape == (2, 4) and torch.allclose(blend, 0.5 * (average + maximum))


# GeM: the limits, the gradient, the numerics.


@pytest.mark.parametrize("p", [0.5, 1.0, 2.5, 3.0, 6.0, 12.0])
def test_gem_equals_the_paper_formula_in_float64(p):
    x = random_input((2, 5, 6, 7), relu=True).double()
    gem = torch_modules.GeM(5, p=p).double()
    with torch.no_grad():
        assert max_abs_diff(gem(x).flatten(1), formula(x, "gem", p)) <= 1e-10


def test_gem_runs_from_the_average_to_the_maximum():
    x = random_input((2, 5, 6, 7), relu=True) + 0.01
    with torch.no_grad():
        one = torch_modules.GeM(5, p=1.0)(x).flatten(1)
        large = torch_modules.GeM(5, p=500.0)(x).flatten(1)
        values = [torch_modules.GeM(5, p=p)(x).flatten(1) for p in (1, 2, 4, 8, 16)]
    assert max_abs_diff(one, x.mean((2, 3))) <= 1e-6
    assert torch.allclose(large, x.amax((2, 3)), rtol=0.01)
    assert all((b >= a - 1e-6).all() for a, b in zip(values, values[1:]))  # monotone


def test_gem_gradients_pass_gradcheck():
    gem = torch_modules.GeM(3, p=2.5).double()
    x = (torch.rand(2, 3, 4, 5, dtype=torch.float64) + 0.1).requires_grad_()
    p = gem.p.detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x, p: torch.func.functional_call(gem, {"p": p}, (x,)), (x, p)
    )


@pytest.mark.parametrize(
    "p, values", [(3.0, "dead"), (8.0, "dead"), (40.0, "dead"), (30.0, "large")]
)
def test_gem_gradients_stay_finite_where_the_formula_fails(p, values):
    x = random_input((2, 4, 7, 7), relu=True)
    if values == "dead":
        x[0, 0] = 0  # a channel that is zero everywhere
    else:
        x = 50 + x
    for framework in ("torch", "keras"):
        if framework == "torch":
            gem = torch_modules.GeM(4, p=p)
            leaf = x.clone().requires_grad_()
            output = gem(leaf)
            output.sum().backward()
            gradients = [leaf.grad, gem.p.grad]
        else:
            gem = keras_modules.GeM(4, p=p, name="gem")
            x_keras = tf.constant(to_channels_last(x))
            with tf.GradientTape() as tape:
                tape.watch(x_keras)
                output = gem(x_keras)
                loss = tf.reduce_sum(output)
            gradients = tape.gradient(loss, [x_keras, gem.p])
        assert np.isfinite(to_numpy(output)).all(), framework
        assert all(np.isfinite(to_numpy(g)).all() for g in gradients), framework


def test_the_paper_formula_fails_where_ours_does_not():
    """What the chapter shows: the clamped formula's p gradient is NaN for p = 8."""
    dead = torch.zeros(1, 1, 4, 4)
    p = torch.tensor([8.0], requires_grad=True)
    dead.clamp(min=1e-6).pow(p).mean((2, 3)).pow(1 / p).sum().backward()
    assert p.grad.isnan().all()
    p_7 = torch.tensor([7.0], requires_grad=True)
    dead.clamp(min=1e-6).pow(p_7).mean((2, 3)).pow(1 / p_7).sum().backward()
    assert p_7.grad.isfinite().all()


def test_learn_p_false_fixes_the_exponent_in_both_frameworks():
    torch_gem = torch_modules.GeM(4, p=4.0, learn_p=False)
    keras_gem = keras_modules.GeM(4, p=4.0, learn_p=False, name="gem")
    keras_gem.build((None, 3, 3, 4))
    assert count_parameters(torch_gem) == count_parameters(keras_gem) == 0
    assert "p" in torch_gem.state_dict() and len(keras_gem.weights) == 1


# Round trips.


@pytest.mark.parametrize("case", CASES)
def test_keras_config_and_saved_model_round_trips(case, tmp_path):
    _, keras_layer = make_pair(case)
    x = to_channels_last(random_input((2, CHANNELS, 5, 7)))
    expected = keras.ops.convert_to_numpy(keras_layer(x))

    clone = type(keras_layer).from_config(keras_layer.get_config())
    clone.build(x.shape)
    clone.set_weights(keras_layer.get_weights())
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(clone(x)), expected)

    inputs = keras.Input((5, 7, CHANNELS), name="features")
    model = keras.Model(inputs, keras_layer(inputs), name="round_trip")
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert type(loaded.get_layer("layer")) is type(keras_layer)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)), expected)


@pytest.mark.parametrize("case", CASES)
def test_torch_state_dict_round_trip(case):
    original, _ = make_pair(case, seed=1)
    copy, _ = make_pair(case, seed=2)
    x = random_input((2, CHANNELS, 5, 7), relu=True)
    if any(True for _ in original.parameters()):
        assert not torch.equal(original(x), copy(x))
    copy.load_state_dict(original.state_dict())
    assert torch.equal(original(x), copy(x))


# Other backends, TorchScript, dtypes.

OTHER_BACKEND_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras
    sys.path.insert(0, {tests!r})
    from test_dual_pooling import CASES, make_pair, random_input
    from cnn_attention.utils import compare_torch_keras
    assert keras.backend.backend() == {backend!r}
    results = {{}}
    for case in CASES:
        torch_module, keras_layer = make_pair(case)
        x = random_input((2, 8, 5, 7), relu=True)
        results[case] = compare_torch_keras(torch_module, keras_layer, x)
    print(json.dumps(results))
    """
)


def check_other_backend_results(differences):
    """Called by tests/test_other_backends.py with what the script printed."""
    assert set(differences) == set(CASES)
    assert max(differences.values()) <= 1e-5, differences


@pytest.mark.parametrize("case", CASES)
def test_torch_module_scripts_and_traces(case):
    torch_module, _ = make_pair(case)
    x = random_input((2, CHANNELS, 5, 7), relu=True)
    expected = torch_module(x)
    scripted = torch.jit.script(torch_module)
    assert torch.allclose(scripted(x), expected, atol=1e-6)
    with pytest.raises(Exception, match="was built for 8 channels but got 4"):
        scripted(random_input((2, 4, 5, 7)))
    assert torch.allclose(torch.jit.trace(torch_module, x)(x), expected, atol=1e-6)


@pytest.mark.parametrize("head", ["pooling-gem", "pooling-catmaxavg", "dual"])
def test_resnets_with_the_heads_script_and_export(head):
    factory = {
        "pooling-gem": torch_modules.pooling_head("gem"),
        "pooling-catmaxavg": torch_modules.pooling_head("catmaxavg", dropout=0.2),
        "dual": torch_modules.dual_pool_head(),
    }[head]
    model = torch_modules.ResNet(
        layers=(1, 1), widths=(8, 16), num_classes=4, stem="small", head=factory
    ).eval()
    x = random_input((2, 3, 9, 9))
    expected = model(x)
    assert torch.allclose(torch.jit.script(model)(x), expected, atol=1e-6)
    exported = torch.export.export(model, (x,))
    assert torch.allclose(exported.module()(x), expected, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float64", "mixed_float16", "bfloat16"])
@pytest.mark.parametrize("case", ["pool-gem", "head-catavgmax", "dual"])
def test_keras_dtype_reaches_every_sublayer(case, dtype):
    layer = make("keras", case, dtype=dtype)
    output = layer(to_channels_last(random_input((2, CHANNELS, 5, 7), relu=True)))
    policy = keras.mixed_precision.DTypePolicy(dtype)
    assert keras.backend.standardize_dtype(output.dtype) == policy.compute_dtype
    assert {w.dtype for w in layer.weights} == {policy.variable_dtype}


@pytest.mark.parametrize("case", ["pool-gem", "head-avgmax", "dual"])
def test_torch_module_runs_in_float64(case):
    torch_module, _ = make_pair(case)
    x = random_input((2, CHANNELS, 5, 7)).double()
    assert torch_module.double()(x).dtype == torch.float64


# Refusals: the same ValueError in both frameworks.


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "class_name, options, message",
    [
        ("GlobalPool", {"pool": "mean"}, r"pool must be one of 'avg', 'max'"),
        ("GlobalPool", {"pool": "concat"}, r"pool must be one of .* got 'concat'"),
        ("GlobalPool", {"pool": "catmax"}, r"a concatenation's name gives its order"),
        ("GlobalPool", {"pool": "catavgmax", "flatten": 1}, r"flatten must be True"),
        ("GlobalPool", {"pool": "gem", "p": 0}, r"p \(GeM's exponent\) must be"),
        ("GeM", {"p": -1.0}, r"p \(GeM's exponent\) must be a finite positive"),
        ("GeM", {"p": float("nan")}, r"p \(GeM's exponent\) must be a finite"),
        ("GeM", {"p": float("inf")}, r"p \(GeM's exponent\) must be a finite"),
        ("GeM", {"p": True}, r"p \(GeM's exponent\) must be a real number, got True"),
        ("GeM", {"p": "3"}, r"p \(GeM's exponent\) must be a real number"),
        ("GeM", {"eps": 0.0}, r"eps must be a finite positive number"),
        ("GeM", {"learn_p": "yes"}, r"learn_p must be True or False"),
        ("PoolingHead", {"num_classes": 0}, r"num_classes must be a positive integer"),
        ("PoolingHead", {"num_classes": 3, "dropout": 1.0}, r"dropout must be in"),
        ("PoolingHead", {"num_classes": 3, "dropout": -0.1}, r"dropout must be in"),
        ("DualPoolHead", {"num_classes": 3, "pool": "avg"}, r"'catavgmax', 'catmax"),
        (
            "DualPoolHead",
            {"num_classes": 3, "hidden_channels": 0},
            r"hidden_channels must be a positive integer",
        ),
    ],
)
def test_bad_arguments_are_refused(framework, class_name, options, message):
    with pytest.raises(ValueError, match=message):
        getattr(FRAMEWORKS[framework], class_name)(8, **options)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("channels", [0, -8, 8.0, True, np.int64(8), "8", None])
def test_channels_must_be_a_positive_python_int(framework, channels):
    for class_name in ("GlobalPool", "GeM"):
        with pytest.raises(ValueError, match=r"channels must be a positive integer"):
            getattr(FRAMEWORKS[framework], class_name)(channels)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_factories_refuse_bad_options_at_once(framework):
    module = FRAMEWORKS[framework]
    with pytest.raises(ValueError, match=r"pool must be one of"):
        module.pooling_head("sum")
    with pytest.raises(ValueError, match=r"p \(GeM's exponent\) must be"):
        module.pooling_head("gem", p=float("nan"))
    with pytest.raises(ValueError, match=r"pool must be one of 'catavgmax'"):
        module.dual_pool_head("gem")


@pytest.mark.parametrize("case", ["pool-avg", "gem", "head-max", "dual"])
def test_a_channel_mismatch_is_refused_in_both_frameworks(case):
    torch_module, keras_layer = make_pair(case)
    x = random_input((2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"was built for 8 channels but got 4"):
        torch_module(x)
    with pytest.raises(ValueError, match=r"was built for 8 channels but got 4"):
        keras_layer(to_channels_last(x))
    with pytest.raises(ValueError, match=r"expects a 4-D feature map"):
        torch_module(torch.zeros(2, 8, 5))
    with pytest.raises(ValueError, match=r"expects a floating-point input"):
        keras_layer(np.ones((2, 5, 5, 8), "int32"))


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "head_width, backbone", [(512, "resnet50"), (2048, "resnet18")]
)
def test_a_head_narrower_or_wider_than_its_backbone_is_refused(
    framework, head_width, backbone
):
    module = FRAMEWORKS[framework]

    def fixed(in_channels, num_classes):
        kwargs = {"name": "head"} if framework == "keras" else {}
        return module.DualPoolHead(head_width, num_classes, **kwargs)

    model = getattr(module, backbone)(num_classes=3, head=fixed)
    width = {"resnet18": 512, "resnet50": 2048}[backbone]
    message = rf"was built for {head_width} channels but got {width}"
    with pytest.raises(ValueError, match=message):
        if framework == "torch":
            model.eval()(torch.zeros(1, 3, 32, 32))
        else:
            model.build((None, 32, 32, 3))


# Heads in networks, factories, costs.


def test_factories_compare_equal_across_frameworks_and_say_what_they_build():
    assert torch_modules.pooling_head("gem") == keras_modules.pooling_head("gem")
    assert torch_modules.dual_pool_head() == keras_modules.dual_pool_head()
    assert torch_modules.pooling_head("avg") != torch_modules.pooling_head("max")
    assert isinstance(torch_modules.dual_pool_head(), HeadFactory)
    assert repr(torch_modules.dual_pool_head(dropout=0.2)) == (
        "dual_pool_head(dropout=0.2, hidden_channels=None, pool='catavgmax')"
    )
    assert hash(torch_modules.pooling_head()) == hash(keras_modules.pooling_head())


@pytest.mark.parametrize(
    "factory_name, options",
    [("pooling_head", {"pool": pool}) for pool in GLOBAL_POOLS]
    + [("dual_pool_head", {}), ("dual_pool_head", {"pool": "catmaxavg"})],
    ids=str,
)
def test_resnets_with_every_head_are_the_same_in_both_frameworks(factory_name, options):
    arguments = dict(layers=(1, 1), widths=(8, 16), num_classes=5, stem="small")
    torch.manual_seed(0)
    torch_model = randomize(
        torch_modules.ResNet(
            **arguments, head=getattr(torch_modules, factory_name)(**options)
        )
    )
    keras_model = keras_modules.ResNet(
        **arguments, head=getattr(keras_modules, factory_name)(**options), name="net"
    )
    x = random_input((2, 3, 11, 9))
    assert compare_torch_keras(torch_model, keras_model, x) <= 1e-4
    assert count_parameters(torch_model) == count_parameters(keras_model)


def test_the_average_head_is_resnets_default_head():
    torch.manual_seed(0)
    default = torch_modules.resnet18(num_classes=7).eval()
    torch.manual_seed(0)
    ours = torch_modules.resnet18(
        num_classes=7, head=torch_modules.pooling_head()
    ).eval()
    x = random_input((1, 3, 32, 32))
    assert default.state_dict().keys() == ours.state_dict().keys()
    assert torch.equal(default(x), ours(x))  # same weights drawn, same outputs


RESNET_18 = {  # parameters with 1000 classes
    "avg": 11_689_512,
    "max": 11_689_512,
    "avgmax": 11_689_512,
    "catavgmax": 12_201_512,
    "catmaxavg": 12_201_512,
    "gem": 11_689_513,
}


@pytest.mark.parametrize("pool", GLOBAL_POOLS)
def test_resnet18_parameters_with_every_head(pool):
    model = torch_modules.resnet18(head=torch_modules.pooling_head(pool))
    assert count_parameters(model) == RESNET_18[pool]
    assert pooling_head_parameters(512, 1000, pool) == count_parameters(model.head)


def test_resnet18_with_the_seeds_head_and_the_seeds_model():
    ours = torch_modules.resnet18(head=torch_modules.dual_pool_head())
    assert count_parameters(ours) == 12_214_312
    assert dual_pool_head_parameters(512, 1000) == count_parameters(ours.head)
    with pytest.warns(UserWarning, match=r"downloads nothing"):
        seed_model = seed_004.res18(1000)
    assert count_parameters(seed_model) == 12_214_312 + 513_000  # base.fc, unused


@pytest.mark.parametrize(
    "in_channels, classes, pool, hidden",
    [(64, 10, "catavgmax", None), (2048, 1000, "catmaxavg", 512), (3, 2, "gem", None)],
)
def test_cost_formulas_in_both_frameworks(in_channels, classes, pool, hidden):
    pairs = [
        (
            pooling_head_parameters(in_channels, classes, pool),
            "PoolingHead",
            {"pool": pool},
        )
    ]
    if pool != "gem":
        pairs.append(
            (
                dual_pool_head_parameters(in_channels, classes, hidden),
                "DualPoolHead",
                {"pool": pool, "hidden_channels": hidden},
            )
        )
    for expected, class_name, options in pairs:
        torch_head = getattr(torch_modules, class_name)(in_channels, classes, **options)
        keras_head = getattr(keras_modules, class_name)(
            in_channels, classes, name="head", **options
        )
        keras_head.build((None, 3, 3, in_channels))
        assert count_parameters(torch_head) == count_parameters(keras_head) == expected


def test_resnet50_head_takes_its_width_from_the_backbone():
    model = torch_modules.resnet50(num_classes=3, head=torch_modules.dual_pool_head())
    assert model.head.reduce.in_channels == 4096
    assert model.head.reduce.out_channels == 2048
    assert tuple(model.eval()(torch.zeros(1, 3, 32, 32)).shape) == (1, 3)


# Seed 004's network and its slips.


def seed_model(num_classes=10):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return randomize(seed_004.res18(num_classes))


def test_the_stand_ins_have_torchvisions_counts_and_children():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pretrained=False must not warn
        resnet18, resnet50 = seed_004.resnet18(), seed_004.resnet50()
    assert count_parameters(resnet18) == 11_689_512
    assert count_parameters(resnet50) == 25_557_032
    assert [name for name, _ in resnet18.named_children()] == [
        "conv1",
        "bn1",
        "relu",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "fc",
    ]
    with pytest.warns(UserWarning, match=r"weights=ResNet18_Weights.IMAGENET1K_V1"):
        seed_004.resnet18(pretrained=True)


def test_the_stand_in_loads_into_our_resnet18():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stand_in = randomize(seed_004.resnet18(num_classes=7))
    ours = torch_modules.resnet18(num_classes=7).eval()
    from cnn_attention.torch.cbam import official_resnet_keys

    ours.load_state_dict(official_resnet_keys(stand_in.state_dict()))
    x = random_input((2, 3, 64, 64))
    with torch.no_grad():
        assert max_abs_diff(stand_in(x), ours(x)) <= 1e-5


def test_the_seeds_network_loads_into_ours_and_into_keras():
    theirs = seed_model()
    ours = torch_modules.resnet18(
        num_classes=10, head=torch_modules.dual_pool_head()
    ).eval()
    ours.load_state_dict(seed_dual_pool_keys(theirs.state_dict()))
    x = random_input((2, 3, 64, 64))
    with torch.no_grad():
        assert max_abs_diff(theirs(x), ours(x)) <= 1e-5
    keras_model = keras_modules.resnet18(
        num_classes=10, head=keras_modules.dual_pool_head(), name="r18"
    )
    assert compare_torch_keras(ours, keras_model, x) <= 1e-4


def test_the_seeds_loader_names_an_unexpected_key():
    with pytest.raises(ValueError, match=r"unexpected key 'classifier.weight'"):
        seed_dual_pool_keys({"classifier.weight": torch.zeros(1)})


def test_the_seeds_hard_coded_1024_fails_on_a_resnet50_body():
    model = seed_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body = list(seed_004.resnet50().children())[:-2]
    model.feature = nn.Sequential(*body)
    with pytest.raises(RuntimeError, match=r"expected input.*to have 1024 channels"):
        model(torch.zeros(1, 3, 64, 64))


def test_children_minus_three_drops_layer4():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        children = list(seed_004.resnet18().children())
    assert tuple(nn.Sequential(*children[:-3])(torch.zeros(1, 3, 64, 64)).shape) == (
        1,
        256,
        4,
        4,
    )
    assert tuple(nn.Sequential(*children[:-2])(torch.zeros(1, 3, 64, 64)).shape) == (
        1,
        512,
        2,
        2,
    )


def test_the_seeds_head_folds_into_one_linear_layer_of_rank_512():
    head = randomize(torch_modules.DualPoolHead(512, 1000))
    weight = head.fc.weight @ head.reduce.weight[:, :, 0, 0]  # (1000, 1024)
    bias = head.fc.weight @ head.reduce.bias + head.fc.bias
    x = random_input((2, 512, 3, 3), relu=True)
    pooled = torch_modules.GlobalPool(512, "catavgmax")(x)
    with torch.no_grad():
        assert max_abs_diff(head(x), pooled @ weight.T + bias) <= 1e-4
        singular_values = torch.linalg.svdvals(weight)  # matrix_rank is slow here
        assert int((singular_values > 1e-4 * singular_values[0]).sum()) == 512


def test_weights_port_across_orders_only_with_the_halves_swapped():
    timm = randomize(torch_modules.DualPoolHead(16, 4))
    fastai = torch_modules.DualPoolHead(16, 4, pool="catmaxavg").eval()
    state = timm.state_dict()
    fastai.load_state_dict(state)
    x = random_input((2, 16, 3, 3), relu=True)
    with torch.no_grad():
        assert max_abs_diff(timm(x), fastai(x)) > 1e-3
        first, second = state["reduce.weight"].chunk(2, dim=1)
        fastai.load_state_dict(
            {**state, "reduce.weight": torch.cat([second, first], 1)}
        )
        assert max_abs_diff(timm(x), fastai(x)) <= 1e-6


# The benchmark's results, which the chapter reads.


def test_the_benchmark_results_file_is_complete_and_consistent():
    report = json.loads(
        (files("cnn_attention") / "results" / "dual_pooling.json").read_text()
    )
    protocol, heads = report["protocol"], report["heads"]
    assert protocol["seeds"] >= 5 and protocol["threads"] == 1
    assert protocol["baseline"] in heads
    width = protocol["network"]["widths"][-1]
    classes = protocol["network"]["num_classes"]
    body = None
    for name, row in heads.items():
        assert len(row["accuracy"]) == protocol["seeds"], name
        assert math.isclose(row["mean"], np.mean(row["accuracy"]), abs_tol=1e-4)
        assert (name == protocol["baseline"]) != ("vs_baseline" in row)
        if name == protocol["baseline"]:
            body = row["parameters"] - pooling_head_parameters(width, classes)
    assert heads["gem"]["parameters"] == body + pooling_head_parameters(
        width, classes, "gem"
    )
    assert heads["seed 004's head"]["parameters"] == body + dual_pool_head_parameters(
        width, classes
    )
    assert len(heads["gem"]["p"]) == protocol["seeds"]

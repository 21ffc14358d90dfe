"""Every registered attention module, in both frameworks, against one standard.

The cases come from the registries (`create_attention`'s names): a module that
registers itself is tested here, and a test fails until VARIANTS lists its options.
The standard: shapes (batch 1, 1x1 maps, odd sizes, an empty batch), gradients to the
input and every weight, PyTorch == Keras after porting (property-based), Keras config
and .keras round trips, PyTorch state_dict round trips, the other Keras backends,
TorchScript / trace / torch.export / ONNX, dtypes, and the bad input both refuse.
"""

import inspect
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
from cnn_attention.utils import compare_torch_keras, to_channels_first, to_channels_last

# Options per registered module: each variant changes the computation somehow.
VARIANTS = {
    "se": [
        {"reduction": 4},
        {"reduction": 2, "bias": False, "activation": "swish", "gate": "hard_sigmoid"},
        {"hidden_channels": 3, "activation": "hard_swish"},
    ],
    "eca": [{}, {"kernel_size": 5, "gate": "hard_sigmoid"}],
    "cbam": [
        {"reduction": 4},
        {"reduction": 2, "pool_types": ("avg", "max", "lp", "lse"), "kernel_size": 3},
        {"hidden_channels": 3, "spatial_pools": ("avg", "max"), "spatial_norm": False},
        {"reduction": 4, "arrangement": "spatial_first", "bias": False},
        {"reduction": 4, "arrangement": "parallel", "gate": "hard_sigmoid"},
        {"reduction": 4, "spatial": False, "pool_types": ("lse",)},
    ],
    "coord": [
        {},
        {"reduction": 2, "min_hidden_channels": 1, "activation": "silu"},
        {"hidden_channels": 3, "activation": "relu", "gate": "hard_sigmoid"},
        {"reduction": 4, "min_hidden_channels": 4, "activation": "swish"},
    ],
}
CASES = {
    f"{name}-{index}": (name, kwargs)
    for name, variants in VARIANTS.items()
    for index, kwargs in enumerate(variants)
}
FIRST_VARIANTS = [f"{name}-0" for name in VARIANTS]
SHAPES = [(1, 8, 1, 1), (1, 8, 7, 5), (3, 8, 4, 9)]  # batch 1, 1x1 maps, odd sizes
CHANNELS = 8


def make_pair(case: str, channels: int = CHANNELS, seed: int = 0):
    """A PyTorch module and a Keras layer of one case, the Keras one ported."""
    name, kwargs = CASES[case]
    torch.manual_seed(seed)
    torch_module = torch_modules.create_attention(name, channels, **kwargs).eval()
    with torch.no_grad():  # non-zero biases and larger weights test more of the port
        for parameter in torch_module.parameters():
            parameter.normal_(0, 0.5)
        for name_, buffer in torch_module.named_buffers():  # BatchNorm statistics too
            if name_.endswith("running_mean"):
                buffer.uniform_(-0.5, 0.5)
            elif name_.endswith("running_var"):
                buffer.uniform_(0.5, 1.5)
    keras_layer = keras_modules.create_attention(
        name, channels, name="attention", **kwargs
    )
    compare_torch_keras(torch_module, keras_layer, random_input((1, channels, 3, 3)))
    return torch_module, keras_layer


def random_input(shape, seed=0):
    return torch.from_numpy(
        np.random.default_rng(seed).normal(size=shape).astype("float32")
    )


def keras_output(layer, x, **kwargs):
    return keras.ops.convert_to_numpy(layer(to_channels_last(x), **kwargs))


def test_both_frameworks_register_the_same_modules_with_the_same_arguments():
    assert set(torch_modules.ATTENTION_MODULES) == set(keras_modules.ATTENTION_MODULES)
    for name, torch_class in torch_modules.ATTENTION_MODULES.items():
        keras_class = keras_modules.ATTENTION_MODULES[name]
        torch_parameters = inspect.signature(torch_class.__init__).parameters
        keras_parameters = dict(inspect.signature(keras_class.__init__).parameters)
        assert keras_parameters.pop("kwargs").kind is inspect.Parameter.VAR_KEYWORD
        assert [(p.name, p.default) for p in torch_parameters.values()] == [
            (p.name, p.default) for p in keras_parameters.values()
        ], name


def test_every_registered_module_has_test_variants():
    assert set(VARIANTS) == set(torch_modules.ATTENTION_MODULES), (
        "add the new module's options to VARIANTS"
    )


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES)
def test_output_shape_equals_input_shape_in_both_frameworks(case, shape):
    torch_module, keras_layer = make_pair(case)
    x = random_input(shape)
    assert tuple(torch_module(x).shape) == shape
    assert keras_output(keras_layer, x).shape == (
        shape[0],
        shape[2],
        shape[3],
        shape[1],
    )


@pytest.mark.parametrize("case", FIRST_VARIANTS)
def test_an_empty_batch_gives_an_empty_output(case):
    torch_module, keras_layer = make_pair(case)
    x = random_input((0, CHANNELS, 5, 7))
    assert tuple(torch_module(x).shape) == (0, CHANNELS, 5, 7)
    assert keras_output(keras_layer, x).shape == (0, 5, 7, CHANNELS)


@pytest.mark.parametrize("case", CASES)
def test_gradients_reach_the_input_and_every_weight(case):
    torch_module, keras_layer = make_pair(case)
    x = random_input((2, CHANNELS, 5, 7)).requires_grad_()
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
def test_torch_and_keras_agree_after_porting(
    case, channels, batch, height, width, seed
):
    torch_module, keras_layer = make_pair(case, channels, seed)
    x = random_input((batch, channels, height, width), seed)
    assert compare_torch_keras(torch_module, keras_layer, x) <= 1e-5


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
    assert type(loaded.get_layer("attention")) is type(keras_layer)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded(x)), expected)


def test_saved_keras_model_loads_in_a_fresh_process_the_documented_way(tmp_path):
    """The documented way: `import cnn_attention.keras` before load_model."""
    _, keras_layer = make_pair("se-0")
    inputs = keras.Input((5, 7, CHANNELS), name="features")
    keras.Model(inputs, keras_layer(inputs), name="saved").save(tmp_path / "m.keras")
    script = (
        "import keras, cnn_attention.keras; "
        f"m = keras.saving.load_model({str(tmp_path / 'm.keras')!r}); "
        "print(type(m.get_layer('attention')).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "SEModule"


@pytest.mark.parametrize("case", CASES)
def test_torch_state_dict_round_trip(case):
    original, _ = make_pair(case, seed=1)
    copy, _ = make_pair(case, seed=2)
    x = random_input((2, CHANNELS, 5, 7))
    assert not torch.equal(original(x), copy(x))  # different weights...
    copy.load_state_dict(original.state_dict())
    assert torch.equal(original(x), copy(x))  # ...until the state dict is loaded


@pytest.mark.parametrize("case", FIRST_VARIANTS)
def test_torch_module_scripts_traces_and_exports(case, tmp_path):
    torch_module, _ = make_pair(case)
    x = random_input((2, CHANNELS, 5, 7))
    expected = torch_module(x)
    scripted = torch.jit.script(torch_module)
    assert torch.equal(scripted(x), expected)
    with pytest.raises(Exception, match="was built for 8 channels but got 4"):
        scripted(random_input((2, 4, 5, 7)))
    assert torch.equal(torch.jit.trace(torch_module, x)(x), expected)
    exported = torch.export.export(torch_module, (x,))
    assert torch.allclose(exported.module()(x), expected, atol=1e-6)


@pytest.mark.parametrize("case", FIRST_VARIANTS)
def test_torch_module_exports_to_onnx(case, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    torch_module, _ = make_pair(case)
    x = random_input((2, CHANNELS, 5, 7))
    path = tmp_path / "module.onnx"
    torch.onnx.export(torch_module, (x,), dynamo=True).save(str(path))
    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"]
    )
    (output,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    np.testing.assert_allclose(output, torch_module(x).detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("dtype", ["float64", "mixed_float16", "bfloat16"])
@pytest.mark.parametrize("case", FIRST_VARIANTS)
def test_keras_dtype_reaches_every_sublayer(case, dtype):
    name, kwargs = CASES[case]
    layer = keras_modules.create_attention(
        name, CHANNELS, dtype=dtype, name="a", **kwargs
    )
    output = layer(to_channels_last(random_input((2, CHANNELS, 5, 7))))
    compute_dtype = keras.mixed_precision.DTypePolicy(dtype).compute_dtype
    assert keras.backend.standardize_dtype(output.dtype) == compute_dtype
    variable_dtype = keras.mixed_precision.DTypePolicy(dtype).variable_dtype
    assert {w.dtype for w in layer.weights} == {variable_dtype}


@pytest.mark.parametrize("case", FIRST_VARIANTS)
def test_torch_module_runs_in_float64(case):
    torch_module, _ = make_pair(case)
    x = random_input((2, CHANNELS, 5, 7))
    assert torch_module.double()(x.double()).dtype == torch.float64


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
@pytest.mark.parametrize("case", FIRST_VARIANTS)
def test_non_float_input_is_refused_in_both_frameworks(case, dtype):
    torch_module, keras_layer = make_pair(case)
    x = np.ones((2, 5, 7, CHANNELS), dtype=dtype)
    message = r"expects a floating-point input"
    with pytest.raises(ValueError, match=message):
        keras_layer(x)
    with pytest.raises(ValueError, match=message):
        torch_module(torch.from_numpy(to_channels_first(x)))


@pytest.mark.parametrize("case", FIRST_VARIANTS)
def test_an_empty_map_is_refused(case):
    torch_module, keras_layer = make_pair(case)
    with pytest.raises(ValueError, match=r"empty feature map .* H and W must be >= 1"):
        torch_module(torch.zeros(2, CHANNELS, 0, 5))
    with pytest.raises(ValueError, match=r"empty feature map .* H and W must be >= 1"):
        keras_layer(np.zeros((2, 0, 5, CHANNELS), "float32"))


OTHER_BACKEND_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras
    sys.path.insert(0, {tests!r})
    from test_attention_modules import CASES, make_pair, random_input
    from cnn_attention.utils import compare_torch_keras, to_channels_first
    from cnn_attention.utils import to_channels_last
    assert keras.backend.backend() == {backend!r}
    results = {{}}
    for case in CASES:
        torch_module, keras_layer = make_pair(case)
        x = random_input((2, 8, 5, 7))
        output = to_channels_first(keras_layer(to_channels_last(x)))
        # A functional model: a symbolic batch size (JAX) must not break the checks.
        symbolic = keras_layer(keras.Input((5, 7, 8)))
        empty = keras_layer(to_channels_last(x)[:0])
        shapes = [list(symbolic.shape), list(empty.shape)]
        difference = compare_torch_keras(torch_module, keras_layer, x)
        results[case] = [difference, output.tolist(), shapes]
    print(json.dumps(results))
    """
)


def check_other_backend_results(on_backend):
    """Called by tests/test_other_backends.py with what the script printed."""
    assert set(on_backend) == set(CASES)
    for case, (difference_to_pytorch, output, shapes) in on_backend.items():
        assert difference_to_pytorch <= 1e-5, case
        assert shapes == [[None, 5, 7, 8], [0, 5, 7, 8]], (case, shapes)
        _, on_tensorflow = make_pair(case)
        expected = to_channels_first(
            on_tensorflow(to_channels_last(random_input((2, 8, 5, 7))))
        )
        np.testing.assert_allclose(np.array(output, "float32"), expected, atol=1e-5)


# Bad arguments: the same ValueError, with the same message, in both frameworks.
FRAMEWORKS = {"torch": torch_modules, "keras": keras_modules}


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("channels", [0, -8, 8.0, True, np.int64(8), "8", None])
def test_channels_must_be_a_positive_python_int(framework, name, channels):
    with pytest.raises(ValueError, match=r"channels must be a positive integer"):
        FRAMEWORKS[framework].create_attention(name, channels)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_three_dimensional_input_is_refused(framework, name):
    layer = FRAMEWORKS[framework].create_attention(name, 32, **CASES[f"{name}-0"][1])
    x = np.zeros((2, 32, 5), "float32")
    with pytest.raises(ValueError, match=r"expects a 4-D feature map .* got 3-D input"):
        layer(x if framework == "keras" else torch.from_numpy(x))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_torch_channel_count_must_match_the_constructor(name):
    module = torch_modules.create_attention(name, 32, **CASES[f"{name}-0"][1])
    message = r"^[A-Za-z]+ was built for 32 channels but got 16 \(input shape \(1, 16"
    with pytest.raises(ValueError, match=message):
        module(torch.zeros(1, 16, 3, 3))


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_keras_channel_count_must_match_the_one_built(name):
    layer = keras_modules.create_attention(
        name, 32, name="built_for_32", **CASES[f"{name}-0"][1]
    )
    layer(np.zeros((1, 3, 3, 32), "float32"))
    message = r"[A-Za-z]+ 'built_for_32' was built for 32 channels but got 16"
    with pytest.raises(ValueError, match=message):
        layer(np.zeros((1, 3, 3, 16), "float32"))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_create_attention_refuses_unknown_names_and_non_callables(framework):
    create = FRAMEWORKS[framework].create_attention
    with pytest.raises(
        ValueError, match=r"unknown attention 'sE'; known: .*'eca'.*'se'"
    ):
        create("sE", 32)
    for bad in (True, 3, ["se"]):
        with pytest.raises(ValueError, match=r"attention must be a registered name"):
            create(bad, 32)
    with pytest.raises(ValueError, match=r"the attention factory returned int"):
        create(lambda channels, **kwargs: channels, 32)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_create_attention_accepts_none_and_callables(framework):
    module = FRAMEWORKS[framework]
    identity = module.create_attention(None, 32)
    assert type(identity).__name__ == "Identity"
    se = module.create_attention(module.SEModule, 32, reduction=4)
    assert isinstance(se, module.SEModule) and se.get_config()["reduction"] == 4


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_se_reduction_that_leaves_no_hidden_units_is_refused(framework):
    message = r"reduction=16 leaves channels // reduction = 8 // 16 = 0 hidden units"
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].SEModule(8, reduction=16)
    assert FRAMEWORKS[framework].SEModule(8, reduction=16, hidden_channels=2)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("argument", [{"reduction": 0}, {"hidden_channels": 0}])
def test_se_reduction_and_hidden_width_must_be_positive(framework, argument):
    name = next(iter(argument))
    with pytest.raises(
        ValueError, match=rf"{name} must be a positive integer .* got 0"
    ):
        FRAMEWORKS[framework].SEModule(8, **argument)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("bias", ["False", 0, 1, None])
def test_se_bias_must_be_a_boolean(framework, bias):
    with pytest.raises(ValueError, match=r"bias must be True or False"):
        FRAMEWORKS[framework].SEModule(16, bias=bias)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "argument, message",
    [
        ({"activation": "tanh"}, "activation must be one of 'relu', "),
        ({"gate": "softmax"}, "gate must be one of 'sigmoid', "),
        ({"gate": None}, "gate must be one of 'sigmoid', "),
    ],
)
def test_unknown_activation_or_gate_names_the_allowed_ones(
    framework, argument, message
):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].SEModule(16, **argument)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("kernel_size", [2, 4])
def test_explicit_eca_kernel_must_be_odd(framework, kernel_size):
    message = rf"kernel_size must be odd \(1, 3, 5, ...\) .* got {kernel_size}"
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].ECAModule(64, kernel_size=kernel_size)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_eca_kernel_longer_than_the_reach_of_the_channels_is_refused(framework):
    with pytest.raises(ValueError, match=r"kernel_size=9 is longer than 2C - 1 = 7"):
        FRAMEWORKS[framework].ECAModule(4, kernel_size=9)
    assert FRAMEWORKS[framework].ECAModule(4, kernel_size=7).kernel_size == 7


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "argument, message",
    [
        ({"gamma": 0}, r"gamma must be a finite positive number, got 0"),
        ({"gamma": -2}, r"gamma must be a finite positive number, got -2"),
        ({"gamma": float("inf")}, r"gamma must be a finite positive number, got inf"),
        ({"gamma": float("nan")}, r"gamma must be a finite positive number, got nan"),
        ({"gamma": True}, r"gamma must be a real number, got True"),
        ({"gamma": "2"}, r"gamma must be a real number, got '2'"),
        ({"beta": float("nan")}, r"beta must be a finite number, got nan"),
        ({"beta": 1e6}, r"give psi\(64\) = 5e\+05, more than the 2C - 1 = 127 taps"),
        ({"gamma": 1e-300}, r"give psi\(64\) = .*, more than the 2C - 1 = 127 taps"),
        ({"kernel_size": 3, "gamma": float("nan")}, r"gamma must be a finite positive"),
        ({"kernel_size": 3, "beta": "x"}, r"beta must be a real number, got 'x'"),
    ],
)
def test_eca_gamma_and_beta_must_be_finite_reals(framework, argument, message):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].ECAModule(64, **argument)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_taken_name_cannot_be_registered_to_another_class(framework):
    module = FRAMEWORKS[framework]
    packaged = module.SEModule
    base = packaged.__mro__[-2]  # nn.Module or keras.layers.Layer

    with pytest.raises(ValueError, match=r"'se' is already registered to .*\.SEModule"):

        @module.register_attention("se")
        class Other(base):
            pass

    # a user's class that only shares the class name is refused too (it used to be
    # ignored without a word, issue 18)
    with pytest.raises(
        ValueError, match=r"choose another name for .*<locals>\.SEModule"
    ):

        @module.register_attention("se")
        class SEModule(base):
            pass

    # the same class defined again (a notebook cell run twice, a reloaded module)
    # takes the name over
    again = type(
        "SEModule",
        packaged.__bases__,
        {"__module__": packaged.__module__, "__qualname__": packaged.__qualname__},
    )
    try:
        module.register_attention("se")(again)
        assert module.ATTENTION_MODULES["se"] is not packaged
    finally:
        module.ATTENTION_MODULES["se"] = packaged
        if framework == "keras":  # Keras's own registry: saved models load ours
            keras.saving.get_custom_objects()["cnn_attention>SEModule"] = packaged
    with pytest.raises(ValueError, match=r"registry name must be a non-empty str"):
        module.register_attention(5)

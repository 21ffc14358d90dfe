"""Properties of the public API over random configurations (hypothesis).

For any valid configuration of SE, ECA, CBAM and Coordinate Attention built by name
through `create_attention`: PyTorch and Keras agree once the weights are ported, and
the module survives every round trip a user makes (config, state_dict, pickle,
torch.jit.save and load, .keras). For any argument given a value of the wrong kind,
the constructor raises ValueError or TypeError naming that argument.

`make test` draws PROPERTY_EXAMPLES examples per property (20); `make test-slow`
draws 300 (the same tests, longer).
"""

import copy
import io
import os
import pickle

import hostile
import keras
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cnn_attention.keras as ck
import cnn_attention.torch as ct
from cnn_attention import arguments
from cnn_attention.utils import compare_torch_keras, max_abs_diff, to_channels_last

pytestmark = pytest.mark.properties  # make test-slow selects them by this mark
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "20"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

optional_count = st.none() | st.integers(1, 12)


@st.composite
def attention_configs(draw):
    """(name, channels, keyword arguments) of a valid attention module."""
    name = draw(st.sampled_from(["se", "eca", "cbam", "coord"]))
    channels = draw(st.integers(1, 40))
    options = {}
    if name in ("se", "cbam"):
        options["hidden_channels"] = draw(optional_count)
        largest = channels if options["hidden_channels"] is None else 64
        options["reduction"] = draw(st.integers(1, largest))
        options["bias"] = draw(st.booleans())
        options["activation"] = draw(st.sampled_from(arguments.ACTIVATIONS))
    if name == "cbam":
        options["pool_types"] = tuple(
            draw(st.permutations(arguments.POOL_TYPES))[: draw(st.integers(1, 4))]
        )
        options["kernel_size"] = draw(st.sampled_from([1, 3, 5, 7]))
        options["spatial_pools"] = draw(st.sampled_from(arguments.SPATIAL_POOLS))
        options["spatial_norm"] = draw(st.booleans())
        options["spatial"] = draw(st.booleans())
        options["arrangement"] = draw(st.sampled_from(arguments.ARRANGEMENTS))
    if name == "eca":
        longest = min(2 * channels - 1, 9)
        options["kernel_size"] = draw(
            st.none() | st.sampled_from(range(1, longest + 1, 2))
        )
        options["gamma"] = draw(st.floats(0.5, 4))
        options["beta"] = draw(st.floats(-2, 2))
        try:
            arguments.eca_kernel_size_or_default(channels, **options)
        except ValueError:
            assume(False)  # gamma, beta asking for a kernel longer than 2C - 1
    if name == "coord":
        options["hidden_channels"] = draw(optional_count)
        options["reduction"] = draw(st.integers(1, 64))
        options["min_hidden_channels"] = draw(st.integers(1, 12))
        options["activation"] = draw(st.sampled_from(arguments.ACTIVATIONS))
    options["gate"] = draw(st.sampled_from(arguments.GATES))
    return name, channels, options


def make_pair(config, seed):
    name, channels, options = config
    torch_module = ct.create_attention(name, channels, **options)
    ct.randomize(torch_module, seed)
    keras_layer = ck.create_attention(name, channels, name="attention", **options)
    return torch_module.eval(), keras_layer


def random_input(channels, batch, height, width, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, height, width, generator=generator)


sizes = dict(
    batch=st.integers(0, 3),
    height=st.integers(1, 6),
    width=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)


@PROPERTY
@given(config=attention_configs(), **sizes)
def test_any_valid_configuration_is_the_same_in_both_frameworks(
    config, batch, height, width, seed
):
    torch_module, keras_layer = make_pair(config, seed)
    x = random_input(config[1], batch, height, width, seed)
    assert compare_torch_keras(torch_module, keras_layer, x) <= 1e-5


@PROPERTY
@given(config=attention_configs(), seed=st.integers(0, 2**16))
def test_any_valid_pytorch_module_survives_every_round_trip(config, seed):
    torch_module, _ = make_pair(config, seed)
    name, channels, options = config
    x = random_input(channels, 2, 4, 5, seed)
    with torch.no_grad():
        expected = torch_module(x)

        fresh = type(torch_module)(**torch_module.get_config()).eval()
        fresh.load_state_dict(torch_module.state_dict())
        assert torch.equal(fresh(x), expected)  # config + state_dict

        assert torch.equal(pickle.loads(pickle.dumps(torch_module))(x), expected)
        assert torch.equal(copy.deepcopy(torch_module)(x), expected)

        buffer = io.BytesIO()
        torch.jit.save(torch.jit.script(torch_module), buffer)
        buffer.seek(0)
        assert torch.allclose(torch.jit.load(buffer)(x), expected, atol=1e-6)


@PROPERTY
@given(config=attention_configs(), seed=st.integers(0, 2**16))
def test_any_valid_keras_layer_survives_every_round_trip(
    config, seed, tmp_path_factory
):
    _, keras_layer = make_pair(config, seed)
    x = to_channels_last(random_input(config[1], 2, 4, 5, seed))
    expected = keras_layer(x)

    clone = type(keras_layer).from_config(keras_layer.get_config())
    clone(x)
    clone.set_weights(keras_layer.get_weights())
    assert max_abs_diff(clone(x), expected) == 0  # config + weights

    assert max_abs_diff(pickle.loads(pickle.dumps(keras_layer))(x), expected) == 0

    inputs = keras.Input(x.shape[1:])
    model = keras.Model(inputs, keras_layer(inputs))
    path = tmp_path_factory.mktemp("saved") / "model.keras"
    model.save(path)
    assert max_abs_diff(keras.saving.load_model(path)(x), expected) <= 1e-6


# Bad values by the kind of argument they are given to: each must be refused.
WRONG_VALUES = {
    "count": st.sampled_from([True, False, 0, -1, 2.5, "8", None, float("nan")])
    | st.integers(max_value=0)
    | st.floats(allow_nan=True),
    "optional count": st.sampled_from([True, False, 0, -1, 2.5, "8", float("nan")])
    | st.integers(max_value=0),
    "bool": st.sampled_from(["False", "True", 0, 1, None, "yes", 1.0]),
    "choice": st.sampled_from(["", "Sigmoid", "relu6", None, 0, False, "swish "])
    | st.text(max_size=5).filter(
        lambda s: s not in arguments.ACTIVATIONS + arguments.GATES
    ),
    "real": st.sampled_from(
        [float("nan"), float("inf"), -float("inf"), True, "2", None]
    ),
    "positive real": st.sampled_from([float("nan"), float("inf"), True, "2", None])
    | st.floats(max_value=0),
    "odd kernel": st.integers(-4, 12).filter(lambda k: k < 1 or k % 2 == 0)
    | st.sampled_from([True, "7", 3.0]),
}
# The kinds of each argument, as tests/hostile.py's table records them.
REGISTERED = {
    "se": "SEModule",
    "eca": "ECAModule",
    "cbam": "CBAM",
    "coord": "CoordinateAttention",
}
ARGUMENT_KINDS = {
    name: {
        argument: kind
        for argument, kind in hostile.CONSTRUCTORS[constructor][1].items()
        if kind in WRONG_VALUES
    }
    for name, constructor in REGISTERED.items()
}


@st.composite
def one_wrong_argument(draw):
    name = draw(st.sampled_from(sorted(ARGUMENT_KINDS)))
    argument, kind = draw(st.sampled_from(sorted(ARGUMENT_KINDS[name].items())))
    value = draw(WRONG_VALUES[kind])
    options = {"channels": 16, "reduction": 4} if name != "eca" else {"channels": 16}
    options[argument] = value
    return name, argument, options


@PROPERTY
@given(case=one_wrong_argument(), framework=st.sampled_from(["torch", "keras"]))
def test_a_wrong_value_is_refused_naming_its_argument(case, framework):
    name, argument, options = case
    create = (ct if framework == "torch" else ck).create_attention
    channels = options.pop("channels")
    try:
        create(name, channels, **options)
    except (ValueError, TypeError) as error:
        assert argument in str(error), str(error)
    else:
        raise AssertionError(
            f"{name} accepted {argument}={options.get(argument, channels)!r}"
        )


def test_the_slow_profile_draws_more_examples():
    """make test-slow sets PROPERTY_EXAMPLES; the default keeps make test quick."""
    assert EXAMPLES >= 20
    assert np.isfinite(EXAMPLES)

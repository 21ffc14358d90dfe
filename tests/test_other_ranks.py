"""SE and ECA for sequences (1-D) and volumes or video (3-D), in both frameworks.

SEModule1d/3d and ECAModule1d/3d change only the axes the squeeze averages over, so
each must equal the 2-D module on the same numbers laid out as an image, with the
same weights; each framework must equal the other after porting; and both must
refuse input of the wrong rank, empty input and integers with a ValueError.
"""

import io

import keras
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnn_attention.keras as ck
import cnn_attention.torch as ct
from cnn_attention.utils import compare_torch_keras, to_channels_last

# name -> (2-D counterpart, options, spatial dims)
MODULES = {
    "SEModule1d": ("SEModule", {"reduction": 4}, 1),
    "SEModule3d": ("SEModule", {"reduction": 4}, 3),
    "ECAModule1d": ("ECAModule", {}, 1),
    "ECAModule3d": ("ECAModule", {"kernel_size": 5}, 3),
}
CHANNELS = 16


def torch_pair(name: str, seed: int = 0):
    """The module of `name` and its 2-D counterpart, with the same random weights."""
    counterpart, options, _ = MODULES[name]
    torch.manual_seed(seed)
    module = getattr(ct, name)(CHANNELS, **options).eval()
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0, 0.5)
    flat = getattr(ct, counterpart)(CHANNELS, **options).eval()
    flat.load_state_dict(module.state_dict())  # the same keys: weights move as they are
    return module, flat


def sizes(spatial_dims: int):
    return st.tuples(*[st.integers(1, 6)] * spatial_dims)


@settings(max_examples=20, deadline=None)
@given(
    name=st.sampled_from(sorted(MODULES)),
    batch=st.integers(1, 3),
    data=st.data(),
)
def test_each_equals_the_2d_module_on_the_same_numbers(name, batch, data):
    spatial = data.draw(sizes(MODULES[name][2]))
    module, flat = torch_pair(name)
    x = torch.randn(batch, CHANNELS, *spatial)
    # the squeeze averages over every position, so any 2-D layout of them gives
    # the same: (N, C, L) -> (N, C, 1, L); (N, C, D, H, W) -> (N, C, D * H, W)
    as_image = x.reshape(batch, CHANNELS, -1, spatial[-1])
    expected = flat(as_image).reshape(x.shape)
    assert torch.allclose(module(x), expected, atol=1e-6)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_pytorch_and_keras_agree_after_porting(name):
    counterpart, options, spatial_dims = MODULES[name]
    module, _ = torch_pair(name)
    layer = getattr(ck, name)(CHANNELS, name="attention", **options)
    x = torch.randn(2, CHANNELS, *[3, 5, 4][:spatial_dims])
    assert compare_torch_keras(module, layer, x) < 1e-5


@pytest.mark.parametrize("name", sorted(MODULES))
def test_torchscript_saves_and_loads(name):
    module, _ = torch_pair(name)
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buffer)
    buffer.seek(0)
    x = torch.randn(2, CHANNELS, *[3, 5, 4][: MODULES[name][2]])
    assert torch.equal(torch.jit.load(buffer)(x), module(x))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_keras_model_saves_and_loads_with_the_same_class(name, tmp_path):
    _, options, spatial_dims = MODULES[name]
    spatial = [3, 5, 4][:spatial_dims]
    inputs = keras.Input((*spatial, CHANNELS))
    layer = getattr(ck, name)(CHANNELS, name="attention", **options)
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    x = np.random.default_rng(0).normal(size=(2, *spatial, CHANNELS)).astype("f4")
    assert type(loaded.get_layer("attention")) is type(layer)
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_an_empty_batch_gives_an_empty_output(name):
    _, options, spatial_dims = MODULES[name]
    spatial = [3, 5, 4][:spatial_dims]
    module, _ = torch_pair(name)
    assert module(torch.zeros(0, CHANNELS, *spatial)).shape == (0, CHANNELS, *spatial)
    layer = getattr(ck, name)(CHANNELS, name="attention", **options)
    x = np.zeros((0, *spatial, CHANNELS), "float32")
    assert tuple(layer(x).shape) == (0, *spatial, CHANNELS)


LAYOUTS = {1: ("(N, C, L)", "(N, L, C)"), 3: ("(N, C, D, H, W)", "(N, D, H, W, C)")}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_bad_input_is_refused_with_the_layout_it_needs(name):
    _, options, spatial_dims = MODULES[name]
    torch_layout, keras_layout = LAYOUTS[spatial_dims]
    module, _ = torch_pair(name)
    layer = getattr(ck, name)(CHANNELS, name="attention", **options)
    image = torch.zeros(2, CHANNELS, 5, 4)  # a 2-D map: the wrong rank for both
    with pytest.raises(ValueError, match=rf"{spatial_dims + 2}-D feature map "):
        module(image)
    with pytest.raises(ValueError, match=torch_layout.replace("(", r"\(")[:-1]):
        module(image)
    with pytest.raises(ValueError, match=keras_layout.replace("(", r"\(")[:-1]):
        layer(to_channels_last(image))
    empty = torch.zeros(2, CHANNELS, *[0] * spatial_dims)
    with pytest.raises(ValueError, match="must be >= 1"):
        module(empty)
    with pytest.raises(ValueError, match="must be >= 1"):
        layer(np.zeros((2, *[0] * spatial_dims, CHANNELS), "float32"))
    integers = torch.zeros(2, CHANNELS, *[3] * spatial_dims, dtype=torch.int64)
    with pytest.raises(ValueError, match="floating-point"):
        module(integers)
    wrong_channels = torch.zeros(2, CHANNELS + 1, *[3] * spatial_dims)
    with pytest.raises(ValueError, match=f"built for {CHANNELS} channels but got 17"):
        module(wrong_channels)


def test_se_1d_is_the_paper_s_equations_in_numpy():
    module, _ = torch_pair("SEModule1d")
    x = np.random.default_rng(1).normal(size=(2, CHANNELS, 7)).astype("float32")
    weights = {key: value.numpy() for key, value in module.state_dict().items()}
    z = x.mean(axis=2)  # (N, C)
    hidden = np.maximum(z @ weights["fc1.weight"].T + weights["fc1.bias"], 0)
    scores = hidden @ weights["fc2.weight"].T + weights["fc2.bias"]
    expected = x / (1 + np.exp(-scores))[:, :, None]
    with torch.no_grad():
        np.testing.assert_allclose(module(torch.from_numpy(x)), expected, atol=1e-6)

"""The one-tensor rescaling of CBAM and Coordinate Attention (issue 19): the same
values as two out-of-place products, one full-size tensor when autograd does not
need the first, the usual gradients when it does."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnn_attention.torch as torch_modules
from cnn_attention.torch.scaling import multiply_into
from cnn_attention.torch.testing import randomize


def test_multiply_into_writes_into_the_fresh_tensor_without_autograd():
    fresh, gate = torch.randn(2, 3, 4, 5), torch.rand(2, 1, 4, 5)
    expected = fresh * gate
    with torch.no_grad():
        result = multiply_into(fresh, gate)
    assert result.data_ptr() == fresh.data_ptr() and torch.equal(result, expected)


def test_multiply_into_keeps_the_fresh_tensor_when_autograd_needs_it():
    fresh = torch.randn(2, 3, 4, 5, requires_grad=True) * 1.0  # a non-leaf
    gate = torch.rand(2, 1, 4, 5, requires_grad=True)
    result = multiply_into(fresh, gate)
    assert result.data_ptr() != fresh.data_ptr()
    result.sum().backward()  # would fail had fresh been overwritten
    assert gate.grad is not None


@pytest.mark.parametrize(
    "gate_shape, dtype",
    [
        ((1, 2, 3, 4, 5), torch.float32),
        ((2, 3, 4, 7), torch.float32),
        ((2, 1, 4, 5), torch.float64),
    ],
    ids=["more dimensions", "wider", "another dtype"],
)
def test_multiply_into_falls_back_where_in_place_would_change_the_result(
    gate_shape, dtype
):
    fresh = torch.randn(2, 3, 4, 5)
    gate = torch.rand(gate_shape, dtype=dtype)
    before = fresh.clone()
    with torch.no_grad():
        if gate_shape[-1] == 7:
            with pytest.raises(RuntimeError):  # what fresh * gate itself says
                multiply_into(fresh, gate)
            return
        result = multiply_into(fresh, gate)
    assert torch.equal(fresh, before)  # untouched
    assert result.shape == (fresh * gate).shape and result.dtype == (fresh * gate).dtype


def _two_tensor_forward(module, x):
    """The modules as they were: two out-of-place products."""
    if isinstance(module, torch_modules.CoordinateAttention):
        a_h, a_w = module.attention(x)
        return x * a_w * a_h
    channel, spatial = module.channel_gate, module.spatial_gate
    if module.arrangement == "channel_first":
        return spatial(channel(x))
    if module.arrangement == "spatial_first":
        return channel(spatial(x))
    return x * channel.attention(x) * spatial.attention(x)


MODULES = {
    "cbam channel_first": lambda: torch_modules.CBAM(16, 4),
    "cbam spatial_first": lambda: torch_modules.CBAM(
        16, 4, arrangement="spatial_first"
    ),
    "cbam parallel": lambda: torch_modules.CBAM(16, 4, arrangement="parallel"),
    "coordinate attention": lambda: torch_modules.CoordinateAttention(16),
}


@pytest.mark.parametrize("build", MODULES.values(), ids=MODULES.keys())
@settings(max_examples=15, deadline=None)
@given(
    batch=st.integers(0, 3),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    seed=st.integers(0, 2**16),
)
def test_outputs_and_gradients_are_those_of_two_products(
    build, batch, height, width, seed
):
    torch.manual_seed(seed)
    module = randomize(build()).eval()
    x = torch.randn(batch, 16, height, width)
    with torch.inference_mode():  # the in-place path: bit for bit the same values
        assert torch.equal(module(x), _two_tensor_forward(module, x))
    if batch == 0:
        return
    # with autograd the products stay out of place: the same gradients
    inputs = [x.clone().requires_grad_() for _ in range(2)]
    module(inputs[0]).square().sum().backward()
    _two_tensor_forward(module, inputs[1]).square().sum().backward()
    assert torch.equal(inputs[0].grad, inputs[1].grad)


@pytest.mark.parametrize("build", MODULES.values(), ids=MODULES.keys())
def test_the_input_is_never_overwritten(build):
    module = randomize(build()).eval()
    x = torch.randn(2, 16, 5, 6)
    before = x.clone()
    with torch.inference_mode():
        module(x)
    assert torch.equal(x, before)

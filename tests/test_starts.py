"""How gates start: open_gates and residual_gates (cnn_attention.torch.starts)."""

import copy
import math

import pytest
import torch
from torch import nn

import cnn_attention.torch as ct
from cnn_attention.torch.starts import OnePlusTanh, open_gates, residual_gates

NETWORK = dict(
    layers=(1, 1), widths=(16, 32), num_classes=3, in_channels=1, stem="small"
)


def network(attention, **options):
    torch.manual_seed(0)
    return ct.ResNet(**NETWORK, attention=attention, attention_kwargs=options or None)


def gates(model, x) -> list[torch.Tensor]:
    """What each attention module multiplies its input by, read with hooks."""
    found = []

    def hook(module, inputs, output):
        found.append(output / inputs[0])

    handles = [
        module.register_forward_hook(hook)
        for module in model.modules()
        if isinstance(module, (ct.SEModule, ct.ECAModule, ct.CoordinateAttention))
    ]
    with torch.no_grad():
        model.eval()(x)
    for handle in handles:
        handle.remove()
    return found


IMAGES = torch.rand(4, 1, 12, 12) + 0.1


@pytest.mark.parametrize("attention", ["se", "coord"])
def test_default_gates_start_near_a_half_or_a_quarter(attention):
    expected = {"se": 0.5, "coord": 0.25}[attention]
    for gate in gates(network(attention, reduction=4), IMAGES):
        assert abs(gate.mean().item() - expected) < 0.1


@pytest.mark.parametrize("attention", ["se", "coord"])
def test_open_gates_start_every_gate_near_sigmoid_of_the_bias(attention):
    model = network(attention, reduction=4)
    names = open_gates(model, bias=3.0)
    assert names == ["stages.0.0.attention", "stages.1.0.attention"]
    opened = 1 / (1 + math.exp(-3.0))
    expected = opened if attention == "se" else opened**2  # CA multiplies two gates
    for gate in gates(model, IMAGES):
        assert abs(gate.mean().item() - expected) < 0.05


@pytest.mark.parametrize("attention", ["se", "eca", "coord"])
def test_residual_gates_make_the_network_exactly_the_one_without_attention(attention):
    model = network(attention, **({} if attention == "eca" else {"reduction": 4}))
    assert len(residual_gates(model)) == 2
    plain = copy.deepcopy(model)
    for stage in plain.stages:
        stage[0].attention = nn.Identity()
    with torch.no_grad():
        assert torch.equal(model.eval()(IMAGES), plain.eval()(IMAGES))
    for module in model.modules():
        if hasattr(module, "gate") and not isinstance(module, ct.ResNet):
            assert isinstance(module.gate, OnePlusTanh)


def test_residual_gates_still_learn():
    model = network("se", reduction=4)
    residual_gates(model)
    loss = model.train()(IMAGES).square().mean()
    loss.backward()
    assert model.stages[0][0].attention.fc2.weight.grad.abs().sum() > 0


def test_one_plus_tanh_is_one_at_zero_and_stays_between_zero_and_two():
    scores = torch.tensor([-50.0, -1.0, 0.0, 1.0, 50.0])
    gate = OnePlusTanh()(scores)
    assert gate[2] == 1
    assert bool(((gate >= 0) & (gate <= 2)).all())


def test_open_gates_refuses_what_it_cannot_open():
    with pytest.raises(ValueError, match="holds no module whose start"):
        open_gates(network(None))
    with pytest.raises(ValueError, match="holds no module whose start"):
        open_gates(network("eca"))  # ECA's convolution has no bias
    with pytest.raises(ValueError, match="bias=False.*residual_gates"):
        open_gates(network("se", reduction=4, bias=False))
    with pytest.raises(ValueError, match="must be a torch.nn.Module"):
        residual_gates("a network")


@pytest.mark.parametrize("bias", [float("nan"), float("inf"), True, "3", None])
def test_open_gates_refuses_a_bias_that_is_not_a_finite_number(bias):
    model = network("se", reduction=4)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match="bias must be"):
        open_gates(model, bias)
    after = model.state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before)

"""PyTorch activations and gates by the names `cnn_attention.arguments` allows."""

from torch import nn

from cnn_attention.arguments import ACTIVATIONS, GATES, check_choice

_TORCH_LAYERS = {
    "relu": nn.ReLU,
    "silu": nn.SiLU,
    "swish": nn.SiLU,
    "hard_swish": nn.Hardswish,
    "sigmoid": nn.Sigmoid,
    "hard_sigmoid": nn.Hardsigmoid,
}


def create_activation(activation: str) -> nn.Module:
    """The hidden-layer nonlinearity by name: one of ACTIVATIONS."""
    return _TORCH_LAYERS[check_choice("activation", activation, ACTIVATIONS)]()


def create_gate(gate: str) -> nn.Module:
    """The function that turns scores into weights in [0, 1], by name: one of GATES."""
    return _TORCH_LAYERS[check_choice("gate", gate, GATES)]()


__all__ = [
    "create_activation",
    "create_gate",
]

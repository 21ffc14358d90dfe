# This file was generated from notebooks/02_squeeze_excitation.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

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


def make_activation(name: str) -> nn.Module:
    """The hidden-layer nonlinearity by name: one of ACTIVATIONS."""
    return _TORCH_LAYERS[check_choice("activation", name, ACTIVATIONS)]()


def make_gate(name: str) -> nn.Module:
    """The squashing function that turns scores into weights in [0, 1]: one of GATES."""
    return _TORCH_LAYERS[check_choice("gate", name, GATES)]()


__all__ = [
    'make_activation',
    'make_gate',
]

"""Keras activations and gates by the names `cnn_attention.arguments` allows."""

from keras import layers

from cnn_attention.arguments import ACTIVATIONS, GATES, check_choice

# Our names -> Keras's (Keras 3 calls hard swish "hard_silu"; the hard functions
# are built from relu6(x + 3) / 6, as in PyTorch).
_KERAS_NAMES = {
    "relu": "relu",
    "silu": "silu",
    "swish": "silu",
    "hard_swish": "hard_silu",
    "sigmoid": "sigmoid",
    "hard_sigmoid": "hard_sigmoid",
}


def create_activation(activation: str, **kwargs) -> layers.Activation:
    """The hidden-layer nonlinearity by name (one of ACTIVATIONS), as a layer.

    Keyword arguments (`name`, `dtype`) go to the layer.
    """
    check_choice("activation", activation, ACTIVATIONS)
    return layers.Activation(_KERAS_NAMES[activation], **kwargs)


def create_gate(gate: str, **kwargs) -> layers.Activation:
    """The function that turns scores into weights in [0, 1] (one of GATES), a layer."""
    return layers.Activation(_KERAS_NAMES[check_choice("gate", gate, GATES)], **kwargs)


__all__ = [
    "create_activation",
    "create_gate",
]

# This file was generated from notebooks/02_squeeze_excitation.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

import keras

from cnn_attention.arguments import ACTIVATIONS, GATES, check_choice

# Our names -> Keras's names (Keras 3 calls hard swish "hard_silu"; both hard functions use relu6(x + 3) / 6).
_KERAS_NAMES = {
    "relu": "relu",
    "silu": "silu",
    "swish": "silu",
    "hard_swish": "hard_silu",
    "sigmoid": "sigmoid",
    "hard_sigmoid": "hard_sigmoid",
}


def get_activation(name: str):
    """The hidden-layer nonlinearity by name: one of ACTIVATIONS."""
    return keras.activations.get(
        _KERAS_NAMES[check_choice("activation", name, ACTIVATIONS)]
    )


def get_gate(name: str):
    """The squashing function that turns scores into weights in [0, 1]: one of GATES."""
    return keras.activations.get(_KERAS_NAMES[check_choice("gate", name, GATES)])


__all__ = [
    'get_activation',
    'get_gate',
]

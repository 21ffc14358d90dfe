"""A maximum over axes that works on an empty batch on every Keras backend."""

import keras
from keras import ops


def reduce_max(x, axis, keepdims=False):
    """ops.max over `axis`, also for N = 0 on TensorFlow, JAX and torch.

    TensorFlow's backend checks eagerly that the whole tensor is non-empty unless an
    `initial` is given; the torch backend, given an `initial` and an empty tensor,
    returns one value instead of a reduced (0, ...) tensor, while torch's own amax
    reduces an empty batch correctly.
    """
    if keras.backend.backend() == "torch":
        return ops.amax(x, axis=axis, keepdims=keepdims)
    return ops.max(x, axis=axis, keepdims=keepdims, initial=float("-inf"))


__all__ = [
    "reduce_max",
]

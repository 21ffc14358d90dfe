"""The demo exercise used by the tests of tools/make_workshop.py (demo.*)."""

from __future__ import annotations

from cnn_attention.exercises.registry import as_shape, exercise


@exercise("demo.1", wrong={"permuted_shape": (2, 8, 5, 7)})
def _demo_1(permuted_shape):
    """The shape of a (2, 8, 5, 7) tensor after ``permute(0, 2, 3, 1)``."""
    shape = as_shape(permuted_shape)
    if shape == (2, 8, 5, 7):
        return "that is the shape before the permute"
    if sorted(shape) != [2, 5, 7, 8]:
        return "permute reorders the axes; it keeps their sizes"
    if shape != (2, 5, 7, 8):
        return "position i of the result takes old axis dims[i]: read (0, 2, 3, 1)"
    return None

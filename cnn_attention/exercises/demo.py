"""The demo exercise used by the tests of tools/make_workshop.py (demo.*)."""

from __future__ import annotations

from cnn_attention.exercises.answers import SHAPE
from cnn_attention.exercises.registry import exercise


@exercise(
    "demo.1",
    answers={"permuted_shape": SHAPE},
    wrong={"permuted_shape": (2, 8, 5, 7)},
)
def _demo_1(permuted_shape):
    """The shape of a (2, 8, 5, 7) tensor after ``permute(0, 2, 3, 1)``."""
    if permuted_shape == (2, 8, 5, 7):
        return "that is the shape before the permute"
    if sorted(permuted_shape) != [2, 5, 7, 8]:
        return "permute reorders the axes; it keeps their sizes"
    if permuted_shape != (2, 5, 7, 8):
        return "position i of the result takes old axis dims[i]: read (0, 2, 3, 1)"
    return None

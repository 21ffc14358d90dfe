"""Chapter 7, BiFPN (bifpn.*): notebooks/07_bifpn.ipynb."""

from __future__ import annotations

import math

from cnn_attention.exercises.answers import COUNT, FLAG, NUMBER
from cnn_attention.exercises.registry import exercise


@exercise(
    "bifpn.1",
    answers={"nodes": COUNT, "fusion_weights": COUNT},
    wrong={"nodes": 12, "fusion_weights": 19},
)
def _bifpn_1(nodes, fusion_weights):
    """Nodes and fusion weights of one BiFPN layer over six levels (P3-P8)."""
    if nodes != 10:
        return "L levels give L - 1 top-down nodes (P3's is its output) and L - 1 more"
    if fusion_weights == 19:
        return "19 is the count for five levels; recount for six"
    if fusion_weights != 24:
        return (
            "one weight per input: 2 per top-down node, 3 per bottom-up node, "
            "2 for the top output"
        )
    return None


def _swish_minimum() -> float:
    """min over x of x * sigmoid(x), by Newton's method on its derivative."""
    x = -1.0
    for _ in range(50):
        s = 1 / (1 + math.exp(-x))
        first = s + x * s * (1 - s)  # d/dx [x s(x)]
        second = s * (1 - s) * (2 + x * (1 - 2 * s))
        x -= first / second
    return x / (1 + math.exp(-x))


@exercise("bifpn.2", answers={"swish_minimum": NUMBER}, wrong={"swish_minimum": 0.0})
def _bifpn_2(swish_minimum):
    """The smallest value of swish(x) = x * sigmoid(x)."""
    if abs(swish_minimum) <= 1e-3:
        return "swish is negative for x < 0: look left of 0"
    if abs(swish_minimum - _swish_minimum()) > 1e-3:
        return "evaluate x * sigmoid(x) on a fine grid of negative x; take the minimum"
    return None


@exercise(
    "bifpn.3",
    answers={"fast_gradient": NUMBER, "softmax_gradient_is_zero": FLAG},
    wrong={"fast_gradient": 0.5, "softmax_gradient_is_zero": True},
)
def _bifpn_3(fast_gradient, softmax_gradient_is_zero):
    """Gradient reaching a negative raw weight, fast fusion and softmax fusion."""
    if fast_gradient != 0.0:
        return "the ReLU's derivative below 0 is 0: what reaches the raw weight?"
    if softmax_gradient_is_zero:
        return "softmax(w) is never exactly 0, and neither is its derivative here"
    return None


@exercise("bifpn.4", answers={"channel_weights": COUNT}, wrong={"channel_weights": 57})
def _bifpn_4(channel_weights):
    """Fusion weights of D0's BiFPN with one weight per input and channel."""
    if channel_weights == 57:
        return "57 is the scalar count: every weight now has one value per channel"
    if channel_weights != 3 * 19 * 64:
        return "3 layers x 19 weighted edges, each with 64 channels"
    return None

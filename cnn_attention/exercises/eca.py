"""Chapter 3, Efficient Channel Attention (eca.*).

The exercises of notebooks/03_efficient_channel_attention.ipynb.
"""

from __future__ import annotations

import numpy as np

from cnn_attention.exercises.answers import COUNT, NUMBER, TEXT, list_of
from cnn_attention.exercises.registry import exercise


def _psi(channels: int) -> int:
    from cnn_attention.arguments import eca_kernel_size

    return eca_kernel_size(channels)


@exercise(
    "eca.1",
    answers={"with_psi": COUNT, "with_3357": COUNT},
    wrong={"with_psi": 157, "with_3357": 171},
)
def _eca_1(with_psi, with_3357):
    """Parameters ECA adds to ResNet-101 (blocks 3, 4, 23, 3)."""
    blocks = {256: 3, 512: 4, 1024: 23, 2048: 3}
    if with_psi != sum(n * _psi(c) for c, n in blocks.items()):
        return "k = psi(C) on each stage's output channels, times its blocks"
    if with_3357 != sum(n * k for n, k in zip(blocks.values(), (3, 3, 5, 7))):
        return (
            "eca_resnet101_k3357 means stage kernels 3, 3, 5, 7 (one digit per stage)"
        )
    return None


@exercise(
    "eca.2",
    answers={
        "random_gap": NUMBER,
        "reversal_gap": NUMBER,
        "symmetric_kernel": list_of(NUMBER),
    },
    wrong={"random_gap": 0.0, "reversal_gap": 0.0, "symmetric_kernel": [1.0, 2.0, 3.0]},
)
def _eca_2(random_gap, reversal_gap, symmetric_kernel):
    """ECA does not commute with a random channel permutation; a reversal with a
    symmetric kernel does. The gaps are the learner's measurements: any value past the
    bound is right."""
    if not random_gap > 1e-3:
        return "a random permutation should change ECA's output: compare more carefully"
    kernel = np.asarray(symmetric_kernel)
    if kernel.size % 2 == 0 or not np.allclose(kernel, kernel[::-1]):
        return "a kernel that reads the same backwards: odd length, mirrored weights"
    if not abs(reversal_gap) <= 1e-6:
        return "with that kernel, reversing the channels should commute with ECA"
    return None


@exercise(
    "eca.3",
    answers={"smallest_k7": COUNT, "smallest_k9": COUNT},
    wrong={"smallest_k7": 2047, "smallest_k9": 16384},
)
def _eca_3(smallest_k7, smallest_k9):
    """The smallest channel counts whose kernel size psi(C) is 7, and 9."""
    for answer, k, name in ((smallest_k7, 7, "7"), (smallest_k9, 9, "9")):
        if answer < 2:
            return f"give the smallest C with psi(C) = {name}"
        if _psi(answer) != k or _psi(answer - 1) == k:
            return f"psi(C) = {name} needs floor((log2 C + 1) / 2) >= {k - 1}"
    return None


@exercise(
    "eca.4",
    answers={"variant": TEXT, "parameters": COUNT, "difference": NUMBER},
    wrong={"variant": "SE-Var3", "parameters": 1, "difference": 0.0},
)
def _eca_4(variant, parameters, difference):
    """ECAModule(C, kernel_size=1) is SE-Var2 with its C weights tied to one."""
    if variant.lower().replace("-", "").replace(" ", "") not in ("sevar2", "var2"):
        return "which variant gives each channel a weight of its own, and no mixing?"
    if parameters != 1:
        return "count the module's parameters: one shared weight"
    if not abs(difference) <= 1e-6:
        return "compare with x * sigmoid(w * z) broadcast over H and W"
    return None


@exercise(
    "eca.5",
    answers={"pad_before": COUNT, "pad_after": COUNT, "difference": NUMBER},
    wrong={"pad_before": 2, "pad_after": 1, "difference": 0.0},
)
def _eca_5(pad_before, pad_after, difference):
    """An even kernel (k = 4) in PyTorch padded as Keras's "same" pads it."""
    k = 4
    if (pad_before, pad_after) != ((k - 1) // 2, k - 1 - (k - 1) // 2):
        return "TensorFlow's 'same' puts the smaller half of the k - 1 zeros first"
    if not abs(difference) <= 1e-6:
        return "with that padding and padding=0 the outputs should agree"
    return None

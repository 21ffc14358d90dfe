"""Chapter 2, Squeeze-and-Excitation (se.*): notebooks/02_squeeze_excitation.ipynb."""

from __future__ import annotations

import numpy as np

from cnn_attention.exercises.registry import exercise

# ResNet-50: (output channels C_s, blocks N_s, H = W at a 224 x 224 input) per stage.
_RESNET50_STAGES = ((256, 3, 56), (512, 4, 28), (1024, 6, 14), (2048, 3, 7))
_RESNET50_PARAMETERS = 25_557_032  # torchvision's count, printed in chapter 2


@exercise(
    "se.1",
    wrong={"equation_5": 2_530_992, "counted": 2_530_992, "counts_biases": False},
)
def _se_1(equation_5, counted, counts_biases):
    """Equation 5 of the SE paper for ResNet-50 (r = 16), and what 28.09 M counts."""
    weights = sum(2 * n * c * (c // 16) for c, n, _ in _RESNET50_STAGES)
    with_biases = weights + sum(n * (c // 16 + c) for c, n, _ in _RESNET50_STAGES)
    if equation_5 != weights:
        return "equation 5 counts the weights only: 2/r times N_s C_s^2, summed"
    if counted != equation_5:
        return "SEModule(C, 16, bias=False) per block, times the blocks per stage"
    in_millions = (
        round((_RESNET50_PARAMETERS + weights) / 1e6, 2),
        round((_RESNET50_PARAMETERS + with_biases) / 1e6, 2),
    )
    if bool(counts_biases) != (in_millions == (28.07, 28.09)):
        return "add each count to 25,557,032 and round to two decimals in millions"
    return None


@exercise("se.2", wrong={"mismatch_raises": True, "equal_sizes_correct": True})
def _se_2(mismatch_raises, equal_sizes_correct):
    """(N, H, W, C) features times (N, C) gates, for N = 2 and for N = W = 7."""
    try:
        np.broadcast_shapes((2, 5, 7, 8), (2, 8))
        raises = False
    except ValueError:
        raises = True
    if bool(mismatch_raises) != raises:
        return "align (2, 8) with (2, 5, 7, 8) from the right: 2 meets W = 7"
    rng = np.random.default_rng(0)
    features, gates = rng.normal(size=(7, 5, 7, 8)), rng.uniform(size=(7, 8))
    correct = np.allclose(features * gates, features * gates[:, None, None, :])
    if bool(equal_sizes_correct) != correct:
        return "with N = W = 7 it runs: but does example n still get its own gates?"
    return None


@exercise("se.3", wrong={"mean_gate": 0.9, "fc2_bias": 0.0, "min_gate_with_bias": 0.5})
def _se_3(mean_gate, fc2_bias, min_gate_with_bias):
    """A fresh SE block halves its input; a large fc2 bias opens every gate."""
    if not 0.4 < float(mean_gate) < 0.6:
        return "small random weights give scores near 0: what is sigmoid(0)?"
    if not 1 / (1 + np.exp(-float(fc2_bias))) > 0.95:
        return "choose a bias whose sigmoid is close to 1"
    if not float(min_gate_with_bias) > 0.95:
        return "measure the smallest gate after setting the bias: is it near 1?"
    return None


@exercise("se.4", wrong={"difference": 0.35})
def _se_4(difference):
    """A channels-first Keras SE layer agrees with the PyTorch module as it stands."""
    if not abs(float(difference)) <= 1e-5:
        return "squeeze over axes 2 and 3 and reshape the gate to (N, C, 1, 1)"
    return None


@exercise("se.5", wrong={"most_parameters_stage": 1, "most_multiply_adds_stage": 4})
def _se_5(most_parameters_stage, most_multiply_adds_stage):
    """Stages (1 to 4) of SE-ResNet-50 holding most of SE's parameters and work."""
    parameters = [n * (2 * c * (c // 16) + c // 16 + c) for c, n, _ in _RESNET50_STAGES]
    work = [n * (2 * h * h * c + 2 * c * (c // 16)) for c, n, h in _RESNET50_STAGES]
    if most_parameters_stage != 1 + int(np.argmax(parameters)):
        return "parameters grow with C^2: which stage is widest?"
    if most_multiply_adds_stage != 1 + int(np.argmax(work)):
        return "pooling and scaling grow with H W C: which stage has the most values?"
    return None

"""Chapter 2, Squeeze-and-Excitation (se.*): notebooks/02_squeeze_excitation.ipynb."""

from __future__ import annotations

import numpy as np

from cnn_attention.exercises.answers import COUNT, FLAG, KERAS_LAYER, NUMBER
from cnn_attention.exercises.registry import exercise

# ResNet-50: (output channels C_s, blocks N_s, H = W at a 224 x 224 input) per stage.
_RESNET50_STAGES = ((256, 3, 56), (512, 4, 28), (1024, 6, 14), (2048, 3, 7))
_RESNET50_PARAMETERS = 25_557_032  # torchvision's count, printed in chapter 2


@exercise(
    "se.1",
    answers={"equation_5": COUNT, "counted": COUNT, "counts_biases": FLAG},
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
    if counts_biases != (in_millions == (28.07, 28.09)):
        return "add each count to 25,557,032 and round to two decimals in millions"
    return None


@exercise(
    "se.2",
    answers={"mismatch_raises": FLAG, "equal_sizes_correct": FLAG},
    wrong={"mismatch_raises": True, "equal_sizes_correct": True},
)
def _se_2(mismatch_raises, equal_sizes_correct):
    """(N, H, W, C) features times (N, C) gates, for N = 2 and for N = W = 7."""
    try:
        np.broadcast_shapes((2, 5, 7, 8), (2, 8))
        raises = False
    except ValueError:
        raises = True
    if mismatch_raises != raises:
        return "align (2, 8) with (2, 5, 7, 8) from the right: 2 meets W = 7"
    rng = np.random.default_rng(0)
    features, gates = rng.normal(size=(7, 5, 7, 8)), rng.uniform(size=(7, 8))
    correct = np.allclose(features * gates, features * gates[:, None, None, :])
    if equal_sizes_correct != correct:
        return "with N = W = 7 it runs: but does example n still get its own gates?"
    return None


def _fresh_se_gates(fc2_bias: float | None = None, seeds=range(5)) -> list:
    """The gates of fresh ``SEModule(256)`` blocks on ``torch.randn(4, 256, 7, 7)``,
    one array per random seed, with fc2's bias set to `fc2_bias` if given."""
    import torch

    from cnn_attention.torch.se import SEModule

    gates = []
    for seed in seeds:
        torch.manual_seed(seed)
        se, features = SEModule(256), torch.randn(4, 256, 7, 7)
        with torch.no_grad():
            if fc2_bias is not None:
                se.fc2.bias.fill_(fc2_bias)
            z = features.mean(dim=(2, 3))  # (N, C)
            gates.append(se.gate(se.fc2(se.act(se.fc1(z)))).numpy())  # (N, C)
    return gates


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return float(np.log(p / (1 - p)))


@exercise(
    "se.3",
    answers={"mean_gate": NUMBER, "fc2_bias": NUMBER, "min_gate_with_bias": NUMBER},
    wrong={"mean_gate": 0.5, "fc2_bias": 6.0, "min_gate_with_bias": 0.99},
)
def _se_3(mean_gate, fc2_bias, min_gate_with_bias):
    """A fresh SE block halves its input; a large fc2 bias opens every gate.

    The answers are measured on random blocks and inputs, so they are compared with
    the range this check measures itself over five random seeds (in logits for the
    smallest gate, which sits close to 1)."""
    means = [gates.mean() for gates in _fresh_se_gates()]
    if not min(means) - 0.01 <= mean_gate <= max(means) + 0.01:
        return "small random weights give scores near 0: what is sigmoid(0)?"
    if not 1 / (1 + np.exp(-fc2_bias)) > 0.95:
        return "choose a bias whose sigmoid is close to 1"
    smallest = [_logit(gates.min()) for gates in _fresh_se_gates(fc2_bias)]
    measured = _logit(min_gate_with_bias)
    if not min(smallest) - 0.5 <= measured <= max(smallest) + 0.5 or not (
        min_gate_with_bias > 0.95
    ):
        return "measure the smallest gate after setting the bias: se_gates(...).min()"
    return None


def _keras_se(channels_first: bool):
    """A built Keras SE layer, C = 8 and r = 4, for (N, C, H, W) input or for
    (N, H, W, C) input: the tests' right and made-up answers."""
    import keras

    pooled, gate_shape = (
        ((2, 3), (-1, 8, 1, 1)) if channels_first else ((1, 2), (-1, 1, 1, 8))
    )

    class SE(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.fc1 = keras.layers.Dense(2, activation="relu")
            self.fc2 = keras.layers.Dense(8, activation="sigmoid")

        def call(self, x):
            gate = self.fc2(self.fc1(keras.ops.mean(x, axis=pooled)))  # (N, C)
            return x * keras.ops.reshape(gate, gate_shape)

    layer = SE()
    layer(np.zeros((1, 8, 8, 8), "float32"))  # builds the weights
    return layer


@exercise(
    "se.4",
    answers={"difference": NUMBER, "channels_first_se": KERAS_LAYER},
    wrong=lambda: {"difference": 0.0, "channels_first_se": _keras_se(False)},
)
def _se_4(difference, channels_first_se):
    """A channels-first Keras SE layer agrees with the PyTorch module as it stands.

    The difference is the learner's measurement (any value within the bound is right);
    the layer is run here on (N, C, H, W) input and compared with SE computed in NumPy
    from the layer's own weights: W1, b1, W2, b2 as its two Dense layers hold them."""
    if not abs(difference) <= 1e-5:
        return "squeeze over axes 2 and 3 and reshape the gate to (N, C, 1, 1)"
    weights = [np.asarray(w, dtype="float64") for w in channels_first_se.get_weights()]
    if len(weights) != 4 or weights[0].ndim != 2:
        return "build the layer (call it once) with SE's two Dense layers, fc1 and fc2"
    w1, b1, w2, b2 = weights  # (C, C/r), (C/r,), (C/r, C), (C,)
    channels = w1.shape[0]
    x = np.random.default_rng(0).normal(size=(2, channels, 5, 7))  # (N, C, H, W)
    z = x.mean(axis=(2, 3))  # (N, C)
    gate = 1 / (1 + np.exp(-(np.maximum(z @ w1 + b1, 0) @ w2 + b2)))  # (N, C)
    try:
        output = np.asarray(channels_first_se(x.astype("float32")))
    except Exception as error:  # the layer refuses channels-first input
        return f"the layer fails on (N, C, H, W) input ({type(error).__name__})"
    if output.shape != x.shape or not np.allclose(
        output, x * gate[:, :, None, None], atol=1e-4
    ):
        return "on (N, C, H, W) input the layer must give x * gate[:, :, None, None]"
    return None


@exercise(
    "se.5",
    answers={"most_parameters_stage": COUNT, "most_multiply_adds_stage": COUNT},
    wrong={"most_parameters_stage": 1, "most_multiply_adds_stage": 4},
)
def _se_5(most_parameters_stage, most_multiply_adds_stage):
    """Stages (1 to 4) of SE-ResNet-50 holding most of SE's parameters and work."""
    parameters = [n * (2 * c * (c // 16) + c // 16 + c) for c, n, _ in _RESNET50_STAGES]
    work = [n * (2 * h * h * c + 2 * c * (c // 16)) for c, n, h in _RESNET50_STAGES]
    if most_parameters_stage != 1 + int(np.argmax(parameters)):
        return "parameters grow with C^2: which stage is widest?"
    if most_multiply_adds_stage != 1 + int(np.argmax(work)):
        return "pooling and scaling grow with H W C: which stage has the most values?"
    return None

"""Chapter 8, which attention, when? (which.*): notebooks/08_which_attention.ipynb."""

from __future__ import annotations

import numpy as np

from cnn_attention.exercises.answers import COUNT, NUMBER, TEXT, list_of
from cnn_attention.exercises.registry import all_close, exercise, load_results


@exercise(
    "which.1",
    answers={"differences": list_of(NUMBER), "seeds_better": COUNT},
    wrong={"differences": [0.0] * 5, "seeds_better": 5},
)
def _which_1(differences, seeds_better):
    """CBAM minus no attention on cluttered digits, seed by seed; seeds CBAM won."""
    runs = load_results("which_attention")["accuracy"]
    cbam = np.array(runs["CBAM | cluttered"]["accuracy"])
    none = np.array(runs["none | cluttered"]["accuracy"])
    expected = cbam - none
    if np.shape(differences) != expected.shape:
        return f"one difference per random seed: {len(expected)} of them"
    if all_close(np.asarray(differences), -expected, 1e-3) and expected.any():
        return "CBAM minus the baseline, not the other way round"
    if all_close(np.abs(differences), 100 * np.abs(expected), 1e-1) and expected.any():
        return "give fractions, like the file (0.01 for one point), not points"
    if not all_close(np.asarray(differences), expected, 1e-3):
        return "subtract run by run: the same random seed in both configurations"
    if seeds_better != int((cbam > none).sum()):
        return "count the seeds whose difference is positive"
    return None


@exercise("which.2", answers={"matched_width": COUNT}, wrong={"matched_width": 16})
def _which_2(matched_width):
    """Smallest first-stage width of a plain digits network as large as CA's."""
    from cnn_attention.torch.resnet import ResNet

    network = dict(load_results("which_attention")["protocol"]["network"])
    del network["widths"]  # (16, 32, 64): the width is the question

    def count(width, attention=None):
        model = ResNet(
            **network, widths=(width, 2 * width, 4 * width), attention=attention
        )
        return sum(p.numel() for p in model.parameters())

    target = count(16, "coord")
    if matched_width < 1:
        return "a width is a positive number of channels"
    if count(matched_width) < target:
        return "at that width the plain network is still smaller than CA's"
    if count(matched_width - 1) >= target:
        return "a smaller width already has enough parameters"
    return None


@exercise(
    "which.3",
    answers={"most": TEXT, "least": TEXT},
    wrong={"most": "CA", "least": "ECA"},
)
def _which_3(most, least):
    """The modules adding the most and the fewest multiply-adds per added parameter."""
    costs = load_results("which_attention")["costs"]
    base = costs["none"]
    per_parameter = {
        name: (cost["multiply_adds"] - base["multiply_adds"])
        / (cost["parameters"] - base["parameters"])
        for name, cost in costs.items()
        if name != "none"
    }
    if most != max(per_parameter, key=per_parameter.get):
        return "divide each module's added multiply-adds by its added parameters"
    if least != min(per_parameter, key=per_parameter.get):
        return "which module uses each of its weights only once per image?"
    return None

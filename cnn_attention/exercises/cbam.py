"""Chapter 4, CBAM (cbam.*): notebooks/04_cbam.ipynb."""

from __future__ import annotations

import functools

import numpy as np

from cnn_attention.exercises.answers import (
    ANYTHING,
    COUNT,
    FUNCTION,
    NUMBER,
    TEXT,
    TORCH_MODULE,
    list_of,
    mapping_of,
)
from cnn_attention.exercises.registry import exercise, load_results

OPTIONS = mapping_of(TEXT, ANYTHING)  # keyword arguments of a constructor


@exercise("cbam.1", answers={"cbam_512": COUNT}, wrong={"cbam_512": 33_312})
def _cbam_1(cbam_512):
    if cbam_512 == 33_312:
        return "that is SE's MLP alone: add the spatial gate's kernel and BatchNorm"
    if cbam_512 == 33_412 - 2:
        return "BatchNorm in the spatial gate has a scale and a shift too"
    if cbam_512 != 2 * 512 * 32 + 32 + 512 + 2 * 7 * 7 + 2:
        return "2 C (C / r) weights + C / r + C biases, then 2 x 7 x 7 + 2"
    return None


def _same_function(make_reference, make_candidate, load, shape, tolerance=1e-6):
    """Build both modules, load the reference's weights into the candidate, compare."""
    import torch

    torch.manual_seed(0)
    reference, candidate = make_reference().eval(), make_candidate().eval()
    candidate.load_state_dict(load(reference.state_dict()))
    features = torch.randn(*shape)
    with torch.no_grad():
        difference = (reference(features) - candidate(features)).abs().max().item()
    return difference <= tolerance


@exercise(
    "cbam.2", answers={"se_options": OPTIONS}, wrong={"se_options": {"spatial": False}}
)
def _cbam_2(se_options):
    from cnn_attention.torch.cbam import CBAM
    from cnn_attention.torch.se import SEModule

    options = se_options
    if options.get("spatial", True):
        return "SE has no spatial gate"
    same = _same_function(
        lambda: SEModule(64, reduction=16),
        lambda: CBAM(64, **options),
        lambda state: {f"channel_gate.{k}": v for k, v in state.items()},
        (2, 64, 7, 5),
    )
    return None if same else "SE pools only by the average"


@exercise(
    "cbam.3",
    answers={"seed_003_options": OPTIONS},
    wrong={"seed_003_options": {"bias": False, "kernel_size": 7}},
)
def _cbam_3(seed_003_options):
    from cnn_attention.reference import seed_003
    from cnn_attention.torch.cbam import CBAM, seed_cbam_keys

    options = seed_003_options
    try:
        same = _same_function(
            lambda: seed_003.CBAM(64, kernel_size=7),
            lambda: CBAM(64, **options),
            seed_cbam_keys,
            (2, 64, 9, 9),
        )
    except RuntimeError:  # the weights do not fit: a missing or extra tensor
        return "the seed's modules have no MLP biases and no BatchNorm"
    return None if same else "which map does the seed concatenate first?"


def _digits_network():
    """An untrained CBAM network of chapter 4's digits task (for the tests)."""
    import torch

    from cnn_attention.torch.resnet import ResNet

    torch.manual_seed(0)
    network = load_results("cbam_improvements")["protocol"]["network"]
    return ResNet(**network, attention="cbam")


def _spatial_maps(network, images) -> list:
    """Ms of every CBAM spatial gate in `network`, in block order, (N, H, W) each."""
    import torch

    from cnn_attention.torch.cbam import CBAM

    maps, handles = [], []
    for module in network.modules():
        if isinstance(module, CBAM) and module.spatial_gate is not None:
            handles.append(
                module.spatial_gate.gate.register_forward_hook(
                    lambda _module, _inputs, output: maps.append(output[:, 0].numpy())
                )
            )
    training = network.training
    try:
        with torch.no_grad():
            network.eval()(torch.tensor(images))  # a copy: `images` may be read-only
    finally:
        network.train(training)  # leave the learner's network as it was
        for handle in handles:
            handle.remove()
    return maps


@functools.lru_cache(maxsize=1)
def _plain_test_digits():
    """Chapter 4's 1,000 test digits without clutter: images and boxes (read only)."""
    from cnn_attention.data import cluttered_digits

    images, _, boxes = cluttered_digits(1000, "test", clutter=0, seed=1)
    images.flags.writeable = boxes.flags.writeable = False
    return images, boxes


def _plain_digit_medians(network) -> list[float]:
    """Per stage, the median over the test digits of the map's mean inside the digit's
    box divided by its mean outside (chapter 4's measure), on digits without clutter."""
    images, boxes = _plain_test_digits()
    medians = []
    for stage_map in _spatial_maps(network, images):
        step = images.shape[-1] // stage_map.shape[1]  # canvas pixels per map cell
        ratios = []
        for values, (top, left, bottom, right) in zip(stage_map, boxes // step):
            inside = np.zeros(values.shape, bool)
            inside[top:bottom, left:right] = True
            ratios.append(values[inside].mean() / values[~inside].mean())
        medians.append(float(np.median(ratios)))
    return medians


@exercise(
    "cbam.4",
    answers={
        "network": TORCH_MODULE,
        "plain_medians": list_of(NUMBER),
        "prefers_digit": list_of(COUNT),
    },
    wrong=lambda: {
        "network": _digits_network(),
        "plain_medians": [0.5, 2.0, 3.0],
        "prefers_digit": [2, 3],
    },
)
def _cbam_4(network, plain_medians, prefers_digit):
    """The medians of the trained network's spatial gates, measured on digits without
    clutter, and the stages whose median is above 1. The check measures `network`
    itself, as the chapter does, and compares."""
    medians = _plain_digit_medians(network)
    if not medians:
        return "`network` has no CBAM with a spatial gate: pass the trained digits_cbam"
    if len(plain_medians) != len(medians):
        return f"the network has {len(medians)} stages: one median each"
    if not np.allclose(plain_medians, medians, atol=0.01):
        return (
            "the network's maps give other medians on digits without clutter: "
            "cluttered_digits(1000, 'test', clutter=0, seed=1), then per stage the "
            "median of inside_outside_ratio"
        )
    expected = [stage for stage, median in enumerate(medians, start=1) if median > 1]
    if prefers_digit != expected:
        return "stages are numbered from 1; list those whose median is above 1"
    return None


@exercise(
    "cbam.5",
    answers={"normalised_lse": FUNCTION},
    wrong={"normalised_lse": lambda x: x.flatten(2).logsumexp(2)},
)
def _cbam_5(normalised_lse):
    import torch

    torch.manual_seed(0)
    features = torch.randn(3, 4, 5, 7) * 3
    value = normalised_lse(features)
    if tuple(value.shape) != (3, 4):
        return "return one number per example and channel, (N, C)"
    constant = torch.full((2, 3, 4, 6), 1.5)
    if not torch.allclose(normalised_lse(constant), constant.mean((2, 3)), atol=1e-5):
        return "on a constant map it must equal the average: subtract log(H * W)"
    low, high = features.mean((2, 3)), features.amax((2, 3))
    if not ((value >= low - 1e-5) & (value <= high + 1e-5)).all():
        return "it must lie between the average and the maximum"
    positions = features.shape[2] * features.shape[3]
    expected = torch.logsumexp(features.flatten(2), dim=2) - np.log(positions)
    if not torch.allclose(value, expected, atol=1e-4):
        return "start from the log-sum-exp over the H x W positions"

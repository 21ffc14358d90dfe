"""Chapter 4, CBAM (cbam.*): notebooks/04_cbam.ipynb."""

from __future__ import annotations

import numpy as np

from cnn_attention.exercises.registry import exercise


@exercise("cbam.1", wrong={"cbam_512": 33_312})
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


@exercise("cbam.2", wrong={"se_options": {"spatial": False}})
def _cbam_2(se_options):
    from cnn_attention.torch.cbam import CBAM
    from cnn_attention.torch.se import SEModule

    options = dict(se_options)
    if options.get("spatial", True):
        return "SE has no spatial gate"
    same = _same_function(
        lambda: SEModule(64, reduction=16),
        lambda: CBAM(64, **options),
        lambda state: {f"channel_gate.{k}": v for k, v in state.items()},
        (2, 64, 7, 5),
    )
    return None if same else "SE pools only by the average"


@exercise("cbam.3", wrong={"seed_003_options": {"bias": False, "kernel_size": 7}})
def _cbam_3(seed_003_options):
    from cnn_attention.reference import seed_003
    from cnn_attention.torch.cbam import CBAM, seed_cbam_keys

    options = dict(seed_003_options)
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


@exercise("cbam.4", wrong={"plain_medians": [0.95, 1.51, 1.75], "prefers_digit": [3]})
def _cbam_4(plain_medians, prefers_digit):
    medians = [float(value) for value in plain_medians]
    if len(medians) != 3:
        return "the digits network has three stages: one median each"
    if not all(median > 0 for median in medians):
        return "a ratio of two means of a sigmoid's outputs is positive: recompute"
    if np.allclose(medians, [0.948, 1.513, 1.750], atol=0.01):
        return "those are the chapter's medians, among clutter: generate with clutter=0"
    expected = [stage for stage, median in enumerate(medians, start=1) if median > 1]
    if [int(stage) for stage in prefers_digit] != expected:
        return "stages are numbered from 1; list those whose median is above 1"
    return None


@exercise("cbam.5", wrong={"normalised_lse": lambda x: x.flatten(2).logsumexp(2)})
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

"""Chapter 5, dual pooling (dualpool.*): notebooks/05_dual_pooling.ipynb."""

from __future__ import annotations

from cnn_attention.exercises.answers import (
    COUNT,
    FUNCTION,
    NUMBER,
    SHAPE,
    TEXT,
    mapping_of,
)
from cnn_attention.exercises.registry import exercise


@exercise(
    "dualpool.1", answers={"resnet50_head": COUNT}, wrong={"resnet50_head": 1_037_800}
)
def _dualpool_1(resnet50_head):
    """Parameters of DualPoolHead(2048, 1000): the seed's head on ResNet-50."""
    if resnet50_head == 1_037_800:
        return "that is ResNet-18's head (C = 512); ResNet-50 ends with 2048 channels"
    if resnet50_head == 2 * 2048 * 1000 + 1000:
        return "that is a linear layer on the concatenation: add the 1x1 convolution"
    if resnet50_head == 2 * 2048 * 2048 + 2048 * 1000:
        return "count both layers' biases too"
    if resnet50_head != 2 * 2048 * 2048 + 2048 + 2048 * 1000 + 1000:
        return "2C x C weights + C biases (the 1x1 conv), then C x K + K (the linear)"
    return None


@exercise(
    "dualpool.2",
    answers={"batch_of_8": SHAPE, "batch_of_1": SHAPE, "safe_squeeze": FUNCTION},
    wrong={
        "batch_of_8": (8,),
        "batch_of_1": (1,),
        "safe_squeeze": lambda logits: logits.squeeze(),
    },
)
def _dualpool_2(batch_of_8, batch_of_1, safe_squeeze):
    """Shapes after squeeze() of (8, 1) and (1, 1) logits, and a safe squeeze."""
    import torch

    if batch_of_8 != (8,):
        return "squeeze() removes every axis of length 1: which one has it in (8, 1)?"
    if batch_of_1 != ():
        return "in (1, 1) both axes have length 1, and squeeze() removes both"
    for batch in (1, 8):
        shape = tuple(safe_squeeze(torch.zeros(batch, 1)).shape)
        if shape != (batch,):
            return f"safe_squeeze gives {shape} for N = {batch}: name the axis"
    return None


@exercise(
    "dualpool.3",
    answers={"to_fastai_order": FUNCTION},
    wrong={"to_fastai_order": lambda state_dict: state_dict},
)
def _dualpool_3(to_fastai_order):
    """Move a DualPoolHead's weights from timm's order to fastai's."""
    import torch

    from cnn_attention.torch.pooling import DualPoolHead

    torch.manual_seed(0)
    timm_head = DualPoolHead(16, 5).eval()
    with torch.no_grad():
        timm_head.reduce.bias.uniform_(-0.5, 0.5)
        timm_head.fc.bias.uniform_(-0.5, 0.5)
    fastai_head = DualPoolHead(16, 5, pool="catmaxavg").eval()
    try:
        fastai_head.load_state_dict(to_fastai_order(timm_head.state_dict()))
    except (RuntimeError, KeyError, TypeError) as error:
        return f"the converted state dict does not load ({error})"
    features = torch.relu(torch.randn(3, 16, 5, 4))
    with torch.no_grad():
        difference = (timm_head(features) - fastai_head(features)).abs().max().item()
    if difference > 1e-5:
        return "the outputs differ: which layer reads the concatenation, and how?"
    return None


@exercise("dualpool.4", answers={"p_half": NUMBER}, wrong={"p_half": 2.0})
def _dualpool_4(p_half):
    """The GeM exponent that pools one active position of 64 to half its value."""
    import torch

    from cnn_attention.torch.pooling import GeM

    p = p_half
    if p <= 0:
        return "GeM's exponent is a positive number"
    one_hot = torch.zeros(1, 1, 8, 8)
    one_hot[0, 0, 2, 6] = 3.0
    with torch.no_grad():
        pooled = GeM(1, p=p)(one_hot).item()
    if abs(pooled - 1.5) > 1.5e-3:
        return f"this p gives {pooled:.3f} for v = 3: solve v * 64^(-1/p) = v / 2"
    return None


def _first_nan_exponent(eps: float):
    """The smallest integer p whose p-gradient is NaN for the clamped GeM formula on a
    dead channel, in float32."""
    import torch

    for p in range(1, 60):
        dead = torch.zeros(1, 1, 4, 4)
        exponent = torch.tensor([float(p)], requires_grad=True)
        mean = dead.clamp(min=eps).pow(exponent).mean(dim=(2, 3))
        mean.pow(1.0 / exponent).sum().backward()
        if exponent.grad.isnan().any():
            return p
    return None


@exercise(
    "dualpool.5",
    answers={"first_nan": mapping_of(TEXT, COUNT)},
    wrong={"first_nan": {"1e-6": 3, "1e-3": 3}},
)
def _dualpool_5(first_nan):
    """Where the clamped GeM formula's gradient turns NaN, for eps 1e-6 and 1e-3."""
    answers = first_nan
    if set(answers) != {"1e-6", "1e-3"}:
        return "answer for both: first_nan = {'1e-6': ..., '1e-3': ...}"
    for name, eps in (("1e-6", 1e-6), ("1e-3", 1e-3)):
        if answers[name] != _first_nan_exponent(eps):
            return (
                f"eps = {name}: look for the p at which eps^p rounds to 0 in float32 "
                "(below half of the smallest subnormal, 1.4e-45)"
            )
    return None

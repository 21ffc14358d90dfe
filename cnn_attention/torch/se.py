"""Squeeze-and-Excitation (Hu et al., 2018) in PyTorch, and senet.pytorch's keys.

Chapter 2 builds a minimal version and proves it equal to this one.
"""

import torch
from torch import nn

from cnn_attention.arguments import check_bool, check_state_dict, se_hidden_channels
from cnn_attention.torch.activations import create_activation, create_gate
from cnn_attention.torch.checks import check_input
from cnn_attention.torch.factory import ConfigMixin, register_attention
from cnn_attention.torch.ranks import AnyRank


@register_attention("se")
class SEModule(ConfigMixin, AnyRank, nn.Module):
    """Squeeze-and-Excitation (Hu et al., 2018) for (N, C, H, W) feature maps.

    z = mean of x over H and W; s = gate(W2 act(W1 z + b1) + b2); returns x * s,
    with s broadcast over H and W.

    Args:
        channels: C, the number of input channels.
        reduction: r; the bottleneck has C // r units (the paper uses r = 16).
        hidden_channels: explicit bottleneck width instead of C // r (for C < r).
        bias: whether the two fully connected layers have biases: True as in timm
            and Keras's Dense; False as the paper's equations and senet.pytorch
            (seed 004's source), which leave them out.
        activation: "relu" (paper), "silu"/"swish" (EfficientNet), "hard_swish".
        gate: "sigmoid" (paper) or "hard_sigmoid" (MobileNetV3).
    """

    def __init__(
        self,
        channels: int,
        reduction: int = 16,
        hidden_channels: int | None = None,
        bias: bool = True,
        activation: str = "relu",
        gate: str = "sigmoid",
    ):
        super().__init__()
        hidden = se_hidden_channels(channels, reduction, hidden_channels)
        self.set_resolved(hidden_channels=hidden, reduction=None)
        self.set_config(
            channels=channels,
            reduction=reduction,
            hidden_channels=hidden_channels,
            bias=check_bool("bias", bias),
            activation=activation,
            gate=gate,
        )
        self.channels = channels
        self.set_rank(channels)  # 1-D and 3-D subclasses: other axes
        self.fc1 = nn.Linear(channels, hidden, bias=bias)  # W1: (C/r, C)
        self.act = create_activation(activation)
        self.fc2 = nn.Linear(hidden, channels, bias=bias)  # W2: (C, C/r)
        self.gate = create_gate(gate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.channels, self.label, self.spatial_dims)
        z = x.mean(dim=self.spatial_axes)  # squeeze: (N, C, H, W) -> (N, C)
        # excitation: (N, C) -> (N, C/r) -> (N, C)
        s = self.gate(self.fc2(self.act(self.fc1(z))))
        return x * s.view(self.gate_shape)  # scale: (N, C, 1, 1) -> (N, C, H, W)


class SEModule1d(SEModule):
    """SEModule for sequences (N, C, L): audio, text, sensor signals.

    The squeeze averages over L; everything else, arguments included, is SEModule's.
    """

    SPATIAL_DIMS = 1


class SEModule3d(SEModule):
    """SEModule for volumes and video (N, C, D, H, W).

    The squeeze averages over D, H and W; everything else is SEModule's.
    """

    SPATIAL_DIMS = 3


def senet_pytorch_keys(state_dict: dict) -> dict:
    """A state_dict of senet.pytorch's SELayer (seed 004) with our SEModule's keys.

    Its `fc` is Sequential(Linear, ReLU, Linear, Sigmoid): fc.0 -> fc1, fc.2 -> fc2.
    Load the result into SEModule(C, r, bias=False).
    """
    check_state_dict(state_dict, "a senet.pytorch SELayer")
    renames = {"fc.0.": "fc1.", "fc.2.": "fc2."}
    converted = {}
    for key, value in state_dict.items():
        prefix = next((p for p in renames if key.startswith(p)), None)
        if prefix is None:
            raise ValueError(f"unexpected key {key!r} in a senet.pytorch SELayer")
        converted[renames[prefix] + key[len(prefix) :]] = value
    return converted


__all__ = [
    "SEModule",
    "SEModule1d",
    "SEModule3d",
    "senet_pytorch_keys",
]

# This file was generated from notebooks/02_squeeze_excitation.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

import torch
from torch import nn

from cnn_attention.arguments import se_hidden_channels
from cnn_attention.torch.activations import make_activation, make_gate
from cnn_attention.utils import check_feature_map


class SEModule(nn.Module):
    """Squeeze-and-Excitation (Hu et al., 2018) for (N, C, H, W) feature maps.

    z = mean of x over H and W;  s = gate(W2 act(W1 z + b1) + b2);  returns x * s, s broadcast over H and W.

    Args:
        channels: C, the number of input channels.
        reduction: r; the bottleneck has C // r units (the paper uses r = 16).
        hidden_channels: explicit bottleneck width, overriding C // r (use it when C < r).
        bias: whether the two fully connected layers have biases (the paper's do).
        activation: "relu" (paper), "silu"/"swish" (EfficientNet) or "hard_swish" (MobileNetV3).
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
        self.channels = channels
        hidden = se_hidden_channels(channels, reduction, hidden_channels)
        self.fc1 = nn.Linear(channels, hidden, bias=bias)  # W1: (C/r, C)
        self.act = make_activation(activation)
        self.fc2 = nn.Linear(hidden, channels, bias=bias)  # W2: (C, C/r)
        self.gate = make_gate(gate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature_map(x, self.channels, channels_last=False, layer="SEModule")
        z = x.mean(dim=(2, 3))  # squeeze: (N, C, H, W) -> (N, C)
        s = self.gate(
            self.fc2(self.act(self.fc1(z)))
        )  # excitation: (N, C) -> (N, C/r) -> (N, C)
        return x * s[:, :, None, None]  # scale: (N, C, 1, 1) broadcast -> (N, C, H, W)


__all__ = [
    'SEModule',
]

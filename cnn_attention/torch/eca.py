# This file was generated from notebooks/03_efficient_channel_attention.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

import torch
from torch import nn

from cnn_attention.arguments import eca_kernel_size_or_default
from cnn_attention.torch.activations import make_gate
from cnn_attention.utils import check_feature_map


class ECAModule(nn.Module):
    """Efficient Channel Attention (Wang et al., 2020) for (N, C, H, W) feature maps.

    z = mean of x over H and W;  s = gate(conv1d_k(z)) with one shared kernel of size k and no bias;
    returns x * s.  k = psi(C) unless `kernel_size` is given.

    Args:
        channels: C, the number of input channels.
        kernel_size: odd size k of the 1-D convolution across channels; None computes psi(C) from gamma, beta.
        gamma, beta: the paper's constants in psi(C) = |log2(C)/gamma + beta/gamma|_odd (2 and 1).
        gate: "sigmoid" (paper) or "hard_sigmoid".
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int | None = None,
        gamma: float = 2,
        beta: float = 1,
        gate: str = "sigmoid",
    ):
        super().__init__()
        self.channels = channels
        self.kernel_size = eca_kernel_size_or_default(
            channels, kernel_size, gamma, beta
        )
        self.conv = nn.Conv1d(
            1, 1, self.kernel_size, padding=self.kernel_size // 2, bias=False
        )  # weight (1, 1, k)
        self.gate = make_gate(gate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_feature_map(x, self.channels, channels_last=False, layer="ECAModule")
        z = x.mean(dim=(2, 3))  # squeeze: (N, C, H, W) -> (N, C)
        y = self.conv(
            z[:, None, :]
        )  # channels become the length axis: (N, 1, C) -> (N, 1, C)
        s = self.gate(y).view(-1, self.channels, 1, 1)  # (N, 1, C) -> (N, C, 1, 1)
        return x * s  # broadcast over H, W -> (N, C, H, W)


__all__ = [
    'ECAModule',
]

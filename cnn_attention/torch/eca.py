"""Efficient Channel Attention (Wang et al., 2020) in PyTorch.

Chapter 3 builds a minimal version and proves it equal to this one.
"""

import torch
from torch import nn

from cnn_attention.arguments import eca_kernel_size_or_default
from cnn_attention.torch.activations import create_gate
from cnn_attention.torch.checks import check_input
from cnn_attention.torch.factory import ConfigMixin, register_attention
from cnn_attention.torch.ranks import AnyRank


@register_attention("eca")
class ECAModule(ConfigMixin, AnyRank, nn.Module):
    """Efficient Channel Attention (Wang et al., 2020) for (N, C, H, W) feature maps.

    z = mean of x over H and W; s = gate(conv1d_k(z)), one shared kernel of size k
    and no bias; returns x * s. k = psi(C) unless `kernel_size` is given.

    Args:
        channels: C, the number of input channels.
        kernel_size: odd size k of the 1-D convolution across channels; None
            computes psi(C) from gamma and beta.
        gamma, beta: the constants of psi(C) = |log2(C)/gamma + beta/gamma|_odd.
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
        self.kernel_size = eca_kernel_size_or_default(
            channels, kernel_size, gamma, beta
        )
        self.set_resolved(kernel_size=self.kernel_size, gamma=None, beta=None)
        self.set_config(
            channels=channels,
            kernel_size=kernel_size,
            gamma=gamma,
            beta=beta,
            gate=gate,
        )
        self.channels = channels
        self.set_rank(channels)  # 1-D and 3-D subclasses: other axes
        k = self.kernel_size
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)  # weight (1, 1, k)
        self.gate = create_gate(gate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.channels, self.label, self.spatial_dims)
        z = x.mean(dim=self.spatial_axes)  # squeeze: (N, C, H, W) -> (N, C)
        # the channels become the length axis: (N, 1, C) -> (N, 1, C)
        y = self.conv(z[:, None, :])
        s = self.gate(y).view(self.gate_shape)  # (N, 1, C) -> (N, C, 1, 1)
        return x * s  # broadcast over H, W -> (N, C, H, W)


class ECAModule1d(ECAModule):
    """ECAModule for sequences (N, C, L): the squeeze averages over L."""

    SPATIAL_DIMS = 1


class ECAModule3d(ECAModule):
    """ECAModule for volumes and video (N, C, D, H, W): the squeeze averages over
    D, H and W."""

    SPATIAL_DIMS = 3


__all__ = [
    "ECAModule",
    "ECAModule1d",
    "ECAModule3d",
]

"""Shared PyTorch building blocks: ConvNormAct."""

import torch
from torch import nn

from cnn_attention.arguments import check_bool, check_conv_arguments
from cnn_attention.torch.activations import create_activation
from cnn_attention.torch.checks import check_input
from cnn_attention.torch.factory import ConfigMixin


class ConvNormAct(ConfigMixin, nn.Module):
    """Convolution, BatchNorm, activation: the unit most networks repeat.

    Padding is kernel_size // 2 on every side (odd kernels only), so stride 1 keeps
    H and W and stride 2 halves them, rounding up. With norm=True the convolution has
    no bias (BatchNorm's shift replaces it) unless `bias` says otherwise;
    activation=None leaves the output linear.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
        activation: str | None = "relu",
        norm: bool = True,
        bias: bool | None = None,
    ):
        super().__init__()
        check_conv_arguments(in_channels, out_channels, kernel_size, stride, groups)
        bias = (
            not check_bool("norm", norm) if bias is None else check_bool("bias", bias)
        )
        self.set_config(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=stride,
            groups=groups,
            activation=activation,
            norm=norm,
            bias=bias,
        )
        self.in_channels = in_channels
        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding=kernel_size // 2,
            groups=groups,
            bias=bias,
        )
        self.bn = nn.BatchNorm2d(out_channels) if norm else nn.Identity()
        self.act = (
            nn.Identity() if activation is None else create_activation(activation)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels, self.label)
        return self.act(self.bn(self.conv(x)))


__all__ = [
    "ConvNormAct",
]

# This file was generated from notebooks/02_squeeze_excitation.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

from collections.abc import Callable

from torch import nn


class Bottleneck(nn.Module):
    """ResNet's 1x1 -> 3x3 -> 1x1 bottleneck block with an optional attention module on the residual branch.

    The attention module sees the branch's output (out_channels = 4 * width) *before* the identity is added,
    where SE, ECA and CBAM place it in their papers.
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        attention: Callable[[int], nn.Module] | None = None,
    ):
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.attention = attention(out_channels) if attention else nn.Identity()
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if (
            stride != 1 or in_channels != out_channels
        ):  # the identity must match the branch's shape
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        identity = (
            x if self.downsample is None else self.downsample(x)
        )  # (N, 4w, H/s, W/s)
        out = self.relu(self.bn1(self.conv1(x)))  # (N, w, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # (N, w, H/s, W/s)
        out = self.bn3(self.conv3(out))  # (N, 4w, H/s, W/s)
        out = self.attention(out)  # reweighted, same shape
        return self.relu(out + identity)


def resnet50(
    num_classes: int = 1000, attention: Callable[[int], nn.Module] | None = None
) -> nn.Sequential:
    """ResNet-50 (He et al., 2016), optionally with `attention(channels)` in every bottleneck.

    Written from scratch (there is no torchvision here); the layer shapes follow torchvision's resnet50,
    so the parameter count is the reference 25,557,032.
    """
    layers: list[nn.Module] = [
        nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, stride=2, padding=1),
    ]  # (N, 64, H/4, W/4)
    in_channels = 64
    for width, blocks, stride in [
        (64, 3, 1),
        (128, 4, 2),
        (256, 6, 2),
        (512, 3, 2),
    ]:  # 4 stages
        for index in range(blocks):
            layers.append(
                Bottleneck(in_channels, width, stride if index == 0 else 1, attention)
            )
            in_channels = width * Bottleneck.expansion
    layers += [
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(in_channels, num_classes),
    ]  # (N, num_classes)
    return nn.Sequential(*layers)


__all__ = [
    'Bottleneck',
    'resnet50',
]

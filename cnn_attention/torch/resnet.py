"""ResNet-18/34/50 in PyTorch (torchvision's designs, written here: there is no
torchvision on the book's machines) with attention by name in every residual block.
"""

from collections.abc import Callable

import torch
from torch import nn

from cnn_attention.arguments import (
    check_attention_kwargs,
    check_block_arguments,
    check_choice,
    check_head,
    check_int_tuple,
    check_positive_int,
)
from cnn_attention.torch.blocks import ConvNormAct
from cnn_attention.torch.checks import check_input
from cnn_attention.torch.factory import ConfigMixin, create_attention


class BasicBlock(ConfigMixin, nn.Module):
    """ResNet-18/34's block: 3x3 conv, 3x3 conv, attention, + shortcut, ReLU.

    The attention module sees the residual branch *before* the shortcut is added,
    where SE, ECA and CBAM place it. `attention` is a name, a factory or None.
    """

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
    ):
        super().__init__()
        attention_kwargs = check_block_arguments(
            in_channels, width, stride, attention, attention_kwargs
        )
        out_channels = width * self.expansion
        self.set_config(
            in_channels=in_channels,
            width=width,
            stride=stride,
            attention=attention,
            attention_kwargs=attention_kwargs or None,
        )
        self.conv1 = ConvNormAct(in_channels, width, 3, stride)
        self.conv2 = ConvNormAct(width, out_channels, 3, activation=None)
        self.attention = create_attention(attention, out_channels, **attention_kwargs)
        self.downsample = _shortcut(in_channels, out_channels, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.conv2(self.conv1(x))  # (N, C_out, H/s, W/s)
        return self.relu(self.attention(branch) + self.downsample(x))


class Bottleneck(ConfigMixin, nn.Module):
    """ResNet-50's block: 1x1 (reduce), 3x3 (stride), 1x1 (x4), attention, + shortcut.

    The stride sits on the 3x3 convolution, as in torchvision ("ResNet v1.5").
    """

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
    ):
        super().__init__()
        attention_kwargs = check_block_arguments(
            in_channels, width, stride, attention, attention_kwargs
        )
        out_channels = width * self.expansion
        self.set_config(
            in_channels=in_channels,
            width=width,
            stride=stride,
            attention=attention,
            attention_kwargs=attention_kwargs or None,
        )
        self.conv1 = ConvNormAct(in_channels, width, 1)
        self.conv2 = ConvNormAct(width, width, 3, stride)
        self.conv3 = ConvNormAct(width, out_channels, 1, activation=None)
        self.attention = create_attention(attention, out_channels, **attention_kwargs)
        self.downsample = _shortcut(in_channels, out_channels, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.conv3(self.conv2(self.conv1(x)))  # (N, 4w, H/s, W/s)
        return self.relu(self.attention(branch) + self.downsample(x))


def _shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """Identity, or a strided 1x1 conv + BN where the branch changes the shape."""
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return ConvNormAct(in_channels, out_channels, 1, stride, activation=None)


class ClassifierHead(ConfigMixin, nn.Module):
    """Global average pooling, then a linear layer: (N, C, H, W) -> (N, num_classes)."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.set_config(
            in_channels=check_positive_int("in_channels", in_channels),
            num_classes=check_positive_int("num_classes", num_classes),
        )
        self.in_channels = in_channels
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels, self.label)
        return self.fc(x.mean(dim=(2, 3)))  # (N, C, H, W) -> (N, C) -> (N, classes)


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ResNet(ConfigMixin, nn.Module):
    """A residual network (He et al., 2016) with attention in every block.

    Args:
        block: "basic" (ResNet-18/34) or "bottleneck" (ResNet-50 and deeper).
        layers: blocks per stage, e.g. (2, 2, 2, 2) for ResNet-18.
        widths: width of each stage; the first also sets the stem's.
        num_classes: outputs of the head.
        in_channels: channels of the input images.
        stem: "imagenet" (7x7 stride-2 conv + 3x3 stride-2 max pool: /4) or
            "small" (one 3x3 conv, stride 1, for small images such as digits).
        attention, attention_kwargs: the attention in every block (see BasicBlock).
        head: a factory head(in_channels, num_classes) -> module; the default is
            global average pooling + linear (ClassifierHead).
    """

    def __init__(
        self,
        block: str = "basic",
        layers: tuple = (2, 2, 2, 2),
        widths: tuple = (64, 128, 256, 512),
        num_classes: int = 1000,
        in_channels: int = 3,
        stem: str = "imagenet",
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
        head: Callable[[int, int], nn.Module] | None = None,
    ):
        super().__init__()
        block_class = BLOCKS[check_choice("block", block, tuple(BLOCKS))]
        layers = check_int_tuple("layers", layers)
        widths = check_int_tuple("widths", widths, length=len(layers))
        check_positive_int("num_classes", num_classes)
        check_positive_int("in_channels", in_channels)
        check_head(head)
        check_attention_kwargs(attention, attention_kwargs)
        self.set_config(
            block=block,
            layers=layers,
            widths=widths,
            num_classes=num_classes,
            in_channels=in_channels,
            stem=check_choice("stem", stem, ("imagenet", "small")),
            attention=attention,
            attention_kwargs=attention_kwargs,
            head=head,
        )
        if stem == "imagenet":  # (N, 3, H, W) -> (N, w0, H/4, W/4)
            self.stem = nn.Sequential(
                ConvNormAct(in_channels, widths[0], 7, stride=2),
                nn.MaxPool2d(3, stride=2, padding=1),
            )
        else:  # (N, 3, H, W) -> (N, w0, H, W)
            self.stem = nn.Sequential(ConvNormAct(in_channels, widths[0], 3))
        stages, channels = [], widths[0]
        for index, (blocks, width) in enumerate(zip(layers, widths)):
            stage = []
            for number in range(blocks):
                stride = 2 if index > 0 and number == 0 else 1  # halve H, W per stage
                stage.append(
                    block_class(channels, width, stride, attention, attention_kwargs)
                )
                channels = width * block_class.expansion
            stages.append(nn.Sequential(*stage))
        self.stages = nn.Sequential(*stages)
        self.num_features = channels
        self.head = (head or ClassifierHead)(channels, num_classes)
        if not isinstance(self.head, nn.Module):
            raise ValueError(f"head returned {type(self.head).__name__}, not a module")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last stage's feature map, (N, num_features, H', W')."""
        return self.stages(self.stem(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x))


def resnet18(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-18: 11,689,512 parameters with 1000 classes, as torchvision's."""
    return ResNet("basic", (2, 2, 2, 2), num_classes=num_classes, **kwargs)


def resnet34(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-34: 21,797,672 parameters with 1000 classes."""
    return ResNet("basic", (3, 4, 6, 3), num_classes=num_classes, **kwargs)


def resnet50(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-50: 25,557,032 parameters with 1000 classes."""
    return ResNet("bottleneck", (3, 4, 6, 3), num_classes=num_classes, **kwargs)


__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ClassifierHead",
    "BLOCKS",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
]

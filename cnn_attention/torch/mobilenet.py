"""MobileNetV2 (Sandler et al., 2018) in PyTorch, with attention by name in each
inverted residual block, and the official Coordinate Attention checkpoints' keys
(chapter 6).
"""

import re
from collections.abc import Callable

import torch
from torch import nn

from cnn_attention.arguments import (
    check_attention_kwargs,
    check_block_arguments,
    check_dropout,
    check_positive_int,
    check_state_dict,
    make_divisible,
    mobilenet_v2_blocks,
)
from cnn_attention.torch.blocks import ConvNormAct
from cnn_attention.torch.coordatt import official_coordatt_keys
from cnn_attention.torch.factory import ConfigMixin, create_attention


class ConvNormReLU6(ConvNormAct):
    """ConvNormAct with ReLU6, min(max(x, 0), 6), MobileNetV2's activation."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
    ):
        super().__init__(
            in_channels, out_channels, kernel_size, stride, groups, activation=None
        )
        self.set_config(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=stride,
            groups=groups,
        )
        self.act = nn.ReLU6(inplace=True)


class InvertedResidual(ConfigMixin, nn.Module):
    """MobileNetV2's block: 1x1 expand, 3x3 depthwise, attention, 1x1 project.

    The expansion (t > 1) widens the block to t * in_channels; the attention sits
    after the depthwise convolution, at that width, where the Coordinate Attention
    paper puts it. A block without expansion (t = 1) has no attention, as in the
    official MobileNetV2 with CA. The shortcut adds the input when the shape is kept.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        expand_ratio: int = 6,
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
    ):
        super().__init__()
        attention_kwargs = check_block_arguments(
            in_channels,
            out_channels,
            stride,
            attention,
            attention_kwargs,
            width_name="out_channels",
        )
        check_positive_int("expand_ratio", expand_ratio)
        self.set_config(
            in_channels=in_channels,
            out_channels=out_channels,
            stride=stride,
            expand_ratio=expand_ratio,
            attention=attention,
            attention_kwargs=attention_kwargs or None,
        )
        hidden = round(in_channels * expand_ratio)
        self.use_shortcut = stride == 1 and in_channels == out_channels
        self.expand = (
            ConvNormReLU6(in_channels, hidden, 1)
            if expand_ratio != 1
            else nn.Identity()
        )
        self.depthwise = ConvNormReLU6(hidden, hidden, 3, stride, groups=hidden)
        # a block without expansion has no attention (nor options for it)
        self.attention = (
            create_attention(attention, hidden, **attention_kwargs)
            if expand_ratio != 1
            else nn.Identity()
        )
        self.project = ConvNormAct(hidden, out_channels, 1, activation=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.depthwise(self.expand(x))  # (N, t C_in, H / s, W / s)
        branch = self.project(self.attention(branch))  # (N, C_out, H / s, W / s)
        return x + branch if self.use_shortcut else branch


class MobileNetV2(ConfigMixin, nn.Module):
    """MobileNetV2 (Sandler et al., 2018), torchvision's design, attention by name.

    Args:
        num_classes: outputs of the classifier.
        in_channels: channels of the input images.
        width_multiplier: scales every width (rounded to multiples of 8); the last
            convolution keeps 1280 channels unless the multiplier exceeds 1.
        attention, attention_kwargs: the attention of every block with expansion
            (a registered name, a factory or None), after its depthwise conv.
        dropout: before the classifier (torchvision 0.2; the official CA code 0.1).
    """

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        width_multiplier: float = 1.0,
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
        dropout: float = 0.2,
    ):
        super().__init__()
        check_positive_int("num_classes", num_classes)
        check_positive_int("in_channels", in_channels)
        check_dropout(dropout)
        check_attention_kwargs(attention, attention_kwargs)
        blocks = mobilenet_v2_blocks(width_multiplier)
        self.set_config(
            num_classes=num_classes,
            in_channels=in_channels,
            width_multiplier=width_multiplier,
            attention=attention,
            attention_kwargs=attention_kwargs,
            dropout=dropout,
        )
        # (N, 3, H, W) -> (N, 32, H / 2, W / 2)
        self.stem = ConvNormReLU6(in_channels, blocks[0][0], 3, stride=2)
        self.blocks = nn.Sequential(
            *[InvertedResidual(*block, attention, attention_kwargs) for block in blocks]
        )
        self.num_features = make_divisible(1280 * max(1.0, width_multiplier))
        self.last_conv = ConvNormReLU6(blocks[-1][1], self.num_features, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.num_features, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The last convolution's map, (N, 1280, H / 32, W / 32)."""
        return self.last_conv(self.blocks(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.forward_features(x).mean(dim=(2, 3))  # (N, 1280)
        return self.classifier(self.dropout(pooled))  # (N, num_classes)


def mobilenet_v2(num_classes: int = 1000, **kwargs) -> MobileNetV2:
    """MobileNetV2: 3,504,872 parameters with 1000 classes, as torchvision's."""
    return MobileNetV2(num_classes=num_classes, **kwargs)


# features.<i>.conv.<j> of the official MBV2_CA: j -> our part of block i - 1
_FIRST_BLOCK = {
    0: "depthwise.conv",
    1: "depthwise.bn",
    3: "project.conv",
    4: "project.bn",
}
_EXPANDED_BLOCK = {
    0: "expand.conv",
    1: "expand.bn",
    3: "depthwise.conv",
    4: "depthwise.bn",
    6: "attention",
    7: "project.conv",
    8: "project.bn",
}
_OFFICIAL_MOBILENET_PARTS = {  # the layers outside the blocks
    "features.0.0": "stem.conv",
    "features.0.1": "stem.bn",
    "conv.0": "last_conv.conv",
    "conv.1": "last_conv.bn",
    "classifier.1": "classifier",
}


def official_mobilenet_keys(state_dict: dict) -> dict:
    """A state_dict of the official MBV2_CA (mbv2_ca.py) with our MobileNetV2's keys.

    Load the result into mobilenet_v2(attention="coord"). Keys saved through
    nn.DataParallel ("module." first) are accepted.
    """
    check_state_dict(state_dict, "the official MobileNetV2 with CA")
    converted = {}
    for key, value in state_dict.items():
        key = key.removeprefix("module.")
        block = re.fullmatch(r"features\.(\d+)\.conv\.(\d+)\.(.+)", key)
        if block:
            index, layer, rest = int(block[1]), int(block[2]), block[3]
            parts = _FIRST_BLOCK if index == 1 else _EXPANDED_BLOCK
            if layer not in parts:
                raise ValueError(f"unexpected key {key!r} in an official MBV2_CA")
            if parts[layer] == "attention":
                rest = next(iter(official_coordatt_keys({rest: None})))
            converted[f"blocks.{index - 1}.{parts[layer]}.{rest}"] = value
            continue
        head, _, rest = key.rpartition(".")
        if head not in _OFFICIAL_MOBILENET_PARTS:
            raise ValueError(f"unexpected key {key!r} in an official MBV2_CA")
        converted[f"{_OFFICIAL_MOBILENET_PARTS[head]}.{rest}"] = value
    return converted


__all__ = [
    "ConvNormReLU6",
    "InvertedResidual",
    "MobileNetV2",
    "mobilenet_v2",
    "official_mobilenet_keys",
]

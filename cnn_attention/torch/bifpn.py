"""BiFPN (Tan et al., 2020) in PyTorch: fusion, node, layer, stack, and the loader of
Yet-Another-EfficientDet-Pytorch's key names.

Chapter 7 builds a minimal layer and proves it equal to this one.
"""

import re

import torch
import torch.nn.functional as F
from torch import nn

from cnn_attention.arguments import (
    check_choice,
    check_positive_int,
    check_real,
    check_state_dict,
)
from cnn_attention.bifpn_rules import (
    FUSION_METHODS,
    bifpn_nodes,
    bifpn_output_ids,
    check_adapter_arguments,
    check_bifpn_arguments,
    check_node_arguments,
)
from cnn_attention.torch.activations import create_activation
from cnn_attention.torch.factory import ConfigMixin


class WeightedFusion(ConfigMixin, nn.Module):
    """Weighted sum of same-shaped maps, one learned scalar per input (BiFPN's fusion).

    method: "fast" (the paper's fast normalised fusion: w = relu(w), then
    sum_i w_i x_i / (epsilon + sum_j w_j)), "softmax" (weights softmax(w)),
    "unbounded" (sum_i w_i x_i) or "sum" (no weights). Weights start at 1.
    """

    def __init__(self, num_inputs: int, method: str = "fast", epsilon: float = 1e-4):
        super().__init__()
        check_positive_int("num_inputs", num_inputs)
        check_choice("method", method, FUSION_METHODS)
        check_real("epsilon", epsilon, positive=True)
        self.set_config(num_inputs=num_inputs, method=method, epsilon=epsilon)
        self.num_inputs, self.method, self.epsilon = num_inputs, method, float(epsilon)
        if method == "sum":
            self.register_parameter("weight", None)
        else:
            self.weight = nn.Parameter(torch.ones(num_inputs))  # (K,)

    def normalized_weights(self) -> torch.Tensor:
        """The K weights each input is multiplied by, (K,)."""
        weight = self.weight
        if weight is None:
            return torch.ones(self.num_inputs)
        if self.method == "fast":
            weight = torch.relu(weight)
            return weight / (weight.sum() + self.epsilon)
        if self.method == "softmax":
            return torch.softmax(weight, dim=0)
        return weight

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        if len(inputs) != self.num_inputs:
            raise ValueError(
                "WeightedFusion expects "
                + str(self.num_inputs)
                + " inputs, got "
                + str(len(inputs))
            )
        for x in inputs[1:]:
            if x.shape != inputs[0].shape:  # no silent broadcasting
                raise ValueError(
                    "WeightedFusion fuses maps of one shape; got shapes "
                    + str([y.shape for y in inputs])
                )
        if self.weight is None:  # "sum"
            fused = inputs[0]
            for x in inputs[1:]:
                fused = fused + x
            return fused
        weights = self.normalized_weights().to(inputs[0].dtype)  # (K,)
        fused = inputs[0] * weights[0]
        for index in range(1, len(inputs)):
            fused = fused + inputs[index] * weights[index]  # (N, C, H, W)
        return fused


# How the stride-2 max pooling pads: "same" with -inf, as TensorFlow's "SAME" (the
# official EfficientDet), or "zeros", as Yet-Another-EfficientDet-Pytorch does.
POOL_PADDINGS = {"same": float("-inf"), "zeros": 0.0}


def same_max_pool(x: torch.Tensor, pad_value: float = float("-inf")) -> torch.Tensor:
    """3x3 stride-2 max pooling padded like TensorFlow's "SAME": (H, W) -> ceil(/ 2).

    The padding (one row and column at the bottom and right for even sizes, one on
    each side for odd ones) is -inf, so it never wins the max; pad_value=0.0 pools
    as Yet-Another-EfficientDet-Pytorch does (zeros win over negative values).
    """
    height, width = x.shape[-2], x.shape[-1]
    pad_h = max((height + 1) // 2 * 2 + 1 - height, 0)  # (out - 1) * 2 + 3 - H
    pad_w = max((width + 1) // 2 * 2 + 1 - width, 0)
    padding = [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2]
    x = F.pad(x, padding, value=pad_value)  # (N, C, H + pad_h, W + pad_w)
    return F.max_pool2d(x, kernel_size=3, stride=2)  # (N, C, ceil(H/2), ceil(W/2))


def upsample_to(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Nearest-neighbour x2 upsampling, cropped to (height, width) (2h - 1 or 2h).

    For a target of 2h - 1 this equals nearest resizing to that size (PyTorch's
    F.interpolate(size=...) and TensorFlow's resize_nearest_neighbor).
    """
    if not (
        2 * x.shape[-2] - 1 <= height <= 2 * x.shape[-2]
        and 2 * x.shape[-1] - 1 <= width <= 2 * x.shape[-1]
    ):
        raise ValueError(
            "upsample_to doubles a map of "
            + str(x.shape[-2])
            + "x"
            + str(x.shape[-1])
            + ": height and width must be 2h - 1 or 2h and 2w - 1 or 2w; got "
            + str(height)
            + "x"
            + str(width)
        )
    x = F.interpolate(x, scale_factor=2.0, mode="nearest")  # (N, C, 2h, 2w)
    return x[:, :, :height, :width]  # (N, C, height, width)


class ChannelAdapter(ConfigMixin, nn.Module):
    """1x1 convolution (with bias) and BatchNorm: a map to the BiFPN's width."""

    def __init__(
        self,
        in_channels: int,
        channels: int,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
    ):
        super().__init__()
        check_adapter_arguments(in_channels, channels, norm_epsilon, norm_momentum)
        self.set_config(
            in_channels=in_channels,
            channels=channels,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
        )
        self.conv = nn.Conv2d(in_channels, channels, 1)
        self.bn = nn.BatchNorm2d(channels, eps=norm_epsilon, momentum=norm_momentum)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))  # (N, C_in, H, W) -> (N, C, H, W)


class BiFPNNode(ConfigMixin, nn.Module):
    """One fusion node: resize each input to this level, fuse, then act-conv-BN.

    Each input is adapted to `channels` by its own 1x1 conv + BN if its width differs,
    pooled (from the level below) or upsampled (from the level above), and the
    weighted sum goes through swish, a depthwise-separable 3x3 convolution and
    BatchNorm: the official code's order (OpAfterCombine, conv_bn_act_pattern=False).
    """

    def __init__(
        self,
        level: int,
        input_levels: tuple,
        in_channels: tuple,
        channels: int = 64,
        fusion: str = "fast",
        epsilon: float = 1e-4,
        activation: str = "swish",
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        pool_padding: str = "same",
    ):
        super().__init__()
        input_levels, in_channels = check_node_arguments(
            level,
            input_levels,
            in_channels,
            channels,
            fusion,
            epsilon,
            activation,
            norm_epsilon,
            norm_momentum,
        )
        self.set_config(
            level=level,
            input_levels=input_levels,
            in_channels=in_channels,
            channels=channels,
            fusion=fusion,
            epsilon=epsilon,
            activation=activation,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            pool_padding=check_choice(
                "pool_padding", pool_padding, tuple(POOL_PADDINGS)
            ),
        )
        self.level = level
        self.pad_value = POOL_PADDINGS[pool_padding]
        # -1: pool from the level below, 0: same level, 1: upsample from above
        self.moves = [(source > level) - (source < level) for source in input_levels]
        self.adapters = nn.ModuleList(
            nn.Identity()
            if width == channels
            else ChannelAdapter(width, channels, norm_epsilon, norm_momentum)
            for width in in_channels
        )
        self.fusion = WeightedFusion(len(in_channels), fusion, epsilon)
        self.act = create_activation(activation)
        self.depthwise = nn.Conv2d(
            channels, channels, 3, padding=1, groups=channels, bias=False
        )
        self.pointwise = nn.Conv2d(channels, channels, 1)
        self.bn = nn.BatchNorm2d(channels, eps=norm_epsilon, momentum=norm_momentum)

    def forward(self, inputs: list[torch.Tensor], target: torch.Tensor) -> torch.Tensor:
        """inputs: one map per edge; target: a map of this level, for its size."""
        height, width = target.shape[-2], target.shape[-1]
        resized = []
        for index, adapter in enumerate(self.adapters):
            x = adapter(inputs[index])  # (N, C, h, w)
            if self.moves[index] < 0:
                x = same_max_pool(x, self.pad_value)  # (N, C, ceil(h/2), ...)
            elif self.moves[index] > 0:
                x = upsample_to(x, height, width)  # (N, C, H, W)
            resized.append(x)
        fused = self.fusion(resized)  # (N, C, H, W)
        return self.bn(self.pointwise(self.depthwise(self.act(fused))))


def _size_text(x: torch.Tensor) -> str:
    return str(x.shape[2]) + "x" + str(x.shape[3])


def _features_problem(features: list[torch.Tensor], widths: list[int]) -> str:
    """What is wrong with `features` for a BiFPN of `widths`, or "" (TorchScript:
    the wording of cnn_attention.bifpn_rules.features_problem, which Keras uses)."""
    if len(features) != len(widths):
        return (
            "expects "
            + str(len(widths))
            + " feature maps ("
            + ", ".join(["P" + str(index + 3) for index in range(len(widths))])
            + " with ("
            + ", ".join([str(width) for width in widths])
            + ") channels), got "
            + str(len(features))
        )
    for index, x in enumerate(features):
        name = "level P" + str(index + 3)
        if x.dim() != 4:
            return (
                name
                + " expects a 4-D feature map (N, C, H, W); got shape "
                + str(list(x.shape))
            )
        if x.shape[1] != widths[index]:
            return (
                name
                + " was built for "
                + str(widths[index])
                + " channels but got "
                + str(x.shape[1])
            )
        if x.shape[2] == 0 or x.shape[3] == 0:
            return name + " got an empty feature map: H and W must be >= 1"
        if not x.is_floating_point():
            return name + " expects a floating-point input"
        if index > 0:
            below = features[index - 1]
            if x.shape[0] != below.shape[0]:
                return (
                    "got maps of different batch sizes ("
                    + ", ".join([str(y.shape[0]) for y in features])
                    + "): one batch, please"
                )
            height, width = (below.shape[2] + 1) // 2, (below.shape[3] + 1) // 2
            if x.shape[2] != height or x.shape[3] != width:
                return (
                    "P"
                    + str(index + 3)
                    + " is "
                    + _size_text(x)
                    + ", but P"
                    + str(index + 2)
                    + " ("
                    + _size_text(below)
                    + ") halves to "
                    + str(height)
                    + "x"
                    + str(width)
                    + ": each level must be the one below it halved, rounding up "
                    + "(stride-2 'same' pooling), e.g. 64x64, 32x32, 16x16 or "
                    + "65x65, 33x33, 17x17"
                )
    return ""


def check_features(features: list[torch.Tensor], widths: list[int], label: str):
    """Raise ValueError, naming `label`, unless `features` is a list of float
    (N, C, H, W) maps of one batch size and `widths` channels whose sizes halve
    from level to level (rounding up)."""
    if not torch.jit.is_scripting():
        if not isinstance(features, list | tuple) or not all(
            isinstance(x, torch.Tensor) for x in features
        ):
            raise ValueError(
                f"{label} expects a list of {len(widths)} feature maps (tensors), "
                f"P3 first; got {type(features).__name__}"
            )
    problem = _features_problem(features, widths)
    if problem != "":
        raise ValueError(label + " " + problem)


class BiFPNLayer(ConfigMixin, nn.Module):
    """One BiFPN layer (Tan et al., 2020): top-down, then bottom-up, weighted fusion.

    Takes L maps P3 ... P(L+2), (N, C_i, H_i, W_i) with C_i = in_channels[i] and each
    size the one below halved (rounding up), and returns L maps of `channels`
    channels at the same sizes. Widths other than `channels` (the first layer's
    backbone maps) get a 1x1 conv + BN on every edge that reads them.
    """

    def __init__(
        self,
        in_channels: tuple = (64, 64, 64, 64, 64),
        channels: int = 64,
        fusion: str = "fast",
        epsilon: float = 1e-4,
        activation: str = "swish",
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        pool_padding: str = "same",
    ):
        super().__init__()
        in_channels = check_bifpn_arguments(
            in_channels,
            channels,
            None,
            fusion,
            epsilon,
            activation,
            norm_epsilon,
            norm_momentum,
        )
        self.set_config(
            in_channels=in_channels,
            channels=channels,
            fusion=fusion,
            epsilon=epsilon,
            activation=activation,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            pool_padding=check_choice(
                "pool_padding", pool_padding, tuple(POOL_PADDINGS)
            ),
        )
        num_levels = len(in_channels)
        nodes = bifpn_nodes(num_levels)
        widths = list(in_channels) + [channels] * len(nodes)  # per node id
        levels = list(range(num_levels)) + [level for level, _ in nodes]
        self.in_channels = list(in_channels)
        self.input_ids = [list(ids) for _, ids in nodes]
        self.output_ids = bifpn_output_ids(num_levels)
        self.nodes = nn.ModuleList(
            BiFPNNode(
                level,
                tuple(levels[i] for i in ids),
                tuple(widths[i] for i in ids),
                channels,
                fusion,
                epsilon,
                activation,
                norm_epsilon,
                norm_momentum,
                pool_padding,
            )
            for level, ids in nodes
        )

    def forward_nodes(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        """Every node of the layer, inputs first, in the order of `bifpn_nodes`."""
        check_features(features, self.in_channels, self.label)
        nodes = list(features)
        for index, node in enumerate(self.nodes):
            inputs = [nodes[i] for i in self.input_ids[index]]
            nodes.append(node(inputs, features[node.level]))
        return nodes

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        nodes = self.forward_nodes(features)
        return [nodes[i] for i in self.output_ids]  # P3_out ... : (N, C, H_i, W_i)


class ExtraLevel(ConfigMixin, nn.Module):
    """A coarser level from the top map: 1x1 conv + BN if widths differ, then a
    stride-2 'same' max pool (EfficientDet's P6 from P5, P7 from P6)."""

    def __init__(
        self,
        in_channels: int,
        channels: int,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        pool_padding: str = "same",
    ):
        super().__init__()
        check_adapter_arguments(in_channels, channels, norm_epsilon, norm_momentum)
        self.set_config(
            in_channels=in_channels,
            channels=channels,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            pool_padding=check_choice(
                "pool_padding", pool_padding, tuple(POOL_PADDINGS)
            ),
        )
        self.pad_value = POOL_PADDINGS[pool_padding]
        self.adapter = (
            nn.Identity()
            if in_channels == channels
            else ChannelAdapter(in_channels, channels, norm_epsilon, norm_momentum)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (N, C_in, H, W) -> (N, C, ceil(H/2), ceil(W/2))
        return same_max_pool(self.adapter(x), self.pad_value)


class BiFPN(ConfigMixin, nn.Module):
    """EfficientDet's feature network: extra levels, then `repeats` BiFPN layers.

    Takes the backbone's maps (P3, P4, P5 for EfficientDet, widths `in_channels`),
    adds coarser levels pooled from the last one until there are `num_levels`, and
    returns `num_levels` maps of `channels` channels, P3 first. BiFPN() is
    EfficientDet-D0's: in_channels=(40, 112, 320), channels=64, repeats=3.

    Args:
        fusion: "fast" (default), "softmax", "unbounded" or "sum".
        epsilon: the fast fusion's epsilon (1e-4), not BatchNorm's.
        activation: applied to each fused sum before its separable convolution.
        norm_epsilon, norm_momentum: BatchNorm's, in PyTorch's convention; the
            defaults are EfficientDet's (TensorFlow's momentum 0.99 is 0.01 here).
        pool_padding: "same" pads the stride-2 max pooling with -inf, as
            TensorFlow's "SAME" (the official code); "zeros" pads with zeros, as
            Yet-Another-EfficientDet-Pytorch does (see yet_another_efficientdet_keys).
            The Keras BiFPN pools as "same" only.
    """

    def __init__(
        self,
        in_channels: tuple = (40, 112, 320),
        channels: int = 64,
        repeats: int = 3,
        num_levels: int = 5,
        fusion: str = "fast",
        epsilon: float = 1e-4,
        activation: str = "swish",
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        pool_padding: str = "same",
    ):
        super().__init__()
        in_channels = check_bifpn_arguments(
            in_channels,
            channels,
            num_levels,
            fusion,
            epsilon,
            activation,
            norm_epsilon,
            norm_momentum,
        )
        check_positive_int("repeats", repeats)
        check_positive_int("num_levels", num_levels)
        self.set_config(
            in_channels=in_channels,
            channels=channels,
            repeats=repeats,
            num_levels=num_levels,
            fusion=fusion,
            epsilon=epsilon,
            activation=activation,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
            pool_padding=check_choice(
                "pool_padding", pool_padding, tuple(POOL_PADDINGS)
            ),
        )
        self.in_channels = list(in_channels)
        extra = num_levels - len(in_channels)
        self.extra_levels = nn.ModuleList(
            ExtraLevel(
                in_channels[-1] if index == 0 else channels,
                channels,
                norm_epsilon,
                norm_momentum,
                pool_padding,
            )
            for index in range(extra)
        )
        widths = in_channels + (channels,) * extra
        self.layers = nn.ModuleList(
            BiFPNLayer(
                widths if index == 0 else (channels,) * num_levels,
                channels,
                fusion,
                epsilon,
                activation,
                norm_epsilon,
                norm_momentum,
                pool_padding,
            )
            for index in range(repeats)
        )

    def forward(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        check_features(features, self.in_channels, self.label)
        features = list(features)
        for extra in self.extra_levels:
            features.append(extra(features[-1]))  # P6, P7: (N, C, ceil(H/2), ...)
        for layer in self.layers:
            features = layer(features)
        return features


_NODE = re.compile(
    r"conv(\d)_(up|down)\.(depthwise_conv\.conv|pointwise_conv\.conv|bn)\."
)
_WEIGHT = re.compile(r"p(\d)_w([12])$")
_ADAPTER = re.compile(r"p(\d)_down_channel(_2)?\.([01])\.(conv\.)?")
_PART = {"depthwise_conv.conv": "depthwise", "pointwise_conv.conv": "pointwise"}


def yet_another_efficientdet_keys(state_dict: dict, fusion: str = "fast") -> dict:
    """The state_dict of Yet-Another-EfficientDet-Pytorch's BiFPN with our keys.

    Takes their stack (nn.Sequential of their BiFPN layers: keys "0.conv6_up...") or
    their whole EfficientDetBackbone (the keys under "bifpn." are used, the others
    ignored), and returns a state_dict for our BiFPN(in_channels, channels, repeats,
    num_levels=5, or 6 when their stack has P8, fusion). conv{l}_up/_down become
    the top-down/bottom-up nodes of level l, p{l}_w1/_w2 their fusion weights,
    p{l}_down_channel(_2) the first layer's adapters and p5_to_p6 the P6 adapter.

    Their layers always hold fusion weights; with attention=False (EfficientDet-D6
    and up) they are unused: pass fusion="sum" to leave them out. Their P8 (D7x)
    exists only without attention.

    Two differences the keys do not show. Their max pooling pads with zeros
    (MaxPool2dStaticSamePadding), ours with -inf as TensorFlow's "SAME" does: where
    a pooled map has negative values at its border the outputs differ (0.07 to
    0.24 on random weights). Build our BiFPN with pool_padding="zeros" to pool as
    they do. And their first layer adapts every backbone level with a 1x1 conv +
    BN, ours only levels whose width differs from the BiFPN's: a checkpoint with a
    level as wide as the BiFPN is refused (no EfficientDet D0-D7 has one).
    """
    check_state_dict(state_dict, "a Yet-Another-EfficientDet BiFPN")
    check_choice("fusion", fusion, ("fast", "sum"))
    if any(key.startswith("bifpn.") for key in state_dict):
        state_dict = {
            key[len("bifpn.") :]: value
            for key, value in state_dict.items()
            if key.startswith("bifpn.")
        }
    num_levels = 6 if any(".conv8_down." in key for key in state_dict) else 5
    if num_levels == 6 and fusion != "sum":
        raise ValueError(
            "their BiFPN with P8 (use_p8=True) has no weighted fusion: "
            "pass fusion='sum'"
        )
    top_down = {level + 3: num_levels - 2 - level for level in range(num_levels - 1)}
    bottom_up = {level + 3: num_levels - 2 + level for level in range(1, num_levels)}
    converted = {}
    for key, value in state_dict.items():
        layer, _, name = key.partition(".")
        if not layer.isdigit():
            raise ValueError(f"unexpected key {key!r}: expected '<layer>.<name>'")
        prefix = f"layers.{layer}."
        if match := _NODE.match(name):
            level, path, part = int(match[1]), match[2], match[3]
            node = (top_down if path == "up" else bottom_up)[level]
            rest = name[match.end() :]
            new = f"{prefix}nodes.{node}.{_PART.get(part, part)}.{rest}"
        elif match := _WEIGHT.match(name):
            if fusion == "sum":
                continue
            node = (top_down if match[2] == "1" else bottom_up)[int(match[1])]
            new = f"{prefix}nodes.{node}.fusion.weight"
        elif match := _ADAPTER.match(name):
            if name.endswith("conv.weight") and value.shape[0] == value.shape[1]:
                raise ValueError(
                    f"{key!r} maps {value.shape[1]} channels to {value.shape[0]}: "
                    "their first layer adapts every backbone level, ours only a level "
                    "whose width differs from the BiFPN's (an identity otherwise), so "
                    "this checkpoint has a layer our BiFPN lacks (it cannot load)"
                )
            level, second = int(match[1]), match[2] is not None
            node = (bottom_up if second else top_down)[level]
            part = "conv" if match[3] == "0" else "bn"
            new = f"{prefix}nodes.{node}.adapters.0.{part}.{name[match.end() :]}"
        elif name.startswith("p5_to_p6."):
            index, _, rest = name[len("p5_to_p6.") :].partition(".")
            part = "conv" if index == "0" else "bn"
            rest = rest.removeprefix("conv.")
            new = f"extra_levels.0.adapter.{part}.{rest}"
        else:
            raise ValueError(
                f"unexpected key {key!r} in a Yet-Another-EfficientDet BiFPN"
            )
        converted[new] = value
    return converted


__all__ = [
    "POOL_PADDINGS",
    "WeightedFusion",
    "same_max_pool",
    "upsample_to",
    "ChannelAdapter",
    "BiFPNNode",
    "check_features",
    "BiFPNLayer",
    "ExtraLevel",
    "BiFPN",
    "yet_another_efficientdet_keys",
]

"""CBAM (Woo et al., 2018) in PyTorch: ChannelGate, SpatialGate, CBAM, and loaders
of the official and the seeds' checkpoint key names.

Chapter 4 builds a minimal CBAM and proves it equal to this one.
"""

import re

import torch
from torch import nn

from cnn_attention.arguments import (
    ARRANGEMENTS,
    check_bool,
    check_choice,
    check_odd_kernel,
    check_pool_types,
    check_spatial_arguments,
    check_spatial_pools,
    check_state_dict,
    se_hidden_channels,
)
from cnn_attention.torch.activations import create_activation, create_gate
from cnn_attention.torch.checks import check_input
from cnn_attention.torch.factory import ConfigMixin, register_attention
from cnn_attention.torch.scaling import multiply_into


def global_pool(x: torch.Tensor, pool_type: str) -> torch.Tensor:
    """One descriptor per channel: (N, C, H, W) -> (N, C).

    "lp" is the L2 norm and "lse" the log-sum-exp over the H x W positions, as in
    the official code: sums, not means (a constant map of ones gives lp = sqrt(HW)).
    """
    if pool_type == "avg":
        return x.mean(dim=(2, 3))
    if pool_type == "max":
        return x.amax(dim=(2, 3))
    if pool_type == "lp":  # its gradient at an all-zero channel is 0, not NaN
        return torch.linalg.vector_norm(x, ord=2, dim=(2, 3))
    if pool_type == "lse":
        return torch.logsumexp(x.flatten(2), dim=2)  # max-subtracted inside
    raise ValueError(
        "pool_type must be one of 'avg', 'max', 'lp', 'lse'; got '"
        + str(pool_type)
        + "'"
    )


class ChannelGate(ConfigMixin, nn.Module):
    """CBAM's channel attention: Mc = gate(sum over pools of MLP(pool(x))).

    One MLP (C -> C // r -> C) is shared by every pool in `pool_types`; its outputs
    are added before the gate. forward returns x * Mc.
    """

    def __init__(
        self,
        channels: int,
        reduction: int = 16,
        hidden_channels: int | None = None,
        bias: bool = True,
        activation: str = "relu",
        gate: str = "sigmoid",
        pool_types: tuple = ("avg", "max"),
    ):
        super().__init__()
        hidden = se_hidden_channels(channels, reduction, hidden_channels)
        pool_types = check_pool_types(pool_types)
        self.set_resolved(hidden_channels=hidden, reduction=None)
        self.set_config(
            channels=channels,
            reduction=reduction,
            hidden_channels=hidden_channels,
            bias=check_bool("bias", bias),
            activation=activation,
            gate=gate,
            pool_types=pool_types,
        )
        self.channels = channels
        self.pool_types = list(pool_types)
        self.fc1 = nn.Linear(channels, hidden, bias=bias)  # W0 in the paper: (C/r, C)
        self.act = create_activation(activation)
        self.fc2 = nn.Linear(hidden, channels, bias=bias)  # W1: (C, C/r)
        self.gate = create_gate(gate)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Mc, (N, C, H, W) -> (N, C, 1, 1)."""
        # one descriptor per pool: (P, N, C), then the shared MLP on all of them
        descriptors = torch.stack([global_pool(x, p) for p in self.pool_types])
        scores = self.fc2(self.act(self.fc1(descriptors))).sum(dim=0)  # (N, C)
        return self.gate(scores)[:, :, None, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.channels, self.label)
        return x * self.attention(x)


class SpatialGate(ConfigMixin, nn.Module):
    """CBAM's spatial attention: Ms = gate(BN(conv_k([max_c(x); mean_c(x)]))).

    The two maps pooled over the channel axis are concatenated in `spatial_pools`
    order (the official code: max first), convolved by one k x k kernel without a
    bias and, if `norm`, batch-normalised as in the official code (momentum 0.01).
    forward returns x * Ms.
    """

    def __init__(
        self,
        kernel_size: int = 7,
        spatial_pools: tuple = ("max", "avg"),
        norm: bool = True,
        gate: str = "sigmoid",
    ):
        super().__init__()
        kernel_size = check_odd_kernel("kernel_size", kernel_size)
        spatial_pools = check_spatial_pools(spatial_pools)
        self.set_config(
            kernel_size=kernel_size,
            spatial_pools=spatial_pools,
            norm=check_bool("norm", norm),
            gate=gate,
        )
        self.max_first = spatial_pools[0] == "max"
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(1, momentum=0.01) if norm else nn.Identity()
        self.gate = create_gate(gate)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Ms, (N, C, H, W) -> (N, 1, H, W)."""
        maximum = x.amax(dim=1, keepdim=True)  # (N, 1, H, W)
        mean = x.mean(dim=1, keepdim=True)  # (N, 1, H, W)
        pair = [maximum, mean] if self.max_first else [mean, maximum]
        pooled = torch.cat(pair, dim=1)  # (N, 2, H, W)
        return self.gate(self.bn(self.conv(pooled)))  # (N, 1, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1] if x.dim() == 4 else 0  # any channel count will do
        check_input(x, channels, self.label)
        return x * self.attention(x)


@register_attention("cbam")
class CBAM(ConfigMixin, nn.Module):
    """Convolutional Block Attention Module (Woo et al., 2018) for (N, C, H, W) maps.

    F' = Mc(F) * F, then F'' = Ms(F') * F' (arrangement "channel_first", the paper's).
    "spatial_first" swaps the two; "parallel" computes both gates from F and applies
    them together, F * Mc(F) * Ms(F). spatial=False drops the spatial gate (the
    official no_spatial). The arguments up to `gate` are SEModule's; see ChannelGate
    and SpatialGate for the rest (spatial_norm is SpatialGate's norm).
    """

    def __init__(
        self,
        channels: int,
        reduction: int = 16,
        hidden_channels: int | None = None,
        bias: bool = True,
        activation: str = "relu",
        gate: str = "sigmoid",
        pool_types: tuple = ("avg", "max"),
        kernel_size: int = 7,
        spatial_pools: tuple = ("max", "avg"),
        spatial_norm: bool = True,
        spatial: bool = True,
        arrangement: str = "channel_first",
    ):
        super().__init__()
        # the spatial gate's arguments are checked even when spatial=False
        check_spatial_arguments(kernel_size, spatial_pools, spatial_norm)
        self.channel_gate = ChannelGate(
            channels, reduction, hidden_channels, bias, activation, gate, pool_types
        )
        self.spatial_gate = (
            SpatialGate(kernel_size, spatial_pools, spatial_norm, gate)
            if check_bool("spatial", spatial)
            else None
        )
        self.set_resolved(**self.channel_gate.resolved)
        self.set_config(
            **self.channel_gate.get_config(),
            kernel_size=kernel_size,
            spatial_pools=tuple(spatial_pools),
            spatial_norm=spatial_norm,
            spatial=spatial,
            arrangement=check_choice("arrangement", arrangement, ARRANGEMENTS),
        )
        self.channels = channels
        self.arrangement = arrangement

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.channels, self.label)
        if self.spatial_gate is None:
            return self.channel_gate(x)
        # One full-size tensor per call: the second gate multiplies the first
        # product in place when autograd does not need it (see scaling.py).
        if self.arrangement == "channel_first":
            refined = self.channel_gate(x)
            return multiply_into(refined, self.spatial_gate.attention(refined))
        if self.arrangement == "spatial_first":
            refined = self.spatial_gate(x)
            return multiply_into(refined, self.channel_gate.attention(refined))
        # parallel: both gates read the input
        return multiply_into(
            x * self.channel_gate.attention(x), self.spatial_gate.attention(x)
        )


_OFFICIAL_CBAM_KEYS = {
    "ChannelGate.mlp.1.": "channel_gate.fc1.",
    "ChannelGate.mlp.3.": "channel_gate.fc2.",
    "SpatialGate.spatial.conv.": "spatial_gate.conv.",
    "SpatialGate.spatial.bn.": "spatial_gate.bn.",
}
_OFFICIAL_RESNET_KEYS = [  # (pattern, replacement), tried in order
    (r"conv1\.weight", r"stem.0.conv.weight"),
    (r"bn1\.(.+)", r"stem.0.bn.\1"),
    (r"fc\.(.+)", r"head.fc.\1"),
    (r"layer(\d)\.(\d+)\.conv(\d)\.weight", r"stages.{s}.\2.conv\3.conv.weight"),
    (r"layer(\d)\.(\d+)\.bn(\d)\.(.+)", r"stages.{s}.\2.conv\3.bn.\4"),
    (r"layer(\d)\.(\d+)\.downsample\.0\.(.+)", r"stages.{s}.\2.downsample.conv.\3"),
    (r"layer(\d)\.(\d+)\.downsample\.1\.(.+)", r"stages.{s}.\2.downsample.bn.\3"),
    (r"layer(\d)\.(\d+)\.cbam\.(.+)", r"stages.{s}.\2.attention.\3"),
]


def official_cbam_keys(state_dict: dict) -> dict:
    """A state_dict of the official CBAM module with our CBAM's keys.

    Jongchan/attention-module names its weights ChannelGate.mlp.1/3 and
    SpatialGate.spatial.conv/bn; ours are channel_gate.fc1/fc2 and
    spatial_gate.conv/bn. Load the result into CBAM(C) (its defaults are the
    official code's).
    """
    check_state_dict(state_dict, "an official CBAM module")
    converted = {}
    for key, value in state_dict.items():
        prefix = next((p for p in _OFFICIAL_CBAM_KEYS if key.startswith(p)), None)
        if prefix is None:
            raise ValueError(f"unexpected key {key!r} in an official CBAM state_dict")
        converted[_OFFICIAL_CBAM_KEYS[prefix] + key[len(prefix) :]] = value
    return converted


def official_resnet_keys(state_dict: dict) -> dict:
    """A state_dict of the official CBAM-ResNet (ResidualNet) with our ResNet's keys.

    Works for checkpoints saved through nn.DataParallel (keys start with "module.").
    Load the result into resnet18/34/50(attention="cbam") for "ImageNet" models, or
    into ResNet(..., stem="small") for the official "CIFAR" ones.
    """
    check_state_dict(state_dict, "a torchvision-style ResNet")
    converted = {}
    for key, value in state_dict.items():
        key = key.removeprefix("module.")
        for pattern, replacement in _OFFICIAL_RESNET_KEYS:
            match = re.fullmatch(pattern, key)
            if match:
                stage = int(match[1]) - 1 if key.startswith("layer") else 0
                new_key = match.expand(replacement.replace("{s}", str(stage)))
                if ".attention." in new_key:
                    head, tail = new_key.split(".attention.")
                    tail = next(iter(official_cbam_keys({tail: None})))
                    new_key = f"{head}.attention.{tail}"
                converted[new_key] = value
                break
        else:
            raise ValueError(f"unexpected key {key!r} in an official ResNet state_dict")
    return converted


_SEED_CBAM_KEYS = {  # seed 003's CBAM, and the ca/sa pair of seed 004's block
    "channelattention.fc.0.weight": "channel_gate.fc1.weight",
    "channelattention.fc.2.weight": "channel_gate.fc2.weight",
    "spatialattention.conv1.weight": "spatial_gate.conv.weight",
    "ca.fc1.weight": "channel_gate.fc1.weight",
    "ca.fc2.weight": "channel_gate.fc2.weight",
    "sa.conv1.weight": "spatial_gate.conv.weight",
}


def seed_cbam_keys(state_dict: dict) -> dict:
    """A state_dict of the seeds' re-implementation with our CBAM's keys.

    Seed 003's CBAM (channelattention.fc.0/2, spatialattention.conv1) and the ca/sa
    pair in seed 004's BasicBlock (ca.fc1/fc2, sa.conv1) use 1x1 convolutions
    without biases for the MLP, concatenate (mean, max), and have no BatchNorm. Load
    the result into CBAM(C, reduction=16, bias=False, spatial_pools=("avg", "max"),
    spatial_norm=False), with the seed's kernel size.
    """
    check_state_dict(state_dict, "seed 003's CBAM")
    converted = {}
    for key, value in state_dict.items():
        if key not in _SEED_CBAM_KEYS:
            raise ValueError(f"unexpected key {key!r} in a seed CBAM state_dict")
        new_key = _SEED_CBAM_KEYS[key]
        # a 1x1 convolution's (out, in, 1, 1) weight is a linear layer's (out, in)
        converted[new_key] = value[:, :, 0, 0] if ".fc" in new_key else value
    return converted


__all__ = [
    "global_pool",
    "ChannelGate",
    "SpatialGate",
    "CBAM",
    "official_cbam_keys",
    "official_resnet_keys",
    "seed_cbam_keys",
]

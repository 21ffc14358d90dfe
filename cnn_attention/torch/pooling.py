"""Pooling heads in PyTorch: GeM, global pooling by name, dual (concatenated)
pooling heads, and the seed's checkpoint keys (chapter 5).
"""

import torch
from torch import nn

from cnn_attention.arguments import (
    HeadFactory,
    check_bool,
    check_dropout,
    check_gem_eps,
    check_gem_exponent,
    check_global_pool,
    check_positive_int,
    check_state_dict,
    dual_pool_head_options,
    pooled_channels,
    pooling_head_options,
)
from cnn_attention.torch.cbam import official_resnet_keys
from cnn_attention.torch.checks import check_input
from cnn_attention.torch.factory import ConfigMixin


class GeM(ConfigMixin, nn.Module):
    """Generalised-mean pooling (Radenovic et al., 2018): (N, C, H, W) -> (N, C, 1, 1).

    GeM(x) = mean(clamp(x, eps) ** p) ** (1 / p) over the H x W positions, with one
    exponent p for every channel, learned unless learn_p=False. p = 1 is the
    average; as p grows it tends to the maximum. Computed as
    exp((t + log mean exp(s - t)) / p) with s = p log clamp(x, eps) and t the
    largest s: the same function, but no power can overflow or underflow.
    """

    def __init__(
        self, channels: int, p: float = 3.0, eps: float = 1e-6, learn_p: bool = True
    ):
        super().__init__()
        self.set_config(
            channels=check_positive_int("channels", channels),
            p=check_gem_exponent(p),
            eps=check_gem_eps(eps),
            learn_p=check_bool("learn_p", learn_p),
        )
        self.channels = channels
        self.eps = float(eps)
        self.p = nn.Parameter(torch.full((1,), float(p)), requires_grad=learn_p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.channels, self.label)
        scaled = self.p * x.clamp(min=self.eps).log()  # p log x: (N, C, H, W)
        # the largest term comes out of the sum; the result does not depend on it,
        # so it needs no gradient
        top = scaled.amax(dim=(2, 3), keepdim=True).detach()  # (N, C, 1, 1)
        mean = (scaled - top).exp().mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
        return ((top + mean.log()) / self.p).exp()  # (N, C, 1, 1)


class GlobalPool(ConfigMixin, nn.Module):
    """A global pooling by name: (N, C, H, W) -> (N, C') or, flatten=False, 4-D.

    pool is one of GLOBAL_POOLS: "avg", "max", "gem" (C' = C); "avgmax", timm's
    0.5 * (avg + max) (C' = C); "catavgmax", the concatenation (avg, max) as in
    timm, and "catmaxavg", (max, avg) as in fastai (C' = 2C). p, eps and learn_p
    are GeM's.
    """

    def __init__(
        self,
        channels: int,
        pool: str = "avg",
        p: float = 3.0,
        eps: float = 1e-6,
        learn_p: bool = True,
        flatten: bool = True,
    ):
        super().__init__()
        self.set_config(
            channels=check_positive_int("channels", channels),
            pool=check_global_pool(pool),
            p=check_gem_exponent(p),
            eps=check_gem_eps(eps),
            learn_p=check_bool("learn_p", learn_p),
            flatten=check_bool("flatten", flatten),
        )
        self.channels = channels
        self.out_channels = pooled_channels(channels, pool)
        self.kind = pool
        self.flatten = flatten
        self.gem = GeM(channels, p, eps, learn_p) if pool == "gem" else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.channels, self.label)
        if self.kind == "gem":
            pooled = self.gem(x)  # (N, C, 1, 1)
        elif self.kind == "avg":
            pooled = x.mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
        elif self.kind == "max":
            pooled = x.amax(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
        else:
            average = x.mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
            maximum = x.amax(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
            if self.kind == "avgmax":
                pooled = 0.5 * (average + maximum)  # (N, C, 1, 1)
            elif self.kind == "catavgmax":
                pooled = torch.cat([average, maximum], dim=1)  # (N, 2C, 1, 1)
            else:  # "catmaxavg"
                pooled = torch.cat([maximum, average], dim=1)  # (N, 2C, 1, 1)
        return pooled.flatten(1) if self.flatten else pooled  # (N, C') or 4-D


class PoolingHead(ConfigMixin, nn.Module):
    """A global pooling, dropout, a linear layer: (N, C, H, W) -> (N, num_classes).

    pool="avg" with dropout=0 is ResNet's default ClassifierHead, with the same
    state_dict keys. The concatenations double the linear layer's inputs.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        pool: str = "avg",
        dropout: float = 0.0,
        p: float = 3.0,
        eps: float = 1e-6,
        learn_p: bool = True,
    ):
        super().__init__()
        check_positive_int("in_channels", in_channels)
        self.pool = GlobalPool(in_channels, pool, p, eps, learn_p)
        self.set_config(
            in_channels=in_channels,
            num_classes=check_positive_int("num_classes", num_classes),
            pool=pool,
            dropout=check_dropout(dropout),
            p=p,
            eps=eps,
            learn_p=learn_p,
        )
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(self.pool.out_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.pool(x)  # (N, C, H, W) -> (N, C')
        return self.fc(self.drop(pooled))  # (N, C') -> (N, num_classes)


class DualPoolHead(ConfigMixin, nn.Module):
    """Seed 004's head, as wide as its backbone: (N, C, H, W) -> (N, num_classes).

    Average and max pooling concatenated, (N, 2C, 1, 1); a 1x1 convolution to
    hidden_channels (default C: the seed's 1024 -> 512 on ResNet-18); flatten;
    dropout; a linear layer. pool="catmaxavg" concatenates in fastai's order.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        pool: str = "catavgmax",
        hidden_channels: int | None = None,
        dropout: float = 0.5,
    ):
        super().__init__()
        check_positive_int("in_channels", in_channels)
        options = dict(dual_pool_head_options(pool, hidden_channels, dropout))
        self.pool = GlobalPool(in_channels, pool, flatten=False)
        check_positive_int("num_classes", num_classes)
        self.set_config(in_channels=in_channels, num_classes=num_classes, **options)
        hidden = in_channels if hidden_channels is None else hidden_channels
        self.set_resolved(hidden_channels=hidden)
        self.reduce = nn.Conv2d(2 * in_channels, hidden, kernel_size=1)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.pool(x)  # (N, 2C, 1, 1)
        reduced = self.reduce(pooled).flatten(1)  # (N, hidden, 1, 1) -> (N, hidden)
        return self.fc(self.drop(reduced))  # (N, num_classes)


def pooling_head(
    pool: str = "avg",
    dropout: float = 0.0,
    p: float = 3.0,
    eps: float = 1e-6,
    learn_p: bool = True,
) -> HeadFactory:
    """ResNet(head=pooling_head("catavgmax")): a PoolingHead as wide as the network."""
    options = pooling_head_options(pool, dropout, p, eps, learn_p)
    return HeadFactory("pooling_head", options, PoolingHead)


def dual_pool_head(
    pool: str = "catavgmax", hidden_channels: int | None = None, dropout: float = 0.5
) -> HeadFactory:
    """ResNet(head=dual_pool_head()): seed 004's head, as wide as the network."""
    options = dual_pool_head_options(pool, hidden_channels, dropout)
    return HeadFactory("dual_pool_head", options, DualPoolHead)


def seed_dual_pool_keys(state_dict: dict) -> dict:
    """A state_dict of seed 004's res18 with the keys of our ResNet.

    Load the result into resnet18(num_classes, head=dual_pool_head()). The seed's
    model keeps every backbone tensor twice (base.* and feature.*: the same
    modules) and torchvision's classifier, base.fc, which it never uses: both are
    left out. The backbone's names are torchvision's, which the official CBAM code
    uses too, so official_resnet_keys converts them.
    """
    check_state_dict(state_dict, "seed 004's res18")
    converted = {}
    for key, value in state_dict.items():
        if key.startswith(("feature.", "base.fc.")):
            continue
        if key.startswith("base."):
            converted.update(official_resnet_keys({key.removeprefix("base."): value}))
        elif key.startswith("reduce_layer."):
            converted["head.reduce." + key.removeprefix("reduce_layer.")] = value
        elif key.startswith("fc.1."):
            converted["head.fc." + key.removeprefix("fc.1.")] = value
        else:
            raise ValueError(f"unexpected key {key!r} in a seed 004 res18 state_dict")
    return converted


__all__ = [
    "GeM",
    "GlobalPool",
    "PoolingHead",
    "DualPoolHead",
    "pooling_head",
    "dual_pool_head",
    "seed_dual_pool_keys",
]

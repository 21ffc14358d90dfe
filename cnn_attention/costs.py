"""Parameter and multiply-add formulas of every module, framework-free.

The chapters compare these closed forms with counts taken from the built modules
(tests/test_counts_and_claims.py does too).
"""

from cnn_attention.arguments import (
    check_bool,
    check_odd_kernel,
    check_positive_int,
    check_spatial_arguments,
    coordinate_hidden_channels,
    pooled_channels,
    se_hidden_channels,
)
from cnn_attention.bifpn_rules import bifpn_nodes, check_bifpn_arguments


def se_parameters(
    channels: int,
    reduction: int = 16,
    hidden_channels: int | None = None,
    bias: bool = True,
) -> int:
    """Parameters of one SE block: 2 C h weights (h = C // r), plus h + C biases."""
    hidden = se_hidden_channels(channels, reduction, hidden_channels)
    check_bool("bias", bias)
    return 2 * channels * hidden + (hidden + channels if bias else 0)


def se_multiply_adds(
    channels: int, height: int, width: int, reduction: int = 16
) -> tuple[int, int, int]:
    """(pool, fully connected layers, scale) multiply-adds of one SE block."""
    for name, size in [("height", height), ("width", width)]:
        check_positive_int(name, size)
    hidden = se_hidden_channels(channels, reduction)
    return height * width * channels, 2 * channels * hidden, height * width * channels


def cbam_parameters(
    channels: int,
    reduction: int = 16,
    hidden_channels: int | None = None,
    bias: bool = True,
    kernel_size: int = 7,
    spatial_norm: bool = True,
    spatial: bool = True,
) -> int:
    """Parameters of one CBAM: SE's MLP, plus 2 k^2 conv weights and BatchNorm's 2."""
    check_spatial_arguments(kernel_size, ("max", "avg"), spatial_norm)
    check_bool("spatial", spatial)
    spatial_part = 2 * kernel_size**2 + (2 if spatial_norm else 0)
    return se_parameters(channels, reduction, hidden_channels, bias) + (
        spatial_part if spatial else 0
    )


def cbam_multiply_adds(
    channels: int,
    height: int,
    width: int,
    reduction: int = 16,
    pools: int = 2,
    kernel_size: int = 7,
) -> tuple[int, int, int, int]:
    """(pooling, MLP, spatial conv, scaling) multiply-adds of one CBAM.

    Pooling: `pools` global pools over H x W and two pools over C, each ~HWC;
    the MLP runs once per pool; the k x k conv sees 2 maps; two gates rescale.
    """
    for name, size in [("height", height), ("width", width), ("pools", pools)]:
        check_positive_int(name, size)
    check_odd_kernel("kernel_size", kernel_size)
    hidden = se_hidden_channels(channels, reduction)
    positions = height * width
    pooling = (pools + 2) * positions * channels
    return (
        pooling,
        pools * 2 * channels * hidden,
        positions * 2 * kernel_size**2,
        (2 * positions * channels),
    )


def pooling_head_parameters(
    in_channels: int, num_classes: int, pool: str = "avg", learn_p: bool = True
) -> int:
    """Parameters of PoolingHead: (C' + 1) K for its linear layer, +1 for GeM's p."""
    features = pooled_channels(in_channels, pool)
    check_positive_int("num_classes", num_classes)
    check_bool("learn_p", learn_p)
    return features * num_classes + num_classes + (pool == "gem" and learn_p)


def dual_pool_head_parameters(
    in_channels: int, num_classes: int, hidden_channels: int | None = None
) -> int:
    """Parameters of DualPoolHead (seed 004's head): a 1x1 conv 2C -> h, a linear
    layer h -> K, both with biases; h = C unless given."""
    check_positive_int("in_channels", in_channels)
    check_positive_int("num_classes", num_classes)
    if hidden_channels is not None:
        check_positive_int("hidden_channels", hidden_channels)
    hidden = in_channels if hidden_channels is None else hidden_channels
    return 2 * in_channels * hidden + hidden + hidden * num_classes + num_classes


def coordinate_parameters(
    channels: int,
    reduction: int = 32,
    hidden_channels: int | None = None,
    min_hidden_channels: int = 8,
) -> int:
    """Parameters of one Coordinate Attention: 3 C mip + 3 mip + 2 C."""
    mip = coordinate_hidden_channels(
        channels, reduction, hidden_channels, min_hidden_channels
    )
    return 3 * channels * mip + 3 * mip + 2 * channels


def coordinate_multiply_adds(
    channels: int,
    height: int,
    width: int,
    reduction: int = 32,
    hidden_channels: int | None = None,
    min_hidden_channels: int = 8,
) -> tuple[int, int, int]:
    """(pooling, 1x1 convolutions, scaling) multiply-adds of one Coordinate Attention.

    Pooling: two passes over H W C values; F1 at H + W positions, F_h at H, F_w at W
    (C mip each per position); scaling: two products over H W C values.
    """
    for name, size in [("height", height), ("width", width)]:
        check_positive_int(name, size)
    mip = coordinate_hidden_channels(
        channels, reduction, hidden_channels, min_hidden_channels
    )
    positions = height * width * channels
    return 2 * positions, 2 * (height + width) * channels * mip, 2 * positions


def bifpn_layer_parameters(in_channels, channels: int, fusion: str = "fast") -> int:
    """Parameters of one BiFPN layer with inputs of widths `in_channels`.

    Each node: its fusion weights (one per input, none for "sum"), a depthwise 3x3
    kernel (9C), a pointwise kernel and bias (C^2 + C) and BatchNorm (2C). Each edge
    from an input of another width: a 1x1 conv with bias and BatchNorm, C (C_in + 3).
    """
    in_channels = check_bifpn_arguments(
        in_channels, channels, None, fusion, 1e-4, "swish", 1e-3, 0.01
    )
    total = 0
    for _, inputs in bifpn_nodes(len(in_channels)):
        total += 0 if fusion == "sum" else len(inputs)
        total += 9 * channels + channels * channels + channels + 2 * channels
        for source in inputs:
            if source < len(in_channels) and in_channels[source] != channels:
                total += channels * (in_channels[source] + 3)
    return total


def bifpn_parameters(
    in_channels=(40, 112, 320),
    channels: int = 64,
    repeats: int = 3,
    num_levels: int = 5,
    fusion: str = "fast",
) -> int:
    """Parameters of a BiFPN stack: extra levels, the first layer, the other layers."""
    in_channels = check_bifpn_arguments(
        in_channels, channels, num_levels, fusion, 1e-4, "swish", 1e-3, 0.01
    )
    check_positive_int("repeats", repeats)
    extra = num_levels - len(in_channels)
    total = (
        channels * (in_channels[-1] + 3) if extra and in_channels[-1] != channels else 0
    )
    widths = in_channels + (channels,) * extra
    total += bifpn_layer_parameters(widths, channels, fusion)
    total += (repeats - 1) * bifpn_layer_parameters(
        (channels,) * num_levels, channels, fusion
    )
    return total


__all__ = [
    "se_parameters",
    "se_multiply_adds",
    "cbam_parameters",
    "cbam_multiply_adds",
    "pooling_head_parameters",
    "dual_pool_head_parameters",
    "coordinate_parameters",
    "coordinate_multiply_adds",
    "bifpn_layer_parameters",
    "bifpn_parameters",
]

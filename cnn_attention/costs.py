# Generated from the book's notebooks by tools/export_package.py: do not edit.
# Change the '#| export' cells of
#   notebooks/02_squeeze_excitation.ipynb
#   notebooks/04_cbam.ipynb
# then run `make export`.

from cnn_attention.arguments import check_positive_int, se_hidden_channels


# --- notebooks/02_squeeze_excitation.ipynb, cell 60 ---
def se_parameters(
    channels: int,
    reduction: int = 16,
    hidden_channels: int | None = None,
    bias: bool = True,
) -> int:
    """Parameters of one SE block: 2 C h weights (h = C // r), plus h + C biases."""
    hidden = se_hidden_channels(channels, reduction, hidden_channels)
    return 2 * channels * hidden + (hidden + channels if bias else 0)


# --- notebooks/02_squeeze_excitation.ipynb, cell 88 ---
def se_multiply_adds(
    channels: int, height: int, width: int, reduction: int = 16
) -> tuple[int, int, int]:
    """(pool, fully connected layers, scale) multiply-adds of one SE block."""
    for name, size in [("height", height), ("width", width)]:
        check_positive_int(name, size)
    hidden = se_hidden_channels(channels, reduction)
    return height * width * channels, 2 * channels * hidden, height * width * channels


# --- notebooks/04_cbam.ipynb, cell 72 ---
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
    hidden = se_hidden_channels(channels, reduction)
    positions = height * width
    pooling = (pools + 2) * positions * channels
    return (
        pooling,
        pools * 2 * channels * hidden,
        positions * 2 * kernel_size**2,
        (2 * positions * channels),
    )


__all__ = [
    "se_parameters",
    "se_multiply_adds",
    "cbam_parameters",
    "cbam_multiply_adds",
]

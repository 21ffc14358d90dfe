# Generated from the book's notebooks by tools/export_package.py: do not edit.
# Change the '#| export' cells of
#   notebooks/02_squeeze_excitation.ipynb
# then run `make export`.

from cnn_attention.arguments import check_positive_int, se_hidden_channels


# --- notebooks/02_squeeze_excitation.ipynb, cell 62 ---
def se_parameters(
    channels: int,
    reduction: int = 16,
    hidden_channels: int | None = None,
    bias: bool = True,
) -> int:
    """Parameters of one SE block: 2 C h weights (h = C // r), plus h + C biases."""
    hidden = se_hidden_channels(channels, reduction, hidden_channels)
    return 2 * channels * hidden + (hidden + channels if bias else 0)


# --- notebooks/02_squeeze_excitation.ipynb, cell 90 ---
def se_multiply_adds(
    channels: int, height: int, width: int, reduction: int = 16
) -> tuple[int, int, int]:
    """(pool, fully connected layers, scale) multiply-adds of one SE block."""
    for name, size in [("height", height), ("width", width)]:
        check_positive_int(name, size)
    hidden = se_hidden_channels(channels, reduction)
    return height * width * channels, 2 * channels * hidden, height * width * channels


__all__ = [
    "se_parameters",
    "se_multiply_adds",
]

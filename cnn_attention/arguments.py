# This file was generated from notebooks/02_squeeze_excitation.ipynb
#   and notebooks/03_efficient_channel_attention.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

# Activation and gate names understood by both the PyTorch and the Keras modules.
ACTIVATIONS = (
    "relu",
    "silu",
    "swish",
    "hard_swish",
)  # swish is silu (EfficientNet calls it Swish)
GATES = ("sigmoid", "hard_sigmoid")


def check_positive_int(name: str, value) -> int:
    """Return `value` if it is a positive Python int (not a bool), else raise ValueError naming the argument.

    NumPy integers are refused too: they would end up in Keras configs, which must be plain JSON.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{name} must be a positive integer (a Python int), got {value!r}"
        )
    return value


def check_choice(name: str, value, allowed) -> str:
    """Return `value` if it is one of `allowed`, else raise ValueError listing the allowed values."""
    if value not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}"
        )
    return value


def se_hidden_channels(
    channels: int, reduction: int = 16, hidden_channels: int | None = None
) -> int:
    """Width of the SE bottleneck: `hidden_channels` if given, else channels // reduction, never zero."""
    channels = check_positive_int("channels", channels)
    reduction = check_positive_int("reduction", reduction)
    if hidden_channels is not None:
        return check_positive_int("hidden_channels", hidden_channels)
    if channels // reduction == 0:
        raise ValueError(
            f"reduction={reduction} leaves channels // reduction = {channels} // {reduction} = 0 "
            f"hidden units; use reduction <= {channels} or pass hidden_channels explicitly"
        )
    return channels // reduction


import math


def eca_kernel_size(channels: int, gamma: float = 2, beta: float = 1) -> int:
    """ECA's adaptive kernel size k = psi(C) = |log2(C) / gamma + beta / gamma|_odd.

    Computed as seed 001 and the common implementations do: truncate t = (log2(C) + beta) / gamma to an
    integer, then turn an even result into the next odd number (k = 3 for C = 64, 5 for C = 256 and 512,
    7 for C = 2048).
    """
    check_positive_int("channels", channels)
    if gamma <= 0:
        raise ValueError(f"gamma must be positive, got {gamma!r}")
    t = int(abs((math.log2(channels) + beta) / gamma))
    return t if t % 2 else t + 1


def eca_kernel_size_or_default(
    channels: int, kernel_size: int | None, gamma: float = 2, beta: float = 1
) -> int:
    """`kernel_size` if given (it must be odd), else psi(channels)."""
    check_positive_int("channels", channels)
    if kernel_size is None:
        return eca_kernel_size(channels, gamma, beta)
    check_positive_int("kernel_size", kernel_size)
    if kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd (1, 3, 5, ...) so that 'same' padding keeps every channel "
            f"centred on its own weight; got {kernel_size}. Pass None to use k = psi(C)."
        )
    return kernel_size


__all__ = [
    'ACTIVATIONS',
    'GATES',
    'check_positive_int',
    'check_choice',
    'se_hidden_channels',
    'eca_kernel_size',
    'eca_kernel_size_or_default',
]

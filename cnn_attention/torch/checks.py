"""Input checks for PyTorch modules that survive TorchScript and torch.jit.save.

A scripted module may not call Python (torch.jit.save refuses a module that does),
so the check is written in TorchScript's subset of Python; its wording is
cnn_attention.utils.feature_map_problem's, which the Keras layers use.
"""

from typing import Tuple  # TorchScript reads typing's Tuple

import torch


def _shape_text(x: torch.Tensor) -> str:
    return "(" + ", ".join([str(size) for size in x.shape]) + ")"


def _layout_and_sizes(spatial_dims: int) -> Tuple[str, str]:
    """The layout, and the names of the sizes that must not be 0, for a rank."""
    if spatial_dims == 1:
        return "(N, C, L)", "L"
    if spatial_dims == 3:
        return "(N, C, D, H, W)", "D, H and W"
    return "(N, C, H, W)", "H and W"


def check_input(
    x: torch.Tensor, channels: int, layer: str, spatial_dims: int = 2
) -> None:
    """Raise ValueError, naming `layer`, unless x is a float (N, C, H, W) map, or
    (N, C, L) for spatial_dims=1 and (N, C, D, H, W) for spatial_dims=3.

    (A module loaded with torch.jit.load raises torch.jit.Error, whose message
    quotes the ValueError: TorchScript re-raises every exception as its own.)
    """
    layout, sizes = _layout_and_sizes(spatial_dims)
    if x.dim() != spatial_dims + 2:
        raise ValueError(
            layer
            + " expects a "
            + str(spatial_dims + 2)
            + "-D feature map "
            + layout
            + "; got "
            + str(x.dim())
            + "-D input of shape "
            + _shape_text(x)
        )
    if x.shape[1] != channels:
        raise ValueError(
            layer
            + " was built for "
            + str(channels)
            + " channels but got "
            + str(x.shape[1])
            + " (input shape "
            + _shape_text(x)
            + ", layout "
            + layout
            + ")"
        )
    for size in x.shape[2:]:
        if size == 0:
            raise ValueError(
                layer
                + " got an empty feature map of shape "
                + _shape_text(x)
                + ": "
                + sizes
                + " must be >= 1"
            )
    if not x.is_floating_point():
        raise ValueError(
            layer
            + " expects a floating-point input (float16, bfloat16, float32, float64)"
        )


__all__ = [
    "check_input",
]

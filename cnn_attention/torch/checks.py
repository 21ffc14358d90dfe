"""Input checks for PyTorch modules that survive TorchScript and torch.jit.save.

A scripted module may not call Python (torch.jit.save refuses a module that does),
so the check is written in TorchScript's subset of Python; its wording is
cnn_attention.utils.feature_map_problem's, which the Keras layers use.
"""

import torch


def _shape_text(x: torch.Tensor) -> str:
    return "(" + ", ".join([str(size) for size in x.shape]) + ")"


def check_input(x: torch.Tensor, channels: int, layer: str) -> None:
    """Raise ValueError, naming `layer`, unless x is a float (N, C, H, W) map.

    (A module loaded with torch.jit.load raises torch.jit.Error, whose message
    quotes the ValueError: TorchScript re-raises every exception as its own.)
    """
    if x.dim() != 4:
        raise ValueError(
            layer
            + " expects a 4-D feature map (N, C, H, W); got "
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
            + ", layout (N, C, H, W))"
        )
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(
            layer
            + " got an empty feature map of shape "
            + _shape_text(x)
            + ": H and W must be >= 1"
        )
    if not x.is_floating_point():
        raise ValueError(
            layer
            + " expects a floating-point input (float16, bfloat16, float32, float64)"
        )


__all__ = [
    "check_input",
]

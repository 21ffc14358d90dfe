"""Input checks for PyTorch modules that survive TorchScript."""

import torch

from cnn_attention.utils import feature_map_problem


@torch.jit.ignore
def _raise_feature_map_error(
    shape: list[int], floating: bool, channels: int, layer: str
) -> None:
    problem = feature_map_problem(
        shape, channels, channels_last=False, floating=floating
    )
    raise ValueError(f"{layer} {problem}")


def check_input(x: torch.Tensor, channels: int, layer: str) -> None:
    """Raise ValueError, naming `layer`, unless x is a float (N, C, H, W) map.

    Written in TorchScript's subset of Python, so the modules that call it stay
    scriptable.
    """
    if (
        x.dim() != 4
        or x.shape[1] != channels
        or x.shape[2] == 0
        or x.shape[3] == 0
        or not x.is_floating_point()
    ):
        _raise_feature_map_error(list(x.shape), x.is_floating_point(), channels, layer)


__all__ = [
    "check_input",
]

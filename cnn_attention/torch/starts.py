"""How attention gates start, and two ways to start them at (nearly) identity.

A freshly built SE or ECA gate is sigmoid(about 0) = 0.5 on every channel, and a
Coordinate Attention gate is the product of two such gates, about 0.25: a new module
first halves (or quarters) the residual branch it sits on. Two fixes that users of
the official code ask about, applied to any network built from the package:

- `open_gates(model, bias)`: the last layer's bias starts at `bias`, so every gate
  starts at sigmoid(bias) (0.95 for 3.0): nearly identity, same function family.
- `residual_gates(model)`: the gate becomes 1 + tanh(score) and the last layer starts
  at zero, so the module returns x * (1 + tanh(0)) = x exactly: identity at the
  start; gates then range over (0, 2) instead of (0, 1).

"Attention in practice" (why attention made my model worse) measures both.
"""

import torch
from torch import nn

from cnn_attention.arguments import check_real
from cnn_attention.torch.coordatt import CoordinateAttention
from cnn_attention.torch.eca import ECAModule
from cnn_attention.torch.se import SEModule


class OnePlusTanh(nn.Module):
    """The residual gate 1 + tanh(score): 1 at a score of 0, in (0, 2)."""

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        return 1 + torch.tanh(scores)


def _last_layers(module: nn.Module) -> list[nn.Module]:
    """The layers whose outputs the gate turns into weights."""
    if isinstance(module, SEModule):
        return [module.fc2]
    if isinstance(module, CoordinateAttention):
        return [module.conv_h, module.conv_w]
    return [module.conv]  # ECAModule


def _gated_modules(model: nn.Module, kinds: tuple) -> dict[str, nn.Module]:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    found = {
        name or type(model).__name__: module
        for name, module in model.named_modules()
        if isinstance(module, kinds)
    }
    if not found:
        names = ", ".join(kind.__name__ for kind in kinds)
        raise ValueError(
            f"{type(model).__name__} holds no module whose start this can change "
            f"(looked for {names})"
        )
    return found


@torch.no_grad()
def open_gates(model: nn.Module, bias: float = 3.0) -> list[str]:
    """Start every SE and Coordinate Attention gate of `model` at sigmoid(bias).

    Sets the bias of each gate's last layer to `bias` (weights unchanged, so the
    gates still depend on the input, only shifted); returns the modules' names.
    ECA's convolution has no bias: use `residual_gates` for ECA.
    """
    bias = check_real("bias", bias)
    modules = _gated_modules(model, (SEModule, CoordinateAttention))
    for name, module in modules.items():
        for layer in _last_layers(module):
            if layer.bias is None:
                raise ValueError(
                    f"{name} ({type(module).__name__}) was built with bias=False: "
                    "there is no bias to open; use residual_gates instead"
                )
            layer.bias.fill_(bias)
    return list(modules)


@torch.no_grad()
def residual_gates(model: nn.Module) -> list[str]:
    """Make every SE, ECA and Coordinate Attention module of `model` start as the
    identity: gate 1 + tanh(score), last layer zero; returns the modules' names."""
    modules = _gated_modules(model, (SEModule, ECAModule, CoordinateAttention))
    for module in modules.values():
        module.gate = OnePlusTanh()
        for layer in _last_layers(module):
            layer.weight.zero_()
            if layer.bias is not None:
                layer.bias.zero_()
    return list(modules)


__all__ = [
    "OnePlusTanh",
    "open_gates",
    "residual_gates",
]

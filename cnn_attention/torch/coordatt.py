"""Coordinate Attention (Hou et al., 2021) in PyTorch, and loaders of the official
checkpoints' key names.

Chapter 6 builds a minimal version and proves it equal to this one.
"""

import torch
from torch import nn

from cnn_attention.arguments import (
    check_out_channels,
    check_state_dict,
    coordinate_hidden_channels,
)
from cnn_attention.torch.activations import create_activation, create_gate
from cnn_attention.torch.checks import check_input
from cnn_attention.torch.factory import ConfigMixin, register_attention
from cnn_attention.torch.scaling import multiply_into


@register_attention("coord")
class CoordinateAttention(ConfigMixin, nn.Module):
    """Coordinate Attention (Hou et al., 2021) for (N, C, H, W) maps.

    Pools each channel along W (one value per row) and along H (one per column),
    encodes both with one shared 1x1 conv + BatchNorm + activation to `mip`
    channels, splits them again and turns each into C gates: a_h (N, C, H, 1) and
    a_w (N, C, 1, W). forward returns x * a_w * a_h. The defaults are the official
    code's: mip = max(8, C // 32), h_swish ("hard_swish"), sigmoid gates.
    out_channels is for code written against the official CoordAtt(inp, oup): it
    must equal `channels`.
    """

    def __init__(
        self,
        channels: int,
        reduction: int = 32,
        hidden_channels: int | None = None,
        min_hidden_channels: int = 8,
        activation: str = "hard_swish",
        gate: str = "sigmoid",
        out_channels: int | None = None,
    ):
        super().__init__()
        hidden = coordinate_hidden_channels(
            channels, reduction, hidden_channels, min_hidden_channels
        )
        check_out_channels(channels, out_channels)
        self.set_resolved(
            hidden_channels=hidden, reduction=None, min_hidden_channels=None
        )
        self.set_config(
            channels=channels,
            reduction=reduction,
            hidden_channels=hidden_channels,
            min_hidden_channels=min_hidden_channels,
            activation=activation,
            gate=gate,
            out_channels=out_channels,
        )
        self.channels = channels
        self.conv1 = nn.Conv2d(channels, hidden, 1)  # F1, shared by both directions
        self.bn1 = nn.BatchNorm2d(hidden)
        self.act = create_activation(activation)  # delta
        self.conv_h = nn.Conv2d(hidden, channels, 1)  # F_h
        self.conv_w = nn.Conv2d(hidden, channels, 1)  # F_w
        self.gate = create_gate(gate)

    def attention(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(a_h, a_w): (N, C, H, W) -> (N, C, H, 1) and (N, C, 1, W)."""
        height, width = x.shape[2], x.shape[3]
        pooled_h = x.mean(dim=3, keepdim=True)  # over W: (N, C, H, 1)
        pooled_w = x.mean(dim=2, keepdim=True)  # over H: (N, C, 1, W)
        # (N, C, H, 1) and (N, C, 1, W) -> (N, C, W, 1) -> (N, C, H + W, 1)
        y = torch.cat([pooled_h, pooled_w.permute(0, 1, 3, 2)], dim=2)
        y = self.act(self.bn1(self.conv1(y)))  # (N, mip, H + W, 1)
        y_h, y_w = torch.split(y, [height, width], dim=2)  # (N, mip, H or W, 1)
        a_h = self.gate(self.conv_h(y_h))  # (N, C, H, 1)
        a_w = self.gate(self.conv_w(y_w.permute(0, 1, 3, 2)))  # (N, C, 1, W)
        return a_h, a_w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.channels, self.label)
        a_h, a_w = self.attention(x)
        # (N, C, H, W) * (N, C, 1, W) * (N, C, H, 1); one full-size tensor when
        # autograd does not need x * a_w (see scaling.py)
        return multiply_into(x * a_w, a_h)


_OFFICIAL_COORDATT_KEYS = {  # coordatt.py's names are ours; mbv2_ca.py's differ
    "conv1.": "conv1.",
    "bn1.": "bn1.",
    "conv_h.": "conv_h.",
    "conv_w.": "conv_w.",
    "conv2.": "conv_h.",  # mbv2_ca.py
    "conv3.": "conv_w.",  # mbv2_ca.py
}


def official_coordatt_keys(state_dict: dict) -> dict:
    """A state_dict of the official CoordAtt, either file's, with our module's keys.

    coordatt.py names the two direction convs conv_h and conv_w, as we do;
    mbv2_ca.py's CoordAtt names them conv2 and conv3. Load the result into
    CoordinateAttention(C) (its defaults are the official code's).
    """
    check_state_dict(state_dict, "an official CoordAtt module")
    converted = {}
    for key, value in state_dict.items():
        prefix = next((p for p in _OFFICIAL_COORDATT_KEYS if key.startswith(p)), None)
        if prefix is None:
            raise ValueError(
                f"unexpected key {key!r} in an official CoordAtt state_dict"
            )
        new_key = _OFFICIAL_COORDATT_KEYS[prefix] + key[len(prefix) :]
        if new_key in converted:
            raise ValueError(
                f"{key!r} and another key both give {new_key!r}: a state_dict holds "
                "conv_h/conv_w (coordatt.py) or conv2/conv3 (mbv2_ca.py), not both"
            )
        converted[new_key] = value
    return converted


@torch.no_grad()
def coordinate_attention_maps(model: nn.Module, images) -> list[tuple]:
    """(a_h, a_w) of every CoordinateAttention in `model`, in order, as NumPy arrays.

    Runs `model` in eval mode on `images` (N, C, H, W); a forward hook hands each
    module's input to its `attention` method. a_h is (N, C, H) and a_w (N, C, W).
    """
    maps, handles = [], []

    def hook(module, inputs, output):
        a_h, a_w = module.attention(inputs[0])  # (N, C, H, 1), (N, C, 1, W)
        maps.append((a_h[:, :, :, 0].cpu().numpy(), a_w[:, :, 0, :].cpu().numpy()))

    for module in model.modules():
        if isinstance(module, CoordinateAttention):
            handles.append(module.register_forward_hook(hook))
    if not handles:
        raise ValueError(
            f"{type(model).__name__} holds no CoordinateAttention module, so there "
            "are no coordinate attention maps to collect"
        )
    was_training = model.training
    try:
        model.eval()(torch.as_tensor(images))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return maps


__all__ = [
    "CoordinateAttention",
    "official_coordatt_keys",
    "coordinate_attention_maps",
]

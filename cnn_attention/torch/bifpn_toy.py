"""The BiFPN chapter's toy task: which level carries the signal, and does the fusion
weight find it?
"""

import torch
import torch.nn.functional as F

from cnn_attention.arguments import (
    check_bool,
    check_choice,
    check_positive_int,
    check_seed,
)
from cnn_attention.torch.bifpn import BiFPNLayer


def check_signal_level(signal_level) -> int:
    if signal_level not in (0, 1, 2) or isinstance(signal_level, bool):
        raise ValueError(
            "signal_level must be 0 (P3), 1 (P4) or 2 (P5), the level that carries "
            f"the signal; got {signal_level!r}"
        )
    return signal_level


def fusion_toy_batch(generator, signal_level: int, batch: int = 16, size: int = 16):
    """Three levels of noise, (N, 8, size / 2^i, size / 2^i), and a target: channel 0
    of level `signal_level` (0: P3, 1: P4, 2: P5) upsampled to P3's size."""
    check_signal_level(signal_level)
    check_positive_int("batch", batch)
    check_positive_int("size", size)
    if size % 4:
        raise ValueError(f"size must be a multiple of 4 (P5 is size / 4), got {size}")
    maps = [
        torch.randn(batch, 8, size >> level, size >> level, generator=generator)
        for level in range(3)
    ]  # P3, P4, P5: (N, 8, H_i, W_i)
    target = F.interpolate(
        maps[signal_level][:, :1], size=(size, size)
    )  # (N, 1, size, size)
    return maps, target


def train_fusion_toy(
    signal_level: int,
    seed: int,
    steps: int = 100,
    fusion: str = "fast",
    keep_model: bool = False,
) -> dict:
    """Train a 3-level BiFPN layer (8 channels) and a 1x1 readout of its P3 output to
    copy the target of `fusion_toy_batch` (MSE, Adam, learning rate 0.01).

    Returns the last loss and the normalised fusion weights of the two nodes on the
    path to P3: P4_td (inputs P4_in, P5_in) and P3_out (inputs P3_in, P4_td); with
    keep_model=True also the trained layer and a generator for fresh batches.
    """
    check_choice("fusion", fusion, ("fast", "softmax"))
    check_positive_int("steps", steps)
    check_signal_level(signal_level)
    check_seed("seed", seed)
    check_bool("keep_model", keep_model)
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(10_000 + seed)
    layer = BiFPNLayer((8, 8, 8), channels=8, fusion=fusion)
    readout = torch.nn.Conv2d(8, 1, kernel_size=1)
    parameters = [*layer.parameters(), *readout.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=0.01)
    for _ in range(steps):
        maps, target = fusion_toy_batch(generator, signal_level)
        loss = F.mse_loss(readout(layer(maps)[0]), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        p4_td, p3_out = (layer.nodes[i].fusion.normalized_weights() for i in (0, 1))
    result = {"loss": loss.item(), "p4_td": p4_td.tolist(), "p3_out": p3_out.tolist()}
    if keep_model:
        result.update(layer=layer.eval(), generator=generator)
    return result


__all__ = [
    "fusion_toy_batch",
    "train_fusion_toy",
]

"""What a proof of equality between two modules needs: weights that can tell them apart.

A freshly built module has biases at 0 and BatchNorm at scale 1, shift 0, mean 0,
variance 1, so a copy that forgot any of those tensors, or a port that swapped two of
them, would still give the same outputs. The chapters and the tests draw them at random
first, with one rule.
"""

import torch
from torch import nn


def randomize(module: nn.Module, seed: int = 0) -> nn.Module:
    """Draw the tensors a default initialisation leaves at 0 or 1; return eval mode.

    By name, in place: biases and running means from U(-0.5, 0.5); running variances
    and other 1-D weights (BatchNorm's scale, BiFPN's fusion weights) from U(0.5, 1.5);
    a GeM exponent `p` from U(1.5, 5.0). Kernels (2-D and more) keep their random
    initialisation. The same `seed` gives the same values.
    """
    if not isinstance(module, nn.Module):
        raise ValueError(f"module must be a torch.nn.Module, got {module!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    generator = torch.Generator().manual_seed(seed)
    tensors = [*module.named_parameters(), *module.named_buffers()]
    with torch.no_grad():
        for name, tensor in tensors:
            last = name.split(".")[-1]
            if not tensor.is_floating_point():
                continue  # BatchNorm's step counter
            if last in ("bias", "running_mean"):
                tensor.uniform_(-0.5, 0.5, generator=generator)
            elif last == "running_var" or (last == "weight" and tensor.dim() == 1):
                tensor.uniform_(0.5, 1.5, generator=generator)
            elif last == "p":
                tensor.uniform_(1.5, 5.0, generator=generator)
    return module.eval()


__all__ = ["randomize"]

"""Multiply-adds of a PyTorch model, counted with forward hooks."""

import torch
from torch import nn


def count_multiply_adds(model: nn.Module, input_shape: tuple) -> int:
    """Multiply-adds of every Conv and Linear layer in one forward pass on zeros.

    Read from the output shapes with forward hooks. Pooling, elementwise products and
    activations are not counted (papers' FLOP figures usually leave them out too).
    """
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv1d | nn.Conv2d):
            kernel = int(torch.tensor(module.kernel_size).prod())
            total += output.numel() * module.in_channels // module.groups * kernel
        else:
            total += output.numel() * module.in_features

    layers = (nn.Conv1d, nn.Conv2d, nn.Linear)
    handles = [
        module.register_forward_hook(hook)
        for module in model.modules()
        if isinstance(module, layers)
    ]
    was_training = model.training
    try:
        with torch.inference_mode():
            model.eval()(torch.zeros(input_shape))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return total


__all__ = [
    "count_multiply_adds",
]

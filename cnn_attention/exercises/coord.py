"""Chapter 6, Coordinate Attention (coord.*): notebooks/06_coordinate_attention."""

from __future__ import annotations

from cnn_attention.exercises.answers import COUNT, FLAG, FUNCTION
from cnn_attention.exercises.registry import all_close, exercise


@exercise(
    "coord.1",
    answers={"parameters_960": COUNT, "smallest_unfloored": COUNT},
    wrong={"parameters_960": 88_410, "smallest_unfloored": 256},
)
def _coord_1(parameters_960, smallest_unfloored):
    """Parameters of CoordinateAttention(960); smallest C whose mip exceeds 8."""
    if parameters_960 == 3 * 960 * 30:
        return "count the biases too: conv1's mip, BatchNorm's 2 mip, two times C"
    if parameters_960 != 3 * 960 * 30 + 3 * 30 + 2 * 960:
        return "mip = max(8, 960 // 32); then 3 C mip + 3 mip + 2 C"
    if smallest_unfloored == 256:
        return "at C = 256, C // 32 = 8 equals the floor: the floor still gives mip"
    if smallest_unfloored != 288:
        return "find the smallest C with C // 32 > 8"
    return None


def _random_coordinate_attention(channels: int = 16, seed: int = 0):
    """A CoordinateAttention with random weights and BatchNorm tensors, eval mode."""
    import torch

    from cnn_attention.torch.coordatt import CoordinateAttention

    torch.manual_seed(seed)
    module = CoordinateAttention(channels)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.normal_(0, 0.5)
        module.bn1.running_mean.uniform_(-0.5, 0.5)
        module.bn1.running_var.uniform_(0.5, 1.5)
    return module.eval()


def _unfolded_conv1(module):
    return module.conv1.weight.detach(), module.conv1.bias.detach()


@exercise(
    "coord.2",
    answers={"fold_batch_norm": FUNCTION},
    wrong={"fold_batch_norm": _unfolded_conv1},
)
def _coord_2(fold_batch_norm):
    """fold_batch_norm(module) -> (weight, bias) of conv1 + bn1 as one conv."""
    import torch

    module = _random_coordinate_attention()
    column = torch.randn(2, 16, 9, 1)
    weight, bias = fold_batch_norm(module)
    if tuple(weight.shape) != (8, 16, 1, 1) or tuple(bias.shape) != (8,):
        return "return conv1's shapes: a weight (mip, C, 1, 1) and a bias (mip,)"
    with torch.no_grad():
        expected = module.bn1(module.conv1(column))
        folded = torch.nn.functional.conv2d(column, weight, bias)
    if not all_close(folded, expected, 1e-4):
        return "scale each output channel by gamma / sqrt(var + eps), then shift"
    return None


@exercise(
    "coord.3",
    answers={"transposed": FUNCTION},
    wrong={"transposed": lambda module: module},
)
def _coord_3(transposed):
    """transposed(module)(x^T) == module(x)^T."""
    import torch

    module = _random_coordinate_attention(12, seed=1)
    features = torch.randn(2, 12, 5, 7)
    with torch.no_grad():
        turned = transposed(module)(features.transpose(2, 3))
        expected = module(features).transpose(2, 3)
    if tuple(turned.shape) != tuple(expected.shape):
        return "the new module must accept the transposed input, (N, C, W, H)"
    if not all_close(turned, expected, 1e-4):
        return "rows become columns: which of the weights produce the row gates?"
    return None


@exercise(
    "coord.4",
    answers={"values_per_channel": COUNT, "gates_depend_on_input": FLAG},
    wrong={"values_per_channel": 1, "gates_depend_on_input": True},
)
def _coord_4(values_per_channel, gates_depend_on_input):
    """One 1 x 1 image in training mode: values per channel; constant gates."""
    if values_per_channel != 2:
        return "bn1 sees N x (H + W) values per channel"
    if gates_depend_on_input:
        return "compare the row mean and the column mean of a 1 x 1 map"
    return None

"""Chapter 1, tensor shapes (shapes.*): notebooks/01_tensor_shapes.ipynb."""

from __future__ import annotations

import numpy as np

from cnn_attention.exercises.answers import (
    COUNT,
    FLAG,
    INTEGER,
    NUMBER,
    SHAPE,
    TEXT,
    list_of,
    mapping_of,
    set_of,
)
from cnn_attention.exercises.registry import exercise

# The five calls of exercise shapes.1, on a NumPy array (same rules as torch here).
_BATCH_OF_ONE = {
    "squeeze()": lambda a: a.squeeze(),
    "squeeze(-1)": lambda a: a.squeeze(-1),
    "squeeze((2, 3))": lambda a: a.squeeze((2, 3)),
    "flatten(1)": lambda a: a.reshape(a.shape[0], -1),
    "view(1, -1)": lambda a: a.reshape(1, -1),
}


def _call_name(call: str) -> str:
    """A call as _BATCH_OF_ONE names it: no leading dot, a space only after a comma."""
    return " ".join(call.replace(" ", "").removeprefix(".").replace(",", ", ").split())


@exercise(
    "shapes.1",
    answers={"shapes": mapping_of(TEXT, SHAPE), "not_concatenable": set_of(TEXT)},
    wrong={
        "shapes": {call: (1, 16) for call in _BATCH_OF_ONE},
        "not_concatenable": {"squeeze()"},
    },
)
def _shapes_1(shapes, not_concatenable):
    """Shapes of five calls on a (1, 16, 1, 1) descriptor, and which of them cannot
    be concatenated with torch.cat(..., dim=1) into a (1, 32) descriptor."""
    descriptor = np.zeros((1, 16, 1, 1))
    expected = {call: f(descriptor).shape for call, f in _BATCH_OF_ONE.items()}
    # A call may be written as in the question, ".squeeze()", or without spaces.
    shapes = {_call_name(call): shape for call, shape in shapes.items()}
    not_concatenable = {_call_name(call) for call in not_concatenable}
    if set(shapes) != set(expected):
        return "give a shape for each of the five calls: " + ", ".join(expected)
    for call, shape in expected.items():
        if shapes[call] != shape:
            return f"{call} does not return {shapes[call]}: which axes have size 1?"

    def concatenates_to_1x32(shape):
        return len(shape) > 1 and (*shape[:1], 2 * shape[1], *shape[2:]) == (1, 32)

    failing = {
        call for call, shape in expected.items() if not concatenates_to_1x32(shape)
    }
    if not_concatenable != failing:
        return (
            "concatenating along dim=1 needs a dim 1, and (1, 32) needs no stray axis: "
            "look at the length of each shape"
        )
    return None


@exercise(
    "shapes.2",
    answers={
        "rectangular_raises": FLAG,
        "scaled_axis": INTEGER,
        "channel_gate_shape": SHAPE,
    },
    wrong={"rectangular_raises": True, "scaled_axis": 1, "channel_gate_shape": (8,)},
)
def _shapes_2(rectangular_raises, scaled_axis, channel_gate_shape):
    """A (C,) gate times x: an error for (1, 8, 5, 7), the wrong axis for (1, 8, 8, 8),
    and a gate shape that scales the channels."""
    try:
        np.broadcast_shapes((1, 8, 5, 7), (8,))
        raises = False
    except ValueError:
        raises = True
    if rectangular_raises != raises:
        return "align (8,) with (1, 8, 5, 7) from the right: which size meets the 8?"
    square = (1, 8, 8, 8)
    if scaled_axis not in (len(square) - 1, -1):
        return "shapes align from the right: (8,) lines up with the last axis"
    gate = channel_gate_shape
    padded = (1,) * (len(square) - len(gate)) + gate
    if len(gate) > len(square) or padded[0] != 1 or padded[1:] != (8, 1, 1):
        return "the 8 must line up with axis 1 (C), with size-1 axes after it for H, W"
    return None


@exercise(
    "shapes.3",
    answers={
        "torch_sizes": list_of(COUNT),
        "keras_sizes": list_of(COUNT),
        "split_points": list_of(COUNT),
    },
    wrong={"torch_sizes": [4, 4, 4], "keras_sizes": [4, 4, 4], "split_points": [5, 7]},
)
def _shapes_3(torch_sizes, keras_sizes, split_points):
    """torch.split takes piece sizes, ops.split a number of pieces or split points."""
    channels = 12
    if torch_sizes != [3] * (channels // 3):
        return "torch.split(t, 3, dim=1) cuts pieces of size 3"
    if keras_sizes != [channels // 3] * 3:
        return "ops.split(t, 3, axis=-1) cuts 3 pieces, as numpy.split does"
    pieces = np.split(np.zeros(channels), split_points)
    if [len(piece) for piece in pieces] != [5, 7]:
        return "a list for ops.split gives the positions to cut at, not the sizes"
    return None


@exercise(
    "shapes.4",
    answers={
        "parameters": COUNT,
        "torch_shape": SHAPE,
        "keras_shape": SHAPE,
        "difference": NUMBER,
    },
    wrong={
        "parameters": 72,
        "torch_shape": (8, 1, 3, 3),
        "keras_shape": (3, 3, 8, 1),
        "difference": 0.0,
    },
)
def _shapes_4(parameters, torch_shape, keras_shape, difference):
    """A depthwise 3x3 convolution on 8 channels, ported to DepthwiseConv2D."""
    if len(torch_shape) != 4 or torch_shape[0] != 8 or torch_shape[1] != 1:
        return "a depthwise weight has one input channel per filter: (C, 1, kh, kw)"
    if torch_shape[2:] != (3, 3):
        return "the kernel is 3x3"
    if keras_shape != tuple(torch_shape[i] for i in (2, 3, 0, 1)):
        return "DepthwiseConv2D keeps its kernel as (kh, kw, C, 1)"
    if parameters != int(np.prod(torch_shape)) + torch_shape[0]:
        return "count the weights of every filter, then one bias per channel"
    if not abs(difference) <= 1e-5:
        return "the outputs differ: did the port transpose the kernel?"
    return None


@exercise(
    "shapes.5",
    answers={
        "difference": NUMBER,
        "macs_pool_first": COUNT,
        "macs_project_first": COUNT,
        "se_pools_first": FLAG,
    },
    wrong={
        "difference": 0.0,
        "macs_pool_first": 4096,
        "macs_project_first": 4096,
        "se_pools_first": True,
    },
)
def _shapes_5(difference, macs_pool_first, macs_project_first, se_pools_first):
    """Pool then project, or project then pool: same result, different cost."""
    channels, reduction, height, width = 256, 16, 56, 56
    if not abs(difference) <= 1e-5:
        return "both orders are linear maps, so they should agree to rounding"
    if macs_pool_first != channels * (channels // reduction):
        return "after pooling the layer sees one C-vector per example"
    if macs_project_first != height * width * macs_pool_first:
        return "before pooling the layer runs once per pixel"
    if se_pools_first is not True:
        return "SE squeezes first: which order is cheaper?"
    return None

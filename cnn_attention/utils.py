# This file was generated from notebooks/01_tensor_shapes.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

import random
import sys

import numpy as np


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and whichever of PyTorch and Keras are already imported.

    Import the frameworks first, then seed: a framework imported later is not seeded.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(
            seed
        )  # Python, NumPy and the Keras backend


def check_shape(tensor, expected) -> tuple:
    """Return `tensor`'s shape as a tuple after checking it against `expected` (None matches any size)."""
    shape = tuple(None if size is None else int(size) for size in tensor.shape)
    expected = tuple(expected)
    if len(shape) != len(expected) or any(
        e is not None and e != s for e, s in zip(expected, shape)
    ):
        raise ValueError(f"expected shape {expected}, got {shape}")
    return shape


def check_feature_map(x, channels: int, channels_last: bool, layer: str) -> None:
    """Raise ValueError unless `x` (a tensor or a shape) is 4-D with `channels` channels on the channel axis.

    PyTorch modules pass channels_last=False for (N, C, H, W); Keras layers pass True for (N, H, W, C).
    """
    shape = tuple(getattr(x, "shape", x))
    layout = "(N, H, W, C)" if channels_last else "(N, C, H, W)"
    if len(shape) != 4:
        raise ValueError(
            f"{layer} expects a 4-D feature map {layout}; got {len(shape)}-D input of shape {shape}"
        )
    found = shape[3] if channels_last else shape[1]
    if found is not None and int(found) != channels:
        raise ValueError(
            f"{layer} was built for {channels} channels but got {int(found)} "
            f"(input shape {shape}, layout {layout})"
        )


def count_parameters(model) -> int:
    """Trainable parameters of a torch.nn.Module or a built Keras layer/model (what papers report).

    BatchNorm running statistics are not parameters here in either framework.
    """
    if hasattr(model, "parameters"):  # PyTorch
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
    if hasattr(model, "trainable_weights"):  # Keras
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    raise ValueError(
        f"count_parameters expects a torch.nn.Module or a Keras layer, got {type(model).__name__}"
    )


def to_numpy(tensor) -> np.ndarray:
    """A NumPy array from a torch tensor (on any device), a TensorFlow/Keras tensor or anything array-like."""
    if hasattr(
        tensor, "detach"
    ):  # torch.Tensor, also what Keras returns on its torch backend
        return tensor.detach().cpu().numpy()
    return np.asarray(tensor)


def to_channels_last(x) -> np.ndarray:
    """(N, C, *spatial) -> (N, *spatial, C): a PyTorch-layout array in Keras layout."""
    return np.moveaxis(to_numpy(x), 1, -1)


def to_channels_first(x) -> np.ndarray:
    """(N, *spatial, C) -> (N, C, *spatial): a Keras-layout array in PyTorch layout."""
    return np.moveaxis(to_numpy(x), -1, 1)


def max_abs_diff(a, b) -> float:
    """Largest elementwise |a - b|, for tensors or arrays of the same shape (any framework)."""
    a, b = to_numpy(a), to_numpy(b)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    return float(
        np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0)
    )


# PyTorch stores weights as (out, in, *kernel); Keras as (*kernel, in, out). One permutation per rank.
TORCH_TO_KERAS_AXES = {
    1: (0,),  # bias, BatchNorm vectors: unchanged
    2: (1, 0),  # nn.Linear (out, in)            -> Dense (in, out)
    3: (2, 1, 0),  # nn.Conv1d (out, in, k)         -> Conv1D (k, in, out)
    4: (2, 3, 1, 0),  # nn.Conv2d (out, in, kh, kw)    -> Conv2D (kh, kw, in, out)
}


def torch_weight_to_keras(weight, keras_shape) -> np.ndarray:
    """Rearrange one PyTorch weight into the layout of a Keras weight of shape `keras_shape`.

    Besides the rule for its rank, a 4-D weight may also land in a DepthwiseConv2D kernel
    (C, 1, kh, kw) -> (kh, kw, C, 1), or, when its kernel is 1x1, in a Dense kernel (out, in, 1, 1) -> (in, out).
    """
    array = to_numpy(weight)
    keras_shape = tuple(int(size) for size in keras_shape)
    candidates = []
    if array.ndim in TORCH_TO_KERAS_AXES:
        candidates.append(array.transpose(TORCH_TO_KERAS_AXES[array.ndim]))
    if array.ndim == 4:
        candidates.append(array.transpose(2, 3, 0, 1))
        if array.shape[2:] == (1, 1):
            candidates.append(array[:, :, 0, 0].T)
    for candidate in candidates:
        if candidate.shape == keras_shape:
            return np.ascontiguousarray(candidate)
    raise ValueError(
        f"no layout rule turns a PyTorch weight of shape {array.shape} into Keras shape {keras_shape}"
    )


def port_weights(torch_module, keras_layer) -> list:
    """Copy every weight of `torch_module` into the built `keras_layer`; return the (torch, keras, shape) pairs.

    Both must create their weights in the same order (PyTorch's state_dict order, Keras's `weights` order).
    BatchNorm's `num_batches_tracked` counter has no Keras counterpart and is skipped.
    """
    sources = [
        (name, tensor)
        for name, tensor in torch_module.state_dict().items()
        if not name.endswith("num_batches_tracked")
    ]
    targets = list(keras_layer.weights)
    if len(sources) != len(targets):
        hint = (
            " (the Keras layer is not built yet: call it on an input first)"
            if not targets
            else ""
        )
        raise ValueError(
            f"PyTorch has {len(sources)} tensors {[name for name, _ in sources]} but Keras has "
            f"{len(targets)} weights {[w.path for w in targets]}{hint}"
        )
    values = [
        torch_weight_to_keras(tensor, variable.shape)
        for (_, tensor), variable in zip(sources, targets)
    ]
    keras_layer.set_weights(values)
    return [
        (name, variable.path, tuple(variable.shape))
        for (name, _), variable in zip(sources, targets)
    ]


import statistics
import time


def median_milliseconds(*functions, repeats: int = 30, warmup: int = 3) -> list:
    """Median wall time in ms of each zero-argument callable, timed in alternation (order reversed every round).

    For GPU work, make each callable synchronize before it returns.
    """
    for _ in range(warmup):  # first calls allocate memory and pick kernels
        for function in functions:
            function()
    times = [[] for _ in functions]
    for round_number in range(repeats):
        order = (
            range(len(functions))
            if round_number % 2 == 0
            else reversed(range(len(functions)))
        )
        for index in order:
            started = time.perf_counter()
            functions[index]()
            times[index].append(time.perf_counter() - started)
    return [1000 * statistics.median(samples) for samples in times]


__all__ = [
    'seed_everything',
    'check_shape',
    'check_feature_map',
    'count_parameters',
    'to_numpy',
    'to_channels_last',
    'to_channels_first',
    'max_abs_diff',
    'TORCH_TO_KERAS_AXES',
    'torch_weight_to_keras',
    'port_weights',
    'median_milliseconds',
]

"""Framework-free helpers the chapters and tests share: seeding, shape checks and
layout conversion, parameter counts, weight porting between PyTorch and Keras, the
PyTorch-versus-Keras comparison, and paired timing.

Nothing here imports torch or keras at module level (chapter 1 introduces them).
"""

import contextlib
import random
import statistics
import sys
import textwrap
import time

import numpy as np

from cnn_attention.arguments import check_seed


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and whichever of PyTorch and Keras are already imported.

    Import the frameworks first, then seed: a framework imported later is not seeded.
    """
    check_seed("seed", seed)
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    if "keras" in sys.modules:
        # Python, NumPy and the Keras backend (TensorFlow, JAX or torch)
        sys.modules["keras"].utils.set_random_seed(seed)


def check_shape(tensor, expected) -> tuple:
    """`tensor`'s shape as a tuple, after checking it against `expected`.

    `None` in `expected` matches any size.
    """
    if isinstance(expected, str) or not isinstance(expected, list | tuple):
        raise ValueError(
            f"expected must be a tuple of sizes (ints or None), got {expected!r}"
        )
    for size in expected:
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise ValueError(
                f"expected must hold ints or None, got {size!r} in {expected!r}"
            )
    shape = tuple(static_size(size) for size in tensor.shape)
    expected = tuple(expected)
    mismatch = any(e is not None and e != s for e, s in zip(expected, shape))
    if len(shape) != len(expected) or mismatch:
        raise ValueError(f"expected shape {expected}, got {shape}")
    return shape


def static_size(size) -> int | None:
    """`size` as an int, or None where it is unknown (None, or a symbolic size such
    as the batch axis of a Keras functional model on JAX)."""
    if size is None:
        return None
    try:
        return int(size)
    except Exception:  # noqa: BLE001  (JAX raises its own InconclusiveDimension...)
        return None


_SPATIAL_NAMES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def feature_map_problem(
    shape, channels: int, channels_last: bool, floating: bool = True, spatial_dims=2
) -> str:
    """What is wrong with a feature map of this shape for a layer of `channels`.

    Returns "" when nothing is. Sizes may be None or symbolic (unknown while Keras
    traces: JAX's symbolic batch size cannot become an int). `spatial_dims` is 2 for
    images, 1 for sequences (N, L, C) and 3 for volumes or video (N, D, H, W, C).
    """
    shape = tuple(static_size(size) for size in shape)
    names = _SPATIAL_NAMES[spatial_dims]
    axes = ("N", *names, "C") if channels_last else ("N", "C", *names)
    layout = "(" + ", ".join(axes) + ")"
    if len(shape) != spatial_dims + 2:
        return (
            f"expects a {spatial_dims + 2}-D feature map {layout}; got "
            f"{len(shape)}-D input of shape {shape}"
        )
    found = shape[-1] if channels_last else shape[1]
    if found is not None and found != channels:
        return (
            f"was built for {channels} channels but got {found} "
            f"(input shape {shape}, layout {layout})"
        )
    spatial = shape[1:-1] if channels_last else shape[2:]
    if 0 in spatial:
        sizes = " and ".join(
            [", ".join(names[:-1]), names[-1]] if names[:-1] else names
        )
        return f"got an empty feature map of shape {shape}: {sizes} must be >= 1"
    if not floating:
        return "expects a floating-point input (float16, bfloat16, float32, float64)"
    return ""


def check_feature_map(
    x, channels: int, channels_last: bool, layer: str, spatial_dims: int = 2
) -> None:
    """Raise ValueError, naming `layer`, unless `x` is a usable feature map.

    `x` is a tensor (its shape and dtype are checked) or a shape. Keras layers pass
    channels_last=True for (N, H, W, C); PyTorch layout (N, C, H, W) is False.
    """
    dtype = getattr(x, "dtype", None)
    floating = dtype is None or "float" in str(dtype)
    problem = feature_map_problem(
        getattr(x, "shape", x), channels, channels_last, floating, spatial_dims
    )
    if problem:
        raise ValueError(f"{layer} {problem}")


def count_parameters(model) -> int:
    """Trainable parameters of a torch.nn.Module or a built Keras layer or model.

    That is the number papers report: BatchNorm running statistics are not
    parameters in either framework. An unbuilt Keras layer has no weights yet, so
    it is refused rather than counted as 0.
    """
    # Keras first: on Keras's torch backend a layer is also a torch.nn.Module
    if hasattr(model, "trainable_weights"):  # Keras
        if not model.built:
            raise ValueError(
                f"{type(model).__name__} {model.name!r} is not built, so it has no "
                "weights yet: call it on an input or call build(input_shape) first"
            )
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    if hasattr(model, "parameters") and hasattr(model, "state_dict"):  # PyTorch
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
    raise ValueError(
        "count_parameters expects a torch.nn.Module or a Keras layer, "
        f"got {type(model).__name__}"
    )


def to_numpy(tensor) -> np.ndarray:
    """A NumPy array from a torch, TensorFlow, JAX or Keras tensor, or an array-like.

    bfloat16, which NumPy lacks, becomes float32 (exactly).
    """
    if tensor is None:
        raise ValueError("expected a tensor or an array, got None")
    if hasattr(tensor, "detach"):  # torch.Tensor (also Keras's output on torch)
        tensor = tensor.detach().cpu()
        if str(tensor.dtype) == "torch.bfloat16":
            tensor = tensor.float()
        return tensor.numpy()
    array = np.asarray(tensor)
    if array.dtype.name == "bfloat16":  # TensorFlow and JAX use ml_dtypes' bfloat16
        array = array.astype(np.float32)
    return array


def to_channels_last(x) -> np.ndarray:
    """(N, C, *spatial) -> (N, *spatial, C): a PyTorch-layout array in Keras layout."""
    return np.moveaxis(to_numpy(x), 1, -1)


def to_channels_first(x) -> np.ndarray:
    """(N, *spatial, C) -> (N, C, *spatial): a Keras-layout array in PyTorch layout."""
    return np.moveaxis(to_numpy(x), -1, 1)


def max_abs_diff(a, b) -> float:
    """Largest elementwise |a - b| of two real tensors or arrays of the same shape.

    Integers are compared exactly; equal infinities count as equal; NaN, complex
    numbers and non-numeric arrays are refused, since no distance means anything
    for them.
    """
    a, b = to_numpy(a), to_numpy(b)
    for array in (a, b):
        if array.dtype.kind not in "biuf":
            raise ValueError(f"cannot compare arrays of dtype {array.dtype}: real only")
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":  # exact, even above 2**53
        return float(np.max(np.abs(a.astype(object) - b.astype(object))))
    a, b = a.astype(np.float64), b.astype(np.float64)
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError(
            f"cannot compare arrays containing NaN ({int(np.isnan(a).sum())} and "
            f"{int(np.isnan(b).sum())} NaN values)"
        )
    with np.errstate(invalid="ignore"):  # inf - inf where both are the same infinity
        difference = np.where(a == b, 0.0, np.abs(a - b))
    return float(np.max(difference))


# PyTorch stores weights as (out, in, *kernel), Keras as (*kernel, in, out).
# One permutation per rank:
TORCH_TO_KERAS_AXES = {
    1: (0,),  # bias, BatchNorm vectors: unchanged
    2: (1, 0),  # nn.Linear (out, in) -> Dense (in, out)
    3: (2, 1, 0),  # nn.Conv1d (out, in, k) -> Conv1D (k, in, out)
    4: (2, 3, 1, 0),  # nn.Conv2d (out, in, kh, kw) -> Conv2D (kh, kw, in, out)
}


def torch_weight_to_keras(weight, keras_shape) -> np.ndarray:
    """Rearrange one PyTorch weight into the layout of a Keras weight of `keras_shape`.

    Besides the rule for its rank, a 4-D weight may land in a DepthwiseConv2D kernel,
    (C, 1, kh, kw) -> (kh, kw, C, 1), or, when its kernel is 1x1, in a Dense kernel,
    (out, in, 1, 1) -> (in, out).
    """
    array = to_numpy(weight)
    keras_shape = tuple(int(size) for size in keras_shape)
    candidates = []
    if array.ndim in TORCH_TO_KERAS_AXES:
        candidates.append(array.transpose(TORCH_TO_KERAS_AXES[array.ndim]))
    if array.ndim == 4:
        if array.shape[1] == 1:  # depthwise: one input channel per filter
            candidates.append(array.transpose(2, 3, 0, 1))
        if array.shape[2:] == (1, 1):
            candidates.append(array[:, :, 0, 0].T)  # 1x1 conv -> Dense
    for candidate in candidates:
        if candidate.shape == keras_shape:
            # a copy: on JAX, Keras may keep an array that shares memory with the
            # PyTorch tensor, and a PyTorch training step would move it
            return np.array(candidate, order="C", copy=True)
    raise ValueError(
        f"no layout rule turns a PyTorch weight of shape {array.shape} "
        f"into Keras shape {keras_shape}"
    )


def _config_differences(torch_module, keras_layer) -> dict:
    """Arguments on which two of the book's modules disagree (both have get_config)."""
    if not (hasattr(torch_module, "get_config") and hasattr(keras_layer, "get_config")):
        return {}

    def resolved(module) -> dict:  # derived sizes filled in, where a module has them
        return getattr(module, "resolved_config", module.get_config)()

    keras_config = resolved(keras_layer)
    differences = {}
    for key, value in resolved(torch_module).items():
        other = keras_config.get(key, value)
        if isinstance(value, tuple | list) and isinstance(other, tuple | list):
            value, other = list(value), list(other)
        if other != value:
            differences[key] = (value, other)
    return differences


def port_weights(torch_module, keras_layer) -> list:
    """Copy every weight of `torch_module` into the built `keras_layer`.

    Returns the (PyTorch name, Keras path, Keras shape) of each copy. Both must create
    their weights in the same order (PyTorch's state_dict, Keras's `weights`).
    BatchNorm's `num_batches_tracked` counter has no Keras counterpart and is
    skipped. Two of the book's modules built with different arguments (another
    activation, say) are refused even where the shapes would fit.
    """
    differences = _config_differences(torch_module, keras_layer)
    if differences:
        listed = ", ".join(f"{k}: {a!r} vs {b!r}" for k, (a, b) in differences.items())
        raise ValueError(f"the two modules are configured differently ({listed})")
    sources = [
        (name, tensor)
        for name, tensor in torch_module.state_dict().items()
        if not name.endswith("num_batches_tracked")
    ]
    targets = list(keras_layer.weights)
    if len(sources) != len(targets):
        unbuilt = not getattr(keras_layer, "built", True)
        hint = " (the Keras layer is not built: call it on an input first)" * unbuilt
        raise ValueError(
            f"PyTorch has {len(sources)} tensors {[name for name, _ in sources]} but "
            f"Keras has {len(targets)} weights {[w.path for w in targets]}{hint}"
        )
    keras_layer.set_weights(
        [torch_weight_to_keras(t, v.shape) for (_, t), v in zip(sources, targets)]
    )
    return [(name, v.path, tuple(v.shape)) for (name, _), v in zip(sources, targets)]


def _as_list(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def compare_torch_keras(torch_module, keras_layer, inputs) -> float:
    """Port `torch_module`'s weights into `keras_layer`, run both, return max |diff|.

    `inputs` is one PyTorch-layout tensor or array (N, C, ...), or a list of them for
    a module that takes a list. Outputs may be one tensor or a list of tensors; each
    Keras output is moved back to channels first before the comparison. The PyTorch
    module runs in eval mode (restored afterwards), the Keras layer with
    training=False.
    """
    import torch

    torch_inputs = [torch.as_tensor(to_numpy(x)) for x in _as_list(inputs)]
    keras_inputs = [to_channels_last(x) for x in torch_inputs]
    several = isinstance(inputs, list | tuple)
    torch_args = torch_inputs if several else torch_inputs[0]
    keras_args = keras_inputs if several else keras_inputs[0]
    if not keras_layer.built:
        keras_layer(keras_args)
    port_weights(torch_module, keras_layer)
    was_training = torch_module.training
    torch_module.eval()
    try:
        with torch.no_grad():
            torch_outputs = _as_list(torch_module(torch_args))
    finally:
        torch_module.train(was_training)
    keras_outputs = _as_list(keras_layer(keras_args, training=False))
    if len(torch_outputs) != len(keras_outputs):
        raise ValueError(
            f"PyTorch returned {len(torch_outputs)} outputs, Keras {len(keras_outputs)}"
        )
    return max(
        max_abs_diff(t, to_channels_first(k))
        for t, k in zip(torch_outputs, keras_outputs)
    )


def timed_rounds(
    *functions, repeats: int = 30, warmup: int = 3, warmup_seconds: float = 0.5
) -> list:
    """Wall times in ms of each zero-argument callable, one per round, timed in
    alternation: result[i][r] is candidate i's time in round r.

    The order is reversed every round, so neither candidate always runs first; a
    ratio taken round by round pairs calls made moments apart. Before timing, every
    candidate runs for at least `warmup` rounds and `warmup_seconds` in total: first
    calls allocate memory, pick kernels and wake the CPU up, and a few calls are not
    always enough. For GPU work, make each callable synchronize.
    """
    if not functions or not all(callable(function) for function in functions):
        raise ValueError("timed_rounds needs one or more callables")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int, got {warmup!r}")
    if (
        isinstance(warmup_seconds, bool)
        or not isinstance(warmup_seconds, int | float)
        or not 0 <= warmup_seconds < float("inf")
    ):
        raise ValueError(
            "warmup_seconds must be a finite non-negative number of seconds, "
            f"got {warmup_seconds!r}"
        )
    started, rounds = time.perf_counter(), 0
    while rounds < warmup or time.perf_counter() - started < warmup_seconds:
        for function in functions:
            function()
        rounds += 1
    times = [[] for _ in functions]
    for round_number in range(repeats):
        order = range(len(functions))
        for index in order if round_number % 2 == 0 else reversed(order):
            started = time.perf_counter()
            functions[index]()
            times[index].append(1000 * (time.perf_counter() - started))
    return times


def median_milliseconds(
    *functions, repeats: int = 30, warmup: int = 3, warmup_seconds: float = 0.5
) -> list:
    """Median wall time in ms of each zero-argument callable, timed in alternation
    (see timed_rounds)."""
    rounds = timed_rounds(
        *functions, repeats=repeats, warmup=warmup, warmup_seconds=warmup_seconds
    )
    return [statistics.median(samples) for samples in rounds]


@contextlib.contextmanager
def expect_error(expected: type[BaseException] = Exception, width: int = 88):
    """Run the block, which must raise `expected`; print the error, wrapped.

    How the chapters show an error on purpose: the message appears as the cell's
    output, wrapped to `width` characters so the web page shows all of it, and the
    notebook runs on (Colab's "Run all" stops at the first uncaught error). A block
    that raises nothing is itself an error: the demonstration has stopped working.

        with expect_error(ValueError):
            SEModule(8, reduction=16)
    """
    if not (isinstance(expected, type) and issubclass(expected, BaseException)):
        raise ValueError(f"expected must be an exception class, got {expected!r}")
    if isinstance(width, bool) or not isinstance(width, int) or width < 20:
        raise ValueError(f"width must be an int of at least 20, got {width!r}")
    try:
        yield
    except expected as error:
        message = f"{type(error).__name__}: {error}"
        lines = [
            textwrap.fill(line, width, subsequent_indent="    ", break_on_hyphens=False)
            or line
            for line in message.splitlines()
        ]
        print("\n".join(lines))
    else:
        raise AssertionError(f"expected {expected.__name__}, but nothing was raised")


__all__ = [
    "seed_everything",
    "check_shape",
    "feature_map_problem",
    "check_feature_map",
    "count_parameters",
    "to_numpy",
    "to_channels_last",
    "to_channels_first",
    "max_abs_diff",
    "TORCH_TO_KERAS_AXES",
    "torch_weight_to_keras",
    "port_weights",
    "compare_torch_keras",
    "median_milliseconds",
    "timed_rounds",
    "expect_error",
]

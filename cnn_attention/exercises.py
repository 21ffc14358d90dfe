"""Checks for the book's exercises: the answer key.

This module is written by hand. It is *not* exported from the notebooks
(tools/export_package.py leaves it alone), because the notebooks must not reveal the
answers: a chapter states an exercise, and its folded solution cell computes the answer
and ends with one call, ``check_exercise("se.1", name=value, ...)``, which stays silent
when the answer is right. ``make workshop`` (tools/make_workshop.py) writes a student
copy of each chapter in which that cell becomes an empty cell plus
``show_check("se.1", lambda: {...})``, which prints ✓ or ✗ with a hint and never raises.

Adding a check::

    @exercise("se.1", wrong={"equation_5": 2_514_945})
    def _se_1(equation_5):
        if equation_5 != ...:
            return "count both layers' weights, then their biases"

A check takes the answers as keyword arguments, named as in the solution's
``check_exercise`` call, and returns None when they are right or a hint (a string) when
they are not. ``wrong`` is an answer the check must reject: tests/test_workshop.py makes
sure it does. Ids are ``<chapter>.<number>``; every id except ``demo.*`` belongs to
exactly one notebook.

Only NumPy is imported here, so the module works without either framework; a check that
needs torch or keras imports it inside the check.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*\.[1-9][0-9]*")


@dataclass(frozen=True)
class Exercise:
    exercise_id: str
    check: Callable[..., str | None]
    names: tuple[str, ...]
    wrong: Mapping[str, object] = field(default_factory=dict)


EXERCISES: dict[str, Exercise] = {}


def exercise(exercise_id: str, *, wrong: Mapping[str, object]):
    """Register the decorated function as the check of `exercise_id`.

    `wrong` holds answers (one per parameter of the check) that the check must reject.
    """
    if not ID_PATTERN.fullmatch(exercise_id):
        raise ValueError(
            f"exercise id {exercise_id!r} must look like 'se.1' (chapter, dot, number)"
        )

    def register(check: Callable[..., str | None]):
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        names = tuple(inspect.signature(check).parameters)
        if set(wrong) != set(names):
            raise ValueError(
                f"{exercise_id}: `wrong` names {sorted(wrong)}, the check takes "
                f"{list(names)}"
            )
        EXERCISES[exercise_id] = Exercise(exercise_id, check, names, dict(wrong))
        return check

    return register


def _lookup(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES)) or "none"
        raise ValueError(f"unknown exercise {exercise_id!r}; known: {known}")
    return EXERCISES[exercise_id]


def _hint(exercise_id: str, answers: Mapping[str, object]) -> str | None:
    """None when the answers are right, else a hint. ValueError for an unknown id or
    for answers under other names than the check's."""
    entry = _lookup(exercise_id)
    if set(answers) != set(entry.names):
        expected = ", ".join(f"`{name}`" for name in entry.names)
        raise ValueError(
            f"{exercise_id}: answers must be named {expected}; got "
            + (", ".join(f"`{name}`" for name in answers) or "none")
        )
    try:
        return entry.check(**answers)
    except Exception as error:  # an answer of the wrong kind: say so, as a hint
        return f"could not check your answer ({type(error).__name__}: {error})"


def check_exercise(exercise_id: str, /, **answers) -> None:
    """Return silently when the answers are right; raise AssertionError with a hint when
    they are not. Solution cells end with this call."""
    hint = _hint(exercise_id, answers)
    if hint is not None:
        raise AssertionError(f"{exercise_id}: not yet — {hint}")


def show_check(exercise_id: str, answers: Callable[[], Mapping] | Mapping) -> None:
    """Print ``✓ <id>: correct`` or ``✗ <id>: ...`` for the learner; never raise.

    `answers` is best a ``lambda: {"name": name}``: a name the learner has not defined
    yet then raises NameError inside this function, which reports it.
    """
    try:
        values = answers() if callable(answers) else answers
        hint = _hint(exercise_id, dict(values))
    except NameError as error:
        name = getattr(error, "name", None) or str(error)
        print(f"✗ {exercise_id}: define `{name}` first")
        return
    except ValueError as error:  # an unknown id, answers under other names
        message = str(error).removeprefix(f"{exercise_id}: ")
        print(f"✗ {exercise_id}: {message}")
        return
    except Exception as error:
        print(f"✗ {exercise_id}: not yet — {type(error).__name__}: {error}")
        return
    if hint is None:
        print(f"✓ {exercise_id}: correct")
    else:
        print(f"✗ {exercise_id}: not yet — {hint}")


# Helpers for the checks below.


def _shape(value) -> tuple[int, ...]:
    """A shape as a tuple of ints, from a tuple, list, torch.Size or TensorShape."""
    return tuple(int(size) for size in value)


def _close(value, expected, tolerance: float = 1e-6) -> bool:
    """Same shape, and every element within `tolerance` (arrays, tensors, numbers)."""
    value, expected = np.asarray(value, dtype=float), np.asarray(expected, dtype=float)
    return value.shape == expected.shape and bool(
        np.all(np.abs(value - expected) <= tolerance)
    )


# --- Checks ---------------------------------------------------------------------------
# The demo is used by the tests of tools/make_workshop.py; chapters' checks follow it.


@exercise("demo.1", wrong={"permuted_shape": (2, 8, 5, 7)})
def _demo_1(permuted_shape):
    """The shape of a (2, 8, 5, 7) tensor after ``permute(0, 2, 3, 1)``."""
    shape = _shape(permuted_shape)
    if shape == (2, 8, 5, 7):
        return "that is the shape before the permute"
    if sorted(shape) != [2, 5, 7, 8]:
        return "permute reorders the axes; it keeps their sizes"
    if shape != (2, 5, 7, 8):
        return "position i of the result takes old axis dims[i]: read (0, 2, 3, 1)"
    return None


# --- Chapter 1: tensor shapes (shapes.*) --------------------------------------------

# The five calls of exercise shapes.1, on a NumPy array (same rules as torch here).
_BATCH_OF_ONE = {
    "squeeze()": lambda a: a.squeeze(),
    "squeeze(-1)": lambda a: a.squeeze(-1),
    "squeeze((2, 3))": lambda a: a.squeeze((2, 3)),
    "flatten(1)": lambda a: a.reshape(a.shape[0], -1),
    "view(1, -1)": lambda a: a.reshape(1, -1),
}


@exercise(
    "shapes.1",
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
    if set(shapes) != set(expected):
        return "give a shape for each of the five calls: " + ", ".join(expected)
    for call, shape in expected.items():
        if _shape(shapes[call]) != shape:
            got = _shape(shapes[call])
            return f"{call} does not return {got}: which axes have size 1?"

    def concatenates_to_1x32(shape):
        return len(shape) > 1 and (*shape[:1], 2 * shape[1], *shape[2:]) == (1, 32)

    failing = {
        call for call, shape in expected.items() if not concatenates_to_1x32(shape)
    }
    if set(not_concatenable) != failing:
        return (
            "concatenating along dim=1 needs a dim 1, and (1, 32) needs no stray axis: "
            "look at the length of each shape"
        )
    return None


@exercise(
    "shapes.2",
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
    if bool(rectangular_raises) != raises:
        return "align (8,) with (1, 8, 5, 7) from the right: which size meets the 8?"
    square = (1, 8, 8, 8)
    if scaled_axis not in (len(square) - 1, -1):
        return "shapes align from the right: (8,) lines up with the last axis"
    gate = _shape(channel_gate_shape)
    padded = (1,) * (len(square) - len(gate)) + gate
    if len(gate) > len(square) or padded[0] != 1 or padded[1:] != (8, 1, 1):
        return "the 8 must line up with axis 1 (C), with size-1 axes after it for H, W"
    return None


@exercise(
    "shapes.3",
    wrong={"torch_sizes": [4, 4, 4], "keras_sizes": [4, 4, 4], "split_points": [5, 7]},
)
def _shapes_3(torch_sizes, keras_sizes, split_points):
    """torch.split takes piece sizes, ops.split a number of pieces or split points."""
    channels = 12
    if list(torch_sizes) != [3] * (channels // 3):
        return "torch.split(t, 3, dim=1) cuts pieces of size 3"
    if list(keras_sizes) != [channels // 3] * 3:
        return "ops.split(t, 3, axis=-1) cuts 3 pieces, as numpy.split does"
    pieces = np.split(np.zeros(channels), list(split_points))
    if [len(piece) for piece in pieces] != [5, 7]:
        return "a list for ops.split gives the positions to cut at, not the sizes"
    return None


@exercise(
    "shapes.4",
    wrong={
        "parameters": 72,
        "torch_shape": (8, 1, 3, 3),
        "keras_shape": (3, 3, 8, 1),
        "difference": 0.0,
    },
)
def _shapes_4(parameters, torch_shape, keras_shape, difference):
    """A depthwise 3x3 convolution on 8 channels, ported to DepthwiseConv2D."""
    torch_shape, keras_shape = _shape(torch_shape), _shape(keras_shape)
    if len(torch_shape) != 4 or torch_shape[0] != 8 or torch_shape[1] != 1:
        return "a depthwise weight has one input channel per filter: (C, 1, kh, kw)"
    if torch_shape[2:] != (3, 3):
        return "the kernel is 3x3"
    if keras_shape != tuple(torch_shape[i] for i in (2, 3, 0, 1)):
        return "DepthwiseConv2D keeps its kernel as (kh, kw, C, 1)"
    if parameters != int(np.prod(torch_shape)) + torch_shape[0]:
        return "count the weights of every filter, then one bias per channel"
    if not abs(float(difference)) <= 1e-5:
        return "the outputs differ: did the port transpose the kernel?"
    return None


@exercise(
    "shapes.5",
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
    if not abs(float(difference)) <= 1e-5:
        return "both orders are linear maps, so they should agree to rounding"
    if macs_pool_first != channels * (channels // reduction):
        return "after pooling the layer sees one C-vector per example"
    if macs_project_first != height * width * macs_pool_first:
        return "before pooling the layer runs once per pixel"
    if se_pools_first is not True:
        return "SE squeezes first: which order is cheaper?"
    return None


# --- Chapter 2: Squeeze-and-Excitation (se.*) ---------------------------------------

# ResNet-50: (output channels C_s, blocks N_s, H = W at a 224 x 224 input) per stage.
_RESNET50_STAGES = ((256, 3, 56), (512, 4, 28), (1024, 6, 14), (2048, 3, 7))
_RESNET50_PARAMETERS = 25_557_032  # torchvision's count, printed in chapter 2


@exercise(
    "se.1",
    wrong={"equation_5": 2_530_992, "counted": 2_530_992, "counts_biases": False},
)
def _se_1(equation_5, counted, counts_biases):
    """Equation 5 of the SE paper for ResNet-50 (r = 16), and what 28.09 M counts."""
    weights = sum(2 * n * c * (c // 16) for c, n, _ in _RESNET50_STAGES)
    with_biases = weights + sum(n * (c // 16 + c) for c, n, _ in _RESNET50_STAGES)
    if equation_5 != weights:
        return "equation 5 counts the weights only: 2/r times N_s C_s^2, summed"
    if counted != equation_5:
        return "SEModule(C, 16, bias=False) per block, times the blocks per stage"
    in_millions = (
        round((_RESNET50_PARAMETERS + weights) / 1e6, 2),
        round((_RESNET50_PARAMETERS + with_biases) / 1e6, 2),
    )
    if bool(counts_biases) != (in_millions == (28.07, 28.09)):
        return "add each count to 25,557,032 and round to two decimals in millions"
    return None


@exercise("se.2", wrong={"mismatch_raises": True, "equal_sizes_correct": True})
def _se_2(mismatch_raises, equal_sizes_correct):
    """(N, H, W, C) features times (N, C) gates, for N = 2 and for N = W = 7."""
    try:
        np.broadcast_shapes((2, 5, 7, 8), (2, 8))
        raises = False
    except ValueError:
        raises = True
    if bool(mismatch_raises) != raises:
        return "align (2, 8) with (2, 5, 7, 8) from the right: 2 meets W = 7"
    rng = np.random.default_rng(0)
    features, gates = rng.normal(size=(7, 5, 7, 8)), rng.uniform(size=(7, 8))
    correct = np.allclose(features * gates, features * gates[:, None, None, :])
    if bool(equal_sizes_correct) != correct:
        return "with N = W = 7 it runs: but does example n still get its own gates?"
    return None


@exercise("se.3", wrong={"mean_gate": 0.9, "fc2_bias": 0.0, "min_gate_with_bias": 0.5})
def _se_3(mean_gate, fc2_bias, min_gate_with_bias):
    """A fresh SE block halves its input; a large fc2 bias opens every gate."""
    if not 0.4 < float(mean_gate) < 0.6:
        return "small random weights give scores near 0: what is sigmoid(0)?"
    if not 1 / (1 + np.exp(-float(fc2_bias))) > 0.95:
        return "choose a bias whose sigmoid is close to 1"
    if not float(min_gate_with_bias) > 0.95:
        return "measure the smallest gate after setting the bias: is it near 1?"
    return None


@exercise("se.4", wrong={"difference": 0.35})
def _se_4(difference):
    """A channels-first Keras SE layer agrees with the PyTorch module as it stands."""
    if not abs(float(difference)) <= 1e-5:
        return "squeeze over axes 2 and 3 and reshape the gate to (N, C, 1, 1)"
    return None


@exercise("se.5", wrong={"most_parameters_stage": 1, "most_multiply_adds_stage": 4})
def _se_5(most_parameters_stage, most_multiply_adds_stage):
    """Stages (1 to 4) of SE-ResNet-50 holding most of SE's parameters and work."""
    parameters = [n * (2 * c * (c // 16) + c // 16 + c) for c, n, _ in _RESNET50_STAGES]
    work = [n * (2 * h * h * c + 2 * c * (c // 16)) for c, n, h in _RESNET50_STAGES]
    if most_parameters_stage != 1 + int(np.argmax(parameters)):
        return "parameters grow with C^2: which stage is widest?"
    if most_multiply_adds_stage != 1 + int(np.argmax(work)):
        return "pooling and scaling grow with H W C: which stage has the most values?"
    return None


# --- Chapter 3: Efficient Channel Attention (eca.*) -----------------------------------


def _psi(channels: int) -> int:
    from cnn_attention.arguments import eca_kernel_size

    return eca_kernel_size(channels)


@exercise("eca.1", wrong={"with_psi": 157, "with_3357": 171})
def _eca_1(with_psi, with_3357):
    """Parameters ECA adds to ResNet-101 (blocks 3, 4, 23, 3)."""
    blocks = {256: 3, 512: 4, 1024: 23, 2048: 3}
    if with_psi != sum(n * _psi(c) for c, n in blocks.items()):
        return "k = psi(C) on each stage's output channels, times its blocks"
    if with_3357 != sum(n * k for n, k in zip(blocks.values(), (3, 3, 5, 7))):
        return "--ksize 3357 gives stages 1 to 4 kernels 3, 3, 5, 7"
    return None


@exercise(
    "eca.2",
    wrong={"random_gap": 0.0, "reversal_gap": 0.0, "symmetric_kernel": [1.0, 2.0, 3.0]},
)
def _eca_2(random_gap, reversal_gap, symmetric_kernel):
    """ECA does not commute with a random channel permutation; a reversal with a
    symmetric kernel does."""
    if not float(random_gap) > 1e-3:
        return "a random permutation should change ECA's output: compare more carefully"
    kernel = np.asarray(symmetric_kernel, dtype=float).ravel()
    if kernel.size % 2 == 0 or not np.allclose(kernel, kernel[::-1]):
        return "a kernel that reads the same backwards: odd length, mirrored weights"
    if not float(reversal_gap) <= 1e-6:
        return "with that kernel, reversing the channels should commute with ECA"
    return None


@exercise("eca.3", wrong={"smallest_k7": 2047, "smallest_k9": 16384})
def _eca_3(smallest_k7, smallest_k9):
    """The smallest channel counts whose kernel size psi(C) is 7, and 9."""
    for answer, k, name in ((smallest_k7, 7, "7"), (smallest_k9, 9, "9")):
        if not isinstance(answer, int | np.integer) or answer < 2:
            return f"give the smallest C (an int) with psi(C) = {name}"
        if _psi(int(answer)) != k or _psi(int(answer) - 1) == k:
            return f"psi(C) = {name} needs floor((log2 C + 1) / 2) >= {k - 1}"
    return None


@exercise("eca.4", wrong={"variant": "SE-Var3", "parameters": 1, "difference": 0.0})
def _eca_4(variant, parameters, difference):
    """ECAModule(C, kernel_size=1) is SE-Var2 with its C weights tied to one."""
    if "var2" not in str(variant).lower().replace("-", "").replace(" ", ""):
        return "which variant gives each channel a weight of its own, and no mixing?"
    if parameters != 1:
        return "count the module's parameters: one shared weight"
    if not abs(float(difference)) <= 1e-6:
        return "compare with x * sigmoid(w * z) broadcast over H and W"
    return None


@exercise("eca.5", wrong={"pad_before": 2, "pad_after": 1, "difference": 0.0})
def _eca_5(pad_before, pad_after, difference):
    """An even kernel (k = 4) in PyTorch padded as Keras's "same" pads it."""
    k = 4
    if (pad_before, pad_after) != ((k - 1) // 2, k - 1 - (k - 1) // 2):
        return "TensorFlow's 'same' puts the smaller half of the k - 1 zeros first"
    if not abs(float(difference)) <= 1e-6:
        return "with that padding and padding=0 the outputs should agree"
    return None


# --- Chapter 4: CBAM ------------------------------------------------------------------


@exercise("cbam.1", wrong={"cbam_512": 33_312})
def _cbam_1(cbam_512):
    if cbam_512 == 33_312:
        return "that is SE's MLP alone: add the spatial gate's kernel and BatchNorm"
    if cbam_512 == 33_412 - 2:
        return "BatchNorm in the spatial gate has a scale and a shift too"
    if cbam_512 != 2 * 512 * 32 + 32 + 512 + 2 * 7 * 7 + 2:
        return "2 C (C / r) weights + C / r + C biases, then 2 x 7 x 7 + 2"
    return None


def _same_function(make_reference, make_candidate, load, shape, tolerance=1e-6):
    """Build both modules, load the reference's weights into the candidate, compare."""
    import torch

    torch.manual_seed(0)
    reference, candidate = make_reference().eval(), make_candidate().eval()
    candidate.load_state_dict(load(reference.state_dict()))
    features = torch.randn(*shape)
    with torch.no_grad():
        difference = (reference(features) - candidate(features)).abs().max().item()
    return difference <= tolerance


@exercise("cbam.2", wrong={"se_options": {"spatial": False}})
def _cbam_2(se_options):
    from cnn_attention.torch.cbam import CBAM
    from cnn_attention.torch.se import SEModule

    options = dict(se_options)
    if options.get("spatial", True):
        return "SE has no spatial gate"
    same = _same_function(
        lambda: SEModule(64, reduction=16),
        lambda: CBAM(64, **options),
        lambda state: {f"channel_gate.{k}": v for k, v in state.items()},
        (2, 64, 7, 5),
    )
    return None if same else "SE pools only by the average"


@exercise("cbam.3", wrong={"seed_003_options": {"bias": False, "kernel_size": 7}})
def _cbam_3(seed_003_options):
    from cnn_attention.reference import seed_003
    from cnn_attention.torch.cbam import CBAM, seed_cbam_keys

    options = dict(seed_003_options)
    try:
        same = _same_function(
            lambda: seed_003.CBAM(64, kernel_size=7),
            lambda: CBAM(64, **options),
            seed_cbam_keys,
            (2, 64, 9, 9),
        )
    except RuntimeError:  # the weights do not fit: a missing or extra tensor
        return "the seed's modules have no MLP biases and no BatchNorm"
    return None if same else "which map does the seed concatenate first?"


@exercise("cbam.4", wrong={"plain_medians": [0.95, 1.51, 1.75], "prefers_digit": [3]})
def _cbam_4(plain_medians, prefers_digit):
    medians = [float(value) for value in plain_medians]
    if len(medians) != 3:
        return "the digits network has three stages: one median each"
    if not all(median > 0 for median in medians):
        return "a ratio of two means of a sigmoid's outputs is positive: recompute"
    if np.allclose(medians, [0.948, 1.513, 1.750], atol=0.01):
        return "those are the chapter's medians, among clutter: generate with clutter=0"
    expected = [stage for stage, median in enumerate(medians, start=1) if median > 1]
    if [int(stage) for stage in prefers_digit] != expected:
        return "stages are numbered from 1; list those whose median is above 1"
    return None


@exercise("cbam.5", wrong={"normalised_lse": lambda x: x.flatten(2).logsumexp(2)})
def _cbam_5(normalised_lse):
    import torch

    torch.manual_seed(0)
    features = torch.randn(3, 4, 5, 7) * 3
    value = normalised_lse(features)
    if tuple(value.shape) != (3, 4):
        return "return one number per example and channel, (N, C)"
    constant = torch.full((2, 3, 4, 6), 1.5)
    if not torch.allclose(normalised_lse(constant), constant.mean((2, 3)), atol=1e-5):
        return "on a constant map it must equal the average: subtract log(H * W)"
    low, high = features.mean((2, 3)), features.amax((2, 3))
    if not ((value >= low - 1e-5) & (value <= high + 1e-5)).all():
        return "it must lie between the average and the maximum"
    positions = features.shape[2] * features.shape[3]
    expected = torch.logsumexp(features.flatten(2), dim=2) - np.log(positions)
    if not torch.allclose(value, expected, atol=1e-4):
        return "start from the log-sum-exp over the H x W positions"


# --- BiFPN (notebooks/07_bifpn.ipynb) -------------------------------------------------


@exercise("bifpn.1", wrong={"nodes": 12, "fusion_weights": 19})
def _bifpn_1(nodes, fusion_weights):
    """Nodes and fusion weights of one BiFPN layer over six levels (P3-P8)."""
    if nodes != 10:
        return "L levels give L - 1 top-down nodes (P3's is its output) and L - 1 more"
    if fusion_weights == 19:
        return "19 is the count for five levels; recount for six"
    if fusion_weights != 24:
        return (
            "one weight per input: 2 per top-down node, 3 per bottom-up node, "
            "2 for the top output"
        )
    return None


@exercise("bifpn.2", wrong={"swish_minimum": 0.0})
def _bifpn_2(swish_minimum):
    """The smallest value of swish(x) = x * sigmoid(x)."""
    if _close(swish_minimum, 0.0, 1e-3):
        return "swish is negative for x < 0: look left of 0"
    if not _close(swish_minimum, -0.27846, 1e-3):
        return "evaluate x * sigmoid(x) on a fine grid of negative x; take the minimum"
    return None


@exercise("bifpn.3", wrong={"fast_gradient": 0.5, "softmax_gradient_is_zero": True})
def _bifpn_3(fast_gradient, softmax_gradient_is_zero):
    """Gradient reaching a negative raw weight, fast fusion and softmax fusion."""
    if not _close(fast_gradient, 0.0, 1e-12):
        return "the ReLU's derivative below 0 is 0: what reaches the raw weight?"
    if softmax_gradient_is_zero is not False:
        return "softmax(w) is never exactly 0, and neither is its derivative here"
    return None


@exercise("bifpn.4", wrong={"channel_weights": 57})
def _bifpn_4(channel_weights):
    """Fusion weights of D0's BiFPN with one weight per input and channel."""
    if channel_weights == 57:
        return "57 is the scalar count: every weight now has one value per channel"
    if channel_weights != 3 * 19 * 64:
        return "3 layers x 19 weighted edges, each with 64 channels"
    return None


# --- Coordinate Attention (notebooks/06_coordinate_attention.ipynb) -------------------


@exercise("coord.1", wrong={"parameters_960": 88_410, "smallest_unfloored": 256})
def _coord_1(parameters_960, smallest_unfloored):
    """Parameters of CoordinateAttention(960); first C where max(8, C // 32) > 8."""
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


@exercise("coord.2", wrong={"fold_batch_norm": _unfolded_conv1})
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
    if not _close(folded, expected, 1e-4):
        return "scale each output channel by gamma / sqrt(var + eps), then shift"
    return None


@exercise("coord.3", wrong={"transposed": lambda module: module})
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
    if not _close(turned, expected, 1e-4):
        return "rows become columns: which of the weights produce the row gates?"
    return None


@exercise("coord.4", wrong={"values_per_channel": 1, "gates_depend_on_input": True})
def _coord_4(values_per_channel, gates_depend_on_input):
    """One 1 x 1 image in training mode: values per channel; constant gates."""
    if values_per_channel != 2:
        return "bn1 sees N x (H + W) values per channel"
    if gates_depend_on_input is not False:
        return "compare the row mean and the column mean of a 1 x 1 map"
    return None


# --- Chapter 5: dual pooling (notebooks/05_dual_pooling.ipynb) ------------------------


@exercise("dualpool.1", wrong={"resnet50_head": 1_037_800})
def _dualpool_1(resnet50_head):
    """Parameters of DualPoolHead(2048, 1000): the seed's head on ResNet-50."""
    if resnet50_head == 1_037_800:
        return "that is ResNet-18's head (C = 512); ResNet-50 ends with 2048 channels"
    if resnet50_head == 2 * 2048 * 1000 + 1000:
        return "that is a linear layer on the concatenation: add the 1x1 convolution"
    if resnet50_head == 2 * 2048 * 2048 + 2048 * 1000:
        return "count both layers' biases too"
    if resnet50_head != 2 * 2048 * 2048 + 2048 + 2048 * 1000 + 1000:
        return "2C x C weights + C biases (the 1x1 conv), then C x K + K (the linear)"
    return None


@exercise(
    "dualpool.2",
    wrong={
        "batch_of_8": (8,),
        "batch_of_1": (1,),
        "safe_squeeze": lambda logits: logits.squeeze(),
    },
)
def _dualpool_2(batch_of_8, batch_of_1, safe_squeeze):
    """Shapes after squeeze() of (8, 1) and (1, 1) logits, and a safe squeeze."""
    import torch

    if _shape(batch_of_8) != (8,):
        return "squeeze() removes every axis of length 1: which one has it in (8, 1)?"
    if _shape(batch_of_1) != ():
        return "in (1, 1) both axes have length 1, and squeeze() removes both"
    for batch in (1, 8):
        shape = tuple(safe_squeeze(torch.zeros(batch, 1)).shape)
        if shape != (batch,):
            return f"safe_squeeze gives {shape} for N = {batch}: name the axis"
    return None


@exercise("dualpool.3", wrong={"to_fastai_order": lambda state_dict: state_dict})
def _dualpool_3(to_fastai_order):
    """Move a DualPoolHead's weights from timm's order to fastai's."""
    import torch

    from cnn_attention.torch.pooling import DualPoolHead

    torch.manual_seed(0)
    timm_head = DualPoolHead(16, 5).eval()
    with torch.no_grad():
        timm_head.reduce.bias.uniform_(-0.5, 0.5)
        timm_head.fc.bias.uniform_(-0.5, 0.5)
    fastai_head = DualPoolHead(16, 5, pool="catmaxavg").eval()
    try:
        fastai_head.load_state_dict(to_fastai_order(timm_head.state_dict()))
    except (RuntimeError, KeyError, TypeError) as error:
        return f"the converted state dict does not load ({error})"
    features = torch.relu(torch.randn(3, 16, 5, 4))
    with torch.no_grad():
        difference = (timm_head(features) - fastai_head(features)).abs().max().item()
    if difference > 1e-5:
        return "the outputs differ: which layer reads the concatenation, and how?"
    return None


@exercise("dualpool.4", wrong={"p_half": 2.0})
def _dualpool_4(p_half):
    """The GeM exponent that pools one active position of 64 to half its value."""
    import torch

    from cnn_attention.torch.pooling import GeM

    p = float(p_half)
    if not np.isfinite(p) or p <= 0:
        return "GeM's exponent is a positive number"
    one_hot = torch.zeros(1, 1, 8, 8)
    one_hot[0, 0, 2, 6] = 3.0
    with torch.no_grad():
        pooled = GeM(1, p=p)(one_hot).item()
    if abs(pooled - 1.5) > 1.5e-3:
        return f"this p gives {pooled:.3f} for v = 3: solve v * 64^(-1/p) = v / 2"
    return None


def _first_nan_exponent(eps: float):
    """The smallest integer p whose p-gradient is NaN for the clamped GeM formula on a
    dead channel, in float32."""
    import torch

    for p in range(1, 60):
        dead = torch.zeros(1, 1, 4, 4)
        exponent = torch.tensor([float(p)], requires_grad=True)
        mean = dead.clamp(min=eps).pow(exponent).mean(dim=(2, 3))
        mean.pow(1.0 / exponent).sum().backward()
        if exponent.grad.isnan().any():
            return p
    return None


@exercise("dualpool.5", wrong={"first_nan": {"1e-6": 3, "1e-3": 3}})
def _dualpool_5(first_nan):
    """Where the clamped GeM formula's gradient turns NaN, for eps 1e-6 and 1e-3."""
    answers = dict(first_nan)
    if set(answers) != {"1e-6", "1e-3"}:
        return "answer for both: first_nan = {'1e-6': ..., '1e-3': ...}"
    for name, eps in (("1e-6", 1e-6), ("1e-3", 1e-3)):
        if answers[name] != _first_nan_exponent(eps):
            return (
                f"eps = {name}: look for the p at which eps^p rounds to 0 in float32 "
                "(below half of the smallest subnormal, 1.4e-45)"
            )
    return None


# --- Chapter 8: which attention, when? (notebooks/08_which_attention.ipynb) ----------


def _which_results() -> dict:
    import json
    from importlib.resources import files

    path = files("cnn_attention") / "results" / "which_attention.json"
    return json.loads(path.read_text(encoding="utf-8"))


@exercise("which.1", wrong={"differences": [0.0] * 5, "seeds_better": 5})
def _which_1(differences, seeds_better):
    """CBAM minus no attention on cluttered digits, seed by seed; seeds CBAM won."""
    runs = _which_results()["accuracy"]
    cbam = np.array(runs["CBAM | cluttered"]["accuracy"])
    none = np.array(runs["none | cluttered"]["accuracy"])
    expected = cbam - none
    if np.shape(differences) != expected.shape:
        return f"one difference per random seed: {len(expected)} of them"
    if _close(np.asarray(differences), -expected, 1e-3) and expected.any():
        return "CBAM minus the baseline, not the other way round"
    if not _close(np.asarray(differences), expected, 1e-3):
        return "subtract run by run: the same random seed in both configurations"
    if seeds_better != int((cbam > none).sum()):
        return "count the seeds whose difference is positive"
    return None


@exercise("which.2", wrong={"matched_width": 16})
def _which_2(matched_width):
    """Smallest first-stage width of a plain digits network as large as CA's."""
    from cnn_attention.torch.resnet import ResNet

    network = dict(block="basic", layers=(1, 1, 1), num_classes=10, in_channels=1)
    network["stem"] = "small"

    def count(width, attention=None):
        model = ResNet(
            **network, widths=(width, 2 * width, 4 * width), attention=attention
        )
        return sum(p.numel() for p in model.parameters())

    target = count(16, "coord")
    if not isinstance(matched_width, int) or isinstance(matched_width, bool):
        return "give the width as an int"
    if count(matched_width) < target:
        return "at that width the plain network is still smaller than CA's"
    if count(matched_width - 1) >= target:
        return "a smaller width already has enough parameters"
    return None


@exercise("which.3", wrong={"most": "CA", "least": "ECA"})
def _which_3(most, least):
    """The modules adding the most and the fewest multiply-adds per added parameter."""
    costs = _which_results()["costs"]
    base = costs["none"]
    per_parameter = {
        name: (cost["multiply_adds"] - base["multiply_adds"])
        / (cost["parameters"] - base["parameters"])
        for name, cost in costs.items()
        if name != "none"
    }
    if most != max(per_parameter, key=per_parameter.get):
        return "divide each module's added multiply-adds by its added parameters"
    if least != min(per_parameter, key=per_parameter.get):
        return "which module uses each of its weights only once per image?"
    return None

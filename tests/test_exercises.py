"""The answer key, cnn_attention.exercises: every check takes the real answer, and
refuses a made-up answer and an answer of another kind, each with a hint.

- The real solutions: each chapter's solution cell ends with ``check_exercise`` and
  nbval runs it (tests/test_workshop.py holds every registered id to one solution
  cell). Here `RIGHT` gives the same answers, written independently of the notebooks,
  so that each check is also tested on its own.
- A made-up answer: the registry's `wrong` answers, of the right kinds, plausible
  (a count for the wrong network, the chapter's numbers for another setting).
- Another kind: each answer in turn replaced by every value that its kind lists as
  wrong (a string for a shape, a float for a count, "False" or 0 for False, ...).
"""

import functools
import math
import re

import numpy as np
import pytest
import torch

from cnn_attention import exercises
from cnn_attention.exercises import (
    EXERCISES,
    check_exercise,
    exercise,
    registry,
    show_check,
)
from cnn_attention.exercises.answers import (
    COUNT,
    FLAG,
    NUMBER,
    SHAPE,
    TEXT,
    WrongKind,
    list_of,
    mapping_of,
    set_of,
)
from cnn_attention.exercises.se import _keras_se

# --- the real answers ---------------------------------------------------------------


def _fastai_order(state_dict):
    """timm's head reads (avg, max), fastai's (max, avg): swap the conv's inputs."""
    weight = state_dict["reduce.weight"]  # (hidden, 2C, 1, 1)
    half = weight.shape[1] // 2
    return {
        **state_dict,
        "reduce.weight": torch.cat([weight[:, half:], weight[:, :half]], 1),
    }


def _fold_batch_norm(module):
    bn, conv = module.bn1, module.conv1
    scale = bn.weight / (bn.running_var + bn.eps).sqrt()
    weight = conv.weight * scale[:, None, None, None]
    return weight.detach(), ((conv.bias - bn.running_mean) * scale + bn.bias).detach()


def _transposed(module):
    """Rows become columns: conv_h and conv_w trade their weights."""
    swap = {"conv_h": "conv_w", "conv_w": "conv_h"}
    state = {
        swap.get(key.split(".")[0], key.split(".")[0]) + key[key.index(".") :]: value
        for key, value in module.state_dict().items()
    }
    turned = type(module)(**module.get_config()).eval()
    turned.load_state_dict(state)
    return turned


@functools.lru_cache(maxsize=1)
def _cbam_4_answers():
    """An untrained CBAM network of the digits task, measured here with hooks."""
    from cnn_attention.data import cluttered_digits
    from cnn_attention.exercises.cbam import _digits_network

    network = _digits_network().eval()
    images, _, boxes = cluttered_digits(1000, "test", clutter=0, seed=1)
    gates = [
        m.spatial_gate.gate for m in network.modules() if hasattr(m, "spatial_gate")
    ]
    maps = []
    hooks = [g.register_forward_hook(lambda m, i, out: maps.append(out)) for g in gates]
    with torch.no_grad():
        network(torch.as_tensor(images))
    for hook in hooks:
        hook.remove()
    medians = []
    for stage_map in maps:  # (N, 1, h, w)
        values = stage_map[:, 0].numpy()
        rows, columns = np.indices(values.shape[1:])
        top, left, bottom, right = (boxes // (32 // values.shape[-1])).T[
            :, :, None, None
        ]
        inside = (rows >= top) & (rows < bottom) & (columns >= left) & (columns < right)
        ratios = (values * inside).sum((1, 2)) / inside.sum((1, 2))
        ratios /= (values * ~inside).sum((1, 2)) / (~inside).sum((1, 2))
        medians.append(float(np.median(ratios)))
    prefers = [stage for stage, median in enumerate(medians, start=1) if median > 1]
    return {"network": network, "plain_medians": medians, "prefers_digit": prefers}


def _which_1_answers():
    import json
    from importlib.resources import files

    path = files("cnn_attention") / "results" / "which_attention.json"
    runs = json.loads(path.read_text(encoding="utf-8"))["accuracy"]
    cbam = runs["CBAM | cluttered"]["accuracy"]
    none = runs["none | cluttered"]["accuracy"]
    differences = [round(a - b, 4) for a, b in zip(cbam, none)]
    return {"differences": differences, "seeds_better": sum(d > 0 for d in differences)}


SEED_003_OPTIONS = {
    "bias": False,
    "spatial_pools": ("avg", "max"),
    "spatial_norm": False,
    "kernel_size": 7,
}
# Answers as the solutions compute them, some as NumPy or PyTorch values (a learner's
# answers often are); a callable builds answers that need a framework.
RIGHT = {
    "demo.1": {"permuted_shape": torch.Size([2, 5, 7, 8])},
    "shapes.1": {
        "shapes": {
            "squeeze()": (16,),
            "squeeze(-1)": (1, 16, 1),
            "squeeze((2, 3))": (1, 16),
            "flatten(1)": torch.Size([1, 16]),
            "view(1, -1)": [1, 16],
        },
        "not_concatenable": ["squeeze()", "squeeze(-1)"],
    },
    "shapes.2": {
        "rectangular_raises": True,
        "scaled_axis": np.int64(3),
        "channel_gate_shape": (8, 1, 1),
    },
    "shapes.3": {"torch_sizes": [3] * 4, "keras_sizes": [4] * 3, "split_points": [5]},
    "shapes.4": {
        "parameters": 80,
        "torch_shape": (8, 1, 3, 3),
        "keras_shape": (3, 3, 8, 1),
        "difference": np.float32(2e-7),
    },
    "shapes.5": {
        "difference": 0.0,
        "macs_pool_first": 256 * 16,
        "macs_project_first": 56 * 56 * 256 * 16,
        "se_pools_first": np.bool_(True),
    },
    "se.1": {"equation_5": 2_514_944, "counted": 2_514_944, "counts_biases": True},
    "se.2": {"mismatch_raises": True, "equal_sizes_correct": False},
    "se.3": {"mean_gate": 0.5, "fc2_bias": 6.0, "min_gate_with_bias": 0.99724},
    "se.4": lambda: {
        "difference": torch.tensor(3e-8),
        "channels_first_se": _keras_se(channels_first=True),
    },
    "se.5": {"most_parameters_stage": 4, "most_multiply_adds_stage": 1},
    "eca.1": {"with_psi": 171, "with_3357": 157},
    "eca.2": {
        "random_gap": 0.4,
        "reversal_gap": 0.0,
        "symmetric_kernel": [0.5, -1.0, 0.5],
    },
    "eca.3": {"smallest_k7": 2**11, "smallest_k9": 2**15},
    "eca.4": {"variant": "SE-Var2", "parameters": 1, "difference": 0.0},
    "eca.5": {"pad_before": 1, "pad_after": 2, "difference": 1e-7},
    "cbam.1": {"cbam_512": 2 * 512 * 32 + 32 + 512 + 2 * 7 * 7 + 2},
    "cbam.2": {"se_options": {"spatial": False, "pool_types": ("avg",)}},
    "cbam.3": {"seed_003_options": SEED_003_OPTIONS},
    "cbam.4": _cbam_4_answers,
    "cbam.5": {
        "normalised_lse": lambda x: (
            torch.logsumexp(x.flatten(2), 2) - math.log(x.shape[2] * x.shape[3])
        )
    },
    "dualpool.1": {"resnet50_head": 2 * 2048**2 + 2048 + 2048 * 1000 + 1000},
    "dualpool.2": {
        "batch_of_8": (8,),
        "batch_of_1": torch.Size([]),
        "safe_squeeze": lambda logits: logits.squeeze(1),
    },
    "dualpool.3": {"to_fastai_order": _fastai_order},
    "dualpool.4": {"p_half": np.log2(64)},
    "dualpool.5": {"first_nan": {"1e-6": 8, "1e-3": 16}},
    "coord.1": {
        "parameters_960": 3 * 960 * 30 + 3 * 30 + 2 * 960,
        "smallest_unfloored": 288,
    },
    "coord.2": {"fold_batch_norm": _fold_batch_norm},
    "coord.3": {"transposed": _transposed},
    "coord.4": {"values_per_channel": 2, "gates_depend_on_input": False},
    "bifpn.1": {"nodes": 2 * (6 - 1), "fusion_weights": 5 * 6 - 6},
    "bifpn.2": {"swish_minimum": -0.27846},
    "bifpn.3": {"fast_gradient": 0.0, "softmax_gradient_is_zero": False},
    "bifpn.4": {"channel_weights": 3 * 19 * 64},
    "which.1": _which_1_answers,
    "which.2": {"matched_width": 17},
    "which.3": {"most": "CBAM", "least": "SE"},
}


def right_answers(exercise_id):
    answers = RIGHT[exercise_id]
    return dict(answers() if callable(answers) else answers)


def hint(exercise_id, answers):
    """The hint a check gives (None when it accepts)."""
    try:
        check_exercise(exercise_id, **answers)
    except AssertionError as error:
        return str(error)
    return None


def test_every_exercise_has_a_right_answer():
    assert set(RIGHT) == set(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_real_answer_passes(exercise_id):
    assert hint(exercise_id, right_answers(exercise_id)) is None


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_a_made_up_answer_is_refused_with_a_hint(exercise_id):
    wrong = EXERCISES[exercise_id].wrong_answers()
    assert set(wrong) == set(EXERCISES[exercise_id].names)
    for name, kind in EXERCISES[exercise_id].kinds.items():
        kind.convert(wrong[name])  # of the right kind: the check itself refuses it
    message = hint(exercise_id, wrong)
    assert message is not None and message.startswith(f"{exercise_id}: not yet — ")
    assert len(message) > len(f"{exercise_id}: not yet — ") + 10, "a hint, not a no"


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_an_answer_of_another_kind_is_refused_naming_it(exercise_id):
    """Each answer in turn of each wrong kind, the others right: the hint names it."""
    entry = EXERCISES[exercise_id]
    right = right_answers(exercise_id)
    tried = 0
    for name, kind in entry.kinds.items():
        for value in kind.wrong_kinds:
            message = hint(exercise_id, {**right, name: value})
            assert message is not None, f"{exercise_id}: {name}={value!r} passed"
            assert f"`{name}` " in message and " must be " in message, message
            tried += 1
    assert tried >= len(entry.names)


@pytest.mark.parametrize(
    ("exercise_id", "answers", "message"),
    [
        ("demo.1", {"permuted_shape": "2578"}, "got the string '2578'"),
        ("demo.1", {"permuted_shape": (2.9, 5.5, 7.2, 8.7)}, "holds the float 2.9"),
        (
            "se.2",
            {"mismatch_raises": "False", "equal_sizes_correct": 0},
            "`mismatch_raises` must be True or False; got the string 'False'",
        ),
        (
            "se.2",
            {"mismatch_raises": True, "equal_sizes_correct": 0},
            "`equal_sizes_correct` must be True or False; got the int 0",
        ),
        ("cbam.1", {"cbam_512": 33_412.0}, "must be a whole number, an int"),
        ("eca.3", {"smallest_k7": True, "smallest_k9": 32768}, "got the bool True"),
    ],
)
def test_the_answers_that_used_to_fool_the_checks(exercise_id, answers, message):
    """Issue 20's examples: each passed before the answers had kinds."""
    assert message in hint(exercise_id, answers)


def test_made_up_medians_for_cbam_4_are_refused():
    """Issue 20: plain_medians=[0.5, 2.0, 3.0] with prefers_digit=[2, 3] passed; now the
    check measures the network itself."""
    answers = {**right_answers("cbam.4"), "plain_medians": [0.5, 2.0, 3.0]}
    answers["prefers_digit"] = [2, 3]
    assert "other medians on digits without clutter" in hint("cbam.4", answers)


def test_an_answer_left_as_the_student_copys_ellipsis_is_named():
    answers = {**right_answers("se.1"), "counted": ...}
    assert "replace the ... of `counted` by your answer" in hint("se.1", answers)


def test_shapes_1_takes_the_calls_as_the_question_writes_them():
    right = right_answers("shapes.1")
    written = {
        f".{call}".replace(", ", ","): shape for call, shape in right["shapes"].items()
    }
    assert hint("shapes.1", {**right, "shapes": written}) is None
    assert "give a shape for each" in hint("shapes.1", {**right, "shapes": {}})


def test_se_3_measures_the_smallest_gate_for_the_bias_given():
    right = right_answers("se.3")
    assert hint("se.3", {**right, "min_gate_with_bias": 0.99}) is not None
    assert hint("se.3", {**right, "fc2_bias": 3.0}) is not None  # gates near 0.95
    assert hint("se.3", {**right, "mean_gate": 0.45}) is not None


# --- the registry and show_check ----------------------------------------------------


def test_check_exercise_is_silent_when_right_and_raises_with_a_hint_when_wrong(capsys):
    assert check_exercise("demo.1", permuted_shape=(2, 5, 7, 8)) is None
    assert capsys.readouterr().out == ""
    with pytest.raises(AssertionError, match=r"^demo\.1: not yet — .+"):
        check_exercise("demo.1", permuted_shape=(2, 5, 8, 7))
    with pytest.raises(AssertionError, match="could not check your answer"):
        check_exercise("dualpool.2", batch_of_8=(8,), batch_of_1=(), safe_squeeze=len)


def test_unknown_ids_and_other_names_raise_value_error():
    with pytest.raises(ValueError, match="unknown exercise 'nope.1'"):
        check_exercise("nope.1", answer=1)
    with pytest.raises(ValueError, match="answers must be named `permuted_shape`"):
        check_exercise("demo.1", shape=(2, 5, 7, 8))


def test_show_check_prints_and_never_raises(capsys):
    def undefined():
        return {"permuted_shape": permuted_shape_not_defined}  # noqa: F821

    show_check("demo.1", lambda: {"permuted_shape": (2, 5, 7, 8)})
    show_check("demo.1", lambda: {"permuted_shape": (2, 8, 5, 7)})
    show_check("demo.1", lambda: {"permuted_shape": "2578"})
    show_check("demo.1", undefined)
    show_check("demo.1", {"permuted_shape": (2, 5, 7, 8)})
    show_check("nope.1", lambda: {"x": 1})
    show_check("demo.1", lambda: {"x": 1})
    show_check("demo.1", lambda: 1 / 0)
    shape = "a shape, a tuple of ints such as (2, 5, 7, 8)"
    assert capsys.readouterr().out.splitlines() == [
        "✓ demo.1: correct",
        "✗ demo.1: not yet — that is the shape before the permute",
        f"✗ demo.1: not yet — `permuted_shape` must be {shape}; got the string '2578'",
        "✗ demo.1: define `permuted_shape_not_defined` first",
        "✓ demo.1: correct",
        "✗ nope.1: unknown exercise 'nope.1'; known: " + ", ".join(sorted(EXERCISES)),
        "✗ demo.1: answers must be named `permuted_shape`; got `x`",
        "✗ demo.1: not yet — ZeroDivisionError: division by zero",
    ]


def test_registration_refuses_bad_ids_duplicates_and_mismatched_names(monkeypatch):
    monkeypatch.setattr(registry, "EXERCISES", {})
    with pytest.raises(ValueError, match="must look like 'se.1'"):
        exercise("SE-1", answers={}, wrong={})
    exercise("demo.7", answers={"x": COUNT}, wrong={"x": 0})(
        lambda x: None if x == 1 else "one"
    )
    with pytest.raises(ValueError, match="registered twice"):
        exercise("demo.7", answers={"x": COUNT}, wrong={"x": 0})(lambda x: None)
    with pytest.raises(ValueError, match="`wrong` names"):
        exercise("demo.8", answers={"x": COUNT}, wrong={"y": 0})(lambda x: None)
    with pytest.raises(ValueError, match="`answers` names"):
        exercise("demo.8", answers={}, wrong={"x": 0})(lambda x: None)
    with pytest.raises(ValueError, match="must be answers.Kind values"):
        exercise("demo.8", answers={"x": int}, wrong={"x": 0})(lambda x: None)
    assert list(registry.EXERCISES) == ["demo.7"]


# --- the kinds of answers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "converted"),
    [
        (FLAG, np.bool_(False), False),
        (FLAG, torch.tensor(True), True),
        (COUNT, np.int64(7), 7),
        (COUNT, torch.tensor(7), 7),
        (NUMBER, np.float32(0.5), 0.5),
        (NUMBER, 3, 3.0),
        (NUMBER, torch.tensor(0.25), 0.25),
        (SHAPE, torch.Size([2, 3]), (2, 3)),
        (SHAPE, [2, np.int64(3)], (2, 3)),
        (SHAPE, (), ()),
        (list_of(NUMBER), np.array([0.5, 1.5]), [0.5, 1.5]),
        (set_of(TEXT), ("a", "b", "a"), {"a", "b"}),
        (mapping_of(TEXT, COUNT), {"a": np.int32(1)}, {"a": 1}),
    ],
)
def test_kinds_take_numpy_and_torch_values_as_python_values(kind, value, converted):
    result = kind.convert(value)
    assert result == converted and type(result) is type(converted)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (COUNT, -1, "must be at least 0; got -1"),
        (NUMBER, float("inf"), "must be a finite number; got inf"),
        (SHAPE, np.zeros((2, 2)), "an array of 2 dimensions"),
        (SHAPE, (2, -1), "position 1 holds the int -1"),
        (list_of(NUMBER, length=3), [1.0], "got 1 values"),
        (list_of(COUNT), [1, 2.0], "position 1 must be a whole number"),
        (set_of(TEXT), {"a", 1}, "each entry must be a string; got the int 1"),
        (mapping_of(TEXT, SHAPE), {"a": "12"}, "entry 'a' must be a shape"),
        (mapping_of(TEXT, SHAPE), {1: (1,)}, "each key must be a string"),
    ],
)
def test_kinds_refuse_with_a_message(kind, value, message):
    with pytest.raises(WrongKind, match=re.escape(message)):
        kind.convert(value)


def test_every_kind_refuses_what_it_lists_as_wrong():
    kinds = {kind for entry in EXERCISES.values() for kind in entry.kinds.values()}
    for kind in kinds:
        assert kind.wrong_kinds, f"{kind.description}: nothing to test it with"
        for value in kind.wrong_kinds:
            with pytest.raises(WrongKind):
                kind.convert(value)


def test_the_answer_key_imports_no_framework():
    """At module level only NumPy and the standard library (Colab-free environments)."""
    import ast
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(exercises.__file__).parent
    modules = {
        (alias.name if isinstance(node, ast.Import) else node.module).split(".")[0]
        for path in folder.glob("*.py")
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert modules - sys.stdlib_module_names == {"numpy", "cnn_attention"}
    probe = (
        "import sys, cnn_attention.exercises; "
        "print([m for m in ('torch', 'keras', 'tensorflow', 'jax') "
        "if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr

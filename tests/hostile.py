"""A hostile run over the package's public API: every case is a call that must either
work (and give the right answer) or be refused with a clear error.

Each case ends in one of six categories:

    clear     a bad input refused with ValueError/TypeError naming what was wrong
    correct   a valid use that worked and gave the right answer
    silent    a bad input accepted without a word (a defect)
    wrong     a valid use that returned a wrong answer (a defect)
    failed    a valid use that raised (a defect)
    unclear   a bad input refused with another exception or a message that does not
              name the argument (a defect)

`tests/test_hostile.py` runs the framework-free, PyTorch and Keras-on-TensorFlow
cases in `make test` and fails on any defect; `tools/hostile_run.py` (in
`make test-slow`) runs every case on every Keras backend, prints the counts per
category and backend, and fails on any defect. Run this file as a script
(`python tests/hostile.py keras`) to print the Keras cases' outcomes on the backend
that KERAS_BACKEND names, as JSON.
"""

import copy
import dataclasses
import io
import json
import math
import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Callable

import numpy as np

CATEGORIES = ("clear", "correct", "silent", "wrong", "failed", "unclear")
DEFECTS = ("silent", "wrong", "failed", "unclear")


@dataclasses.dataclass
class Case:
    """`run` is called with no arguments. For a bad input, `refuse` lists words the
    error message must contain (case-insensitive); for a valid use it is None, and
    `run` returns True when the answer is right (False or an AssertionError: wrong).
    """

    name: str
    run: Callable[[], object]
    refuse: tuple | None = None
    # One of the valid uses tried on every Keras layer (functional model, .keras,
    # pickle...): about 10 s on TensorFlow, so make test leaves them to make test-slow,
    # which runs them on every backend.
    sweep: bool = False


def valid(name, run, sweep=False):
    return Case(name, run, None, sweep)


def invalid(name, run, *words):
    return Case(name, run, tuple(words))


class CaseTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise CaseTimeout


def classify(case: Case, timeout: int = 60) -> tuple[str, str]:
    """(category, detail) of one case. A case still running after `timeout` seconds
    is stopped: for a bad input, that is an acceptance (it went on working on it)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(timeout)
    try:
        result = case.run()
    except CaseTimeout:
        detail = f"still running after {timeout} s"
        return ("failed" if case.refuse is None else "silent"), detail
    except AssertionError as error:
        if case.refuse is None:
            return "wrong", f"AssertionError: {error}"[:300]
        return "unclear", f"AssertionError: {error}"[:300]
    except (ValueError, TypeError) as error:
        detail = f"{type(error).__name__}: {error}"[:300]
        if case.refuse is None:
            return "failed", detail
        message = str(error).lower()
        named = all(word.lower() in message for word in case.refuse)
        return ("clear" if named else "unclear"), detail
    except Exception as error:  # noqa: BLE001  (every other exception is a finding)
        detail = f"{type(error).__name__}: {error}"[:300]
        return ("failed" if case.refuse is None else "unclear"), detail
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if case.refuse is not None:
        return "silent", f"returned {result!r}"[:300]
    if result is True:
        return "correct", ""
    return "wrong", f"returned {result!r}"[:300]


def run_cases(cases) -> dict:
    """{case name: [category, detail]} (names are unique)."""
    outcomes = {}
    for case in cases:
        if case.name in outcomes:
            raise ValueError(f"two cases are called {case.name!r}")
        outcomes[case.name] = list(classify(case))
    return outcomes


# ---------------------------------------------------------------------------------
# Constructor arguments: every argument of every public constructor, given values of
# the wrong kind. Kinds name what the argument allows.

HOSTILE_VALUES = {
    "count": [True, 0, -3, 2.5, "4", None, float("nan"), np.int64(4)],
    "optional count": [True, 0, -3, 2.5, "4", float("nan")],
    "bool": ["False", 0, 1, None, "yes"],
    "real": [float("nan"), float("inf"), True, "1", None],
    "positive real": [float("nan"), float("inf"), -1.0, 0, True, "1", None],
    "rate": [-0.1, 1.0, float("nan"), True, "0.5"],
    "momentum": [-0.1, 1.5, 5, float("nan"), True, "0.1"],
    "choice": ["", "unknown", None, 5, False, 0],
    "optional choice": ["", "unknown", 5, False, 0],
    "odd kernel": [4, 0, -3, True, "7", "seven", 7.0, None],
    "count tuple": [(), "2222", (2, 0), (2, 2.5), (True, 2), 5, None],
    "pool pair": [("max", "max"), ("avg",), "maxavg", 5, None, ("mean", "max")],
    "pool names": ["avg", (), ("avg", "avg"), ("median",), 5, None],
    "attention": [5, True, "", "unknown", -1],
    "attention options": [5, "r=4", [("reduction", 4)]],
}

# Each constructor: arguments that make it valid (and small), and the kind of each
# argument to attack. Names are the same in both frameworks.
CONSTRUCTORS = {
    "SEModule": (
        dict(channels=16),
        dict(
            channels="count",
            reduction="count",
            hidden_channels="optional count",
            bias="bool",
            activation="choice",
            gate="choice",
        ),
    ),
    "ECAModule": (
        dict(channels=16),
        dict(
            channels="count",
            kernel_size="odd kernel",
            gamma="positive real",
            beta="real",
            gate="choice",
        ),
    ),
    "ChannelGate": (
        dict(channels=16),
        dict(
            channels="count",
            reduction="count",
            hidden_channels="optional count",
            bias="bool",
            activation="choice",
            gate="choice",
            pool_types="pool names",
        ),
    ),
    "SpatialGate": (
        dict(),
        dict(
            kernel_size="odd kernel",
            spatial_pools="pool pair",
            norm="bool",
            gate="choice",
        ),
    ),
    "CBAM": (
        dict(channels=16),
        dict(
            channels="count",
            reduction="count",
            hidden_channels="optional count",
            bias="bool",
            activation="choice",
            gate="choice",
            pool_types="pool names",
            kernel_size="odd kernel",
            spatial_pools="pool pair",
            spatial_norm="bool",
            spatial="bool",
            arrangement="choice",
        ),
    ),
    "CoordinateAttention": (
        dict(channels=16),
        dict(
            channels="count",
            reduction="count",
            hidden_channels="optional count",
            min_hidden_channels="count",
            activation="choice",
            gate="choice",
        ),
    ),
    "GeM": (
        dict(channels=8),
        dict(channels="count", p="positive real", eps="positive real", learn_p="bool"),
    ),
    "GlobalPool": (
        dict(channels=8),
        dict(
            channels="count",
            pool="choice",
            p="positive real",
            eps="positive real",
            learn_p="bool",
            flatten="bool",
        ),
    ),
    "PoolingHead": (
        dict(in_channels=8, num_classes=3),
        dict(
            in_channels="count",
            num_classes="count",
            pool="choice",
            dropout="rate",
            p="positive real",
            eps="positive real",
            learn_p="bool",
        ),
    ),
    "DualPoolHead": (
        dict(in_channels=8, num_classes=3),
        dict(
            in_channels="count",
            num_classes="count",
            pool="choice",
            hidden_channels="optional count",
            dropout="rate",
        ),
    ),
    "ClassifierHead": (
        dict(in_channels=8, num_classes=3),
        dict(in_channels="count", num_classes="count"),
    ),
    "ConvNormAct": (
        dict(in_channels=4, out_channels=8),
        dict(
            in_channels="count",
            out_channels="count",
            kernel_size="odd kernel",
            stride="count",
            groups="count",
            activation="optional choice",
            norm="bool",
        ),
    ),
    "BasicBlock": (
        dict(in_channels=8, width=8),
        dict(
            in_channels="count",
            width="count",
            stride="count",
            attention="attention",
            attention_kwargs="attention options",
        ),
    ),
    "Bottleneck": (
        dict(in_channels=16, width=4),
        dict(
            in_channels="count",
            width="count",
            stride="count",
            attention="attention",
            attention_kwargs="attention options",
        ),
    ),
    "InvertedResidual": (
        dict(in_channels=8, out_channels=8),
        dict(
            in_channels="count",
            out_channels="count",
            stride="count",
            expand_ratio="count",
            attention="attention",
            attention_kwargs="attention options",
        ),
    ),
    "ResNet": (
        dict(layers=(1,), widths=(8,), num_classes=3, stem="small"),
        dict(
            block="choice",
            layers="count tuple",
            widths="count tuple",
            num_classes="count",
            in_channels="count",
            stem="choice",
            attention="attention",
            attention_kwargs="attention options",
        ),
    ),
    "MobileNetV2": (
        dict(num_classes=3, width_multiplier=0.25),
        dict(
            num_classes="count",
            in_channels="count",
            width_multiplier="positive real",
            attention="attention",
            attention_kwargs="attention options",
            dropout="rate",
        ),
    ),
    "WeightedFusion": (
        dict(num_inputs=2),
        dict(num_inputs="count", method="choice", epsilon="positive real"),
    ),
    "ChannelAdapter": (
        dict(in_channels=4, channels=8),
        dict(
            in_channels="count",
            channels="count",
            norm_epsilon="positive real",
            norm_momentum="momentum",
        ),
    ),
    "ExtraLevel": (
        dict(in_channels=4, channels=8),
        dict(
            in_channels="count",
            channels="count",
            norm_epsilon="positive real",
            norm_momentum="momentum",
        ),
    ),
    "BiFPNNode": (
        dict(level=0, input_levels=(0, 1), in_channels=(8, 8), channels=8),
        dict(
            level="optional count",
            channels="count",
            fusion="choice",
            epsilon="positive real",
            activation="choice",
            norm_epsilon="positive real",
            norm_momentum="momentum",
        ),
    ),
    "BiFPNLayer": (
        dict(in_channels=(8, 8, 8), channels=8),
        dict(
            in_channels="count tuple",
            channels="count",
            fusion="choice",
            epsilon="positive real",
            activation="choice",
            norm_epsilon="positive real",
            norm_momentum="momentum",
        ),
    ),
    "BiFPN": (
        dict(in_channels=(8, 16), channels=8, repeats=1, num_levels=3),
        dict(
            in_channels="count tuple",
            channels="count",
            repeats="count",
            num_levels="count",
            fusion="choice",
            epsilon="positive real",
            activation="choice",
            norm_epsilon="positive real",
            norm_momentum="momentum",
        ),
    ),
}

# The 1-D and 3-D versions take SEModule's and ECAModule's arguments.
for _rank in ("1d", "3d"):
    CONSTRUCTORS[f"SEModule{_rank}"] = CONSTRUCTORS["SEModule"]
    CONSTRUCTORS[f"ECAModule{_rank}"] = CONSTRUCTORS["ECAModule"]

# Values that an argument allows although its kind lists them as hostile.
ALLOWED = {
    **{  # None: the adaptive kernel size
        (f"ECAModule{rank}", "kernel_size"): [None] for rank in ("", "1d", "3d")
    },
    ("BiFPNNode", "level"): [0],  # 0 is P3
}


def constructor_cases(namespace, prefix: str) -> list:
    """Every constructor argument given every hostile value of its kind."""
    cases = []
    for class_name, (base, kinds) in CONSTRUCTORS.items():
        constructor = getattr(namespace, class_name)
        for argument, kind in kinds.items():
            for value in HOSTILE_VALUES[kind]:
                allowed = ALLOWED.get((class_name, argument), [])
                if any(
                    value is a or (type(value) is type(a) and value == a)
                    for a in allowed
                ):
                    continue
                arguments = {**base, argument: value}

                def run(constructor=constructor, arguments=arguments):
                    return constructor(**arguments)

                label = f"{prefix}{class_name}({argument}={value!r})"
                cases.append(invalid(label, run, argument))
    return cases


# ---------------------------------------------------------------------------------
# Framework-free parts: cost formulas, data, arguments, utils.


def framework_free_cases() -> list:
    from cnn_attention import costs as K
    from cnn_attention import data as D
    from cnn_attention import utils as U

    cases = [
        invalid(
            "costs.se_parameters(bias='False')",
            lambda: K.se_parameters(16, 4, bias="False"),
            "bias",
        ),
        invalid(
            "costs.se_parameters(channels=0)", lambda: K.se_parameters(0, 4), "channels"
        ),
        invalid(
            "costs.se_parameters(reduction=True)",
            lambda: K.se_parameters(16, True),
            "reduction",
        ),
        invalid(
            "costs.dual_pool_head_parameters(hidden=-5)",
            lambda: K.dual_pool_head_parameters(16, 10, hidden_channels=-5),
            "hidden_channels",
        ),
        invalid(
            "costs.dual_pool_head_parameters(num_classes=0)",
            lambda: K.dual_pool_head_parameters(16, 0),
            "num_classes",
        ),
        invalid(
            "costs.bifpn_parameters(repeats=-3)",
            lambda: K.bifpn_parameters(repeats=-3),
            "repeats",
        ),
        invalid(
            "costs.bifpn_parameters(repeats=2.5)",
            lambda: K.bifpn_parameters(repeats=2.5),
            "repeats",
        ),
        invalid(
            "costs.bifpn_parameters(fusion='avg')",
            lambda: K.bifpn_parameters(fusion="avg"),
            "fusion",
        ),
        invalid(
            "costs.bifpn_layer_parameters(channels=0)",
            lambda: K.bifpn_layer_parameters((8, 8, 8), 0),
            "channels",
        ),
        invalid(
            "costs.cbam_parameters(kernel_size=4)",
            lambda: K.cbam_parameters(16, 4, kernel_size=4),
            "kernel_size",
        ),
        invalid(
            "costs.cbam_parameters(spatial='no')",
            lambda: K.cbam_parameters(16, 4, spatial="no"),
            "spatial",
        ),
        invalid(
            "costs.cbam_parameters(spatial_norm=1)",
            lambda: K.cbam_parameters(16, 4, spatial_norm=1),
            "spatial_norm",
        ),
        invalid(
            "costs.cbam_multiply_adds(pools=0)",
            lambda: K.cbam_multiply_adds(16, 5, 5, pools=0),
            "pools",
        ),
        invalid(
            "costs.cbam_multiply_adds(kernel_size=4)",
            lambda: K.cbam_multiply_adds(16, 5, 5, kernel_size=4),
            "kernel_size",
        ),
        invalid(
            "costs.se_multiply_adds(height=0)",
            lambda: K.se_multiply_adds(16, 0, 5),
            "height",
        ),
        invalid(
            "costs.coordinate_parameters(min_hidden=0)",
            lambda: K.coordinate_parameters(16, min_hidden_channels=0),
            "min_hidden_channels",
        ),
        invalid(
            "costs.coordinate_multiply_adds(width=-1)",
            lambda: K.coordinate_multiply_adds(16, 5, -1),
            "width",
        ),
        invalid(
            "costs.pooling_head_parameters(pool='mean')",
            lambda: K.pooling_head_parameters(16, 10, pool="mean"),
            "pool",
        ),
        invalid(
            "costs.pooling_head_parameters(learn_p='no')",
            lambda: K.pooling_head_parameters(16, 10, "gem", learn_p="no"),
            "learn_p",
        ),
        valid(
            "costs.se_parameters(16, 4) = 148", lambda: K.se_parameters(16, 4) == 148
        ),
        valid(
            "costs.bifpn_parameters() is an int",
            lambda: isinstance(K.bifpn_parameters(), int),
        ),
        invalid(
            "data.cluttered_digits(seed=None)",
            lambda: D.cluttered_digits(4, seed=None),
            "seed",
        ),
        invalid(
            "data.cluttered_digits(seed=True)",
            lambda: D.cluttered_digits(4, seed=True),
            "seed",
        ),
        invalid(
            "data.cluttered_digits(seed=-1)",
            lambda: D.cluttered_digits(4, seed=-1),
            "seed",
        ),
        invalid(
            "data.cluttered_digits(count=0)", lambda: D.cluttered_digits(0), "count"
        ),
        invalid(
            "data.cluttered_digits(split='val')",
            lambda: D.cluttered_digits(4, split="val"),
            "split",
        ),
        invalid(
            "data.batch_indices(seed=2.5)",
            lambda: list(D.batch_indices(10, 4, 1, seed=2.5)),
            "seed",
        ),
        valid(
            "data.cluttered_digits(4) shapes",
            lambda: D.cluttered_digits(4)[0].shape == (4, 1, 32, 32),
        ),
        invalid("utils.seed_everything(True)", lambda: U.seed_everything(True), "seed"),
        invalid(
            "utils.median_milliseconds(warmup_seconds=inf)",
            lambda: U.median_milliseconds(lambda: None, warmup_seconds=float("inf")),
            "warmup_seconds",
        ),
        invalid(
            "utils.median_milliseconds(warmup_seconds=nan)",
            lambda: U.median_milliseconds(lambda: None, warmup_seconds=float("nan")),
            "warmup_seconds",
        ),
        invalid(
            "utils.median_milliseconds(warmup=-1)",
            lambda: U.median_milliseconds(lambda: None, warmup=-1),
            "warmup",
        ),
        invalid(
            "utils.timed_rounds(repeats=0)",
            lambda: U.timed_rounds(lambda: None, repeats=0),
            "repeats",
        ),
        invalid(
            "utils.torch_weight_to_keras 4->8 conv into an 8->4 kernel",
            lambda: U.torch_weight_to_keras(np.zeros((8, 4, 1, 1)), (1, 1, 8, 4)),
            "shape",
        ),
        invalid(
            "utils.torch_weight_to_keras 8->4 conv into a depthwise kernel",
            lambda: U.torch_weight_to_keras(np.zeros((4, 8, 3, 3)), (3, 3, 4, 8)),
            "shape",
        ),
        valid(
            "utils.torch_weight_to_keras 4->8 conv",
            lambda: (
                U.torch_weight_to_keras(np.zeros((8, 4, 3, 3)), (3, 3, 4, 8)).shape
                == (3, 3, 4, 8)
            ),
        ),
        valid(
            "utils.torch_weight_to_keras depthwise",
            lambda: (
                U.torch_weight_to_keras(np.zeros((8, 1, 3, 3)), (3, 3, 8, 1)).shape
                == (3, 3, 8, 1)
            ),
        ),
        invalid(
            "utils.check_shape(expected='2578')",
            lambda: U.check_shape(np.zeros((2, 5, 7, 8)), "2578"),
            "expected",
        ),
        invalid(
            "utils.max_abs_diff(NaN)",
            lambda: U.max_abs_diff([float("nan")], [0.0]),
            "nan",
        ),
        invalid(
            "utils.expect_error(width=True)",
            lambda: U.expect_error(ValueError, width=True).__enter__(),
            "width",
        ),
    ]
    return cases


# ---------------------------------------------------------------------------------
# PyTorch


def torch_cases() -> list:
    import torch

    import cnn_attention.torch as ct

    torch.manual_seed(0)
    cases = constructor_cases(ct, "torch.")
    x = torch.randn(2, 16, 5, 7)

    def same(a, b, tolerance=1e-6):
        return bool(torch.allclose(a, b, atol=tolerance, rtol=0))

    for name, make in layers_to_try(ct).items():

        def forward(make=make):
            module = make().eval()
            with torch.no_grad():
                y = module(x)
            return y.shape[0] == 2 and bool(torch.isfinite(y).all())

        def empty_batch(make=make):
            module = make().eval()
            with torch.no_grad():
                y = module(x[:0])
            return y.shape[0] == 0

        def jit_save_load(make=make):
            module = make().eval()
            buffer = io.BytesIO()
            torch.jit.save(torch.jit.script(module), buffer)
            buffer.seek(0)
            loaded = torch.jit.load(buffer)
            with torch.no_grad():
                return same(loaded(x), module(x))

        def deep_copy(make=make):
            module = make().eval()
            other = copy.deepcopy(module)
            with torch.no_grad():
                return same(other(x), module(x))

        def pickled(make=make):
            module = make().eval()
            other = pickle.loads(pickle.dumps(module))
            with torch.no_grad():
                return same(other(x), module(x))

        def state_dict_round_trip(make=make):
            module, other = make().eval(), make().eval()
            ct.randomize(module, seed=1)
            other.load_state_dict(module.state_dict())
            with torch.no_grad():
                return same(other(x), module(x))

        def wrong_channels(make=make):
            return make()(torch.randn(2, 12, 5, 7))

        def integer_input(make=make):
            return make()(torch.ones(2, 16, 5, 7, dtype=torch.int64))

        def float64(make=make):
            module = make().double().eval()
            with torch.no_grad():
                return module(x.double()).dtype == torch.float64

        cases += [
            valid(f"torch {name}: forward", forward),
            valid(f"torch {name}: empty batch", empty_batch),
            valid(f"torch {name}: jit.save and jit.load", jit_save_load),
            valid(f"torch {name}: deepcopy", deep_copy),
            valid(f"torch {name}: pickle", pickled),
            valid(f"torch {name}: state_dict round trip", state_dict_round_trip),
            valid(f"torch {name}: float64", float64),
        ]
        if name not in ("spatial gate", "extra level", "channel adapter"):
            cases.append(
                invalid(f"torch {name}: 12 channels for 16", wrong_channels, "channels")
            )
        if name not in ("extra level", "channel adapter", "conv norm act"):
            cases.append(
                invalid(f"torch {name}: integer input", integer_input, "floating")
            )

    images = torch.randn(12, 3, 8, 8)
    labels = torch.arange(12) % 3

    def tiny_resnet(**kwargs):
        return ct.ResNet(
            "basic", (1,), (8,), num_classes=3, stem="small", **kwargs
        ).eval()

    def accuracy_column_labels():
        model = tiny_resnet()
        predictions = ct.predict(model, images)
        return ct.accuracy(model, images, predictions[:, None]) == 1.0

    def predict_empty():
        return ct.predict(tiny_resnet(), images[:0]).shape == (0,)

    def train_last_batch_of_one():
        losses = ct.train_classifier(
            tiny_resnet(),
            images[:9],
            labels[:9],
            epochs=1,
            batch_size=4,
            progress=False,
        )
        return len(losses) == 1 and math.isfinite(losses[0])

    def float64_heads(head):
        def run():
            model = tiny_resnet(head=head).double()
            with torch.no_grad():
                return model(images.double()).dtype == torch.float64

        return run

    def recalibrate_empty():
        return ct.recalibrate_batch_norm(tiny_resnet(), images[:0])

    def coordinate_maps_without_coordinate_attention():
        return ct.coordinate_attention_maps(
            tiny_resnet(attention="se", attention_kwargs={"reduction": 4}), images
        )

    def jit_save(make):
        def run():
            buffer = io.BytesIO()
            torch.jit.save(torch.jit.script(make()), buffer)
            return True

        return run

    cases += [
        valid("torch accuracy with (N, 1) labels", accuracy_column_labels),
        valid("torch predict of an empty batch", predict_empty),
        invalid(
            "torch predict(batch_size=0)",
            lambda: ct.predict(tiny_resnet(), images, batch_size=0),
            "batch_size",
        ),
        valid("torch train_classifier, last batch of one", train_last_batch_of_one),
        *twin_cases(ct, "torch", tiny_resnet, images, labels),
        valid(
            "torch ResNet float64 with pooling_head()",
            float64_heads(ct.pooling_head("gem")),
        ),
        valid(
            "torch ResNet float64 with dual_pool_head()",
            float64_heads(ct.dual_pool_head()),
        ),
        invalid(
            "torch recalibrate_batch_norm on no images", recalibrate_empty, "images"
        ),
        invalid(
            "torch coordinate_attention_maps without Coordinate Attention",
            coordinate_maps_without_coordinate_attention,
            "coordinate",
        ),
        invalid(
            "torch global_pool(x, 'mean')",
            lambda: ct.global_pool(x, "mean"),
            "pool_type",
        ),
        invalid(
            "torch upsample_to(x, 100, 100)",
            lambda: ct.upsample_to(x, 100, 100),
            "height",
        ),
        invalid(
            "torch upsample_to(x, 0, 0)", lambda: ct.upsample_to(x, 0, 0), "height"
        ),
        invalid(
            "torch WeightedFusion of mismatched shapes",
            lambda: ct.WeightedFusion(2)([x, x[:, :8]]),
            "shape",
        ),
        invalid(
            "torch BiFPN given one tensor",
            lambda: ct.BiFPN((16, 16), 8, 1, 3)(x),
            "list",
        ),
        invalid(
            "torch BiFPN with mixed batch sizes",
            lambda: ct.BiFPN((16, 16), 8, 1, 3)([x, torch.randn(3, 16, 3, 4)]),
            "batch",
        ),
        invalid(
            "torch ResNet with a head of the wrong width",
            lambda: tiny_resnet(head=lambda c, n: ct.ClassifierHead(c + 1, n))(images),
            "channels",
        ),
        invalid(
            "torch senet_pytorch_keys(None)",
            lambda: ct.senet_pytorch_keys(None),
            "state_dict",
        ),
        invalid(
            "torch official_cbam_keys([])",
            lambda: ct.official_cbam_keys([]),
            "state_dict",
        ),
        invalid(
            "torch train_fusion_toy(3, 0)",
            lambda: ct.train_fusion_toy(3, 0, steps=1),
            "signal_level",
        ),
        invalid(
            "torch train_fusion_toy(seed=True)",
            lambda: ct.train_fusion_toy(0, True, steps=1),
            "seed",
        ),
        valid("torch jit.save(script(SEModule))", jit_save(lambda: ct.SEModule(16, 4))),
        valid(
            "torch jit.save(script(BiFPN))",
            jit_save(lambda: ct.BiFPN((16, 16), 8, 1, 3)),
        ),
        valid(
            "torch jit.save(script(ResNet with CBAM))",
            jit_save(
                lambda: tiny_resnet(attention="cbam", attention_kwargs={"reduction": 4})
            ),
        ),
    ]
    return cases


# ---------------------------------------------------------------------------------
# Keras (on the backend that KERAS_BACKEND names)


def keras_cases() -> list:
    import keras

    import cnn_attention.keras as ck
    from cnn_attention import utils as U

    backend = keras.backend.backend()
    cases = constructor_cases(ck, "keras.")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 7, 16)).astype("float32")

    def same(a, b, tolerance=1e-5):
        return U.max_abs_diff(a, b) <= tolerance

    def built(make):
        layer = make()
        layer(x)
        return layer

    for name, make in layers_to_try(ck, name="m").items():

        def functional(make=make):
            inputs = keras.Input((5, 7, 16))
            model = keras.Model(inputs, make()(inputs))
            return model.predict(x, verbose=0).shape[0] == 2

        def empty_batch(make=make):
            return tuple(built(make)(x[:0]).shape)[0] == 0

        def saved_and_loaded(make=make):
            inputs = keras.Input((5, 7, 16))
            model = keras.Model(inputs, make()(inputs))
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.keras")
                model.save(path)
                loaded = keras.saving.load_model(path)
            return same(loaded(x), model(x))

        def deep_copy(make=make):
            layer = built(make)
            return same(copy.deepcopy(layer)(x), layer(x))

        def pickled(make=make):
            layer = built(make)
            return same(pickle.loads(pickle.dumps(layer))(x), layer(x))

        def from_config(make=make):
            layer = built(make)
            other = type(layer).from_config(layer.get_config())
            other(x)
            return U.count_parameters(other) == U.count_parameters(layer)

        def count_unbuilt(make=make):
            return U.count_parameters(make())

        def wrong_channels(make=make):
            return built(make)(np.zeros((2, 5, 7, 12), "float32"))

        def ported(make=make, name=name):
            import torch  # noqa: F401

            import cnn_attention.torch as ct

            twin = layers_to_try(ct)[name]()
            ct.randomize(twin, seed=3)
            layer = make()
            difference = U.compare_torch_keras(twin, layer, U.to_channels_first(x))
            return difference <= 1e-4

        cases += [
            valid(f"keras {name}: functional model", functional, sweep=True),
            valid(f"keras {name}: empty batch", empty_batch, sweep=True),
            valid(f"keras {name}: .keras save and load", saved_and_loaded, sweep=True),
            valid(f"keras {name}: deepcopy when built", deep_copy, sweep=True),
            valid(f"keras {name}: pickle when built", pickled, sweep=True),
            valid(f"keras {name}: from_config", from_config, sweep=True),
            valid(f"keras {name}: equal to PyTorch, ported", ported, sweep=True),
            invalid(f"keras {name}: count_parameters unbuilt", count_unbuilt, "built"),
        ]
        if name not in ("spatial gate", "extra level", "channel adapter"):
            cases.append(
                invalid(f"keras {name}: 12 channels for 16", wrong_channels, "channels")
            )

    images = rng.standard_normal((12, 8, 8, 3)).astype("float32")
    labels = np.arange(12) % 3

    def tiny_resnet(**kwargs):
        return ck.ResNet(
            "basic", (1,), (8,), num_classes=3, stem="small", name="net", **kwargs
        )

    def accuracy_column_labels():
        model = tiny_resnet()
        predictions = np.argmax(model.predict(images, verbose=0), axis=1)
        return ck.accuracy(model, images, predictions[:, None]) == 1.0

    def resnet_saved(head):
        def run():
            model = tiny_resnet(head=head)
            model(images)
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.keras")
                model.save(path)
                loaded = keras.saving.load_model(path)
            return same(loaded(images), model(images))

        return run

    def resnet_build():
        model = tiny_resnet(attention="se", attention_kwargs={"reduction": 4})
        model.build((None, 8, 8, 3))
        return U.count_parameters(model) > 0

    def deep_copy_block(make):
        def run():
            block = make()
            block(x)
            return same(copy.deepcopy(block)(x), block(x))

        return run

    def functional_bifpn():
        p3, p4 = keras.Input((None, None, 16)), keras.Input((None, None, 16))
        outputs = ck.BiFPN((16, 16), 8, 1, 3, name="bifpn")([p3, p4])
        model = keras.Model([p3, p4], outputs)
        features = [x[:, :4, :4], x[:, :2, :2]]
        return [tuple(y.shape) for y in model(features)] == [
            (2, 4, 4, 8),
            (2, 2, 2, 8),
            (2, 1, 1, 8),
        ]

    def port_weights_does_not_share_memory():
        import torch

        import cnn_attention.torch as ct

        twin, layer = ct.SEModule(16, 4), ck.SEModule(16, 4, name="m")
        layer(x)
        U.port_weights(twin, layer)
        before = U.to_numpy(layer.fc1.kernel).copy()
        with torch.no_grad():
            twin.fc1.weight.add_(1.0)
        return np.array_equal(U.to_numpy(layer.fc1.kernel), before)

    def port_weights_resolved(twin_config, layer_config, kind):
        def run():
            import cnn_attention.torch as ct

            twin = getattr(ct, kind)(16, **twin_config)
            layer = getattr(ck, kind)(16, name="m", **layer_config)
            layer(x)
            return len(U.port_weights(twin, layer)) > 0

        return run

    def train_last_batch_of_one():
        losses = ck.train_classifier(
            tiny_resnet(),
            images[:9],
            labels[:9],
            epochs=1,
            batch_size=4,
            progress=False,
        )
        return len(losses) == 1 and math.isfinite(losses[0])

    def float64_heads(head):
        def run():
            model = ck.ResNet(
                "basic",
                (1,),
                (8,),
                num_classes=3,
                stem="small",
                head=head,
                dtype="float64",
                name="net",
            )
            output = model(images.astype("float64"))
            wanted = "float64" if backend != "jax" or _jax_x64() else "float32"
            return keras.backend.standardize_dtype(output.dtype) == wanted

        return run

    def normalized_weights_unbuilt():
        return ck.WeightedFusion(2, name="m").normalized_weights()

    cases += [
        valid("keras accuracy with (N, 1) labels", accuracy_column_labels),
        valid(
            "keras ResNet with a GeM head: .keras save and load",
            resnet_saved(ck.pooling_head("gem")),
        ),
        valid(
            "keras ResNet with a dual pooling head: .keras save and load",
            resnet_saved(ck.dual_pool_head()),
        ),
        valid("keras ResNet.build() with SE", resnet_build),
        valid(
            "keras deepcopy of a built BasicBlock",
            deep_copy_block(lambda: ck.BasicBlock(16, 16, name="m")),
        ),
        valid(
            "keras deepcopy of a built Bottleneck",
            deep_copy_block(lambda: ck.Bottleneck(16, 4, name="m")),
        ),
        valid(
            "keras deepcopy of a built InvertedResidual",
            deep_copy_block(lambda: ck.InvertedResidual(16, 16, name="m")),
        ),
        valid("keras functional BiFPN on Input((None, None, C))", functional_bifpn),
        valid(
            "keras port_weights copies (no shared memory)",
            port_weights_does_not_share_memory,
        ),
        valid(
            "keras port_weights: ECA kernel_size=3 vs adaptive 3",
            port_weights_resolved({"kernel_size": 3}, {}, "ECAModule"),
        ),
        valid(
            "keras port_weights: SE reduction=4 vs hidden_channels=4",
            port_weights_resolved({"reduction": 4}, {"hidden_channels": 4}, "SEModule"),
        ),
        valid("keras train_classifier, last batch of one", train_last_batch_of_one),
        *twin_cases(ck, "keras", tiny_resnet, images, labels),
        valid(
            "keras ResNet float64 with pooling_head()",
            float64_heads(ck.pooling_head("gem")),
        ),
        valid(
            "keras ResNet float64 with dual_pool_head()",
            float64_heads(ck.dual_pool_head()),
        ),
        invalid(
            "keras global_pool(x, 'mean')",
            lambda: ck.global_pool(x, "mean"),
            "pool_type",
        ),
        invalid(
            "keras upsample_to(x, 100, 100)",
            lambda: ck.upsample_to(x, 100, 100),
            "height",
        ),
        invalid(
            "keras WeightedFusion of mismatched shapes",
            lambda: ck.WeightedFusion(2, name="m")([x, x[..., :8]]),
            "shape",
        ),
        invalid(
            "keras WeightedFusion.normalized_weights() unbuilt",
            normalized_weights_unbuilt,
            "built",
        ),
        invalid(
            "keras BiFPN given one tensor",
            lambda: ck.BiFPN((16, 16), 8, 1, 3, name="m")(x),
            "list",
        ),
        invalid(
            "keras BiFPN with mixed batch sizes",
            lambda: ck.BiFPN((16, 16), 8, 1, 3, name="m")(
                [x[:, :4, :4], np.zeros((3, 2, 2, 16), "float32")]
            ),
            "batch",
        ),
        invalid(
            "keras ClassifierHead(8, 3) on H = 0",
            lambda: built(lambda: ck.ClassifierHead(16, 3, name="m"))(x[:, :0]),
            "empty",
        ),
        invalid(
            "keras ClassifierHead on a bool map",
            lambda: ck.ClassifierHead(16, 3, name="m")(x > 0),
            "floating",
        ),
        invalid(
            "keras BasicBlock built channels-first",
            lambda: ck.BasicBlock(16, 16, name="m").build((None, 16, 5, 7)),
            "channels",
        ),
    ]
    return cases


def _jax_x64() -> bool:
    import jax

    return bool(jax.config.jax_enable_x64)


def twin_cases(f, label: str, tiny_resnet, images, labels) -> list:
    """Bad inputs refused alike by both frameworks: `f` is cnn_attention.torch or
    cnn_attention.keras, `images` and `labels` in its layout, `tiny_resnet(**kwargs)`
    a small ResNet of `f`."""

    def train(**arguments):
        arguments = {"epochs": 1, "progress": False, **arguments}
        return lambda: f.train_classifier(tiny_resnet(), images, **arguments)

    return [
        invalid(
            f"{label} accuracy with 5 labels for 12 images",
            lambda: f.accuracy(tiny_resnet(), images, labels[:5]),
            "labels",
        ),
        invalid(
            f"{label} train_classifier(seed=True)",
            train(labels=labels, seed=True),
            "seed",
        ),
        invalid(
            f"{label} train_classifier(seed=-1)", train(labels=labels, seed=-1), "seed"
        ),
        invalid(
            f"{label} train_classifier(progress='no')",
            train(labels=labels, progress="no"),
            "progress",
        ),
        invalid(
            f"{label} train_classifier labels out of range",
            train(labels=labels + 3),
            "labels",
        ),
        invalid(f"{label} GeM(eps=1e-300)", lambda: f.GeM(8, eps=1e-300), "eps"),
        invalid(f"{label} GeM(p=1e300)", lambda: f.GeM(8, p=1e300), "p"),
        invalid(
            f"{label} create_attention(None, -5)",
            lambda: f.create_attention(None, -5),
            "channels",
        ),
        invalid(
            f"{label} create_attention(None, 8, reduction=4)",
            lambda: f.create_attention(None, 8, reduction=4),
            "reduction",
        ),
        invalid(
            f"{label} create_attention('se', 8.0)",
            lambda: f.create_attention("se", 8.0),
            "channels",
        ),
        invalid(
            f"{label} register_attention(5)", lambda: f.register_attention(5), "name"
        ),
        invalid(
            f"{label} register_attention('')", lambda: f.register_attention(""), "name"
        ),
        invalid(
            f"{label} CBAM(spatial=False, spatial_pools=5)",
            lambda: f.CBAM(16, 4, spatial=False, spatial_pools=5),
            "spatial_pools",
        ),
        invalid(
            f"{label} CBAM(spatial=False, kernel_size=4)",
            lambda: f.CBAM(16, 4, spatial=False, kernel_size=4),
            "kernel_size",
        ),
        invalid(
            f"{label} CBAM(spatial_norm='yes')",
            lambda: f.CBAM(16, 4, spatial_norm="yes"),
            "spatial_norm",
        ),
        invalid(
            f"{label} resnet18(head='gem')", lambda: f.resnet18(10, head="gem"), "head"
        ),
        invalid(
            f"{label} ConvNormAct(activation='')",
            lambda: f.ConvNormAct(4, 8, activation=""),
            "activation",
        ),
        invalid(
            f"{label} ConvNormAct(activation=False)",
            lambda: f.ConvNormAct(4, 8, activation=False),
            "activation",
        ),
    ]


def layers_to_try(framework, **options) -> dict:
    """{name: a function making it} for the layers whose valid uses are tried:
    `framework` is cnn_attention.torch or cnn_attention.keras (same names and
    arguments); `options` go to every constructor (a Keras name)."""
    f = framework
    return {
        "se": lambda: f.SEModule(16, 4, **options),
        "eca": lambda: f.ECAModule(16, **options),
        "cbam": lambda: f.CBAM(16, 4, **options),
        "cbam parallel": lambda: f.CBAM(16, 4, arrangement="parallel", **options),
        "coord": lambda: f.CoordinateAttention(16, 4, **options),
        "channel gate": lambda: f.ChannelGate(16, 4, **options),
        "spatial gate": lambda: f.SpatialGate(**options),
        "gem": lambda: f.GeM(16, **options),
        "global pool catavgmax": lambda: f.GlobalPool(16, "catavgmax", **options),
        "pooling head gem": lambda: f.PoolingHead(16, 3, "gem", **options),
        "dual pool head": lambda: f.DualPoolHead(16, 3, **options),
        "classifier head": lambda: f.ClassifierHead(16, 3, **options),
        "conv norm act": lambda: f.ConvNormAct(16, 8, **options),
        "basic block se": lambda: f.BasicBlock(16, 16, attention="se", **options),
        "bottleneck cbam": lambda: f.Bottleneck(16, 4, attention="cbam", **options),
        "inverted residual coord": lambda: f.InvertedResidual(
            16, 16, attention="coord", **options
        ),
        "extra level": lambda: f.ExtraLevel(16, 8, **options),
        "channel adapter": lambda: f.ChannelAdapter(16, 8, **options),
    }


def main(argv: list) -> None:
    kinds = argv[1:] or ["keras"]
    cases = []
    for kind in kinds:
        cases += {
            "keras": keras_cases,
            "torch": torch_cases,
            "free": framework_free_cases,
        }[kind]()
    print(json.dumps(run_cases(cases)))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(sys.argv)

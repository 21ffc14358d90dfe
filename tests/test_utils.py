"""The shared helpers of chapter 1 (cnn_attention.utils) and the exporter that writes the package."""

import importlib.util
import json
from pathlib import Path

import keras
import numpy as np
import pytest
import torch
from keras import layers
from torch import nn

from cnn_attention.utils import (
    check_feature_map,
    check_shape,
    count_parameters,
    max_abs_diff,
    port_weights,
    seed_everything,
    to_channels_first,
    to_channels_last,
    torch_weight_to_keras,
)

ROOT = Path(__file__).resolve().parents[1]


def test_seed_everything_makes_both_frameworks_repeat():
    seed_everything(3)
    first = (torch.rand(3), keras.random.uniform((3,)), np.random.rand(3))
    seed_everything(3)
    second = (torch.rand(3), keras.random.uniform((3,)), np.random.rand(3))
    for a, b in zip(first, second):
        assert max_abs_diff(a, b) == 0


def test_check_shape_returns_the_shape_and_accepts_none_as_any_size():
    assert check_shape(torch.zeros(2, 8, 1, 1), (2, 8, 1, 1)) == (2, 8, 1, 1)
    assert check_shape(np.zeros((2, 3)), (None, 3)) == (2, 3)
    with pytest.raises(ValueError, match=r"expected shape \(2, 8\), got \(2, 8, 1\)"):
        check_shape(torch.zeros(2, 8, 1), (2, 8))


def test_check_feature_map_accepts_shapes_with_unknown_batch():
    check_feature_map((None, 5, 7, 8), 8, channels_last=True, layer="x")
    with pytest.raises(
        ValueError,
        match=r"layer x was built for 8 channels but got 3 .* \(N, C, H, W\)",
    ):
        check_feature_map((None, 3, 5, 7), 8, channels_last=False, layer="layer x")


def test_count_parameters_counts_trainable_weights_in_both_frameworks():
    dense = layers.Dense(4, name="dense")
    dense.build((None, 3))
    assert count_parameters(nn.Linear(3, 4)) == count_parameters(dense) == 16
    batch_norm = layers.BatchNormalization(name="bn")
    batch_norm.build((None, 5))
    assert (
        count_parameters(nn.BatchNorm1d(5)) == count_parameters(batch_norm) == 10
    )  # statistics excluded
    with pytest.raises(
        ValueError, match="expects a torch.nn.Module or a Keras layer, got list"
    ):
        count_parameters([1, 2])


def test_layout_conversions_are_inverse():
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    assert to_channels_last(x).shape == (2, 4, 5, 3)
    np.testing.assert_array_equal(to_channels_first(to_channels_last(x)), x)
    with pytest.raises(
        ValueError,
        match=r"cannot compare arrays of shapes \(2, 3, 4, 5\) and \(2, 4, 5, 3\)",
    ):
        max_abs_diff(x, to_channels_last(x))


@pytest.mark.parametrize(
    "torch_shape, keras_shape",
    [
        ((5,), (5,)),
        ((4, 3), (3, 4)),
        ((4, 3, 5), (5, 3, 4)),
        ((4, 3, 5, 7), (5, 7, 3, 4)),
        ((6, 1, 3, 3), (3, 3, 6, 1)),  # depthwise
        ((4, 3, 1, 1), (3, 4)),  # 1x1 conv into a Dense kernel
    ],
)
def test_torch_weight_to_keras_layout_rules(torch_shape, keras_shape):
    weight = np.random.default_rng(0).normal(size=torch_shape)
    converted = torch_weight_to_keras(weight, keras_shape)
    assert converted.shape == keras_shape
    assert sorted(converted.ravel()) == sorted(
        weight.ravel()
    )  # a permutation, nothing lost


def test_torch_weight_to_keras_refuses_shapes_no_rule_explains():
    with pytest.raises(
        ValueError,
        match=r"no layout rule turns a PyTorch weight of shape \(4, 3\) into Keras shape",
    ):
        torch_weight_to_keras(np.zeros((4, 3)), (4, 4))


@pytest.mark.parametrize(
    "make_torch, make_keras, input_shape",
    [
        (
            lambda: nn.Conv2d(3, 4, 3, padding=1),
            lambda: layers.Conv2D(4, 3, padding="same", name="conv"),
            (2, 3, 7, 5),
        ),
        (
            lambda: nn.Conv1d(3, 4, 5, padding=2),
            lambda: layers.Conv1D(4, 5, padding="same", name="conv"),
            (2, 3, 9),
        ),
        (
            lambda: nn.Conv2d(6, 6, 3, padding=1, groups=6),
            lambda: layers.DepthwiseConv2D(3, padding="same", name="depthwise"),
            (2, 6, 5, 7),
        ),
    ],
)
def test_port_weights_makes_layers_agree(make_torch, make_keras, input_shape):
    torch.manual_seed(0)
    torch_layer, keras_layer = make_torch(), make_keras()
    x = torch.randn(*input_shape)
    keras_layer(to_channels_last(x))  # build
    table = port_weights(torch_layer, keras_layer)
    assert [name for name, _, _ in table] == ["weight", "bias"]
    assert (
        max_abs_diff(
            torch_layer(x), to_channels_first(keras_layer(to_channels_last(x)))
        )
        <= 1e-5
    )


def test_port_weights_tells_when_the_keras_layer_is_not_built():
    with pytest.raises(
        ValueError,
        match=r"PyTorch has 2 tensors .* Keras has 0 weights .*not built yet",
    ):
        port_weights(nn.Linear(3, 4), layers.Dense(4, name="dense"))


def test_port_weights_skips_batchnorm_counter_and_keeps_statistics():
    torch_bn = nn.BatchNorm1d(3)
    torch_bn.running_mean.fill_(0.5)
    keras_bn = layers.BatchNormalization(name="bn")
    keras_bn.build((None, 3))
    table = port_weights(torch_bn, keras_bn)
    assert [name for name, _, _ in table] == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
    ]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras_bn.moving_mean), 0.5)


def load_exporter():
    spec = importlib.util.spec_from_file_location(
        "export_package", ROOT / "tools" / "export_package.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_notebook(path, *sources):
    cells = [
        {
            "cell_type": "code",
            "source": source,
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
        for source in sources
    ]
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def test_exporter_routes_cells_by_directive_and_names_every_source(tmp_path):
    exporter = load_exporter()
    first = write_notebook(
        tmp_path / "01_a.ipynb",
        "#| export torch.se\nimport torch\n\nclass SEModule: pass",
        "print('not exported')",
        "#| export helpers\nVALUE = 1\n_private = 2",
    )
    second = write_notebook(
        tmp_path / "02_b.ipynb", "#| export helpers\ndef helper():\n    return VALUE"
    )
    files = {
        path.relative_to(exporter.ROOT).as_posix(): text
        for path, text in exporter.render_modules([first, second]).items()
    }
    assert set(files) == {
        "cnn_attention/torch/se.py",
        "cnn_attention/torch/__init__.py",
        "cnn_attention/helpers.py",
    }
    helpers = files["cnn_attention/helpers.py"]
    assert helpers.startswith(
        "# This file was generated from notebooks/01_a.ipynb\n#   and notebooks/02_b.ipynb"
        " — do not edit."
    )
    assert (
        "VALUE = 1" in helpers
        and "def helper" in helpers
        and "not exported" not in helpers
    )
    assert helpers.endswith("__all__ = [\n    'VALUE',\n    'helper',\n]\n")
    assert "from .se import SEModule" in files["cnn_attention/torch/__init__.py"]


def test_exporter_check_mode_passes_on_the_committed_package():
    assert load_exporter().main(["--check"]) == 0


def test_exporter_refuses_a_directive_it_cannot_route(tmp_path):
    notebook = write_notebook(
        tmp_path / "01_a.ipynb", "#| export torch.layers.se\nVALUE = 1"
    )
    with pytest.raises(
        ValueError, match=r"01_a.ipynb: bad directive '#\| export torch.layers.se'"
    ):
        load_exporter().render_modules([notebook])

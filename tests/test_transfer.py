"""copy_matching_weights: Keras's counterpart of load_state_dict(strict=False)."""

import keras
import numpy as np
import pytest

import cnn_attention.keras as ck
from cnn_attention.keras.transfer import copy_matching_weights

IMAGES = np.random.default_rng(0).random((2, 12, 12, 1)).astype("float32")


def built(attention=None, classes=3, build=True):
    """conv - attention (or none) - pooling - classes, with explicit layer names."""
    layers = [ck.ConvNormAct(1, 8, 3, name="conv")]
    if attention:
        options = {"reduction": 4} if attention == "se" else {}
        layers.append(ck.create_attention(attention, 8, name="attention", **options))
    layers += [
        keras.layers.GlobalAveragePooling2D(name="pool"),
        keras.layers.Dense(classes, name="classes"),
    ]
    model = keras.Sequential(layers, name="network")
    if build:
        model(IMAGES)
    return model


def test_a_plain_network_loads_into_one_with_attention_leaving_only_it_missing():
    plain, with_se = built(), built("se")
    report = copy_matching_weights(plain, with_se)
    assert report["unexpected"] == []
    assert len(report["missing"]) == 4  # SE's two kernels and two biases
    assert all("/attention/" in path for path in report["missing"])
    assert len(report["copied"]) == len(plain.weights)
    sources = {variable.path: variable for variable in plain.weights}
    for path in report["copied"]:
        target = next(v for v in with_se.weights if v.path == path)
        np.testing.assert_array_equal(target.numpy(), sources[path].numpy())


def test_the_other_way_the_attention_is_unexpected():
    report = copy_matching_weights(built("eca"), built())
    assert report["missing"] == []
    assert len(report["unexpected"]) == 1  # ECA's one kernel
    assert "/attention/" in report["unexpected"][0]


def test_refusals():
    with pytest.raises(ValueError, match="not built yet"):
        copy_matching_weights(built(), built(build=False))
    with pytest.raises(ValueError, match="must be a Keras model or layer"):
        copy_matching_weights({"weights": []}, built())
    with pytest.raises(ValueError, match="shape"):  # another layer at the same path
        copy_matching_weights(built(), built(classes=4))

"""The closing chapter's pieces: the Keras training loop (the PyTorch loop's twin), its
refusals, and the results file the chapter reads (benchmarks/which_attention.py).
"""

import json
import math
from importlib.resources import files

import numpy as np
import pytest
import torch

from cnn_attention.data import cluttered_digits
from cnn_attention.keras.resnet import ResNet as KerasResNet
from cnn_attention.keras.training import accuracy as keras_accuracy
from cnn_attention.keras.training import train_classifier as keras_train
from cnn_attention.torch.resnet import ResNet
from cnn_attention.torch.training import train_classifier
from cnn_attention.utils import compare_torch_keras, seed_everything, to_channels_last

TINY = dict(
    block="basic",
    layers=(1, 1),
    widths=(16, 32),
    num_classes=10,
    in_channels=1,
    stem="small",
)
MODULES = ("none", "SE", "ECA", "CBAM", "CA")
TASKS = ("plain", "cluttered")


@pytest.fixture(scope="module")
def digits():
    images, labels, _ = cluttered_digits(192, "train", seed=0)
    return images, labels


@pytest.fixture(scope="module")
def results():
    path = files("cnn_attention") / "results" / "which_attention.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("attention", ["se", "cbam"])
def test_keras_training_follows_pytorch_from_the_same_weights(digits, attention):
    """Same weights, same batches, same optimizer: two epochs agree to a few 1e-3."""
    images, labels = digits
    seed_everything(0)
    torch_model = ResNet(**TINY, attention=attention)
    keras_model = KerasResNet(**TINY, attention=attention, name="tiny")
    assert compare_torch_keras(torch_model, keras_model, images[:4]) < 1e-5
    options = dict(epochs=2, batch_size=32, seed=3, progress=False)
    torch_losses = train_classifier(torch_model, images, labels, **options)
    keras_losses = keras_train(keras_model, to_channels_last(images), labels, **options)
    assert len(keras_losses) == 2 and keras_losses[1] < keras_losses[0]
    np.testing.assert_allclose(keras_losses, torch_losses, atol=5e-3)
    # and the trained models still compute nearly the same function
    torch_model.eval()
    with torch.no_grad():
        torch_logits = torch_model(torch.as_tensor(images[:16])).numpy()
    keras_logits = keras_model(to_channels_last(images[:16]), training=False)
    assert np.abs(np.asarray(keras_logits) - torch_logits).max() < 0.05


def test_keras_accuracy_counts_correct_predictions(digits):
    images, labels = digits
    model = KerasResNet(**TINY, name="tiny")
    model.build((None, 32, 32, 1))
    predicted = np.argmax(model.predict(to_channels_last(images), verbose=0), axis=1)
    expected = float((predicted == labels).mean())
    assert keras_accuracy(model, to_channels_last(images), labels) == expected
    assert keras_accuracy(model, to_channels_last(images), predicted) == 1.0


@pytest.mark.parametrize(
    "options, message",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": True}, "epochs"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"learning_rate": math.nan}, "learning_rate"),
        ({"learning_rate": math.inf}, "learning_rate"),
    ],
)
def test_keras_training_refuses_bad_arguments(digits, options, message):
    images, labels = digits
    model = KerasResNet(**TINY, name="tiny")
    with pytest.raises(ValueError, match=message):
        keras_train(model, to_channels_last(images), labels, progress=False, **options)


def test_keras_training_refuses_mismatched_or_empty_data(digits):
    images, labels = digits
    model = KerasResNet(**TINY, name="tiny")
    with pytest.raises(ValueError, match="as many labels as images"):
        keras_train(model, to_channels_last(images), labels[:-1], progress=False)
    with pytest.raises(ValueError, match="at least one"):
        keras_train(model, to_channels_last(images[:0]), labels[:0], progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        keras_accuracy(model, to_channels_last(images), labels, batch_size=0)


def test_results_file_has_every_configuration_with_its_seeds(results):
    seeds = results["protocol"]["seeds"]
    assert seeds >= 5
    expected = {f"{m} | {t}" for m in MODULES for t in TASKS}
    expected |= {f"{m} | cluttered | catavgmax head" for m in MODULES}
    assert set(results["accuracy"]) == expected
    for name, row in results["accuracy"].items():
        runs = row["accuracy"]
        assert len(runs) == seeds and all(0.0 <= a <= 1.0 for a in runs), name
        assert row["mean"] == pytest.approx(np.mean(runs), abs=1e-4), name
        assert row["std"] == pytest.approx(np.std(runs, ddof=1), abs=1e-4), name
        assert row["train_seconds"] > 0


def test_results_costs_match_the_networks_built_now(results):
    """Parameters in the file are those of today's code, and the ratios add up."""
    from cnn_attention.utils import count_parameters

    network = dict(TINY, layers=(1, 1, 1), widths=(16, 32, 64))
    attentions = dict(zip(MODULES, (None, "se", "eca", "cbam", "coord")))
    costs = results["costs"]
    assert list(costs) == list(MODULES)
    for name, attention in attentions.items():
        model = ResNet(**network, attention=attention)
        assert costs[name]["parameters"] == count_parameters(model), name
        ratio = costs[name]["latency_ms"] / costs["none"]["latency_ms"]
        assert costs[name]["latency_ratio"] == pytest.approx(ratio, abs=2e-3)
    assert costs["none"]["latency_ratio"] == 1.0


def test_results_keras_comparison_and_maps_are_complete(results):
    comparison = results["keras"]
    epochs = results["protocol"]["epochs"]
    assert len(comparison["torch_losses"]) == len(comparison["keras_losses"]) == epochs
    assert comparison["initial_difference"] < 1e-5
    differences = np.subtract(comparison["keras_losses"], comparison["torch_losses"])
    assert np.abs(differences).max() < 0.05
    maps = results["maps"]
    assert len(maps["labels"]) == len(maps["boxes"]) == 6
    for module in ("SE", "ECA"):
        assert np.shape(maps[module]) == (10, 64)
        assert 0.0 <= np.min(maps[module]) and np.max(maps[module]) <= 1.0
    assert np.shape(maps["CBAM"]["stage2"]) == (6, 16, 16)
    assert np.shape(maps["CBAM"]["stage3"]) == (6, 8, 8)
    assert np.shape(maps["CA"]["stage2"]["a_h"]) == (6, 16)
    assert np.shape(maps["CA"]["stage3"]["a_w"]) == (6, 8)

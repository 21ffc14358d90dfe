"""CBAM beyond the shared standard: the official code and the seeds reproduced, the
loaders of their checkpoints, the cost formulas, the digits data and the training loop.
"""

import numpy as np
import pytest
import torch
from torch import nn

import cnn_attention.keras as keras_modules
import cnn_attention.torch as torch_modules
from cnn_attention.costs import cbam_multiply_adds, cbam_parameters
from cnn_attention.data import cluttered_digits, source_digits
from cnn_attention.reference import cbam_official, seed_003, seed_004_cbam
from cnn_attention.reference.seed_003_ablation import VARIANTS
from cnn_attention.torch.cbam import (
    global_pool,
    official_cbam_keys,
    official_resnet_keys,
    seed_cbam_keys,
)
from cnn_attention.torch.testing import randomize
from cnn_attention.torch.training import accuracy, predict, train_classifier
from cnn_attention.utils import count_parameters, max_abs_diff

FRAMEWORKS = {"torch": torch_modules, "keras": keras_modules}


@pytest.mark.parametrize(
    "pools", [["avg"], ["max"], ["lp"], ["lse"], ["avg", "max"], ["lse", "lp", "max"]]
)
@pytest.mark.parametrize("no_spatial", [False, True])
def test_our_cbam_reproduces_the_official_module(pools, no_spatial):
    torch.manual_seed(0)
    official = randomize(cbam_official.CBAM(32, 16, pools, no_spatial))
    ours = torch_modules.CBAM(32, pool_types=pools, spatial=not no_spatial).eval()
    ours.load_state_dict(official_cbam_keys(official.state_dict()))
    x = torch.randn(2, 32, 9, 7)
    with torch.no_grad():
        assert max_abs_diff(official(x), ours(x)) <= 1e-5


@pytest.mark.parametrize(
    "depth, kind, size",
    [(18, "CIFAR10", 32), (34, "CIFAR100", 32), (50, "ImageNet", 224)],
)
def test_our_resnets_load_official_cbam_resnets(depth, kind, size):
    torch.manual_seed(depth)
    official = randomize(cbam_official.ResidualNet(kind, depth, 7, "CBAM"))
    factory = {18: torch_modules.resnet18, 34: torch_modules.resnet34}
    stem = "imagenet" if kind == "ImageNet" else "small"
    ours = factory.get(depth, torch_modules.resnet50)(
        num_classes=7, attention="cbam", stem=stem
    ).eval()
    # a checkpoint saved through nn.DataParallel: every key starts with "module."
    wrapped = {f"module.{key}": value for key, value in official.state_dict().items()}
    ours.load_state_dict(official_resnet_keys(wrapped))
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        assert max_abs_diff(official(x), ours(x)) <= 1e-4
    assert count_parameters(official) == count_parameters(ours)


def test_the_official_resnet_starts_its_spatial_gates_at_one_half():
    official = cbam_official.ResidualNet("CIFAR10", 18, 10, "CBAM")
    weights = [
        v
        for k, v in official.state_dict().items()
        if "SpatialGate.spatial.bn.weight" in k
    ]
    assert len(weights) == 8 and all((w == 0).all() for w in weights)


@pytest.mark.parametrize(
    "loader, bad_key",
    [
        (official_cbam_keys, "ChannelGate.mlp.2.weight"),
        (official_resnet_keys, "layer1.0.se.fc.weight"),
        (seed_cbam_keys, "ca.fc3.weight"),
    ],
)
def test_loaders_name_an_unexpected_key(loader, bad_key):
    with pytest.raises(ValueError, match=rf"unexpected key '{bad_key}'"):
        loader({bad_key: torch.zeros(1)})


def test_seed_003_cbam_loads_into_ours_configured_like_it():
    torch.manual_seed(0)
    theirs = seed_003.CBAM(64, kernel_size=7).eval()
    ours = torch_modules.CBAM(
        64, bias=False, spatial_pools=("avg", "max"), spatial_norm=False
    ).eval()
    ours.load_state_dict(seed_cbam_keys(theirs.state_dict()))
    x = torch.randn(2, 64, 9, 9)
    with torch.no_grad():
        assert max_abs_diff(theirs(x), ours(x)) <= 1e-6


def test_seed_004_basic_block_attention_loads_into_ours():
    torch.manual_seed(0)
    block = seed_004_cbam.BasicBlock(64, 64).eval()
    pair = {k: v for k, v in block.state_dict().items() if k.startswith(("ca.", "sa."))}
    ours = torch_modules.CBAM(
        64, bias=False, spatial_pools=("avg", "max"), spatial_norm=False
    ).eval()
    ours.load_state_dict(seed_cbam_keys(pair))
    x = torch.randn(2, 64, 8, 8)
    with torch.no_grad():
        expected = block.ca(x) * x
        expected = block.sa(expected) * expected
        assert max_abs_diff(expected, ours(x)) <= 1e-6


def test_seed_003_slips():
    assert seed_003.CBAM(64).spatialattention.conv1.kernel_size == (3, 3)
    assert seed_003.SpatialAttention().conv1.kernel_size == (7, 7)
    with pytest.raises(AssertionError, match="kernel size must be 3 or 7"):
        seed_003.SpatialAttention(5)
    assert [seed_003.get_ratio(c) for c in (16, 64, 256)] == [4, 4, 16]


def test_seed_003_parallel_fusion_is_x_times_one_plus_both_gates():
    torch.manual_seed(0)
    module = seed_003.CBAMParallel(32).eval()
    x = torch.randn(2, 32, 6, 6)
    with torch.no_grad():
        pooled = [x.mean((2, 3), keepdim=True), x.amax((2, 3), keepdim=True)]
        mc = torch.sigmoid(sum(module.ca.fc(p) for p in pooled))
        maps = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)
        ms = torch.sigmoid(module.sa.conv(maps))
        assert max_abs_diff(module(x), x * (1 + mc + ms)) <= 1e-5


def test_batch_norm_after_global_pooling_refuses_a_batch_of_one():
    module = VARIANTS["1: separate MLPs + BN"](64).train()
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        module(torch.randn(1, 64, 8, 8))
    torch_modules.CBAM(64).train()(torch.randn(1, 64, 8, 8))  # the official design


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_seed_003_variant_fits_the_digits_network(name):
    model = torch_modules.ResNet(
        "basic",
        (1, 1),
        (16, 32),
        num_classes=10,
        in_channels=1,
        stem="small",
        attention=VARIANTS[name],
    )
    assert tuple(model(torch.zeros(2, 1, 16, 16)).shape) == (2, 10)


@pytest.mark.parametrize("pool_type", ["avg", "max", "lp", "lse"])
def test_global_pools_match_the_official_formulas(pool_type):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 7)
    official = {
        "avg": lambda t: nn.functional.avg_pool2d(t, (5, 7)),
        "max": lambda t: nn.functional.max_pool2d(t, (5, 7)),
        "lp": lambda t: nn.functional.lp_pool2d(t, 2, (5, 7)),
        "lse": cbam_official.logsumexp_2d,
    }[pool_type](x).flatten(1)
    assert max_abs_diff(global_pool(x, pool_type), official) <= 1e-5


def test_keras_lp_pool_has_no_nan_gradient_at_a_dead_channel():
    tf = pytest.importorskip("tensorflow")
    from cnn_attention.keras.cbam import global_pool as keras_global_pool

    x = tf.Variable(tf.zeros((1, 4, 4, 2)))
    with tf.GradientTape() as tape:
        y = keras_global_pool(x, "lp")
    assert not np.isnan(tape.gradient(y, x).numpy()).any()


@pytest.mark.parametrize(
    "channels, options",
    [
        (64, {}),
        (256, {"spatial_norm": False}),
        (512, {"kernel_size": 3, "bias": False, "reduction": 8}),
        (128, {"spatial": False}),
        (16, {"hidden_channels": 5}),
    ],
)
def test_cbam_parameters_formula_in_both_frameworks(channels, options):
    keras_layer = keras_modules.CBAM(channels, name="cbam", **options)
    keras_layer.build((None, 5, 5, channels))
    expected = cbam_parameters(channels, **options)
    assert count_parameters(torch_modules.CBAM(channels, **options)) == expected
    assert count_parameters(keras_layer) == expected


def test_cbam_resnet50_has_1600_parameters_more_than_se_resnet50():
    with_cbam = count_parameters(torch_modules.resnet50(attention="cbam"))
    with_se = count_parameters(torch_modules.resnet50(attention="se"))
    assert (with_cbam, with_cbam - with_se) == (28_089_624, 1_600)


def test_cbam_multiply_adds_match_the_hooks():
    module = torch_modules.CBAM(64)
    _, mlp, conv, _ = cbam_multiply_adds(64, 10, 12)
    assert torch_modules.count_multiply_adds(module, (1, 64, 10, 12)) == mlp + conv


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    "options, message",
    [
        ({"pool_types": ()}, r"pool_types must name at least one of"),
        ({"pool_types": "avg"}, r"pool_types must be a list or tuple"),
        ({"pool_types": ("avg", "avg")}, r"pool_types must not repeat a pool"),
        ({"pool_types": ("mean",)}, r"every entry of pool_types must be one of"),
        ({"kernel_size": 4}, r"kernel_size must be odd"),
        ({"kernel_size": 0}, r"kernel_size must be a positive integer"),
        ({"kernel_size": 7.0}, r"kernel_size must be a positive integer"),
        ({"spatial_pools": ("max", "max")}, r"spatial_pools must be \('max', 'avg'\)"),
        ({"arrangement": "series"}, r"arrangement must be one of 'channel_first'"),
        ({"spatial": "no"}, r"spatial must be True or False"),
        ({"spatial_norm": 1}, r"norm must be True or False"),
        ({"reduction": 128}, r"leaves channels // reduction = 64 // 128 = 0 hidden"),
    ],
)
def test_cbam_refuses_bad_arguments(framework, options, message):
    with pytest.raises(ValueError, match=message):
        FRAMEWORKS[framework].CBAM(64, **options)


def test_spatial_gate_takes_any_channel_count_but_checks_the_rest():
    gate = torch_modules.cbam.SpatialGate()
    assert tuple(gate(torch.randn(2, 5, 6, 6)).shape) == (2, 5, 6, 6)
    with pytest.raises(ValueError, match=r"expects a 4-D feature map"):
        gate(torch.randn(2, 5, 6))
    with pytest.raises(ValueError, match=r"expects a floating-point input"):
        gate(torch.ones(2, 5, 6, 6, dtype=torch.int64))


# The digits and the training loop, which later chapters reuse.


def test_source_digits_split_is_disjoint_and_complete():
    train, _ = source_digits("train")
    test, _ = source_digits("test")
    assert (len(train), len(test)) == (1297, 500)
    together = np.concatenate([train, test]).reshape(1797, -1)
    assert len(np.unique(together, axis=0)) == len(np.unique(together, axis=0))
    with pytest.raises(ValueError, match=r"split must be one of 'train', 'test'"):
        source_digits("validation")


def test_cluttered_digits_shapes_boxes_and_determinism():
    images, labels, boxes = cluttered_digits(50, "test", seed=3)
    assert images.shape == (50, 1, 32, 32) and images.dtype == np.float32
    assert labels.shape == (50,) and set(labels) <= set(range(10))
    assert 0 <= images.min() and images.max() <= 1
    assert ((boxes[:, 2:] - boxes[:, :2]) == 16).all()
    assert (boxes >= 0).all() and (boxes <= 32).all()
    again = cluttered_digits(50, "test", seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((images, labels, boxes), again))
    other = cluttered_digits(50, "test", seed=4)
    assert not np.array_equal(images, other[0])


def test_the_digit_is_inside_its_box_and_clutter_outside():
    plain, labels, boxes = cluttered_digits(30, "train", clutter=0, seed=1)
    for image, (top, left, bottom, right) in zip(plain[:, 0], boxes):
        outside = image.copy()
        outside[top:bottom, left:right] = 0
        assert outside.max() == 0 and image[top:bottom, left:right].max() > 0
    cluttered, _, boxes_again = cluttered_digits(30, "train", clutter=6, seed=1)
    np.testing.assert_array_equal(boxes, boxes_again)
    inside = [c[t:b, w:e] for c, (t, w, b, e) in zip(cluttered[:, 0], boxes)]
    clean = [p[t:b, w:e] for p, (t, w, b, e) in zip(plain[:, 0], boxes)]
    assert all(np.array_equal(a, b) for a, b in zip(inside, clean))
    assert cluttered.sum() > plain.sum()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"count": 0}, r"count must be a positive integer"),
        (
            {"count": 4, "canvas_size": 12},
            r"canvas_size=12 cannot hold a 16 x 16 digit",
        ),
        ({"count": 4, "clutter": -1}, r"clutter must be a non-negative int"),
        ({"count": 4, "clutter": True}, r"clutter must be a non-negative int"),
        ({"count": 4, "fragment_size": 17}, r"fragment_size=17 is larger than a digit"),
        ({"count": 4, "split": "val"}, r"split must be one of"),
    ],
)
def test_cluttered_digits_refuses_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        cluttered_digits(**options)


def test_train_classifier_learns_and_repeats():
    images, labels, _ = cluttered_digits(128, "train", clutter=0, seed=0)

    def run():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(32 * 32, 10))
        losses = train_classifier(model, images, labels, epochs=3, progress=False)
        return model, losses

    (model, losses), (_, again) = run(), run()
    assert losses == again and losses[-1] < losses[0]
    assert predict(model, images).shape == (128,)
    assert 0 <= accuracy(model, images, labels) <= 1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"epochs": 0}, r"epochs must be a positive integer"),
        ({"learning_rate": float("nan")}, r"learning_rate must be a finite positive"),
        ({"batch_size": True}, r"batch_size must be a positive integer"),
    ],
)
def test_train_classifier_refuses_bad_arguments(options, message):
    model = nn.Linear(4, 2)
    with pytest.raises(ValueError, match=message):
        train_classifier(model, torch.zeros(8, 4), torch.zeros(8).long(), **options)
    with pytest.raises(ValueError, match=r"as many labels as images"):
        train_classifier(model, torch.zeros(8, 4), torch.zeros(7).long())

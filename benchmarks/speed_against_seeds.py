"""Forward latency of the book's modules against the seeds' code, on the same input.

    python benchmarks/speed_against_seeds.py                 # 8 x 256 x 56 x 56, CPU
    python benchmarks/speed_against_seeds.py --device cuda   # PyTorch rows on a GPU
    python benchmarks/speed_against_seeds.py --only SE        # rows whose name has "SE"

Each pair computes the same function (weights copied, outputs compared before timing),
so the ratio seed / ours measures the formulation alone: above 1 means ours is faster.
Medians of --repeats calls timed in alternation after a warm-up
(cnn_attention.utils.median_milliseconds). Keras rows run eagerly on the TensorFlow
backend, the way the seeds' code is usually called. A chapter that adds a module adds
a builder to PAIR_BUILDERS.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import cnn_attention.keras as keras_modules  # noqa: E402
import cnn_attention.torch as torch_modules  # noqa: E402
from cnn_attention.reference.seed_001 import eca_block, se_block  # noqa: E402
from cnn_attention.reference.seed_004 import SELayer  # noqa: E402
from cnn_attention.torch.se import senet_pytorch_keys  # noqa: E402
from cnn_attention.utils import (  # noqa: E402
    max_abs_diff,
    median_milliseconds,
    seed_everything,
    to_channels_last,
)


def channel_attention_pairs(args):
    """SE and ECA: (name, ours, seed's), PyTorch then Keras."""
    seed_se = SELayer(args.channels, args.reduction)
    our_se = torch_modules.SEModule(args.channels, args.reduction, bias=False)
    our_se.load_state_dict(senet_pytorch_keys(seed_se.state_dict()))
    pool = nn.AdaptiveAvgPool2d(1)

    inputs = keras.Input((None, None, args.channels), name="features")
    seed_se_keras = keras.Model(inputs, se_block(inputs, ratio=args.reduction))
    our_se_keras = keras_modules.SEModule(args.channels, args.reduction, name="se")
    our_se_keras.build((None, None, None, args.channels))
    # the same order: fc1 kernel, bias, fc2 kernel, bias
    our_se_keras.set_weights(seed_se_keras.get_weights())
    seed_eca = keras.Model(inputs, eca_block(inputs), name="seed_eca")
    our_eca = keras_modules.ECAModule(args.channels, name="eca")
    our_eca.build((None, None, None, args.channels))
    our_eca.set_weights(seed_eca.get_weights())
    return [
        ("SE (torch): SEModule vs seed 004 SELayer", our_se, seed_se),
        (
            "pool (torch): x.mean((2, 3)) vs AdaptiveAvgPool2d(1)",
            lambda x: x.mean((2, 3)),
            lambda x: pool(x).flatten(1),
        ),
        ("SE (keras): SEModule vs seed 001 se_block", our_se_keras, seed_se_keras),
        ("ECA (keras): ECAModule vs seed 001 eca_block", our_eca, seed_eca),
    ]


def cbam_pairs(args):
    """CBAM against the official module (seed 000) and seed 003's, same weights."""
    from cnn_attention.reference import cbam_official, seed_003
    from cnn_attention.torch.cbam import official_cbam_keys, seed_cbam_keys

    official = cbam_official.CBAM(args.channels, args.reduction).eval()
    ours_official = torch_modules.CBAM(args.channels, args.reduction).eval()
    ours_official.load_state_dict(official_cbam_keys(official.state_dict()))
    seed = seed_003.CBAM(args.channels, args.reduction, kernel_size=7).eval()
    ours_seed = torch_modules.CBAM(
        args.channels,
        args.reduction,
        bias=False,
        spatial_pools=("avg", "max"),
        spatial_norm=False,
    ).eval()
    ours_seed.load_state_dict(seed_cbam_keys(seed.state_dict()))
    return [
        ("CBAM (torch): CBAM vs official (seed 000)", ours_official, official),
        ("CBAM (torch): CBAM vs seed 003 CBAM", ours_seed, seed),
    ]


def coordinate_attention_pairs(args):
    """Coordinate Attention against the official CoordAtt (its r = 32), same weights."""
    from cnn_attention.reference.coordatt_official import CoordAtt
    from cnn_attention.torch.coordatt import official_coordatt_keys

    official = CoordAtt(args.channels, args.channels).eval()
    ours = torch_modules.CoordinateAttention(args.channels).eval()
    ours.load_state_dict(official_coordatt_keys(official.state_dict()))
    return [("CA (torch): CoordinateAttention vs official CoordAtt", ours, official)]


PAIR_BUILDERS = [channel_attention_pairs, cbam_pairs, coordinate_attention_pairs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--channels", type=int, default=256)
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--reduction", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--device", default="cpu", help="for the PyTorch rows")
    parser.add_argument("--only", default="", help="run the rows whose name has this")
    args = parser.parse_args()

    seed_everything(0)
    x = torch.randn(args.batch, args.channels, args.size, args.size)
    x_keras = keras.ops.convert_to_tensor(to_channels_last(x))
    device = torch.device(args.device)
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    threads = torch.get_num_threads()
    print(
        f"input {tuple(x.shape)} | torch {torch.__version__} on {device}, "
        f"{threads} threads"
    )
    print(
        f"keras {keras.__version__} ({keras.backend.backend()}) | "
        f"median of {args.repeats}\n"
    )
    print(f"{'pair':66} {'ours ms':>9} {'seed ms':>9} {'seed/ours':>10}")

    pairs = [pair for build in PAIR_BUILDERS for pair in build(args)]
    with torch.inference_mode():
        for name, ours, seeds in pairs:
            if args.only not in name:
                continue
            inputs = x_keras
            if "(torch)" in name:
                inputs = x.to(device)
                for module in (ours, seeds):
                    if isinstance(module, nn.Module):
                        module.to(device).eval()
            difference = max_abs_diff(ours(inputs), seeds(inputs))
            if difference > 1e-5:
                raise SystemExit(
                    f"{name}: not the same function (max diff {difference:.2e})"
                )

            def run_ours(function=ours, inputs=inputs):
                function(inputs)
                synchronize()

            def run_seeds(function=seeds, inputs=inputs):
                function(inputs)
                synchronize()

            ours_ms, seed_ms = median_milliseconds(
                run_ours, run_seeds, repeats=args.repeats
            )
            print(f"{name:66} {ours_ms:9.3f} {seed_ms:9.3f} {seed_ms / ours_ms:10.2f}")


if __name__ == "__main__":
    main()

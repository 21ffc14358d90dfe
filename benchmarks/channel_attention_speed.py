"""Forward latency of the book's SE and ECA against the seeds' implementations, on the same input.

    python benchmarks/channel_attention_speed.py                     # 8 x 256 x 56 x 56 on the CPU
    python benchmarks/channel_attention_speed.py --device cuda       # PyTorch rows on a GPU

Each pair computes the same function (weights copied, outputs compared before timing), so the ratio
seed / ours measures formulation alone: above 1 means ours is faster. Medians of --repeats calls after warm-up.
Keras rows run eagerly on the TensorFlow backend (the way the seed's code is usually called).
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
from cnn_attention.keras.seed_code import eca_block, se_block  # noqa: E402
from cnn_attention.torch.seed_code import SELayer  # noqa: E402
from cnn_attention.utils import (
    max_abs_diff,
    median_milliseconds,
    seed_everything,
    to_channels_last,
)  # noqa: E402


def torch_pairs(channels: int, reduction: int):
    """(name, ours, seed's) PyTorch callables computing the same function."""
    seed_se = SELayer(channels, reduction)
    our_se = torch_modules.SEModule(
        channels, reduction, bias=False
    )  # seed 004's SELayer has no biases
    our_se.load_state_dict(
        {"fc1.weight": seed_se.fc[0].weight, "fc2.weight": seed_se.fc[2].weight}
    )
    pool = nn.AdaptiveAvgPool2d(1)
    return [
        ("SE (torch): SEModule vs seed 004 SELayer", our_se, seed_se),
        (
            "global average pool (torch): x.mean((2, 3)) vs AdaptiveAvgPool2d(1)",
            lambda x: x.mean((2, 3)),
            lambda x: pool(x).flatten(1),
        ),
    ]


def keras_pairs(channels: int, reduction: int):
    """(name, ours, seed's) Keras callables computing the same function (seed weights copied into ours)."""
    inputs = keras.Input((None, None, channels), name="features")
    seed_se = keras.Model(inputs, se_block(inputs, ratio=reduction), name="seed_se")
    our_se = keras_modules.SEModule(channels, reduction, name="se")
    our_se.build((None, None, None, channels))
    our_se.set_weights(
        seed_se.get_weights()
    )  # same order: fc1 kernel, bias, fc2 kernel, bias
    seed_eca = keras.Model(inputs, eca_block(inputs), name="seed_eca")
    our_eca = keras_modules.ECAModule(channels, name="eca")
    our_eca.build((None, None, None, channels))
    our_eca.set_weights(seed_eca.get_weights())
    return [
        ("SE (keras): SEModule vs seed 001 se_block", our_se, seed_se),
        ("ECA (keras): ECAModule vs seed 001 eca_block", our_eca, seed_eca),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--channels", type=int, default=256)
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--reduction", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument(
        "--device", default="cpu", help="device for the PyTorch rows (cpu, cuda)"
    )
    args = parser.parse_args()

    seed_everything(0)
    x = torch.randn(args.batch, args.channels, args.size, args.size)
    x_keras = keras.ops.convert_to_tensor(to_channels_last(x))
    device = torch.device(args.device)
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    print(
        f"input {tuple(x.shape)} | torch {torch.__version__} on {device} ({torch.get_num_threads()} threads) | "
        f"keras {keras.__version__} ({keras.backend.backend()}) | median of {args.repeats}\n"
    )
    print(f"{'pair':72} {'ours ms':>9} {'seed ms':>9} {'seed/ours':>10}")

    rows = [
        (name, ours, seeds, x.to(device))
        for name, ours, seeds in torch_pairs(args.channels, args.reduction)
    ]
    rows += [
        (name, ours, seeds, x_keras)
        for name, ours, seeds in keras_pairs(args.channels, args.reduction)
    ]
    with torch.inference_mode():
        for name, ours, seeds, inputs in rows:
            if isinstance(ours, nn.Module):
                ours.to(device), seeds.to(device)
            difference = max_abs_diff(ours(inputs), seeds(inputs))
            if difference > 1e-5:
                raise SystemExit(
                    f"{name}: the two do not compute the same function (max diff {difference:.2e})"
                )
            ours_ms, seed_ms = median_milliseconds(
                lambda: (ours(inputs), synchronize()),
                lambda: (seeds(inputs), synchronize()),
                repeats=args.repeats,
                warmup=max(3, args.repeats // 10),
            )
            print(f"{name:72} {ours_ms:9.3f} {seed_ms:9.3f} {seed_ms / ours_ms:10.2f}")


if __name__ == "__main__":
    main()

"""Forward latency of the book's modules: against the seeds' and the official code,
against each module's memory floor, and before/after the package's one-tensor rescaling;
PyTorch eager, and the Keras layers on TensorFlow (eager, tf.function, XLA), JAX (jit)
and torch.

    python benchmarks/speed_against_seeds.py          # 8 x 256 x 56 x 56, writes it
    python benchmarks/speed_against_seeds.py --quick  # small maps, few rounds
    python benchmarks/speed_against_seeds.py --device cuda --output /tmp/gpu.json

Pairs. Each row times two callables in alternating rounds
(cnn_attention.utils.timed_rounds; the order swaps every round) and reports both
medians and the median of the per-round ratios other / ours (above 1: ours is faster).
Every pair is first checked to compute the same function (weights copied). "two
tensors" is the package's own module as it was before issue 19: x * Mc * Ms (CBAM) and
x * a_w * a_h (Coordinate Attention) in two out-of-place products, where the package now
writes the second product into the first (cnn_attention.torch.scaling.multiply_into).

Memory floor. The least memory traffic a module needs, in copies of x (one copy = read
x once and write it once), times a measured copy, torch.mul(x, 1, out=buffer): SE and
ECA 1.5 (read x for the pool; read x and write the output), CBAM 2 (one more read: the
channel pools of x * Mc), Coordinate Attention 1.5 (both directional pools in one
read). The floor's copy is timed in alternation with the module.

Allocators. "default" is glibc's malloc as it comes: a freed tensor this large may go
back to the operating system, and the next one's pages are faulted in again, one by
one. "retain" sets mallopt's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD to 1 GiB, as
MALLOC_TRIM_THRESHOLD_ / MALLOC_MMAP_THRESHOLD_ in the environment would: freed memory
stays with the process (Linux with glibc only; elsewhere the part is skipped). PyTorch
rows run under both, in that order; page faults per round are counted by getrusage.

Keras rows run in one subprocess per backend (KERAS_BACKEND is fixed at import), with
the default allocator, each layer timed in alternation with its floor's copy.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import keras  # noqa: E402
import torch  # noqa: E402
from provenance import Run  # noqa: E402

import cnn_attention.keras as keras_modules  # noqa: E402
import cnn_attention.torch as torch_modules  # noqa: E402
from cnn_attention.reference.seed_001 import eca_block, se_block  # noqa: E402
from cnn_attention.reference.seed_004 import SELayer  # noqa: E402
from cnn_attention.torch.se import senet_pytorch_keys  # noqa: E402
from cnn_attention.utils import max_abs_diff, seed_everything, timed_rounds  # noqa: E402

OUTPUT = (
    Path(__file__).resolve().parents[1]
    / "cnn_attention/results/speed_against_seeds.json"
)
FLOOR_COPIES = {"SE": 1.5, "ECA": 1.5, "CBAM": 2.0, "CA": 1.5}
KERAS_BACKENDS = {
    "tensorflow": ["eager", "tf.function", "xla"],
    "jax": ["jit"],
    "torch": ["eager"],
}
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def retain_freed_memory() -> bool:
    """Keep freed memory in the process (glibc only); False where that is impossible."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    one_gib = 1 << 30
    return bool(libc.mallopt(M_TRIM_THRESHOLD, one_gib)) and bool(
        libc.mallopt(M_MMAP_THRESHOLD, one_gib)
    )


def minor_page_faults() -> int:
    try:
        import resource
    except ImportError:  # not on Windows
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def two_tensor_cbam(module):
    """The package's CBAM as it was: x * Mc, then a second full-size product * Ms."""
    return lambda x: module.spatial_gate(module.channel_gate(x))


def two_tensor_coordinate_attention(module):
    def forward(x):
        a_h, a_w = module.attention(x)
        return x * a_w * a_h

    return forward


def torch_pairs(args):
    """(module, other's name, ours, other) for the PyTorch rows; None = the floor."""
    from cnn_attention.reference import cbam_official, seed_003
    from cnn_attention.reference.coordatt_official import CoordAtt
    from cnn_attention.torch.cbam import official_cbam_keys, seed_cbam_keys
    from cnn_attention.torch.coordatt import official_coordatt_keys

    c, r = args.channels, args.reduction
    seed_se = SELayer(c, r).eval()
    our_se = torch_modules.SEModule(c, r, bias=False).eval()
    our_se.load_state_dict(senet_pytorch_keys(seed_se.state_dict()))
    our_eca = torch_modules.ECAModule(c).eval()

    official_cbam = torch_modules.randomize(cbam_official.CBAM(c, r)).eval()
    our_cbam = torch_modules.CBAM(c, r).eval()
    our_cbam.load_state_dict(official_cbam_keys(official_cbam.state_dict()))
    seed_cbam = seed_003.CBAM(c, r, kernel_size=7).eval()
    our_seed_cbam = torch_modules.CBAM(
        c, r, bias=False, spatial_pools=("avg", "max"), spatial_norm=False
    ).eval()
    our_seed_cbam.load_state_dict(seed_cbam_keys(seed_cbam.state_dict()))

    official_ca = torch_modules.randomize(CoordAtt(c, c)).eval()
    our_ca = torch_modules.CoordinateAttention(c).eval()
    our_ca.load_state_dict(official_coordatt_keys(official_ca.state_dict()))
    return [
        ("SE", "memory floor", our_se, None),
        ("SE", "seed 004 SELayer", our_se, seed_se),
        ("ECA", "memory floor", our_eca, None),
        ("CBAM", "memory floor", our_cbam, None),
        ("CBAM", "two tensors (before)", our_cbam, two_tensor_cbam(our_cbam)),
        ("CBAM", "official (seed 000)", our_cbam, official_cbam),
        ("CBAM", "seed 003 CBAM (7 x 7)", our_seed_cbam, seed_cbam),
        ("CA", "memory floor", our_ca, None),
        ("CA", "two tensors (before)", our_ca, two_tensor_coordinate_attention(our_ca)),
        ("CA", "official CoordAtt", our_ca, official_ca),
    ]


def time_pair(ours, other, x, copy, repeats, synchronize):
    """One row's numbers: medians, median per-round ratio, page faults per call."""

    def run(function):
        def call():
            function(x)
            synchronize()

        return call

    first = run(ours)
    second = copy if other is None else run(other)
    faults = minor_page_faults()
    ours_ms, other_ms = timed_rounds(first, second, repeats=repeats)
    calls = 2 * repeats  # rounds are counted without the warm-up's calls
    faults = (minor_page_faults() - faults) / calls
    ratios = [b / a for a, b in zip(ours_ms, other_ms)]
    return {
        "ours_ms": statistics.median(ours_ms),
        "other_ms": statistics.median(other_ms),
        "ratio_other_over_ours": statistics.median(ratios),
        "page_faults_per_round": round(faults, 1),
    }


def torch_rows(args, allocator):
    device = torch.device(args.device)
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    seed_everything(0)
    x = torch.randn(args.batch, args.channels, args.size, args.size, device=device)
    buffer = torch.empty_like(x)

    def copy():
        torch.mul(x, 1.0, out=buffer)
        synchronize()

    rows = []
    with torch.inference_mode():
        for module, other_name, ours, other in torch_pairs(args):
            if args.only and args.only not in module:
                continue
            ours.to(device)
            if isinstance(other, torch.nn.Module):
                other.to(device)
            if other is not None:
                difference = max_abs_diff(ours(x), other(x))
                if difference > 1e-5:
                    raise SystemExit(
                        f"{module} vs {other_name}: max diff {difference:.2e}"
                    )
            row = {
                "framework": "torch",
                "mode": "eager",
                "allocator": allocator,
                "module": module,
                "other": other_name,
                **time_pair(ours, other, x, copy, args.repeats, synchronize),
            }
            if other is None:
                row["floor_ms"] = FLOOR_COPIES[module] * row["other_ms"]
                row["ours_over_floor"] = row["ours_ms"] / row["floor_ms"]
            rows.append(row)
            print_row(row)
    return rows


def keras_callables(mode, layer):
    """How `mode` calls a built Keras layer: (x) -> output, evaluated."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if mode == "eager":
            return lambda x: layer(x, training=False)
        compiled = tf.function(
            lambda x: layer(x, training=False), jit_compile=mode == "xla"
        )
        return compiled
    if backend == "jax":
        import jax

        trainable = [v.value for v in layer.trainable_variables]
        fixed = [v.value for v in layer.non_trainable_variables]
        jitted = jax.jit(lambda t, f, x: layer.stateless_call(t, f, x)[0])
        return lambda x: jitted(trainable, fixed, x).block_until_ready()
    return lambda x: layer(x, training=False)


def keras_rows(args):
    """In a subprocess whose KERAS_BACKEND is set: one row per module and mode."""
    backend = keras.backend.backend()
    seed_everything(0)
    x_torch = torch.randn(args.batch, args.size, args.size, args.channels)
    buffer = torch.empty_like(x_torch)
    x = keras.ops.convert_to_tensor(x_torch.numpy())
    c, r = args.channels, args.reduction
    layers = {
        "SE": keras_modules.SEModule(c, r),
        "ECA": keras_modules.ECAModule(c),
        "CBAM": keras_modules.CBAM(c, r),
        "CA": keras_modules.CoordinateAttention(c),
    }
    inputs = keras.Input((None, None, c))
    seeds = {  # seed 001's functional blocks, same weights as ours
        "SE": ("seed 001 se_block", keras.Model(inputs, se_block(inputs, ratio=r))),
        "ECA": ("seed 001 eca_block", keras.Model(inputs, eca_block(inputs))),
    }

    def copy():
        torch.mul(x_torch, 1.0, out=buffer)

    rows = []
    torch.set_grad_enabled(False)
    for module, layer in layers.items():
        if args.only and args.only not in module:
            continue
        layer.build((None, args.size, args.size, c))
        for mode in KERAS_BACKENDS[backend]:
            call = keras_callables(mode, layer)
            row = {
                "framework": "keras",
                "backend": backend,
                "mode": mode,
                "allocator": "default",
                "module": module,
                "other": "memory floor",
                **time_pair(call, None, x, copy, args.repeats, lambda: None),
            }
            row["floor_ms"] = FLOOR_COPIES[module] * row["other_ms"]
            row["ours_over_floor"] = row["ours_ms"] / row["floor_ms"]
            rows.append(row)
            if backend == "tensorflow" and mode == "eager" and module in seeds:
                name, seed_model = seeds[module]
                layer.set_weights(seed_model.get_weights())  # fc1, fc2 / the conv
                difference = max_abs_diff(layer(x), seed_model(x))
                if difference > 1e-5:
                    raise SystemExit(
                        f"keras {module} vs {name}: max diff {difference:.2e}"
                    )
                rows.append(
                    {
                        "framework": "keras",
                        "backend": backend,
                        "mode": mode,
                        "allocator": "default",
                        "module": module,
                        "other": name,
                        **time_pair(
                            call, seed_model, x, copy, args.repeats, lambda: None
                        ),
                    }
                )
    return rows


def print_row(row):
    where = f"{row['framework']} {row.get('backend', '')} {row['mode']}".replace(
        "  ", " "
    )
    line = (
        f"{row['allocator']:8} {where:26} {row['module']:5} vs {row['other']:24}"
        f" ours {row['ours_ms']:7.3f} ms | other {row['other_ms']:7.3f} ms"
    )
    if "floor_ms" in row:
        floor, ratio = row["floor_ms"], row["ours_over_floor"]
        line += f" | floor {floor:6.3f} ms, ours/floor {ratio:5.2f}"
    else:
        line += f" | other/ours {row['ratio_other_over_ours']:5.2f}"
    print(line + f" | faults/round {row['page_faults_per_round']:g}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--channels", type=int, default=256)
    parser.add_argument("--size", type=int, default=56)
    parser.add_argument("--reduction", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=100, help="rounds per pair")
    parser.add_argument("--device", default="cpu", help="for the PyTorch rows")
    parser.add_argument("--only", default="", help="SE, ECA, CBAM or CA")
    parser.add_argument("--no-keras", action="store_true", help="PyTorch rows only")
    parser.add_argument("--quick", action="store_true", help="small maps, few rounds")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--keras-rows", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.batch, args.channels, args.size, args.repeats = 2, 64, 16, 5

    if args.keras_rows:  # the subprocess: rows as JSON on the last line
        print(json.dumps(keras_rows(args)))
        return

    run = Run(args)
    print(
        f"input ({args.batch}, {args.channels}, {args.size}, {args.size}) | torch "
        f"{torch.__version__} on {args.device}, {torch.get_num_threads()} threads | "
        f"{args.repeats} rounds per pair"
    )
    rows = torch_rows(args, "default")
    if args.device == "cpu" and retain_freed_memory():
        rows += torch_rows(args, "retain")
    if not args.no_keras:
        forwarded = [
            f"--{name}={getattr(args, name)}"
            for name in ("batch", "channels", "size", "reduction", "repeats", "only")
        ]
        for backend in KERAS_BACKENDS:
            environment = {**os.environ, "KERAS_BACKEND": backend}
            finished = subprocess.run(
                [sys.executable, __file__, "--keras-rows", *forwarded],
                env=environment,
                capture_output=True,
                text=True,
                check=False,
            )
            if finished.returncode != 0:
                raise SystemExit(
                    f"Keras on {backend} failed:\n{finished.stderr[-3000:]}"
                )
            for row in json.loads(finished.stdout.strip().splitlines()[-1]):
                rows.append(row)
                print_row(row)

    record = run.record(
        ["rows"],
        seeds=[0],  # torch.manual_seed for the input and the random weights
        input_shape=[args.batch, args.channels, args.size, args.size],
        reduction=args.reduction,
        rounds_per_pair=args.repeats,
        device=args.device,
        torch_threads=torch.get_num_threads(),
        floor_copies=FLOOR_COPIES,
    )
    results = {
        "rows": [
            {
                key: round(value, 4) if isinstance(value, float) else value
                for key, value in row.items()
            }
            for row in rows
        ],
        "provenance": [record],  # one run makes every row
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

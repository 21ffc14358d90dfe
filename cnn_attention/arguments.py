"""Argument checks and size rules that the PyTorch and Keras modules share.

Every constructor of the package validates its arguments here, so both frameworks
refuse the same bad values with the same ValueError, and resolve the same sizes
(SE's hidden width, ECA's adaptive kernel, Coordinate Attention's `mip`, ...).
"""

import dataclasses
import math
from collections.abc import Callable

# Activation and gate names understood by both the PyTorch and the Keras modules.
# "swish" is "silu" (EfficientNet's name for it).
ACTIVATIONS = ("relu", "silu", "swish", "hard_swish")
GATES = ("sigmoid", "hard_sigmoid")


def check_positive_int(name: str, value) -> int:
    """`value` if it is a positive Python int (not a bool), else a ValueError naming it.

    NumPy integers are refused too: they would end up in Keras configs, which must be
    plain JSON.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"{name} must be a positive integer (a Python int), got {value!r}"
        )
    return value


def check_bool(name: str, value) -> bool:
    """`value` if it is True or False; strings such as "False" are refused."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def check_choice(name: str, value, allowed) -> str:
    """`value` if it is one of `allowed`, else a ValueError listing them."""
    if not isinstance(value, str) or value not in allowed:
        listed = ", ".join(map(repr, allowed))
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_seed(name: str, seed) -> int:
    """A random seed: a Python int in [0, 2**32) (NumPy's and PyTorch's range)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"{name} must be an int in [0, 2**32), got {seed!r}")
    return seed


def check_state_dict(state_dict, source: str) -> dict:
    """A state_dict to convert: a mapping from str keys to tensors or arrays."""
    if not hasattr(state_dict, "items") or not all(
        isinstance(key, str) for key in state_dict
    ):
        raise ValueError(
            f"expected the state_dict of {source} (a dict of str keys to tensors), "
            f"got {type(state_dict).__name__}"
        )
    return state_dict


def check_real(name: str, value, positive: bool = False) -> float:
    """`value` if it is a finite int or float (not a bool), positive if asked."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    if not math.isfinite(value) or (positive and value <= 0):
        kind = "a finite positive" if positive else "a finite"
        raise ValueError(f"{name} must be {kind} number, got {value!r}")
    return value


def check_attention_kwargs(attention, attention_kwargs) -> dict:
    """A block's `attention_kwargs` as a dict (None: {}), refused where they would be
    lost: options for no attention (attention=None) would silently do nothing."""
    if attention_kwargs is None:
        return {}
    if not isinstance(attention_kwargs, dict) or not all(
        isinstance(key, str) for key in attention_kwargs
    ):
        raise ValueError(
            "attention_kwargs must be a dict of keyword arguments for the attention "
            f"module (e.g. {{'reduction': 8}}) or None, got {attention_kwargs!r}"
        )
    if attention is None and attention_kwargs:
        raise ValueError(
            f"attention_kwargs={attention_kwargs!r} given with attention=None: there "
            "is no attention module to take them; name one (e.g. attention='se')"
        )
    return dict(attention_kwargs)


def check_block_arguments(
    in_channels, width, stride, attention, attention_kwargs, width_name="width"
) -> dict:
    """A residual block's sizes and attention options; returns attention_kwargs as
    a dict."""
    check_positive_int("in_channels", in_channels)
    check_positive_int(width_name, width)
    check_positive_int("stride", stride)
    return check_attention_kwargs(attention, attention_kwargs)


def check_head(head) -> None:
    """A network's `head`: None (the default) or a callable head(C, num_classes)."""
    if head is None or (callable(head) and not isinstance(head, str | type(True))):
        return
    hint = ""
    if isinstance(head, str):
        hint = (
            f" (for a head by pooling name, pass head=pooling_head({head!r}) or "
            "head=dual_pool_head())"
        )
    raise ValueError(
        "head must be None or a callable head(in_channels, num_classes) that returns "
        f"a layer, got {head!r}{hint}"
    )


def check_registry_name(name) -> str:
    """An attention's registry name: a non-empty str."""
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"an attention's registry name must be a non-empty str, got {name!r}"
        )
    return name


def claim(registry: dict, name: str, new_class: type) -> bool:
    """Register `new_class` under `name`; True if it was not there before.

    The same class defined again (same module and qualified name: a notebook cell
    run twice, a reloaded module) takes the name over; any other class is refused.
    """
    known = registry.get(name)
    if known is not None and _qualified(known) != _qualified(new_class):
        raise ValueError(
            f"attention {name!r} is already registered to {_qualified(known)}; "
            f"choose another name for {_qualified(new_class)}"
        )
    registry[name] = new_class
    return known is None


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def se_hidden_channels(
    channels: int, reduction: int = 16, hidden_channels: int | None = None
) -> int:
    """Width of the SE bottleneck: `hidden_channels` if given, else C // r, never 0."""
    channels = check_positive_int("channels", channels)
    reduction = check_positive_int("reduction", reduction)
    if hidden_channels is not None:
        return check_positive_int("hidden_channels", hidden_channels)
    if channels // reduction == 0:
        raise ValueError(
            f"reduction={reduction} leaves channels // reduction = {channels} // "
            f"{reduction} = 0 hidden units; use reduction <= {channels} or pass "
            "hidden_channels explicitly"
        )
    return channels // reduction


def check_int_tuple(name: str, value, length: int | None = None) -> tuple:
    """`value` as a tuple of positive ints (a list or tuple), of `length` if given."""
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(
            f"{name} must be a non-empty tuple of positive ints, got {value!r}"
        )
    for item in value:
        check_positive_int(f"every entry of {name}", item)
    if length is not None and len(value) != length:
        raise ValueError(
            f"{name} must have {length} entries, got {len(value)}: {value!r}"
        )
    return tuple(value)


def check_conv_arguments(
    in_channels: int, out_channels: int, kernel_size: int, stride: int, groups: int
) -> None:
    """The sizes of a convolution both frameworks can build and pad alike."""
    for name, value in [
        ("in_channels", in_channels),
        ("out_channels", out_channels),
        ("kernel_size", kernel_size),
        ("stride", stride),
        ("groups", groups),
    ]:
        check_positive_int(name, value)
    if kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd so that padding kernel_size // 2 keeps the map "
            f"centred; got {kernel_size}"
        )
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"groups={groups} must divide in_channels={in_channels} and "
            f"out_channels={out_channels}"
        )


def eca_kernel_size(channels: int, gamma: float = 2, beta: float = 1) -> int:
    """ECA's adaptive kernel size k = psi(C) = |log2(C) / gamma + beta / gamma|_odd.

    Computed as seed 001 and the common implementations do: truncate
    t = (log2(C) + beta) / gamma to an integer, then turn an even result into the
    next odd number (k = 3 for C = 64, 5 for C = 256 and 512, 7 for C = 2048).
    A kernel longer than 2C - 1 is refused: with "same" padding its outer taps
    would never reach a channel.
    """
    check_positive_int("channels", channels)
    check_real("gamma", gamma, positive=True)
    check_real("beta", beta)
    t = abs((math.log2(channels) + beta) / gamma)
    if t > 2 * channels - 1:  # also catches t = inf before int() would fail
        raise ValueError(
            f"gamma={gamma!r}, beta={beta!r} give psi({channels}) = {t:.3g}, more than "
            f"the 2C - 1 = {2 * channels - 1} taps that can reach a channel"
        )
    k = int(t)
    return k if k % 2 else k + 1


def eca_kernel_size_or_default(
    channels: int, kernel_size: int | None, gamma: float = 2, beta: float = 1
) -> int:
    """`kernel_size` if given (odd, at most 2C - 1), else psi(channels)."""
    check_positive_int("channels", channels)
    check_real("gamma", gamma, positive=True)
    check_real("beta", beta)
    if kernel_size is None:
        return eca_kernel_size(channels, gamma, beta)
    check_positive_int("kernel_size", kernel_size)
    if kernel_size % 2 == 0:
        raise ValueError(
            "kernel_size must be odd (1, 3, 5, ...) so that 'same' padding keeps every "
            f"channel centred on its own weight; got {kernel_size}. "
            "Pass None to use k = psi(C)."
        )
    if kernel_size > 2 * channels - 1:
        raise ValueError(
            f"kernel_size={kernel_size} is longer than 2C - 1 = {2 * channels - 1}: "
            "its outer taps would never reach a channel"
        )
    return kernel_size


# CBAM's choices, shared by both frameworks.
POOL_TYPES = ("avg", "max", "lp", "lse")  # the official ChannelGate's global pools
SPATIAL_POOLS = (("max", "avg"), ("avg", "max"))  # official order first
ARRANGEMENTS = ("channel_first", "spatial_first", "parallel")


def check_pool_types(pool_types) -> tuple:
    """A non-empty tuple of distinct names from POOL_TYPES, in the caller's order."""
    if isinstance(pool_types, str) or not isinstance(pool_types, list | tuple):
        raise ValueError(
            f"pool_types must be a list or tuple of names from {POOL_TYPES}, "
            f"got {pool_types!r}"
        )
    if not pool_types:
        raise ValueError(f"pool_types must name at least one of {POOL_TYPES}")
    for pool_type in pool_types:
        check_choice("every entry of pool_types", pool_type, POOL_TYPES)
    if len(set(pool_types)) != len(pool_types):
        raise ValueError(f"pool_types must not repeat a pool, got {pool_types!r}")
    return tuple(pool_types)


def check_spatial_pools(spatial_pools) -> tuple:
    """("max", "avg") as the official CBAM code concatenates, or ("avg", "max")."""
    if not isinstance(spatial_pools, list | tuple) or tuple(spatial_pools) not in (
        SPATIAL_POOLS
    ):
        raise ValueError(
            f"spatial_pools must be ('max', 'avg') (the official order) or "
            f"('avg', 'max'), got {spatial_pools!r}"
        )
    return tuple(spatial_pools)


def check_spatial_arguments(kernel_size, spatial_pools, spatial_norm) -> None:
    """CBAM's spatial-gate arguments (checked even when spatial=False: a typo there
    would otherwise surface only when someone turns the spatial gate on)."""
    check_odd_kernel("kernel_size", kernel_size)
    check_spatial_pools(spatial_pools)
    check_bool("spatial_norm", spatial_norm)


def check_odd_kernel(name: str, kernel_size) -> int:
    """A positive odd int: 'same' padding k // 2 then keeps every position centred."""
    check_positive_int(name, kernel_size)
    if kernel_size % 2 == 0:
        raise ValueError(f"{name} must be odd (1, 3, 5, 7, ...), got {kernel_size}")
    return kernel_size


# Global poolings, by timm's names. "catavgmax" concatenates (avg, max) as timm does;
# "catmaxavg" is the order of fastai's AdaptiveConcatPool2d, (max, avg). The two
# concatenations double the channels; "avgmax" is 0.5 * (avg + max).
GLOBAL_POOLS = ("avg", "max", "avgmax", "catavgmax", "catmaxavg", "gem")
CONCAT_POOLS = ("catavgmax", "catmaxavg")


def check_global_pool(pool, allowed: tuple = GLOBAL_POOLS) -> str:
    """`pool` if it is one of `allowed`, else a ValueError listing them."""
    if not isinstance(pool, str) or pool not in allowed:
        listed = ", ".join(map(repr, allowed))
        hint = ""
        if isinstance(pool, str) and pool.startswith("cat"):
            hint = (
                " (a concatenation's name gives its order: 'catavgmax' puts the "
                "average first, as timm does, 'catmaxavg' the maximum, as fastai does)"
            )
        raise ValueError(f"pool must be one of {listed}; got {pool!r}{hint}")
    return pool


def pooled_channels(channels: int, pool: str) -> int:
    """Width of the pooled vector: 2C for a concatenation, C for the others."""
    check_positive_int("channels", channels)
    return 2 * channels if check_global_pool(pool) in CONCAT_POOLS else channels


# GeM computes p log(max(x, eps)) in the input's precision: beyond these bounds the
# product overflows (p) or eps rounds to 0 in float32 (eps), and the output is NaN.
GEM_MAX_EXPONENT = 1e6
GEM_MIN_EPS = 1e-30


def check_gem_exponent(p) -> float:
    """GeM's exponent: a positive number up to 1e6 (1: the average; large: the max)."""
    check_real("p (GeM's exponent)", p, positive=True)
    if p > GEM_MAX_EXPONENT:
        raise ValueError(
            f"p (GeM's exponent) must be at most {GEM_MAX_EXPONENT:g}, got {p!r}: "
            "p log x would overflow (and p = 100 is already the max to 3 digits)"
        )
    return p


def check_gem_eps(eps) -> float:
    """GeM's floor eps: a finite number in [1e-30, 1) (smaller rounds to 0 in float32,
    and log 0 is -inf)."""
    check_real("eps", eps, positive=True)
    if not GEM_MIN_EPS <= eps < 1:
        raise ValueError(f"eps must be in [{GEM_MIN_EPS:g}, 1), got {eps!r}")
    return eps


def check_dropout(dropout) -> float:
    """A dropout rate: a number in [0, 1)."""
    check_real("dropout", dropout)
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    return dropout


def pooling_head_options(pool="avg", dropout=0.0, p=3.0, eps=1e-6, learn_p=True):
    """PoolingHead's options, checked, as sorted (name, value) pairs."""
    options = dict(
        pool=check_global_pool(pool),
        dropout=check_dropout(dropout),
        p=check_gem_exponent(p),
        eps=check_gem_eps(eps),
        learn_p=check_bool("learn_p", learn_p),
    )
    return tuple(sorted(options.items()))


def dual_pool_head_options(pool="catavgmax", hidden_channels=None, dropout=0.5):
    """DualPoolHead's options, checked, as sorted (name, value) pairs."""
    if hidden_channels is not None:
        check_positive_int("hidden_channels", hidden_channels)
    options = dict(
        pool=check_global_pool(pool, CONCAT_POOLS),
        hidden_channels=hidden_channels,
        dropout=check_dropout(dropout),
    )
    return tuple(sorted(options.items()))


@dataclasses.dataclass(frozen=True, repr=False)
class HeadFactory:
    """A `head` for ResNet: called as head(in_channels, num_classes).

    The network passes its own width, so the head fits any backbone. Two factories
    are equal when they make the same kind of head with the same options, in either
    framework: port_weights then accepts a PyTorch and a Keras ResNet with the same
    head.
    """

    kind: str
    options: tuple  # ((name, value), ...), sorted by name
    build: Callable = dataclasses.field(compare=False)

    def __call__(self, in_channels: int, num_classes: int, **layer_options):
        """The head; `layer_options` (Keras's dtype=, say) go to its constructor."""
        return self.build(
            in_channels, num_classes, **dict(self.options), **layer_options
        )

    def __repr__(self) -> str:
        listed = ", ".join(f"{name}={value!r}" for name, value in self.options)
        return f"{self.kind}({listed})"


def coordinate_hidden_channels(
    channels: int,
    reduction: int = 32,
    hidden_channels: int | None = None,
    min_hidden_channels: int = 8,
) -> int:
    """Width of the shared 1x1 conv: `hidden_channels` if given, else max(8, C // r).

    The official code's mip = max(8, inp // reduction); the floor (8 there) is
    `min_hidden_channels`. For C < 8 the "reduction" widens: C = 4 gives 8.
    """
    check_positive_int("channels", channels)
    check_positive_int("reduction", reduction)
    check_positive_int("min_hidden_channels", min_hidden_channels)
    if hidden_channels is not None:
        return check_positive_int("hidden_channels", hidden_channels)
    return max(min_hidden_channels, channels // reduction)


def check_out_channels(channels: int, out_channels: int | None) -> None:
    """None, or the input's channel count: an attention map multiplies its input."""
    if out_channels is None:
        return
    check_positive_int("out_channels", out_channels)
    if out_channels != channels:
        raise ValueError(
            f"out_channels={out_channels} differs from channels={channels}: the "
            "attention maps multiply the input, so the output keeps its C channels. "
            "Leave out_channels=None (or pass out_channels=channels)"
        )


def make_divisible(value: float, divisor: int = 8) -> int:
    """MobileNet's width rule, as torchvision applies it: the nearest multiple of
    `divisor` to `value`, at least `divisor`, and never more than 10% below `value`."""
    check_positive_int("divisor", divisor)
    check_real("value", value, positive=True)
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


# MobileNetV2's stages: (expansion t, output channels c, blocks n, first stride s)
MOBILENET_V2_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def mobilenet_v2_blocks(width_multiplier: float = 1.0) -> list[tuple]:
    """(in_channels, out_channels, stride, expand_ratio) of MobileNetV2's 17 blocks."""
    check_real("width_multiplier", width_multiplier, positive=True)
    channels = make_divisible(32 * width_multiplier)  # the stem's width
    blocks = []
    for expand_ratio, width, repeats, first_stride in MOBILENET_V2_SETTINGS:
        out_channels = make_divisible(width * width_multiplier)
        for index in range(repeats):
            stride = first_stride if index == 0 else 1
            blocks.append((channels, out_channels, stride, expand_ratio))
            channels = out_channels
    return blocks


__all__ = [
    "ACTIVATIONS",
    "GATES",
    "check_positive_int",
    "check_bool",
    "check_choice",
    "check_real",
    "check_attention_kwargs",
    "check_registry_name",
    "check_block_arguments",
    "check_head",
    "claim",
    "se_hidden_channels",
    "check_int_tuple",
    "check_conv_arguments",
    "eca_kernel_size",
    "eca_kernel_size_or_default",
    "POOL_TYPES",
    "SPATIAL_POOLS",
    "ARRANGEMENTS",
    "check_pool_types",
    "check_spatial_pools",
    "check_spatial_arguments",
    "check_odd_kernel",
    "GLOBAL_POOLS",
    "CONCAT_POOLS",
    "check_global_pool",
    "pooled_channels",
    "GEM_MAX_EXPONENT",
    "GEM_MIN_EPS",
    "check_gem_exponent",
    "check_gem_eps",
    "check_seed",
    "check_state_dict",
    "check_dropout",
    "pooling_head_options",
    "dual_pool_head_options",
    "HeadFactory",
    "coordinate_hidden_channels",
    "check_out_channels",
    "make_divisible",
    "MOBILENET_V2_SETTINGS",
    "mobilenet_v2_blocks",
]

"""BiFPN's graph and argument rules, framework-free: which node fuses which levels.

Chapter 7 (notebooks/07_bifpn.ipynb) builds one BiFPN layer by hand; both
frameworks' BiFPN modules read the node list from here.
"""

from cnn_attention.arguments import (
    ACTIVATIONS,
    check_choice,
    check_int_tuple,
    check_positive_int,
    check_real,
)
from cnn_attention.utils import feature_map_problem, static_size

# How a node weighs its inputs: the paper's three ways, and the plain sum that
# EfficientDet-D6 and D7 use "for stability".
FUSION_METHODS = ("fast", "softmax", "unbounded", "sum")


def level_name(index: int) -> str:
    """The name of pyramid level `index`: P3 for 0, P4 for 1, ... (EfficientDet's)."""
    return f"P{index + 3}"


def bifpn_nodes(num_levels: int) -> list:
    """The nodes of one BiFPN layer, in the order they are computed.

    Each node is (level, input ids). Ids 0 .. num_levels - 1 are the layer's inputs
    (P3 first); every node then gets the next id. First the top-down path, from the
    second-highest level down to P3, then the bottom-up path from P4 up to the top.
    The same rule as the official `bifpn_config` (google/automl, fpn_configs.py).
    """
    check_positive_int("num_levels", num_levels)
    if num_levels < 2:
        raise ValueError(
            f"a BiFPN needs at least 2 levels, got num_levels={num_levels}"
        )
    ids = {level: [level] for level in range(num_levels)}  # node ids per level
    nodes = []
    for level in range(num_levels - 2, -1, -1):  # top-down
        nodes.append((level, (ids[level][-1], ids[level + 1][-1])))
        ids[level].append(num_levels + len(nodes) - 1)
    for level in range(1, num_levels):  # bottom-up, with the same-level skip edge
        nodes.append((level, (*ids[level], ids[level - 1][-1])))
        ids[level].append(num_levels + len(nodes) - 1)
    return nodes


def bifpn_node_names(num_levels: int) -> list:
    """A name for every node id: inputs "P4_in", top-down "P4_td", outputs "P4_out"."""
    nodes = bifpn_nodes(num_levels)
    names = [f"{level_name(level)}_in" for level in range(num_levels)]
    outputs = set(bifpn_output_ids(num_levels))
    for index, (level, _) in enumerate(nodes, start=num_levels):
        names.append(level_name(level) + ("_out" if index in outputs else "_td"))
    return names


def bifpn_output_ids(num_levels: int) -> list:
    """The id of the last node of every level, P3 first: the layer's outputs."""
    last = list(range(num_levels))
    for index, (level, _) in enumerate(bifpn_nodes(num_levels), start=num_levels):
        last[level] = index
    return last


def halve(size):
    """A size after a stride-2 'same' max pooling: ceil(size / 2); None stays None."""
    return None if size is None else (size + 1) // 2


def pyramid_problem(sizes) -> str:
    """What is wrong with these (height, width) sizes as a pyramid, P3 first; or "".

    Every level must be the previous one halved and rounded up, as stride-2 'same'
    pooling makes it: then pooling lands exactly on the next level, and upsampling
    by 2 overshoots by at most one row and column, which is cropped. Unknown sizes
    (None) pass.
    """
    for index in range(1, len(sizes)):
        expected = tuple(halve(size) for size in sizes[index - 1])
        found = tuple(sizes[index])
        if any(
            e is not None and f is not None and e != f for e, f in zip(expected, found)
        ):
            below = level_name(index - 1)
            size_below = "x".join(map(str, sizes[index - 1]))
            return (
                f"{level_name(index)} is {'x'.join(map(str, found))}, but {below} "
                f"({size_below}) halves to {'x'.join(map(str, expected))}: each level "
                "must be the one below it halved, rounding up (stride-2 'same' "
                "pooling), e.g. 64x64, 32x32, 16x16 or 65x65, 33x33, 17x17"
            )
    return ""


def features_problem(shapes, widths, channels_last: bool, floating=None) -> str:
    """What is wrong with feature maps of these shapes for a BiFPN expecting `widths`.

    `floating` is a list of booleans (one per map), or None when unknown. Returns ""
    when nothing is wrong.
    """
    names = [level_name(index) for index in range(len(widths))]
    if len(shapes) != len(widths):
        return (
            f"expects {len(widths)} feature maps ({', '.join(names)} with "
            f"{tuple(widths)} channels), got {len(shapes)}"
        )
    floating = floating or [True] * len(shapes)
    for name, shape, width, is_float in zip(names, shapes, widths, floating):
        problem = feature_map_problem(shape, width, channels_last, is_float)
        if problem:
            return f"level {name} {problem}"
    batches = {static_size(shape[0]) for shape in shapes} - {None}
    if len(batches) > 1:
        listed = ", ".join(f"{n}: {static_size(s[0])}" for n, s in zip(names, shapes))
        return f"got maps of different batch sizes ({listed}): one batch, please"
    axes = slice(1, 3) if channels_last else slice(2, 4)
    return pyramid_problem(
        [tuple(static_size(size) for size in tuple(shape)[axes]) for shape in shapes]
    )


def check_bifpn_arguments(
    in_channels,
    channels: int,
    num_levels: int | None,
    fusion: str,
    epsilon: float,
    activation: str,
    norm_epsilon: float,
    norm_momentum: float,
) -> tuple:
    """Check a BiFPN's arguments and return in_channels as a tuple.

    num_levels=None (one BiFPN layer) means one level per input width.
    """
    in_channels = check_int_tuple("in_channels", in_channels)
    check_positive_int("channels", channels)
    if num_levels is None:
        num_levels = len(in_channels)
    check_positive_int("num_levels", num_levels)
    if num_levels < 2 or len(in_channels) > num_levels:
        raise ValueError(
            f"num_levels={num_levels} with {len(in_channels)} input widths "
            f"{in_channels}: a BiFPN needs at least 2 levels and at most num_levels "
            "inputs (the missing top levels are pooled from the last input)"
        )
    _check_node_options(fusion, epsilon, activation, norm_epsilon, norm_momentum)
    return in_channels


def _check_node_options(fusion, epsilon, activation, norm_epsilon, norm_momentum):
    """What every node of a BiFPN shares: its fusion, activation and BatchNorm."""
    check_choice("fusion", fusion, FUSION_METHODS)
    check_real("epsilon", epsilon, positive=True)
    check_choice("activation", activation, ACTIVATIONS)
    _check_norm_arguments(norm_epsilon, norm_momentum)


def check_adapter_arguments(in_channels, channels, norm_epsilon, norm_momentum):
    """A ChannelAdapter's or ExtraLevel's: a 1x1 convolution and its BatchNorm."""
    check_positive_int("in_channels", in_channels)
    check_positive_int("channels", channels)
    _check_norm_arguments(norm_epsilon, norm_momentum)


def _check_norm_arguments(norm_epsilon: float, norm_momentum: float) -> None:
    """BatchNorm's epsilon (finite, positive) and momentum in PyTorch's convention."""
    check_real("norm_epsilon", norm_epsilon, positive=True)
    check_real("norm_momentum", norm_momentum)
    if not 0 <= norm_momentum <= 1:
        raise ValueError(
            "norm_momentum is PyTorch's BatchNorm momentum (the weight of the new "
            f"batch), between 0 and 1; got {norm_momentum!r}"
        )


def check_node_arguments(
    level,
    input_levels,
    in_channels,
    channels,
    fusion,
    epsilon,
    activation,
    norm_epsilon,
    norm_momentum,
) -> tuple:
    """A BiFPNNode's arguments; returns (input_levels, in_channels) as tuples."""
    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise ValueError(f"level must be a non-negative int (0 is P3), got {level!r}")
    if not isinstance(input_levels, list | tuple) or not input_levels:
        raise ValueError(
            f"input_levels must be a non-empty tuple of levels, got {input_levels!r}"
        )
    for source in input_levels:
        if isinstance(source, bool) or not isinstance(source, int) or source < 0:
            raise ValueError(
                "every entry of input_levels must be a non-negative int, "
                f"got {source!r}"
            )
        if abs(source - level) > 1:
            raise ValueError(
                f"input_levels may hold level {level} and its neighbours only (a node "
                f"pools from one level below or upsamples from one above); got {source}"
            )
    in_channels = check_int_tuple("in_channels", in_channels, len(input_levels))
    check_positive_int("channels", channels)
    _check_node_options(fusion, epsilon, activation, norm_epsilon, norm_momentum)
    return tuple(input_levels), in_channels


# EfficientDet D0-D7x (google/automl, hparams_config.py): the backbone's P3-P5
# widths, the BiFPN's width, repeats, levels (D7x adds P8) and fusion ("sum" for
# D6 and up, "for stability"), and the image size, for reference.
def _efficientdet(widths, channels, repeats, image_size, num_levels=5, fusion="fast"):
    return dict(
        in_channels=widths,
        channels=channels,
        repeats=repeats,
        num_levels=num_levels,
        fusion=fusion,
        image_size=image_size,
    )


EFFICIENTDET = {
    "d0": _efficientdet((40, 112, 320), 64, 3, 512),
    "d1": _efficientdet((40, 112, 320), 88, 4, 640),
    "d2": _efficientdet((48, 120, 352), 112, 5, 768),
    "d3": _efficientdet((48, 136, 384), 160, 6, 896),
    "d4": _efficientdet((56, 160, 448), 224, 7, 1024),
    "d5": _efficientdet((64, 176, 512), 288, 7, 1280),
    "d6": _efficientdet((72, 200, 576), 384, 8, 1280, fusion="sum"),
    "d7": _efficientdet((72, 200, 576), 384, 8, 1536, fusion="sum"),
    "d7x": _efficientdet((80, 224, 640), 384, 8, 1536, num_levels=6, fusion="sum"),
}


def efficientdet_bifpn(name: str) -> dict:
    """BiFPN arguments of EfficientDet `name` ("d0" ... "d7x"), image size left out."""
    check_choice("name", name, tuple(EFFICIENTDET))
    config = dict(EFFICIENTDET[name])
    del config["image_size"]
    return config


__all__ = [
    "FUSION_METHODS",
    "level_name",
    "bifpn_nodes",
    "bifpn_node_names",
    "bifpn_output_ids",
    "halve",
    "pyramid_problem",
    "features_problem",
    "check_bifpn_arguments",
    "check_adapter_arguments",
    "check_node_arguments",
    "EFFICIENTDET",
    "efficientdet_bifpn",
]

"""BiFPN (Tan et al., 2020) as Keras 3 layers: fusion, node, layer, stack.

The twin of cnn_attention/torch/bifpn.py; chapter 7 builds a minimal layer and
proves it equal to this one.
"""

import keras
from keras import layers, ops

from cnn_attention.arguments import check_choice, check_positive_int, check_real
from cnn_attention.bifpn_rules import (
    FUSION_METHODS,
    bifpn_nodes,
    bifpn_output_ids,
    check_adapter_arguments,
    check_bifpn_arguments,
    check_node_arguments,
    features_problem,
    halve,
)
from cnn_attention.keras.activations import create_activation
from cnn_attention.keras.factory import ConfigMixin
from cnn_attention.utils import static_size


@keras.saving.register_keras_serializable(package="cnn_attention")
class WeightedFusion(ConfigMixin, layers.Layer):
    """Weighted sum of same-shaped maps, one learned scalar per input.

    The PyTorch WeightedFusion's twin: "fast", "softmax", "unbounded" or "sum".
    """

    def __init__(
        self, num_inputs: int, method: str = "fast", epsilon: float = 1e-4, **kwargs
    ):
        super().__init__(**kwargs)
        check_positive_int("num_inputs", num_inputs)
        check_choice("method", method, FUSION_METHODS)
        check_real("epsilon", epsilon, positive=True)
        self.set_config(num_inputs=num_inputs, method=method, epsilon=epsilon)
        self.num_inputs, self.method, self.epsilon = num_inputs, method, float(epsilon)

    def build(self, input_shape=None):
        if self.method != "sum":
            self.weight = self.add_weight(
                shape=(self.num_inputs,), initializer="ones", name="weight"
            )  # (K,)

    def normalized_weights(self):
        """The K weights each input is multiplied by, (K,)."""
        if self.method == "sum":
            return ops.ones((self.num_inputs,))
        if not self.built:
            raise ValueError(
                f"{self.label} is not built, so it has no weights yet: call it on "
                "its inputs or call build() first"
            )
        if self.method == "fast":
            weight = ops.relu(self.weight)
            return weight / (ops.sum(weight) + self.epsilon)
        if self.method == "softmax":
            return ops.softmax(self.weight)
        return ops.convert_to_tensor(self.weight)

    def call(self, inputs):
        if len(inputs) != self.num_inputs:
            raise ValueError(
                f"{self.label} expects {self.num_inputs} inputs, got {len(inputs)}"
            )
        shapes = [tuple(static_size(size) for size in x.shape) for x in inputs]
        for shape in shapes[1:]:  # no silent broadcasting (unknown sizes pass)
            if len(shape) != len(shapes[0]) or any(
                a is not None and b is not None and a != b
                for a, b in zip(shape, shapes[0])
            ):
                raise ValueError(f"{self.label} fuses maps of one shape; got {shapes}")
        if self.method == "sum":
            fused = inputs[0]
            for x in inputs[1:]:
                fused = fused + x
            return fused
        weights = ops.cast(self.normalized_weights(), inputs[0].dtype)  # (K,)
        fused = inputs[0] * weights[0]
        for index in range(1, len(inputs)):
            fused = fused + inputs[index] * weights[index]  # (N, H, W, C)
        return fused


def efficientdet_batch_norm(epsilon: float, momentum: float, **kwargs):
    """BatchNormalization from PyTorch-convention arguments: Keras's momentum is the
    weight of the old statistics, 1 - PyTorch's (EfficientDet: 0.99 = 1 - 0.01)."""
    return layers.BatchNormalization(epsilon=epsilon, momentum=1 - momentum, **kwargs)


def upsample_to(x, height, width):
    """Nearest x2 upsampling cropped to (height, width): PyTorch's upsample_to.

    height and width must be 2h - 1 or 2h and 2w - 1 or 2w; that is checked where
    the sizes are known (not while a functional model traces unknown sizes).
    """
    sizes = [static_size(size) for size in (height, width, *x.shape[1:3])]
    if None not in sizes:
        height_, width_, h, w = sizes
        if not (2 * h - 1 <= height_ <= 2 * h and 2 * w - 1 <= width_ <= 2 * w):
            raise ValueError(
                f"upsample_to doubles a map of {h}x{w}: height and width must be "
                f"2h - 1 or 2h and 2w - 1 or 2w; got {height_}x{width_}"
            )
    x = ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)  # (N, 2h, 2w, C)
    return x[:, :height, :width, :]  # (N, height, width, C)


@keras.saving.register_keras_serializable(package="cnn_attention")
class ChannelAdapter(ConfigMixin, layers.Layer):
    """1x1 convolution (with bias) and BatchNorm, for (N, H, W, C_in) maps."""

    def __init__(
        self,
        in_channels: int,
        channels: int,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_adapter_arguments(in_channels, channels, norm_epsilon, norm_momentum)
        self.set_config(
            in_channels=in_channels,
            channels=channels,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
        )
        policy = self.dtype_policy
        self.conv = layers.Conv2D(channels, 1, name="conv", dtype=policy)
        self.bn = efficientdet_batch_norm(
            norm_epsilon, norm_momentum, name="bn", dtype=policy
        )

    def build(self, input_shape):
        self.conv.build((None, None, None, self.config["in_channels"]))
        self.bn.build((None, None, None, self.config["channels"]))

    def call(self, x, training=None):
        return self.bn(self.conv(x), training=training)  # (N, H, W, C)


def _adapter(in_channels, channels, norm_epsilon, norm_momentum, name, policy):
    if in_channels == channels:
        return layers.Identity(name=name, dtype=policy)
    return ChannelAdapter(
        in_channels, channels, norm_epsilon, norm_momentum, name=name, dtype=policy
    )


@keras.saving.register_keras_serializable(package="cnn_attention")
class BiFPNNode(ConfigMixin, layers.Layer):
    """One fusion node for (N, H, W, C) maps: the PyTorch BiFPNNode's twin."""

    def __init__(
        self,
        level: int,
        input_levels: tuple,
        in_channels: tuple,
        channels: int = 64,
        fusion: str = "fast",
        epsilon: float = 1e-4,
        activation: str = "swish",
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        **kwargs,
    ):
        super().__init__(**kwargs)
        input_levels, in_channels = check_node_arguments(
            level,
            input_levels,
            in_channels,
            channels,
            fusion,
            epsilon,
            activation,
            norm_epsilon,
            norm_momentum,
        )
        self.set_resolved(pool_padding="same")  # TensorFlow's "SAME" only
        self.set_config(
            level=level,
            input_levels=input_levels,
            in_channels=in_channels,
            channels=channels,
            fusion=fusion,
            epsilon=epsilon,
            activation=activation,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
        )
        self.level, self.channels = level, channels
        # -1: pool from the level below, 0: same level, 1: upsample from above
        self.moves = [(source > level) - (source < level) for source in input_levels]
        policy = self.dtype_policy
        self.adapters = [
            _adapter(
                width, channels, norm_epsilon, norm_momentum, f"adapter{i}", policy
            )
            for i, width in enumerate(in_channels)
        ]
        self.fusion = WeightedFusion(
            len(in_channels), fusion, epsilon, name="fusion", dtype=policy
        )
        self.act = create_activation(activation, name="act", dtype=policy)
        self.pool = layers.MaxPooling2D(3, 2, padding="same", name="pool", dtype=policy)
        # depthwise 3x3 (no bias), then pointwise 1x1 with a bias: Keras keeps both
        # kernels and the bias in one layer
        self.conv = layers.SeparableConv2D(
            channels, 3, padding="same", name="conv", dtype=policy
        )
        self.bn = efficientdet_batch_norm(
            norm_epsilon, norm_momentum, name="bn", dtype=policy
        )

    def build(self, input_shape=None):
        for adapter, width in zip(self.adapters, self.config["in_channels"]):
            adapter.build((None, None, None, width))
        self.fusion.build()
        self.conv.build((None, None, None, self.channels))
        self.bn.build((None, None, None, self.channels))

    def call(self, inputs, target, training=None):
        """inputs: one map per edge; target: a map of this level, for its size."""
        height, width = ops.shape(target)[1], ops.shape(target)[2]
        resized = []
        for x, adapter, move in zip(inputs, self.adapters, self.moves):
            x = adapter(x, training=training)  # (N, h, w, C)
            if move < 0:
                x = self.pool(x)  # (N, ceil(h/2), ceil(w/2), C)
            elif move > 0:
                x = upsample_to(x, height, width)  # (N, H, W, C)
            resized.append(x)
        fused = self.fusion(resized)  # (N, H, W, C)
        return self.bn(self.conv(self.act(fused)), training=training)


def check_features(features, widths, label):
    """Raise ValueError, naming `label`, unless `features` fit a BiFPN of `widths`."""
    if not isinstance(features, list | tuple):
        raise ValueError(
            f"{label} expects a list of {len(widths)} feature maps, P3 first; got "
            f"{type(features).__name__}"
        )
    dtypes = [getattr(x, "dtype", None) for x in features]
    problem = features_problem(
        [tuple(getattr(x, "shape", x)) for x in features],
        widths,
        channels_last=True,
        floating=[d is None or "float" in str(d) for d in dtypes],
    )
    if problem:
        raise ValueError(f"{label} {problem}")


@keras.saving.register_keras_serializable(package="cnn_attention")
class BiFPNLayer(ConfigMixin, layers.Layer):
    """One BiFPN layer for (N, H, W, C) maps: the PyTorch BiFPNLayer's twin."""

    def __init__(
        self,
        in_channels: tuple = (64, 64, 64, 64, 64),
        channels: int = 64,
        fusion: str = "fast",
        epsilon: float = 1e-4,
        activation: str = "swish",
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        **kwargs,
    ):
        super().__init__(**kwargs)
        in_channels = check_bifpn_arguments(
            in_channels,
            channels,
            None,
            fusion,
            epsilon,
            activation,
            norm_epsilon,
            norm_momentum,
        )
        self.set_resolved(pool_padding="same")  # TensorFlow's "SAME" only
        self.set_config(
            in_channels=in_channels,
            channels=channels,
            fusion=fusion,
            epsilon=epsilon,
            activation=activation,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
        )
        num_levels = len(in_channels)
        nodes = bifpn_nodes(num_levels)
        widths = list(in_channels) + [channels] * len(nodes)  # per node id
        levels = list(range(num_levels)) + [level for level, _ in nodes]
        self.in_channels = list(in_channels)
        self.input_ids = [list(ids) for _, ids in nodes]
        self.output_ids = bifpn_output_ids(num_levels)
        self.nodes = [
            BiFPNNode(
                level,
                tuple(levels[i] for i in ids),
                tuple(widths[i] for i in ids),
                channels,
                fusion,
                epsilon,
                activation,
                norm_epsilon,
                norm_momentum,
                name=f"node{index}",
                dtype=self.dtype_policy,
            )
            for index, (level, ids) in enumerate(nodes)
        ]

    def build(self, input_shape):
        if not all(isinstance(shape, list | tuple) for shape in input_shape):
            raise ValueError(
                f"{self.label} expects a list of {len(self.in_channels)} feature maps, "
                f"P3 first; got one input of shape {tuple(input_shape)}"
            )
        check_features(list(input_shape), self.in_channels, self.label)
        for node in self.nodes:
            node.build()

    def compute_output_shape(self, input_shape):
        # Computed, not traced: Keras's torch backend traces unknown sizes as one
        # made-up size for every level, and JAX as one symbol, neither a pyramid.
        return [(*tuple(shape)[:3], self.config["channels"]) for shape in input_shape]

    def call_nodes(self, features, training=None):
        """Every node of the layer, inputs first, in the order of `bifpn_nodes`."""
        check_features(features, self.in_channels, self.label)
        nodes = list(features)
        for node, ids in zip(self.nodes, self.input_ids):
            inputs = [nodes[i] for i in ids]
            nodes.append(node(inputs, features[node.level], training=training))
        return nodes

    def call(self, features, training=None):
        nodes = self.call_nodes(features, training=training)
        return [nodes[i] for i in self.output_ids]  # P3_out ...: (N, H_i, W_i, C)


@keras.saving.register_keras_serializable(package="cnn_attention")
class ExtraLevel(ConfigMixin, layers.Layer):
    """A coarser level from the top map: the PyTorch ExtraLevel's twin.

    The pooling is Keras's "same" max pooling, which on TensorFlow may drop a NaN
    (its max skips NaN inputs where PyTorch's propagates them): a NaN in the
    backbone's top map can vanish from P6 here and not in PyTorch.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_adapter_arguments(in_channels, channels, norm_epsilon, norm_momentum)
        self.set_resolved(pool_padding="same")  # TensorFlow's "SAME" only
        self.set_config(
            in_channels=in_channels,
            channels=channels,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
        )
        policy = self.dtype_policy
        self.adapter = _adapter(
            in_channels, channels, norm_epsilon, norm_momentum, "adapter", policy
        )
        self.pool = layers.MaxPooling2D(3, 2, padding="same", name="pool", dtype=policy)

    def build(self, input_shape):
        self.adapter.build((None, None, None, self.config["in_channels"]))

    def call(self, x, training=None):
        # (N, H, W, C_in) -> (N, ceil(H/2), ceil(W/2), C)
        return self.pool(self.adapter(x, training=training))


@keras.saving.register_keras_serializable(package="cnn_attention")
class BiFPN(ConfigMixin, layers.Layer):
    """EfficientDet's feature network for (N, H, W, C) maps: the PyTorch BiFPN's twin.

    Same arguments; call it on a list of maps (P3, P4, P5) to get num_levels maps.
    """

    def __init__(
        self,
        in_channels: tuple = (40, 112, 320),
        channels: int = 64,
        repeats: int = 3,
        num_levels: int = 5,
        fusion: str = "fast",
        epsilon: float = 1e-4,
        activation: str = "swish",
        norm_epsilon: float = 1e-3,
        norm_momentum: float = 0.01,
        **kwargs,
    ):
        super().__init__(**kwargs)
        in_channels = check_bifpn_arguments(
            in_channels,
            channels,
            num_levels,
            fusion,
            epsilon,
            activation,
            norm_epsilon,
            norm_momentum,
        )
        check_positive_int("repeats", repeats)
        check_positive_int("num_levels", num_levels)
        self.set_resolved(pool_padding="same")  # TensorFlow's "SAME" only
        self.set_config(
            in_channels=in_channels,
            channels=channels,
            repeats=repeats,
            num_levels=num_levels,
            fusion=fusion,
            epsilon=epsilon,
            activation=activation,
            norm_epsilon=norm_epsilon,
            norm_momentum=norm_momentum,
        )
        self.in_channels = list(in_channels)
        policy = self.dtype_policy
        extra = num_levels - len(in_channels)
        self.extra_levels = [
            ExtraLevel(
                in_channels[-1] if index == 0 else channels,
                channels,
                norm_epsilon,
                norm_momentum,
                name=f"extra{index}",
                dtype=policy,
            )
            for index in range(extra)
        ]
        widths = in_channels + (channels,) * extra
        self.bifpn_layers = [
            BiFPNLayer(
                widths if index == 0 else (channels,) * num_levels,
                channels,
                fusion,
                epsilon,
                activation,
                norm_epsilon,
                norm_momentum,
                name=f"layer{index}",
                dtype=policy,
            )
            for index in range(repeats)
        ]

    def build(self, input_shape):
        if not all(isinstance(shape, list | tuple) for shape in input_shape):
            raise ValueError(
                f"{self.label} expects a list of {len(self.in_channels)} feature maps, "
                f"P3 first; got one input of shape {tuple(input_shape)}"
            )
        check_features(list(input_shape), self.in_channels, self.label)
        for extra in self.extra_levels:
            extra.build(None)
        for layer in self.bifpn_layers:
            layer.build([(None, None, None, w) for w in layer.in_channels])

    def compute_output_shape(self, input_shape):
        # Computed, not traced (see BiFPNLayer.compute_output_shape).
        shapes = [tuple(shape) for shape in input_shape]
        for _ in self.extra_levels:
            batch, height, width = shapes[-1][:3]
            shapes.append(
                (batch, halve(static_size(height)), halve(static_size(width)))
            )
        channels = self.config["channels"]
        return [(*shape[:3], channels) for shape in shapes]

    def call(self, features, training=None):
        check_features(features, self.in_channels, self.label)
        features = list(features)
        for extra in self.extra_levels:
            features.append(extra(features[-1], training=training))  # P6, P7
        for layer in self.bifpn_layers:
            features = layer(features, training=training)
        return features


__all__ = [
    "WeightedFusion",
    "efficientdet_batch_norm",
    "upsample_to",
    "ChannelAdapter",
    "BiFPNNode",
    "check_features",
    "BiFPNLayer",
    "ExtraLevel",
    "BiFPN",
]

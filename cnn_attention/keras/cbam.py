"""CBAM (Woo et al., 2018) as Keras 3 layers: ChannelGate, SpatialGate, CBAM.

The twin of cnn_attention/torch/cbam.py; chapter 4 builds a minimal CBAM and proves
it equal to this one.
"""

import keras
from keras import layers, ops

from cnn_attention.arguments import (
    ARRANGEMENTS,
    POOL_TYPES,
    check_bool,
    check_choice,
    check_odd_kernel,
    check_pool_types,
    check_spatial_arguments,
    check_spatial_pools,
    se_hidden_channels,
)
from cnn_attention.keras.activations import create_activation, create_gate
from cnn_attention.keras.factory import ConfigMixin, register_attention
from cnn_attention.keras.reductions import reduce_max
from cnn_attention.utils import check_feature_map


def global_pool(x, pool_type: str):
    """One descriptor per channel: (N, H, W, C) -> (N, C); see the PyTorch version."""
    if pool_type == "avg":
        return ops.mean(x, axis=(1, 2))
    if pool_type == "max":
        return reduce_max(x, axis=(1, 2))
    if pool_type == "lp":
        squares = ops.sum(ops.square(x), axis=(1, 2))
        # sqrt'(0) is infinite: without the inner where, an all-zero channel (a dead
        # ReLU) would send NaN gradients back. PyTorch's norm defines them as 0.
        positive = squares > 0
        return ops.where(positive, ops.sqrt(ops.where(positive, squares, 1.0)), 0.0)
    if pool_type == "lse":
        return ops.logsumexp(x, axis=(1, 2))
    raise ValueError(f"pool_type must be one of {POOL_TYPES}; got {pool_type!r}")


@keras.saving.register_keras_serializable(package="cnn_attention")
class ChannelGate(ConfigMixin, layers.Layer):
    """CBAM's channel attention for (N, H, W, C); the PyTorch ChannelGate's twin."""

    def __init__(
        self,
        channels: int,
        reduction: int = 16,
        hidden_channels: int | None = None,
        bias: bool = True,
        activation: str = "relu",
        gate: str = "sigmoid",
        pool_types: tuple = ("avg", "max"),
        **kwargs,
    ):
        super().__init__(**kwargs)
        hidden = se_hidden_channels(channels, reduction, hidden_channels)
        pool_types = check_pool_types(pool_types)
        self.set_resolved(hidden_channels=hidden, reduction=None)
        self.set_config(
            channels=channels,
            reduction=reduction,
            hidden_channels=hidden_channels,
            bias=check_bool("bias", bias),
            activation=activation,
            gate=gate,
            pool_types=pool_types,
        )
        self.channels = channels
        self.pool_types = pool_types
        policy = self.dtype_policy
        self.fc1 = layers.Dense(hidden, use_bias=bias, name="fc1", dtype=policy)
        self.act = create_activation(activation, name="act", dtype=policy)
        self.fc2 = layers.Dense(channels, use_bias=bias, name="fc2", dtype=policy)
        self.gate = create_gate(gate, name="gate", dtype=policy)

    def build(self, input_shape):
        check_feature_map(
            input_shape, self.channels, channels_last=True, layer=self.label
        )
        self.fc1.build((None, self.channels))
        self.fc2.build((None, self.fc1.units))

    def attention(self, x):
        """Mc, (N, H, W, C) -> (N, 1, 1, C)."""
        # (P, N, C): one descriptor per pool, then the shared MLP on all of them
        descriptors = ops.stack([global_pool(x, p) for p in self.pool_types])
        scores = ops.sum(self.fc2(self.act(self.fc1(descriptors))), axis=0)  # (N, C)
        return ops.reshape(self.gate(scores), (-1, 1, 1, self.channels))

    def call(self, x):
        check_feature_map(x, self.channels, channels_last=True, layer=self.label)
        return x * self.attention(x)


@keras.saving.register_keras_serializable(package="cnn_attention")
class SpatialGate(ConfigMixin, layers.Layer):
    """CBAM's spatial attention for (N, H, W, C) maps; the PyTorch SpatialGate's twin.

    The BatchNorm mirrors the official PyTorch momentum 0.01, which is Keras's 0.99.
    """

    def __init__(
        self,
        kernel_size: int = 7,
        spatial_pools: tuple = ("max", "avg"),
        norm: bool = True,
        gate: str = "sigmoid",
        **kwargs,
    ):
        super().__init__(**kwargs)
        kernel_size = check_odd_kernel("kernel_size", kernel_size)
        spatial_pools = check_spatial_pools(spatial_pools)
        self.set_config(
            kernel_size=kernel_size,
            spatial_pools=spatial_pools,
            norm=check_bool("norm", norm),
            gate=gate,
        )
        self.max_first = spatial_pools[0] == "max"
        policy = self.dtype_policy
        self.conv = layers.Conv2D(
            1, kernel_size, padding="same", use_bias=False, name="conv", dtype=policy
        )
        # PyTorch's momentum 0.01 (the official code's) is Keras's 0.99
        self.bn = (
            layers.BatchNormalization(
                epsilon=1e-5, momentum=0.99, name="bn", dtype=policy
            )
            if norm
            else None
        )
        self.gate = create_gate(gate, name="gate", dtype=policy)

    def build(self, input_shape):
        self.conv.build((*input_shape[:3], 2))
        if self.bn is not None:
            self.bn.build((*input_shape[:3], 1))

    def attention(self, x, training=None):
        """Ms, (N, H, W, C) -> (N, H, W, 1)."""
        maximum = reduce_max(x, axis=-1, keepdims=True)  # (N, H, W, 1)
        mean = ops.mean(x, axis=-1, keepdims=True)  # (N, H, W, 1)
        pair = [maximum, mean] if self.max_first else [mean, maximum]
        scores = self.conv(ops.concatenate(pair, axis=-1))  # (N, H, W, 2) -> (.., 1)
        if self.bn is not None:
            scores = self.bn(scores, training=training)
        return self.gate(scores)

    def call(self, x, training=None):
        channels = x.shape[-1] if len(x.shape) == 4 else 0  # any channel count
        check_feature_map(x, channels, channels_last=True, layer=self.label)
        return x * self.attention(x, training=training)


@register_attention("cbam")
class CBAM(ConfigMixin, layers.Layer):
    """Convolutional Block Attention Module for (N, H, W, C) maps; the PyTorch twin.

    The arguments are the PyTorch module's; Keras's own (`name`, `dtype`, ...) follow.
    """

    def __init__(
        self,
        channels: int,
        reduction: int = 16,
        hidden_channels: int | None = None,
        bias: bool = True,
        activation: str = "relu",
        gate: str = "sigmoid",
        pool_types: tuple = ("avg", "max"),
        kernel_size: int = 7,
        spatial_pools: tuple = ("max", "avg"),
        spatial_norm: bool = True,
        spatial: bool = True,
        arrangement: str = "channel_first",
        **kwargs,
    ):
        super().__init__(**kwargs)
        # the spatial gate's arguments are checked even when spatial=False
        check_spatial_arguments(kernel_size, spatial_pools, spatial_norm)
        policy = self.dtype_policy
        self.channel_gate = ChannelGate(
            channels,
            reduction,
            hidden_channels,
            bias,
            activation,
            gate,
            pool_types,
            name="channel_gate",
            dtype=policy,
        )
        self.spatial_gate = (
            SpatialGate(
                kernel_size,
                spatial_pools,
                spatial_norm,
                gate,
                name="spatial_gate",
                dtype=policy,
            )
            if check_bool("spatial", spatial)
            else None
        )
        self.set_resolved(**self.channel_gate.resolved)
        self.set_config(
            **{k: v for k, v in self.channel_gate.config.items()},
            kernel_size=kernel_size,
            spatial_pools=tuple(spatial_pools),
            spatial_norm=spatial_norm,
            spatial=spatial,
            arrangement=check_choice("arrangement", arrangement, ARRANGEMENTS),
        )
        self.channels = channels
        self.arrangement = arrangement

    def build(self, input_shape):
        check_feature_map(
            input_shape, self.channels, channels_last=True, layer=self.label
        )
        self.channel_gate.build(input_shape)
        if self.spatial_gate is not None:
            self.spatial_gate.build(input_shape)

    def call(self, x, training=None):
        check_feature_map(x, self.channels, channels_last=True, layer=self.label)
        if self.spatial_gate is None:
            return self.channel_gate(x)
        if self.arrangement == "channel_first":
            return self.spatial_gate(self.channel_gate(x), training=training)
        if self.arrangement == "spatial_first":
            return self.channel_gate(self.spatial_gate(x, training=training))
        channel = self.channel_gate.attention(x)
        return x * channel * self.spatial_gate.attention(x, training=training)


__all__ = [
    "global_pool",
    "ChannelGate",
    "SpatialGate",
    "CBAM",
]

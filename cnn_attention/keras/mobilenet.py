"""MobileNetV2 (Sandler et al., 2018) in Keras 3, with attention by name in each
inverted residual block (chapter 6).
"""

from collections.abc import Callable

import keras
from keras import layers, ops

from cnn_attention.arguments import (
    check_attention_kwargs,
    check_block_arguments,
    check_dropout,
    check_positive_int,
    make_divisible,
    mobilenet_v2_blocks,
)
from cnn_attention.keras.blocks import ConvNormAct, build_sublayers
from cnn_attention.keras.factory import ConfigMixin, create_attention


@keras.saving.register_keras_serializable(package="cnn_attention")
class ConvNormReLU6(ConvNormAct):
    """ConvNormAct with ReLU6 for (N, H, W, C) maps; the PyTorch twin."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
        **kwargs,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            groups,
            activation=None,
            **kwargs,
        )
        self.set_config(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=stride,
            groups=groups,
        )
        self.act = layers.ReLU(max_value=6.0, name="act", dtype=self.dtype_policy)


@keras.saving.register_keras_serializable(package="cnn_attention")
class InvertedResidual(ConfigMixin, layers.Layer):
    """MobileNetV2's block for (N, H, W, C) maps; the PyTorch InvertedResidual's."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        expand_ratio: int = 6,
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        attention_kwargs = check_block_arguments(
            in_channels,
            out_channels,
            stride,
            attention,
            attention_kwargs,
            width_name="out_channels",
        )
        check_positive_int("expand_ratio", expand_ratio)
        self.set_config(
            in_channels=in_channels,
            out_channels=out_channels,
            stride=stride,
            expand_ratio=expand_ratio,
            attention=attention,
            attention_kwargs=attention_kwargs or None,
        )
        hidden = round(in_channels * expand_ratio)
        self.use_shortcut = stride == 1 and in_channels == out_channels
        policy = self.dtype_policy
        self.expand = (
            ConvNormReLU6(in_channels, hidden, 1, name="expand", dtype=policy)
            if expand_ratio != 1
            else None
        )
        self.depthwise = ConvNormReLU6(
            hidden, hidden, 3, stride, groups=hidden, name="depthwise", dtype=policy
        )
        # a block without expansion has no attention (nor options for it)
        self.attention = create_attention(
            attention if expand_ratio != 1 else None,
            hidden,
            name="attention",
            dtype=policy,
            **(attention_kwargs if expand_ratio != 1 else {}),
        )
        self.project = ConvNormAct(
            hidden, out_channels, 1, activation=None, name="project", dtype=policy
        )

    def build(self, input_shape):
        build_sublayers(self, input_shape, self.config["in_channels"])

    def call(self, x, training=None):
        branch = x if self.expand is None else self.expand(x, training=training)
        branch = self.depthwise(branch, training=training)  # (N, H/s, W/s, t C_in)
        branch = self.attention(branch, training=training)
        branch = self.project(branch, training=training)  # (N, H/s, W/s, C_out)
        return x + branch if self.use_shortcut else branch


@keras.saving.register_keras_serializable(package="cnn_attention")
class MobileNetV2(ConfigMixin, keras.Model):
    """MobileNetV2 for (N, H, W, C) images; the PyTorch MobileNetV2's twin.

    Same arguments as the PyTorch model (see its docstring). A model built with
    attention given by name can be saved and loaded; a callable cannot be serialized.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        width_multiplier: float = 1.0,
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
        dropout: float = 0.2,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_int("num_classes", num_classes)
        check_positive_int("in_channels", in_channels)
        check_dropout(dropout)
        check_attention_kwargs(attention, attention_kwargs)
        blocks = mobilenet_v2_blocks(width_multiplier)
        self.set_config(
            num_classes=num_classes,
            in_channels=in_channels,
            width_multiplier=width_multiplier,
            attention=attention,
            attention_kwargs=attention_kwargs,
            dropout=dropout,
        )
        policy = self.dtype_policy
        self.stem = ConvNormReLU6(
            in_channels, blocks[0][0], 3, stride=2, name="stem", dtype=policy
        )
        self.blocks = keras.Sequential(
            [
                InvertedResidual(
                    *block, attention, attention_kwargs, name=f"block{i}", dtype=policy
                )
                for i, block in enumerate(blocks)
            ],
            name="blocks",
        )
        self.num_features = make_divisible(1280 * max(1.0, width_multiplier))
        self.last_conv = ConvNormReLU6(
            blocks[-1][1], self.num_features, 1, name="last_conv", dtype=policy
        )
        self.dropout = layers.Dropout(dropout, name="dropout", dtype=policy)
        self.classifier = layers.Dense(num_classes, name="classifier", dtype=policy)

    def build(self, input_shape):
        build_sublayers(self, input_shape, self.config["in_channels"])

    def forward_features(self, x, training=None):
        """The last convolution's map, (N, H / 32, W / 32, 1280)."""
        x = self.blocks(self.stem(x, training=training), training=training)
        return self.last_conv(x, training=training)

    def call(self, x, training=None):
        features = self.forward_features(x, training=training)  # (N, H/32, W/32, 1280)
        pooled = ops.mean(features, axis=(1, 2))  # (N, 1280)
        return self.classifier(self.dropout(pooled, training=training))


def mobilenet_v2(num_classes: int = 1000, **kwargs) -> MobileNetV2:
    """MobileNetV2 (3,504,872 parameters with 1000 classes)."""
    return MobileNetV2(num_classes=num_classes, **kwargs)


__all__ = [
    "ConvNormReLU6",
    "InvertedResidual",
    "MobileNetV2",
    "mobilenet_v2",
]

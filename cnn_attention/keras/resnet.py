"""ResNet-18/34/50 in Keras 3 with attention by name in every residual block.

The twin of cnn_attention/torch/resnet.py, weight for weight.
"""

from collections.abc import Callable

import keras
from keras import ops

from cnn_attention.arguments import (
    HeadFactory,
    check_attention_kwargs,
    check_block_arguments,
    check_choice,
    check_head,
    check_int_tuple,
    check_positive_int,
)
from cnn_attention.keras.blocks import ConvNormAct, build_sublayers
from cnn_attention.keras.factory import ConfigMixin, create_attention
from cnn_attention.keras.pooling import HEAD_FACTORIES
from cnn_attention.utils import check_feature_map

# `layers` is also ResNet's argument (blocks per stage), so Keras's module is
# always written keras.layers in this file.


@keras.saving.register_keras_serializable(package="cnn_attention")
class BasicBlock(ConfigMixin, keras.layers.Layer):
    """ResNet-18/34's block for (N, H, W, C) maps; the PyTorch BasicBlock's twin."""

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        attention_kwargs = check_block_arguments(
            in_channels, width, stride, attention, attention_kwargs
        )
        out_channels = width * self.expansion
        self.set_config(
            in_channels=in_channels,
            width=width,
            stride=stride,
            attention=attention,
            attention_kwargs=attention_kwargs or None,
        )
        policy = self.dtype_policy
        self.conv1 = ConvNormAct(
            in_channels, width, 3, stride, name="conv1", dtype=policy
        )
        self.conv2 = ConvNormAct(
            width, out_channels, 3, activation=None, name="conv2", dtype=policy
        )
        self.attention = create_attention(
            attention,
            out_channels,
            name="attention",
            dtype=policy,
            **attention_kwargs,
        )
        self.downsample = _shortcut(in_channels, out_channels, stride, policy)
        self.relu = keras.layers.ReLU(name="relu", dtype=policy)

    def build(self, input_shape):
        build_sublayers(self, input_shape, self.config["in_channels"])

    def call(self, x, training=None):
        branch = self.conv2(self.conv1(x))  # (N, H/s, W/s, C_out)
        return self.relu(self.attention(branch) + self.downsample(x))


@keras.saving.register_keras_serializable(package="cnn_attention")
class Bottleneck(ConfigMixin, keras.layers.Layer):
    """ResNet-50's block for (N, H, W, C) maps; the PyTorch Bottleneck's twin."""

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int = 1,
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        attention_kwargs = check_block_arguments(
            in_channels, width, stride, attention, attention_kwargs
        )
        out_channels = width * self.expansion
        self.set_config(
            in_channels=in_channels,
            width=width,
            stride=stride,
            attention=attention,
            attention_kwargs=attention_kwargs or None,
        )
        policy = self.dtype_policy
        self.conv1 = ConvNormAct(in_channels, width, 1, name="conv1", dtype=policy)
        self.conv2 = ConvNormAct(width, width, 3, stride, name="conv2", dtype=policy)
        self.conv3 = ConvNormAct(
            width, out_channels, 1, activation=None, name="conv3", dtype=policy
        )
        self.attention = create_attention(
            attention,
            out_channels,
            name="attention",
            dtype=policy,
            **attention_kwargs,
        )
        self.downsample = _shortcut(in_channels, out_channels, stride, policy)
        self.relu = keras.layers.ReLU(name="relu", dtype=policy)

    def build(self, input_shape):
        build_sublayers(self, input_shape, self.config["in_channels"])

    def call(self, x, training=None):
        branch = self.conv3(self.conv2(self.conv1(x)))  # (N, H/s, W/s, 4w)
        return self.relu(self.attention(branch) + self.downsample(x))


def _shortcut(in_channels: int, out_channels: int, stride: int, policy):
    if stride == 1 and in_channels == out_channels:
        return keras.layers.Identity(name="downsample", dtype=policy)
    return ConvNormAct(
        in_channels,
        out_channels,
        1,
        stride,
        activation=None,
        name="downsample",
        dtype=policy,
    )


@keras.saving.register_keras_serializable(package="cnn_attention")
class ClassifierHead(ConfigMixin, keras.layers.Layer):
    """Global average pooling, then Dense: (N, H, W, C) -> (N, num_classes)."""

    def __init__(self, in_channels: int, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.set_config(
            in_channels=check_positive_int("in_channels", in_channels),
            num_classes=check_positive_int("num_classes", num_classes),
        )
        self.fc = keras.layers.Dense(num_classes, name="fc", dtype=self.dtype_policy)

    def build(self, input_shape):
        check_feature_map(
            input_shape,
            self.config["in_channels"],
            channels_last=True,
            layer=self.label,
        )
        self.fc.build((None, self.config["in_channels"]))

    def call(self, x):
        check_feature_map(
            x, self.config["in_channels"], channels_last=True, layer=self.label
        )
        # (N, H, W, C) -> (N, C) -> (N, classes)
        return self.fc(ops.mean(x, axis=(1, 2)))


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


@keras.saving.register_keras_serializable(package="cnn_attention")
class ResNet(ConfigMixin, keras.Model):
    """A residual network for (N, H, W, C) images; the PyTorch ResNet's twin.

    Same arguments as the PyTorch ResNet (see its docstring). A model built with
    attention given by name can be saved and loaded; a callable cannot be serialized.

    ``dtype="float64"`` gives every layer, the head included, float64 weights. On the
    JAX backend the computation stays float32 unless JAX's ``jax_enable_x64`` flag is
    on (JAX's own default, not ours); TensorFlow and torch compute in float64.
    """

    def __init__(
        self,
        block: str = "basic",
        layers: tuple = (2, 2, 2, 2),
        widths: tuple = (64, 128, 256, 512),
        num_classes: int = 1000,
        in_channels: int = 3,
        stem: str = "imagenet",
        attention: str | Callable | None = None,
        attention_kwargs: dict | None = None,
        head: Callable | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        block_class = BLOCKS[check_choice("block", block, tuple(BLOCKS))]
        layers = check_int_tuple("layers", layers)
        widths = check_int_tuple("widths", widths, length=len(layers))
        check_positive_int("num_classes", num_classes)
        check_positive_int("in_channels", in_channels)
        check_head(head)
        check_attention_kwargs(attention, attention_kwargs)
        self.set_config(
            block=block,
            layers=layers,
            widths=widths,
            num_classes=num_classes,
            in_channels=in_channels,
            stem=check_choice("stem", stem, ("imagenet", "small")),
            attention=attention,
            attention_kwargs=attention_kwargs,
            head=head,
        )
        self.set_resolved(head=head)  # the factory itself: port_weights compares it
        policy = self.dtype_policy
        if stem == "imagenet":  # (N, H, W, 3) -> (N, H/4, W/4, w0)
            self.stem = keras.Sequential(
                [
                    ConvNormAct(
                        in_channels, widths[0], 7, 2, name="conv", dtype=policy
                    ),
                    # PyTorch pads max pooling with -inf; after the ReLU every value
                    # is >= 0, so zeros give the same maxima.
                    keras.layers.ZeroPadding2D(1, name="pool_pad", dtype=policy),
                    keras.layers.MaxPool2D(3, strides=2, name="pool", dtype=policy),
                ],
                name="stem",
            )
        else:  # (N, H, W, 3) -> (N, H, W, w0)
            conv = ConvNormAct(in_channels, widths[0], 3, name="conv", dtype=policy)
            self.stem = keras.Sequential([conv], name="stem")
        stages, channels = [], widths[0]
        for index, (blocks, width) in enumerate(zip(layers, widths)):
            stage = []
            for number in range(blocks):
                stride = 2 if index > 0 and number == 0 else 1
                name = f"stage{index + 1}_block{number + 1}"
                stage.append(
                    block_class(
                        channels,
                        width,
                        stride,
                        attention,
                        attention_kwargs,
                        name=name,
                        dtype=policy,
                    )
                )
                channels = width * block_class.expansion
            stages.append(keras.Sequential(stage, name=f"stage{index + 1}"))
        self.stages = stages
        self.num_features = channels
        if head is None:
            self.head = ClassifierHead(channels, num_classes, name="head", dtype=policy)
        elif isinstance(head, HeadFactory):  # the package's heads take our dtype
            self.head = head(channels, num_classes, dtype=policy)
        else:
            self.head = head(channels, num_classes)
        if not isinstance(self.head, keras.layers.Layer):
            raise ValueError(f"head returned {type(self.head).__name__}, not a layer")

    def build(self, input_shape):
        build_sublayers(self, input_shape, self.config["in_channels"])

    def get_config(self) -> dict:
        config = super().get_config()
        head = config["head"]
        if isinstance(head, HeadFactory):  # as plain JSON: its kind and options
            config["head"] = {"head_factory": head.kind, "options": dict(head.options)}
        return config

    @classmethod
    def from_config(cls, config):
        head = config.get("head")
        if isinstance(head, dict) and "head_factory" in head:
            factory = HEAD_FACTORIES[head["head_factory"]]
            config = {**config, "head": factory(**head["options"])}
        return cls(**config)

    def forward_features(self, x, training=None):
        """The last stage's feature map, (N, H', W', num_features)."""
        x = self.stem(x, training=training)
        for stage in self.stages:
            x = stage(x, training=training)
        return x

    def call(self, x, training=None):
        return self.head(self.forward_features(x, training=training))


def resnet18(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-18 (11,689,512 parameters with 1000 classes)."""
    return ResNet("basic", (2, 2, 2, 2), num_classes=num_classes, **kwargs)


def resnet34(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-34 (21,797,672 parameters with 1000 classes)."""
    return ResNet("basic", (3, 4, 6, 3), num_classes=num_classes, **kwargs)


def resnet50(num_classes: int = 1000, **kwargs) -> ResNet:
    """ResNet-50 (25,557,032 parameters with 1000 classes)."""
    return ResNet("bottleneck", (3, 4, 6, 3), num_classes=num_classes, **kwargs)


__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ClassifierHead",
    "BLOCKS",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
]

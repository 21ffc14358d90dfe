"""Shared Keras building blocks: ConvNormAct, batch norm with PyTorch's defaults."""

import keras
from keras import layers

from cnn_attention.arguments import check_bool, check_conv_arguments
from cnn_attention.keras.activations import create_activation
from cnn_attention.keras.factory import ConfigMixin
from cnn_attention.utils import check_feature_map


def batch_norm(**kwargs) -> layers.BatchNormalization:
    """BatchNormalization with PyTorch's defaults: epsilon 1e-5, momentum 0.1.

    Keras's momentum is the weight of the old statistics, PyTorch's of the new ones,
    so PyTorch's 0.1 is Keras's 0.9. With these, ported weights and statistics give
    equal outputs. In training the running means move alike, the running variances
    almost: PyTorch updates its running variance with the unbiased batch variance
    (divided by n - 1, n = N H W values per channel), Keras with the biased one
    (divided by n), so each step they drift apart by 0.1 (var_unbiased - var_biased)
    = 0.1 var_biased / (n - 1); tests/test_hostile.py measures it.
    """
    return layers.BatchNormalization(epsilon=1e-5, momentum=0.9, **kwargs)


def build_sublayers(layer, input_shape, in_channels: int) -> None:
    """Build a composite layer's sublayers by one symbolic pass, after checking the
    input shape: what its first call does, so that deepcopy, pickle and loading
    (which build from the recorded input shape, then set weights) find every
    weight in place."""
    check_feature_map(input_shape, in_channels, channels_last=True, layer=layer.label)
    if _in_symbolic_pass():
        # Built by an enclosing layer's symbolic pass, which calls this layer right
        # after building it: that call builds the sublayers. A pass of our own would
        # trace them a second time (a fifth of a Keras MobileNetV2's build time).
        return
    layer.compute_output_spec(keras.KerasTensor(tuple(input_shape)))


def _in_symbolic_pass() -> bool:
    try:  # Keras's own scope for compute_output_spec, not public API: if it moves,
        # the only cost is the second trace.
        from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    except ImportError:
        return False
    return in_symbolic_scope()


@keras.saving.register_keras_serializable(package="cnn_attention")
class ConvNormAct(ConfigMixin, layers.Layer):
    """Convolution, BatchNorm, activation, padded as PyTorch pads: ConvNormAct's twin.

    Same arguments as the PyTorch ConvNormAct. Stride 1 uses "same" padding, which for
    odd kernels is PyTorch's kernel_size // 2 on each side. With stride 2 on an even
    input, "same" would pad only the bottom and right, so the map is padded
    explicitly and convolved with "valid" instead.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
        activation: str | None = "relu",
        norm: bool = True,
        bias: bool | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_conv_arguments(in_channels, out_channels, kernel_size, stride, groups)
        bias = (
            not check_bool("norm", norm) if bias is None else check_bool("bias", bias)
        )
        self.set_config(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=kernel_size,
            stride=stride,
            groups=groups,
            activation=activation,
            norm=norm,
            bias=bias,
        )
        self.in_channels = in_channels
        policy = self.dtype_policy
        padding = kernel_size // 2
        explicit = stride > 1 and padding > 0
        self.pad = (
            layers.ZeroPadding2D(padding, name="pad", dtype=policy)
            if explicit
            else None
        )
        options = dict(
            strides=stride,
            padding="valid" if explicit else "same",
            use_bias=bias,
            name="conv",
            dtype=policy,
        )
        if groups > 1 and groups == in_channels == out_channels:
            self.conv = layers.DepthwiseConv2D(kernel_size, **options)
        else:
            self.conv = layers.Conv2D(
                out_channels, kernel_size, groups=groups, **options
            )
        self.bn = batch_norm(name="bn", dtype=policy) if norm else None
        self.act = (
            None
            if activation is None
            else create_activation(activation, name="act", dtype=policy)
        )

    def build(self, input_shape):
        check_feature_map(
            input_shape, self.in_channels, channels_last=True, layer=self.label
        )
        shape = tuple(input_shape)
        if self.pad is not None:
            shape = self.pad.compute_output_shape(shape)
        self.conv.build(shape)
        if self.bn is not None:
            self.bn.build(self.conv.compute_output_shape(shape))

    def call(self, x, training=None):
        check_feature_map(x, self.in_channels, channels_last=True, layer=self.label)
        if self.pad is not None:
            x = self.pad(x)
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x, training=training)
        return x if self.act is None else self.act(x)


__all__ = [
    "build_sublayers",
    "batch_norm",
    "ConvNormAct",
]

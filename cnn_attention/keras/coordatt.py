"""Coordinate Attention (Hou et al., 2021) as a Keras 3 layer.

The twin of cnn_attention/torch/coordatt.py; chapter 6 builds a minimal version and
proves it equal to this one.
"""

from keras import layers, ops

from cnn_attention.arguments import check_out_channels, coordinate_hidden_channels
from cnn_attention.keras.activations import create_activation, create_gate
from cnn_attention.keras.blocks import batch_norm
from cnn_attention.keras.factory import ConfigMixin, register_attention
from cnn_attention.utils import check_feature_map


@register_attention("coord")
class CoordinateAttention(ConfigMixin, layers.Layer):
    """Coordinate Attention for (N, H, W, C) maps; the PyTorch module's twin.

    The arguments are the PyTorch module's; Keras's own (`name`, `dtype`, ...)
    follow. The BatchNorm has PyTorch's defaults (epsilon 1e-5, momentum 0.1).
    """

    def __init__(
        self,
        channels: int,
        reduction: int = 32,
        hidden_channels: int | None = None,
        min_hidden_channels: int = 8,
        activation: str = "hard_swish",
        gate: str = "sigmoid",
        out_channels: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        hidden = coordinate_hidden_channels(
            channels, reduction, hidden_channels, min_hidden_channels
        )
        check_out_channels(channels, out_channels)
        self.set_resolved(
            hidden_channels=hidden, reduction=None, min_hidden_channels=None
        )
        self.set_config(
            channels=channels,
            reduction=reduction,
            hidden_channels=hidden_channels,
            min_hidden_channels=min_hidden_channels,
            activation=activation,
            gate=gate,
            out_channels=out_channels,
        )
        self.channels, self.hidden = channels, hidden
        policy = self.dtype_policy
        self.conv1 = layers.Conv2D(hidden, 1, name="conv1", dtype=policy)
        self.bn1 = batch_norm(name="bn1", dtype=policy)
        self.act = create_activation(activation, name="act", dtype=policy)
        self.conv_h = layers.Conv2D(channels, 1, name="conv_h", dtype=policy)
        self.conv_w = layers.Conv2D(channels, 1, name="conv_w", dtype=policy)
        self.gate = create_gate(gate, name="gate", dtype=policy)

    def build(self, input_shape):
        check_feature_map(
            input_shape, self.channels, channels_last=True, layer=self.label
        )
        # the PyTorch state_dict's order: conv1, bn1, conv_h, conv_w
        self.conv1.build((None, None, 1, self.channels))
        self.bn1.build((None, None, 1, self.hidden))
        self.conv_h.build((None, None, 1, self.hidden))
        self.conv_w.build((None, None, 1, self.hidden))

    def attention(self, x, training=None):
        """(a_h, a_w): (N, H, W, C) -> (N, H, 1, C) and (N, 1, W, C)."""
        height = ops.shape(x)[1]
        pooled_h = ops.mean(x, axis=2, keepdims=True)  # over W: (N, H, 1, C)
        pooled_w = ops.mean(x, axis=1, keepdims=True)  # over H: (N, 1, W, C)
        # (N, H, 1, C) and (N, 1, W, C) -> (N, W, 1, C) -> (N, H + W, 1, C)
        y = ops.concatenate([pooled_h, ops.transpose(pooled_w, (0, 2, 1, 3))], axis=1)
        y = self.act(self.bn1(self.conv1(y), training=training))  # (N, H+W, 1, mip)
        y_h, y_w = y[:, :height], y[:, height:]  # (N, H, 1, mip), (N, W, 1, mip)
        a_h = self.gate(self.conv_h(y_h))  # (N, H, 1, C)
        a_w = self.gate(self.conv_w(ops.transpose(y_w, (0, 2, 1, 3))))  # (N, 1, W, C)
        return a_h, a_w

    def call(self, x, training=None):
        check_feature_map(x, self.channels, channels_last=True, layer=self.label)
        a_h, a_w = self.attention(x, training=training)
        return x * a_w * a_h  # (N, H, W, C) * (N, 1, W, C) * (N, H, 1, C)


__all__ = [
    "CoordinateAttention",
]

"""Squeeze-and-Excitation (Hu et al., 2018) as a Keras 3 layer.

The twin of cnn_attention/torch/se.py; chapter 2 builds a minimal version.
"""

import keras
from keras import layers, ops

from cnn_attention.arguments import check_bool, se_hidden_channels
from cnn_attention.keras.activations import create_activation, create_gate
from cnn_attention.keras.factory import ConfigMixin, register_attention
from cnn_attention.keras.ranks import AnyRank


@register_attention("se")
class SEModule(ConfigMixin, AnyRank, layers.Layer):
    """Squeeze-and-Excitation (Hu et al., 2018) for (N, H, W, C) feature maps.

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
        **kwargs,
    ):
        super().__init__(**kwargs)
        hidden = se_hidden_channels(channels, reduction, hidden_channels)
        self.set_resolved(hidden_channels=hidden, reduction=None)
        self.set_config(
            channels=channels,
            reduction=reduction,
            hidden_channels=hidden_channels,
            bias=check_bool("bias", bias),
            activation=activation,
            gate=gate,
        )
        self.channels = channels
        self.set_rank(channels)  # 1-D and 3-D subclasses: other axes
        policy = self.dtype_policy  # sublayers compute in the layer's dtype
        self.fc1 = layers.Dense(hidden, use_bias=bias, name="fc1", dtype=policy)
        self.act = create_activation(activation, name="act", dtype=policy)
        self.fc2 = layers.Dense(channels, use_bias=bias, name="fc2", dtype=policy)
        self.gate = create_gate(gate, name="gate", dtype=policy)

    def build(self, input_shape):
        self.check(input_shape)
        self.fc1.build((None, self.channels))  # kernel W1^T: (C, C/r)
        self.fc2.build((None, self.fc1.units))  # kernel W2^T: (C/r, C)

    def call(self, x):
        self.check(x)
        z = ops.mean(x, axis=self.spatial_axes)  # squeeze: (N, H, W, C) -> (N, C)
        # excitation: (N, C) -> (N, C/r) -> (N, C)
        s = self.gate(self.fc2(self.act(self.fc1(z))))
        # scale: (N, 1, 1, C) broadcast -> (N, H, W, C)
        return x * ops.reshape(s, self.gate_shape)


@keras.saving.register_keras_serializable(package="cnn_attention")
class SEModule1d(SEModule):
    """SEModule for sequences (N, L, C): the squeeze averages over L."""

    SPATIAL_DIMS = 1


@keras.saving.register_keras_serializable(package="cnn_attention")
class SEModule3d(SEModule):
    """SEModule for volumes and video (N, D, H, W, C): the squeeze averages over
    D, H and W."""

    SPATIAL_DIMS = 3


__all__ = [
    "SEModule",
    "SEModule1d",
    "SEModule3d",
]

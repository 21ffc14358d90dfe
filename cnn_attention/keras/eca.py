"""Efficient Channel Attention (Wang et al., 2020) as a Keras 3 layer.

The twin of cnn_attention/torch/eca.py; chapter 3 builds a minimal version.
"""

import keras
from keras import layers, ops

from cnn_attention.arguments import eca_kernel_size_or_default
from cnn_attention.keras.activations import create_gate
from cnn_attention.keras.factory import ConfigMixin, register_attention
from cnn_attention.keras.ranks import AnyRank


@register_attention("eca")
class ECAModule(ConfigMixin, AnyRank, layers.Layer):
    """Efficient Channel Attention (Wang et al., 2020) for (N, H, W, C) feature maps.

    The arguments are the PyTorch module's; Keras's own (`name`, `dtype`, ...) follow.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int | None = None,
        gamma: float = 2,
        beta: float = 1,
        gate: str = "sigmoid",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_size = eca_kernel_size_or_default(
            channels, kernel_size, gamma, beta
        )
        self.set_resolved(kernel_size=self.kernel_size, gamma=None, beta=None)
        self.set_config(
            channels=channels,
            kernel_size=kernel_size,
            gamma=gamma,
            beta=beta,
            gate=gate,
        )
        self.channels = channels
        self.set_rank(channels)  # 1-D and 3-D subclasses: other axes
        policy = self.dtype_policy
        # kernel (k, 1, 1)
        self.conv = layers.Conv1D(
            1,
            self.kernel_size,
            padding="same",
            use_bias=False,
            name="conv",
            dtype=policy,
        )
        self.gate = create_gate(gate, name="gate", dtype=policy)

    def build(self, input_shape):
        self.check(input_shape)
        self.conv.build((None, self.channels, 1))

    def call(self, x):
        self.check(x)
        z = ops.mean(x, axis=self.spatial_axes)  # squeeze: (N, H, W, C) -> (N, C)
        # the channels become the length axis: (N, C, 1) -> (N, C, 1)
        y = self.conv(ops.expand_dims(z, -1))
        s = self.gate(ops.reshape(y, self.gate_shape))  # (N, 1, 1, C)
        return x * s  # broadcast over H, W -> (N, H, W, C)


@keras.saving.register_keras_serializable(package="cnn_attention")
class ECAModule1d(ECAModule):
    """ECAModule for sequences (N, L, C): the squeeze averages over L."""

    SPATIAL_DIMS = 1


@keras.saving.register_keras_serializable(package="cnn_attention")
class ECAModule3d(ECAModule):
    """ECAModule for volumes and video (N, D, H, W, C): the squeeze averages over
    D, H and W."""

    SPATIAL_DIMS = 3


__all__ = [
    "ECAModule",
    "ECAModule1d",
    "ECAModule3d",
]

# This file was generated from notebooks/03_efficient_channel_attention.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

import keras
from keras import layers, ops

from cnn_attention.arguments import eca_kernel_size_or_default
from cnn_attention.keras.activations import get_gate
from cnn_attention.utils import check_feature_map


@keras.saving.register_keras_serializable(package="cnn_attention")
class ECAModule(layers.Layer):
    """Efficient Channel Attention (Wang et al., 2020) for (N, H, W, C) feature maps; same arguments as PyTorch's."""

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
        self.channels, self.gamma, self.beta, self.gate = channels, gamma, beta, gate
        self.gate_fn = get_gate(gate)
        self.conv = layers.Conv1D(
            1, self.kernel_size, padding="same", use_bias=False, name="conv"
        )  # (k, 1, 1)

    def build(self, input_shape):
        check_feature_map(
            input_shape, self.channels, channels_last=True, layer=self.name
        )
        self.conv.build((None, self.channels, 1))

    def call(self, x):
        check_feature_map(x, self.channels, channels_last=True, layer=self.name)
        z = ops.mean(x, axis=(1, 2))  # squeeze: (N, H, W, C) -> (N, C)
        y = self.conv(
            ops.expand_dims(z, -1)
        )  # channels become the length axis: (N, C, 1) -> (N, C, 1)
        s = self.gate_fn(
            ops.reshape(y, (-1, 1, 1, self.channels))
        )  # (N, C, 1) -> (N, 1, 1, C)
        return x * s  # broadcast over H, W -> (N, H, W, C)

    def get_config(self):
        return {
            **super().get_config(),
            "channels": self.channels,
            "kernel_size": self.kernel_size,
            "gamma": self.gamma,
            "beta": self.beta,
            "gate": self.gate,
        }


__all__ = [
    'ECAModule',
]

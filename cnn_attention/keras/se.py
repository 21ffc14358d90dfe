# This file was generated from notebooks/02_squeeze_excitation.ipynb — do not edit.
# Change the notebooks' '#| export' cells instead, then run `make export` (tools/export_package.py).

import keras
from keras import layers, ops

from cnn_attention.arguments import se_hidden_channels
from cnn_attention.keras.activations import get_activation, get_gate
from cnn_attention.utils import check_feature_map


@keras.saving.register_keras_serializable(package="cnn_attention")
class SEModule(layers.Layer):
    """Squeeze-and-Excitation (Hu et al., 2018) for (N, H, W, C) feature maps; same arguments as the PyTorch module."""

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
        self.channels, self.reduction, self.hidden_channels = (
            channels,
            reduction,
            hidden_channels,
        )
        self.bias, self.activation, self.gate = bias, activation, gate
        self.act_fn, self.gate_fn = get_activation(activation), get_gate(gate)
        self.fc1 = layers.Dense(
            hidden, use_bias=bias, name="fc1"
        )  # kernel W1^T: (C, C/r)
        self.fc2 = layers.Dense(
            channels, use_bias=bias, name="fc2"
        )  # kernel W2^T: (C/r, C)

    def build(self, input_shape):
        check_feature_map(
            input_shape, self.channels, channels_last=True, layer=self.name
        )
        self.fc1.build((None, self.channels))
        self.fc2.build((None, self.fc1.units))

    def call(self, x):
        check_feature_map(x, self.channels, channels_last=True, layer=self.name)
        z = ops.mean(x, axis=(1, 2))  # squeeze: (N, H, W, C) -> (N, C)
        s = self.gate_fn(
            self.fc2(self.act_fn(self.fc1(z)))
        )  # excitation: (N, C) -> (N, C/r) -> (N, C)
        return x * ops.reshape(
            s, (-1, 1, 1, self.channels)
        )  # scale: (N, 1, 1, C) broadcast -> (N, H, W, C)

    def get_config(self):
        return {
            **super().get_config(),
            "channels": self.channels,
            "reduction": self.reduction,
            "hidden_channels": self.hidden_channels,
            "bias": self.bias,
            "activation": self.activation,
            "gate": self.gate,
        }


__all__ = [
    'SEModule',
]

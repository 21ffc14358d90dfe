"""The Keras attention registry: `create_attention(name, channels, **kwargs)`,
`register_attention`, and the config mixin every layer shares.
"""

from collections.abc import Callable

import keras
from keras import layers

from cnn_attention.arguments import (
    check_attention_kwargs,
    check_positive_int,
    check_registry_name,
    claim,
)

# name -> class; each layer registers itself where it is defined.
ATTENTION_MODULES: dict[str, type[layers.Layer]] = {}


class ConfigMixin:
    """get_config() from the constructor arguments kept in `self.config`.

    The PyTorch modules have the same mixin, so `port_weights` can compare configs.
    """

    def set_config(self, **arguments) -> None:
        self.config = arguments

    @property
    def label(self) -> str:  # names the layer in error messages
        return f"{type(self).__name__} {self.name!r}"

    def get_config(self) -> dict:
        return {**super().get_config(), **self.config}

    def set_resolved(self, **sizes) -> None:
        """Record derived sizes (see the PyTorch ConfigMixin)."""
        self.resolved = sizes

    def resolved_config(self) -> dict:
        """get_config() with derived sizes filled in (see the PyTorch ConfigMixin)."""
        return {**self.get_config(), **getattr(self, "resolved", {})}


def register_attention(name: str):
    """Class decorator: make `create_attention(name, channels)` build this layer.

    It also registers the class with Keras, so saved models can be loaded (after
    `import cnn_attention.keras`). A name belongs to one class, as in PyTorch: the
    same class defined again takes it over, another class is refused.
    """

    check_registry_name(name)

    def register(layer_class):
        claim(ATTENTION_MODULES, name, layer_class)
        serializable = keras.saving.register_keras_serializable(package="cnn_attention")
        return serializable(layer_class)

    return register


def create_attention(
    attention: str | Callable[..., layers.Layer] | None, channels: int, **kwargs
) -> layers.Layer:
    """An attention layer for `channels` channels, by name, by factory, or none.

    `attention` is a registered name ("se", "eca", ...), a callable called as
    `attention(channels, **kwargs)`, or None for layers.Identity() (no attention).
    Keyword arguments such as `name=` and `dtype=` go to the layer.
    """
    import cnn_attention.keras  # noqa: F401  (importing the package registers all)

    if attention is None:
        check_positive_int("channels", channels)
        layer_options = {
            key: kwargs.pop(key) for key in ("name", "dtype") if key in kwargs
        }
        check_attention_kwargs(None, kwargs)
        return layers.Identity(**layer_options)
    if isinstance(attention, str):
        if attention not in ATTENTION_MODULES:
            known = ", ".join(map(repr, sorted(ATTENTION_MODULES)))
            raise ValueError(f"unknown attention {attention!r}; known: {known}")
        return ATTENTION_MODULES[attention](channels, **kwargs)
    if callable(attention) and not isinstance(attention, bool):
        layer = attention(channels, **kwargs)
        if not isinstance(layer, layers.Layer):
            raise ValueError(
                f"the attention factory returned {type(layer).__name__}, "
                "not a Keras layer"
            )
        return layer
    raise ValueError(
        f"attention must be a registered name, a callable or None; got {attention!r}"
    )


__all__ = [
    "ATTENTION_MODULES",
    "ConfigMixin",
    "register_attention",
    "create_attention",
]

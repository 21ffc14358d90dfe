"""The PyTorch attention registry: `create_attention(name, channels, **kwargs)`,
`register_attention`, and `ConfigMixin` (Keras's get_config for modules).
"""

from collections.abc import Callable

from torch import nn


class ConfigMixin:
    """Keras's get_config() for PyTorch modules: the constructor arguments.

    A module calls `self.set_config(...)` in __init__; `port_weights` compares the
    configs of a PyTorch module and a Keras layer before it copies weights.
    """

    def set_config(self, **arguments) -> None:
        self.config = arguments
        self.label = type(self).__name__  # names the module in error messages

    def get_config(self) -> dict:
        return dict(self.config)


# name -> class; each module registers itself where it is defined.
ATTENTION_MODULES: dict[str, type[nn.Module]] = {}


def register_attention(name: str):
    """Class decorator: make `create_attention(name, channels)` build this module.

    A name belongs to one class. A class of the same name registered again (a
    notebook cell that defines the packaged class, or runs twice) leaves the first
    one in place; another class under a taken name is refused.
    """

    def register(module_class):
        _claim(ATTENTION_MODULES, name, module_class)
        return module_class

    return register


def _claim(registry: dict, name: str, new_class: type) -> None:
    known = registry.setdefault(name, new_class)
    if known.__name__ != new_class.__name__:
        raise ValueError(
            f"attention {name!r} is already registered to "
            f"{known.__module__}.{known.__qualname__}; choose another name"
        )


def create_attention(
    attention: str | Callable[..., nn.Module] | None, channels: int, **kwargs
) -> nn.Module:
    """An attention module for `channels` channels, by name, by factory, or none.

    `attention` is a registered name ("se", "eca", ...), a callable called as
    `attention(channels, **kwargs)`, or None for nn.Identity() (no attention).
    """
    import cnn_attention.torch  # noqa: F401  (importing the package registers all)

    if attention is None:
        return nn.Identity()
    if isinstance(attention, str):
        if attention not in ATTENTION_MODULES:
            known = ", ".join(map(repr, sorted(ATTENTION_MODULES)))
            raise ValueError(f"unknown attention {attention!r}; known: {known}")
        return ATTENTION_MODULES[attention](channels, **kwargs)
    if callable(attention) and not isinstance(attention, bool):
        module = attention(channels, **kwargs)
        if not isinstance(module, nn.Module):
            raise ValueError(
                f"the attention factory returned {type(module).__name__}, "
                "not a torch.nn.Module"
            )
        return module
    raise ValueError(
        f"attention must be a registered name, a callable or None; got {attention!r}"
    )


__all__ = [
    "ConfigMixin",
    "ATTENTION_MODULES",
    "register_attention",
    "create_attention",
]

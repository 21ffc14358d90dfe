"""The PyTorch attention registry: `create_attention(name, channels, **kwargs)`,
`register_attention`, and `ConfigMixin` (Keras's get_config for modules).
"""

from collections.abc import Callable

from torch import nn

from cnn_attention.arguments import (
    check_attention_kwargs,
    check_positive_int,
    check_registry_name,
    claim,
)


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

    def set_resolved(self, **sizes) -> None:
        """Record the sizes this module derived from its arguments (its hidden width,
        say), replacing the arguments they came from (None: no longer needed)."""
        self.resolved = sizes

    def resolved_config(self) -> dict:
        """get_config() with derived sizes filled in: two modules built alike compare
        equal however their arguments were written (reduction=4 or
        hidden_channels=4 for 16 channels)."""
        return {**self.get_config(), **getattr(self, "resolved", {})}


# name -> class; each module registers itself where it is defined.
ATTENTION_MODULES: dict[str, type[nn.Module]] = {}


def register_attention(name: str):
    """Class decorator: make `create_attention(name, channels)` build this module.

    A name belongs to one class. The same class defined again (a notebook cell run
    twice: same module, same qualified name) replaces the first; another class
    under a taken name, even one with the same class name, is refused.
    """

    check_registry_name(name)

    def register(module_class):
        claim(ATTENTION_MODULES, name, module_class)
        return module_class

    return register


def create_attention(
    attention: str | Callable[..., nn.Module] | None, channels: int, **kwargs
) -> nn.Module:
    """An attention module for `channels` channels, by name, by factory, or none.

    `attention` is a registered name ("se", "eca", ...), a callable called as
    `attention(channels, **kwargs)`, or None for nn.Identity() (no attention).
    """
    import cnn_attention.torch  # noqa: F401  (importing the package registers all)

    if attention is None:
        check_positive_int("channels", channels)
        check_attention_kwargs(None, kwargs)
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

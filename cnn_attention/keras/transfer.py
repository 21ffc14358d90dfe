"""Copy weights between two Keras models by variable path, skipping what is new.

PyTorch's `model.load_state_dict(state_dict, strict=False)` loads a plain network's
weights into the same network with attention and reports the attention's keys as
missing; this is its Keras counterpart for models whose layers carry explicit names
(the package's networks do).
"""

import keras


def _variables(model, label: str) -> dict:
    if not isinstance(model, keras.layers.Layer):
        raise ValueError(
            f"{label} must be a Keras model or layer, got {type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            f"{label} {model.name!r} is not built yet: call it on a batch first, so "
            "that its weights exist"
        )
    return {variable.path: variable for variable in model.weights}


def copy_matching_weights(source, target) -> dict[str, list[str]]:
    """Copy every variable of `source` into the variable of `target` at the same path.

    Returns {"copied": paths, "missing": target paths that source lacks (left as they
    are: the new layers), "unexpected": source paths that target lacks}. A variable
    at the same path with another shape is refused with a ValueError: that is a
    different layer, not a new one.
    """
    sources = _variables(source, "source")
    targets = _variables(target, "target")
    for path in sources.keys() & targets.keys():
        if tuple(sources[path].shape) != tuple(targets[path].shape):
            raise ValueError(
                f"{path}: shape {tuple(sources[path].shape)} in source but "
                f"{tuple(targets[path].shape)} in target"
            )
    copied = [path for path in targets if path in sources]
    for path in copied:
        targets[path].assign(sources[path])
    return {
        "copied": copied,
        "missing": [path for path in targets if path not in sources],
        "unexpected": [path for path in sources if path not in targets],
    }


__all__ = [
    "copy_matching_weights",
]

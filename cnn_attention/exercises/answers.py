"""The kind of value each answer must be, checked before an exercise's check runs.

A check compares an answer with a value it computes itself; that comparison is only
fair when the answer has the kind the question asks for. Python's loose comparisons
would let the wrong kinds through: ``3.0 == 3``, ``0 == False``, ``bool("False")`` is
True, and ``tuple("2578")`` has four entries. So every answer is first converted by its
`Kind`, which refuses anything else with a message the learner can act on:
``SHAPE.convert("2578")`` raises `WrongKind` with "must be a shape, a tuple of ints such
as (2, 5, 7, 8); got the string '2578'", and ``FLAG.convert(0)`` with "must be True or
False; got the int 0".

NumPy scalars and 0-d tensors count as the Python values they hold, so answers computed
with either framework need no conversion by the learner. Each kind also lists values of
other kinds (`wrong_kinds`) that it must refuse; the tests give every answer of every
exercise each of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np


class WrongKind(ValueError):
    """An answer of another kind than the question asks for."""


def describe(value) -> str:
    """A short phrase naming a value's kind and value: "the string '2578'"."""
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"the string {shown!r}"
    if value is None:
        return "None"
    if isinstance(value, bool | np.bool_):
        return f"the bool {bool(value)}"
    kind = type(value).__name__
    text = repr(value)
    if len(text) > 40:
        return f"a {kind}"
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return (
        f"the {kind} {text}" if kind in ("int", "float") else f"{article} {kind} {text}"
    )


def _scalar(value):
    """A NumPy scalar, 0-d array or 0-d tensor as the Python value it holds; else the
    value itself."""
    if isinstance(value, np.generic):
        return value.item()
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()  # a 0-d NumPy array, PyTorch tensor, TensorFlow tensor
    return value


def _items(value, what: str) -> list:
    """The entries of a list, tuple, 1-D array or shape object; strings, mappings and
    sets are refused (a string is not a list of its characters)."""
    if isinstance(value, str | bytes | Mapping | set | frozenset) or not isinstance(
        value, Iterable
    ):
        raise WrongKind(f"must be {what}; got {describe(value)}")
    if getattr(value, "ndim", 1) != 1:
        raise WrongKind(f"must be {what}; got an array of {value.ndim} dimensions")
    return list(value)


@dataclass(frozen=True, eq=False)
class Kind:
    """What an answer must be: ``convert`` returns it as a plain Python value or raises
    `WrongKind`; ``description`` names the kind in an answer cell."""

    description: str
    convert_value: Callable[[object], object]
    wrong_kinds: tuple = ()

    def convert(self, value):
        return self.convert_value(value)


def _flag(value):
    value = _scalar(value)
    if not isinstance(value, bool):
        raise WrongKind(f"must be True or False; got {describe(value)}")
    return value


def _whole(minimum: int | None):
    def convert(value):
        value = _scalar(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise WrongKind(f"must be a whole number, an int; got {describe(value)}")
        if minimum is not None and value < minimum:
            raise WrongKind(f"must be at least {minimum}; got {value}")
        return value

    return convert


def _number(value):
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WrongKind(f"must be a number (an int or a float); got {describe(value)}")
    if not math.isfinite(value):
        raise WrongKind(f"must be a finite number; got {value}")
    return float(value)


def _text(value):
    if not isinstance(value, str):
        raise WrongKind(f"must be a string; got {describe(value)}")
    return value


def _function(value):
    if not callable(value) or isinstance(value, type):
        raise WrongKind(f"must be a function you defined; got {describe(value)}")
    return value


def _torch_module(value):
    module_type = next(
        (cls for cls in type(value).__mro__ if cls.__module__.startswith("torch.nn")),
        None,
    )
    if module_type is None:
        raise WrongKind(
            f"must be a PyTorch module (torch.nn.Module); got {describe(value)}"
        )
    return value


def _keras_layer(value):
    if not (callable(value) and callable(getattr(value, "get_weights", None))):
        raise WrongKind(f"must be a Keras layer; got {describe(value)}")
    return value


def _shape(value):
    what = "a shape, a tuple of ints such as (2, 5, 7, 8)"
    items = _items(value, what)
    sizes = []
    for position, size in enumerate(items):
        size = _scalar(size)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise WrongKind(
                f"must be {what}; position {position} holds {describe(size)}"
            )
        sizes.append(size)
    return tuple(sizes)


FLAG = Kind("True or False", _flag, ("False", 0, 1.0, None))
COUNT = Kind("an int", _whole(0), ("3", 3.0, True, None))
INTEGER = Kind("an int", _whole(None), ("3", 3.0, False, None))
NUMBER = Kind("a number", _number, ("0.5", True, None, [0.5], float("nan")))
TEXT = Kind("a string", _text, (3, None, b"text", ["text"]))
SHAPE = Kind(
    "a shape, such as (2, 5, 7, 8)",
    _shape,
    ("2578", (2.9, 5.5, 7.2, 8.7), 8, [True, 2], {"N": 2}),
)
FUNCTION = Kind("a function", _function, ("lambda x: x", 0, None, int))
TORCH_MODULE = Kind("a PyTorch module", _torch_module, ("network", None, object()))
KERAS_LAYER = Kind("a Keras layer", _keras_layer, ("layer", None, print))
ANYTHING = Kind("any value", lambda value: value)


def list_of(kind: Kind, length: int | None = None) -> Kind:
    """A list (or tuple, or 1-D array) of answers of one kind, of a given length."""
    counted = f"{length} " if length is not None else ""
    what = f"a list of {counted}values, each {kind.description}"

    def convert(value):
        items = _items(value, what)
        if length is not None and len(items) != length:
            raise WrongKind(f"must be {what}; got {len(items)} values")
        converted = []
        for position, item in enumerate(items):
            try:
                converted.append(kind.convert(item))
            except WrongKind as error:
                raise WrongKind(f"position {position} {error}") from None
        return converted

    wrong = ("1, 2", 7, [kind.wrong_kinds[0]] if kind.wrong_kinds else None)
    return Kind(what, convert, wrong)


def set_of(kind: Kind) -> Kind:
    """A set (or list, or tuple) of answers of one kind; duplicates do not count."""
    what = f"a set (or list) of values, each {kind.description}"

    def convert(value):
        items = list(value) if isinstance(value, set | frozenset) else None
        if items is None:
            items = _items(value, what)
        converted = set()
        for item in items:
            try:
                converted.add(kind.convert(item))
            except WrongKind as error:
                raise WrongKind(f"each entry {error}") from None
        return converted

    wrong = ("squeeze()", 7, {kind.wrong_kinds[0]} if kind.wrong_kinds else None)
    return Kind(what, convert, wrong)


def mapping_of(key: Kind, value: Kind) -> Kind:
    """A dict from keys of one kind to values of another."""
    what = f"a dict from {key.description} to {value.description}"

    def convert(answer):
        if not isinstance(answer, Mapping):
            raise WrongKind(f"must be {what}; got {describe(answer)}")
        converted = {}
        for name, entry in answer.items():
            try:
                name = key.convert(name)
            except WrongKind as error:
                raise WrongKind(f"each key {error}") from None
            try:
                converted[name] = value.convert(entry)
            except WrongKind as error:
                raise WrongKind(f"entry {name!r} {error}") from None
        return converted

    wrong = ([("key", 1)], "key", None)
    return Kind(what, convert, wrong)

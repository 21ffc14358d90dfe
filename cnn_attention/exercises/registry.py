"""The answer key's machinery: registering a check, running it, reporting it."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*\.[1-9][0-9]*")


@dataclass(frozen=True)
class Exercise:
    exercise_id: str
    check: Callable[..., str | None]
    names: tuple[str, ...]
    wrong: Mapping[str, object] = field(default_factory=dict)


EXERCISES: dict[str, Exercise] = {}


def exercise(exercise_id: str, *, wrong: Mapping[str, object]):
    """Register the decorated function as the check of `exercise_id`.

    `wrong` holds answers (one per parameter of the check) that the check must reject.
    """
    if not ID_PATTERN.fullmatch(exercise_id):
        raise ValueError(
            f"exercise id {exercise_id!r} must look like 'se.1' (chapter, dot, number)"
        )

    def register(check: Callable[..., str | None]):
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        names = tuple(inspect.signature(check).parameters)
        if set(wrong) != set(names):
            raise ValueError(
                f"{exercise_id}: `wrong` names {sorted(wrong)}, the check takes "
                f"{list(names)}"
            )
        EXERCISES[exercise_id] = Exercise(exercise_id, check, names, dict(wrong))
        return check

    return register


def _lookup(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES)) or "none"
        raise ValueError(f"unknown exercise {exercise_id!r}; known: {known}")
    return EXERCISES[exercise_id]


def _hint(exercise_id: str, answers: Mapping[str, object]) -> str | None:
    """None when the answers are right, else a hint. ValueError for an unknown id or
    for answers under other names than the check's."""
    entry = _lookup(exercise_id)
    if set(answers) != set(entry.names):
        expected = ", ".join(f"`{name}`" for name in entry.names)
        raise ValueError(
            f"{exercise_id}: answers must be named {expected}; got "
            + (", ".join(f"`{name}`" for name in answers) or "none")
        )
    try:
        return entry.check(**answers)
    except Exception as error:  # an answer of the wrong kind: say so, as a hint
        return f"could not check your answer ({type(error).__name__}: {error})"


def check_exercise(exercise_id: str, /, **answers) -> None:
    """Return silently when the answers are right; raise AssertionError with a hint when
    they are not. Solution cells end with this call."""
    hint = _hint(exercise_id, answers)
    if hint is not None:
        raise AssertionError(f"{exercise_id}: not yet — {hint}")


def show_check(exercise_id: str, answers: Callable[[], Mapping] | Mapping) -> None:
    """Print ``✓ <id>: correct`` or ``✗ <id>: ...`` for the learner; never raise.

    `answers` is best a ``lambda: {"name": name}``: a name the learner has not defined
    yet then raises NameError inside this function, which reports it.
    """
    try:
        values = answers() if callable(answers) else answers
        hint = _hint(exercise_id, dict(values))
    except NameError as error:
        name = getattr(error, "name", None) or str(error)
        print(f"✗ {exercise_id}: define `{name}` first")
        return
    except ValueError as error:  # an unknown id, answers under other names
        message = str(error).removeprefix(f"{exercise_id}: ")
        print(f"✗ {exercise_id}: {message}")
        return
    except Exception as error:
        print(f"✗ {exercise_id}: not yet — {type(error).__name__}: {error}")
        return
    if hint is None:
        print(f"✓ {exercise_id}: correct")
    else:
        print(f"✗ {exercise_id}: not yet — {hint}")


# Helpers for the checks below.


def as_shape(value) -> tuple[int, ...]:
    """A shape as a tuple of ints, from a tuple, list, torch.Size or TensorShape."""
    return tuple(int(size) for size in value)


def all_close(value, expected, tolerance: float = 1e-6) -> bool:
    """Same shape, and every element within `tolerance` (arrays, tensors, numbers)."""
    value, expected = np.asarray(value, dtype=float), np.asarray(expected, dtype=float)
    return value.shape == expected.shape and bool(
        np.all(np.abs(value - expected) <= tolerance)
    )

"""The answer key's machinery: registering a check, running it, reporting it."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from cnn_attention.exercises.answers import Kind, WrongKind

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*\.[1-9][0-9]*")


@dataclass(frozen=True)
class Exercise:
    exercise_id: str
    check: Callable[..., str | None]
    names: tuple[str, ...]
    kinds: Mapping[str, Kind] = field(default_factory=dict)
    wrong: Mapping[str, object] | Callable[[], Mapping] = field(default_factory=dict)

    def wrong_answers(self) -> dict:
        """The made-up answers the check must reject (built now if they need torch)."""
        return dict(self.wrong() if callable(self.wrong) else self.wrong)


EXERCISES: dict[str, Exercise] = {}


def exercise(
    exercise_id: str,
    *,
    answers: Mapping[str, Kind],
    wrong: Mapping[str, object] | Callable[[], Mapping],
):
    """Register the decorated function as the check of `exercise_id`.

    `answers` gives the kind of each answer (one per parameter of the check, see
    answers.py): the check receives them converted, and an answer of another kind is
    refused before it runs. `wrong` holds answers of the right kinds that the check
    must reject, a plausible made-up answer (or a function returning them, when an
    answer is an object that needs a framework to build).
    """
    if not ID_PATTERN.fullmatch(exercise_id):
        raise ValueError(
            f"exercise id {exercise_id!r} must look like 'se.1' (chapter, dot, number)"
        )

    def register(check: Callable[..., str | None]):
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id!r} is registered twice")
        names = tuple(inspect.signature(check).parameters)
        named = [("answers", answers)] + ([] if callable(wrong) else [("wrong", wrong)])
        for what, given in named:
            if set(given) != set(names):
                raise ValueError(
                    f"{exercise_id}: `{what}` names {sorted(given)}, the check takes "
                    f"{list(names)}"
                )
        unknown = [name for name, kind in answers.items() if not isinstance(kind, Kind)]
        if unknown:
            raise ValueError(
                f"{exercise_id}: the kinds of {unknown} must be answers.Kind values"
            )
        EXERCISES[exercise_id] = Exercise(
            exercise_id,
            check,
            names,
            dict(answers),
            wrong if callable(wrong) else dict(wrong),
        )
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
    converted = {}
    for name in entry.names:
        if answers[name] is Ellipsis:  # a student copy's answer cell, not filled in
            return f"replace the ... of `{name}` by your answer (the cell above)"
        try:
            converted[name] = entry.kinds[name].convert(answers[name])
        except WrongKind as error:
            return f"`{name}` {error}"
    try:
        return entry.check(**converted)
    except Exception as error:  # a function answer that fails: say so, as a hint
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


def load_results(name: str) -> dict:
    """A results file the chapters read, ``cnn_attention/results/<name>.json``."""
    import json
    from importlib.resources import files

    path = files("cnn_attention") / "results" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def all_close(value, expected, tolerance: float = 1e-6) -> bool:
    """Same shape, and every element within `tolerance` (arrays, tensors, numbers)."""
    value, expected = np.asarray(value, dtype=float), np.asarray(expected, dtype=float)
    return value.shape == expected.shape and bool(
        np.all(np.abs(value - expected) <= tolerance)
    )

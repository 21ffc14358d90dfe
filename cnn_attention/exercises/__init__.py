"""Checks for the book's exercises: the answer key.

The notebooks must not reveal the answers: a chapter states an exercise, and its folded
solution cell computes the answer and ends with one call,
``check_exercise("se.1", name=value, ...)``, which stays silent when the answer is
right. ``make workshop`` (tools/make_workshop.py) writes a student copy of each chapter
in which that cell becomes an empty cell plus
``show_check("se.1", lambda: {...})``, which prints ✓ or ✗ with a hint and never raises.

Each chapter's checks live in a module of their own (``se.py`` for ``se.*``,
``shapes.py`` for chapter 1, ...); ``registry.py`` holds the machinery and
``answers.py`` the kinds of answers. Adding a check::

    @exercise(
        "se.1",
        answers={"equation_5": COUNT},
        wrong={"equation_5": 2_530_992},
    )
    def _se_1(equation_5):
        if equation_5 != ...:  # a value the check computes, or an exact known one
            return "count both layers' weights, then their biases"

A check takes the answers as keyword arguments, named as in the solution's
``check_exercise`` call, and returns None when they are right or a hint (a string) when
they are not. ``answers`` gives each answer's kind (``COUNT``, ``FLAG``, ``SHAPE``,
``list_of(NUMBER)``, ...): the check receives plain Python values, and an answer of
another kind ("False" for False, 3.0 for a count, a string for a shape) is refused with
a hint before the check runs. ``wrong`` is a plausible made-up answer the check must
reject. tests/test_exercises.py holds every check to the real answer, the made-up one
and every wrong kind. Ids are ``<chapter>.<number>``; every id except ``demo.*``
belongs to exactly one notebook.

Only NumPy is imported here, so the module works without either framework; a check that
needs torch or keras imports it inside the check.
"""

# Each chapter's checks register themselves when their module is imported.
from cnn_attention.exercises import (  # noqa: F401
    bifpn,
    cbam,
    coord,
    demo,
    dualpool,
    eca,
    se,
    shapes,
    which,
)
from cnn_attention.exercises.registry import (
    EXERCISES,
    Exercise,
    check_exercise,
    exercise,
    show_check,
)
from cnn_attention.exercises.setup_check import check_setup

__all__ = [
    "EXERCISES",
    "Exercise",
    "check_exercise",
    "check_setup",
    "exercise",
    "show_check",
]

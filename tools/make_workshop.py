"""Write a student copy and an instructor copy of every chapter for a workshop.

    make workshop                                # notebooks/*.ipynb -> _build/workshop/
    python tools/make_workshop.py [--out DIR] [--zip DIR] [notebooks ...]

An exercise's solution is a code cell tagged ``solution`` (and ``hide-cell``, with
``cellView: "form"`` and ``jupyter.source_hidden`` so that it stays folded). It prints
nothing, keeps its answer prose in comments, and its last statement is
``check_exercise("<id>", name=value, ...)`` from ``cnn_attention.exercises``.

- ``student/<chapter>.ipynb``: every output cleared and every execution count reset, so
  that learners predict, then run. The paragraph under "## Exercises", which says where
  the solutions are folded, becomes one on how the checks work. Each solution cell
  becomes two cells: an empty one whose comment says which names to define (the
  keyword names of the check call) and of what kind (the registry's `answers`), and
  a check cell, ``show_check("<id>", lambda: {"name": name, ...})``, which prints
  "✓ <id>: correct", "✗ <id>: not yet — <hint>" or "✗ <id>: define `name` first".
- ``instructor/<chapter>.ipynb``: outputs cleared too, solutions kept.
- ``README.md``: what the folder holds. The publishing workflow commits the folder to
  the branch ``workshop``, where Colab opens the copies, and with ``--zip DIR`` puts
  both sets as zip files on the site.

_build/ is never committed; re-running replaces the copies.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import set_repository  # noqa: E402  (beside this file)

OUT = ROOT / "_build" / "workshop"
SOLUTION_TAG = "solution"
ANSWER_TAG = "exercise-answer"
CHECK_TAG = "exercise-check"
SETUP_CHECK_TAG = "setup-check"
SETUP_CHECK = """\
# Workshop setup check: every line should start with ✓. The instructor's checklist
# explains each ✗ and its fix. It changes nothing that the cells below print.
from cnn_attention.exercises.setup_check import check_setup

check_setup(package=BOOK_PACKAGE)"""
LINE_LENGTH = 88
ZIP_PREFIX = "cnn-attention"
# The folder's README: the publishing workflow commits the folder to the branch
# `workshop`, where Colab opens the copies (.github/workflows/book.yml).
README = """\
# Workshop copies of the chapters

Written by `make workshop` (tools/make_workshop.py) from the book's main branch; the
publishing workflow replaces this branch on every push to main. Do not edit it.

- `student/`: outputs cleared; each exercise's solution replaced by an answer cell
  and a check cell that prints ✓ or ✗ with a hint.
- `instructor/`: outputs cleared, solutions kept.

The book's "How to use this book" page links each student copy in Colab.
"""
# The paragraph under a chapter's "## Exercises" heading (up to the first blank line).
EXERCISES_INTRO = re.compile(r"^## Exercises[^\n]*\n+(?P<intro>(?:[^\n]+\n?)+)", re.M)
STUDENT_INTRO = (
    "In this copy each exercise is followed by two cells. The first sets each answer "
    "to ... and says what kind of value it takes: replace each ... by your answer. "
    "The second checks your answers: it prints ✓ when they are right, or ✗ with a "
    "hint about the first one that is not, and never stops the notebook. The checks "
    "compute the right values themselves, from the chapter's functions or from exact "
    "known values, and take only the kind of answer asked for: a shape is a tuple of "
    "ints, not a string; a count is an int, not a float; True is not the string "
    '"True". Run the cells above an exercise before its check. Your instructor has '
    "the solutions."
)


@dataclass(frozen=True)
class Solution:
    exercise_id: str
    names: tuple[str, ...]


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and SOLUTION_TAG in cell.metadata.get("tags", [])


def parse_solution(source: str) -> Solution:
    """The id and answer names of a solution cell's final ``check_exercise`` call.

    Raises ValueError when the cell does not end with such a call."""
    usage = 'end with check_exercise("<id>", name=value, ...)'
    try:
        body = ast.parse(source).body
    except SyntaxError as error:
        message = f"not plain Python ({error.msg}); a solution must {usage}"
        raise ValueError(message) from None
    last = body[-1] if body else None
    call = last.value if isinstance(last, ast.Expr) else None
    function = getattr(call, "func", None)
    name = getattr(function, "id", None) or getattr(function, "attr", None)
    if not isinstance(call, ast.Call) or name != "check_exercise":
        call_form = usage.removeprefix("end with ")
        raise ValueError(f"its last statement must be {call_form}")
    if (
        len(call.args) != 1
        or not isinstance(call.args[0], ast.Constant)
        or not isinstance(call.args[0].value, str)
    ):
        raise ValueError(
            "check_exercise must get the exercise id as one string literal"
        )
    names = tuple(keyword.arg for keyword in call.keywords)
    if not names or None in names:
        raise ValueError("check_exercise must get each answer as name=value (no **)")
    return Solution(call.args[0].value, names)


def _code(cell_id: str, source: str, tag: str):
    cell = new_code_cell(source, metadata={"tags": [tag]})
    cell.id = cell_id[:64]
    return cell


def _kind(exercise_id: str, name: str) -> str | None:
    """The kind of answer the check takes (registry's `answers`), None if unknown."""
    from cnn_attention.exercises import EXERCISES

    entry = EXERCISES.get(exercise_id)
    kind = entry.kinds.get(name) if entry else None
    return kind.description if kind else None


def answer_cell(solution: Solution, cell_id: str):
    """The learner's cell: each answer set to ``...`` with its kind in a comment,
    so that a name the chapter already uses (``shapes``, ``difference``) is not
    graded in the learner's place; the check says which ``...`` is left."""
    intro = f"Exercise {solution.exercise_id}: replace each ... by your answer, then "
    intro += "run the check below."
    lines = [f"# {line}" for line in textwrap.wrap(intro, LINE_LENGTH - 2)]
    for name in solution.names:
        kind = _kind(solution.exercise_id, name)
        line = f"{name} = ...  # {kind}" if kind else f"{name} = ..."
        if len(line) > LINE_LENGTH:  # the kind on comment lines of its own above
            lines += [
                f"# {part}"
                for part in textwrap.wrap(f"{name}: {kind}", LINE_LENGTH - 2)
            ]
            line = f"{name} = ..."
        lines.append(line)
    return _code(f"{cell_id}-answer", "\n".join(lines), ANSWER_TAG)


def check_cell(solution: Solution, cell_id: str):
    """``show_check("<id>", lambda: {...})``, importing what it needs itself."""
    entries = [f'"{name}": {name}' for name in solution.names]
    call = f'show_check("{solution.exercise_id}", lambda: {{{", ".join(entries)}}})'
    if len(call) > LINE_LENGTH:
        lines = "".join(f"        {entry},\n" for entry in entries)
        call = (
            f'show_check(\n    "{solution.exercise_id}",\n'
            f"    lambda: {{\n{lines}    }},\n)"
        )
    source = f"from cnn_attention.exercises import show_check\n\n{call}"
    return _code(f"{cell_id}-check", source, CHECK_TAG)


def clear_outputs(notebook) -> None:
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("widgets", None)


def solutions_of(notebook, name: str) -> list[tuple[int, Solution]]:
    """(cell index, solution) for every solution cell; ValueError names a bad one."""
    found, seen = [], set()
    for index, cell in enumerate(notebook.cells):
        if not is_solution(cell):
            continue
        try:
            solution = parse_solution(cell.source)
        except ValueError as error:
            raise ValueError(
                f"{name} cell {index} (tagged solution): {error}"
            ) from None
        if solution.exercise_id in seen:
            raise ValueError(f"{name} cell {index}: {solution.exercise_id} twice")
        seen.add(solution.exercise_id)
        found.append((index, solution))
    return found


def student_intro(paragraph: str) -> str:
    """The exercises' introduction for a student copy: the chapter's first sentence
    (how the exercises are graded), then how the answer and check cells work."""
    grading = " ".join(paragraph.split()).split(". ")[0].rstrip(".") + "."
    text = f"{grading} {STUDENT_INTRO}"
    return "\n".join(textwrap.wrap(text, 100, break_on_hyphens=False))


def rewrite_exercises_intro(notebook, name: str) -> None:
    """Replace the paragraph under the "## Exercises" heading, which says where the
    solutions are folded, by `student_intro`. ValueError when there is none."""
    for cell in notebook.cells:
        match = (
            EXERCISES_INTRO.search(cell.source)
            if cell.cell_type == "markdown"
            else None
        )
        if match:
            cell.source = (
                cell.source[: match.start("intro")]
                + student_intro(match["intro"])
                + ("\n" if match["intro"].endswith("\n") else "")
                + cell.source[match.end("intro") :]
            )
            return
    raise ValueError(
        f"{name} has exercises but no '## Exercises' heading followed by a paragraph "
        "to rewrite for the student copy"
    )


def setup_check_cell(notebook) -> int | None:
    """Insert the participants' setup check after the setup cell (the first code cell
    that installs the book's package); its index, or None for a notebook without one."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and set_repository.INSTALL.search(cell.source):
            check = _code(
                f"{cell.get('id') or index}-setup-check", SETUP_CHECK, SETUP_CHECK_TAG
            )
            notebook.cells.insert(index + 1, check)
            return index + 1
    return None


def link_student_copies(notebook) -> None:
    """Colab links to a chapter open its student copy instead (the chapter itself has
    the solutions)."""
    branch = set_repository.WORKSHOP_BRANCH

    def to_copy(match):
        path = match["path"]
        if not path.startswith("notebooks/"):
            return match[0]
        start = match.start("branch") - match.start()
        return match[0][:start] + f"{branch}/student/" + path.removeprefix("notebooks/")

    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            source = set_repository.COLAB.sub(to_copy, cell.source)
            cell.source = re.sub(
                r"Open this chapter in(\s+)Colab",
                r"Open this student copy in\1Colab",
                source,
            )


def student_copy(notebook, name: str = "notebook"):
    """Outputs cleared; the exercises' introduction rewritten for learners; each
    solution replaced by an answer cell and a check cell."""
    student = copy.deepcopy(notebook)
    solutions = dict(solutions_of(notebook, name))
    cells = []
    for index, cell in enumerate(student.cells):
        if index in solutions:
            cell_id = cell.get("id") or f"cell-{index}"
            cells += [
                answer_cell(solutions[index], cell_id),
                check_cell(solutions[index], cell_id),
            ]
        else:
            cells.append(cell)
    student.cells = cells
    if solutions:
        rewrite_exercises_intro(student, name)
    setup_check_cell(student)
    link_student_copies(student)
    clear_outputs(student)
    return student


def instructor_copy(notebook, name: str = "notebook"):
    """Outputs cleared, solutions kept (after checking they are well formed)."""
    solutions_of(notebook, name)
    instructor = copy.deepcopy(notebook)
    clear_outputs(instructor)
    return instructor


def unmarked_solutions(notebook) -> list[int]:
    """Cells that look like solutions but are not tagged ``solution``."""
    return [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        and not is_solution(cell)
        and ("check_exercise(" in cell.source or "@title Solution" in cell.source)
    ]


def make_workshop(paths: list[Path], out: Path) -> list[str]:
    """Write both copies of every notebook under `out`; return a report line each.

    Every notebook is checked before anything is written."""
    copies, report = {}, []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        copies[path.name] = {
            "student": student_copy(notebook, path.name),
            "instructor": instructor_copy(notebook, path.name),
        }
        ids = [solution.exercise_id for _, solution in solutions_of(notebook, "")]
        line = f"{path.name}: {len(ids)} exercises"
        line += f" ({', '.join(ids)})" if ids else ""
        loose = unmarked_solutions(notebook)
        if loose:
            line += (
                f"; cells {loose} look like solutions but are not tagged "
                f"'{SOLUTION_TAG}': the student copy keeps them"
            )
        report.append(line)
    for folder in ("student", "instructor"):
        (out / folder).mkdir(parents=True, exist_ok=True)
        for stale in (out / folder).glob("*.ipynb"):
            stale.unlink()
        for name, versions in copies.items():
            nbformat.validate(versions[folder])
            nbformat.write(versions[folder], out / folder / name)
    (out / "README.md").write_text(README, encoding="utf-8")
    return report


def write_zips(out: Path, destination: Path) -> list[Path]:
    """``<ZIP_PREFIX>-student.zip`` and ``-instructor.zip`` of the copies under `out`,
    in `destination`: the downloads on the published site. The same copies give the
    same bytes (fixed dates and order)."""
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for folder in ("student", "instructor"):
        archive = destination / f"{ZIP_PREFIX}-{folder}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted((out / folder).glob("*.ipynb")):
                entry = zipfile.ZipInfo(f"{folder}/{path.name}", (2026, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(entry, path.read_bytes())
        written.append(archive)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--zip",
        type=Path,
        metavar="DIR",
        help=f"also write {ZIP_PREFIX}-student.zip and -instructor.zip into DIR",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    try:
        report = make_workshop(paths, args.out)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\n".join(report))
    print(f"Student copies in {args.out / 'student'}, instructor copies in ", end="")
    print(args.out / "instructor")
    for archive in write_zips(args.out, args.zip) if args.zip else []:
        print(f"wrote {archive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Exercises and workshop copies: cnn_attention.exercises and tools/make_workshop.py.

A solution cell (tagged `solution`) ends with check_exercise("<id>", name=value); the
student copy replaces it by an empty answer cell and a show_check cell, and clears every
output. These tests run the tool on a small synthetic chapter (executed with nbclient),
check the answer key's behaviour, and hold the real chapters to the same conventions.
"""

import ast
import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cnn_attention.exercises import (
    EXERCISES,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_workshop  # noqa: E402
import set_repository  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTION = """\
# permute(0, 2, 3, 1) puts old axes 0, 2, 3, 1 at positions 0 to 3: (N, H, W, C).
features = np.zeros((2, 8, 5, 7))  # (N, C, H, W)
permuted_shape = features.transpose(0, 2, 3, 1).shape
check_exercise("demo.1", permuted_shape=permuted_shape)"""
ANSWER_PROSE = "puts old axes 0, 2, 3, 1 at positions"


def solution_cell(source=SOLUTION):
    cell = new_code_cell(source, execution_count=3)
    cell.metadata = {
        "tags": ["solution", "hide-cell"],
        "cellView": "form",
        "jupyter": {"source_hidden": True},
    }
    return cell


def synthetic_chapter():
    """Setup, an exercise with its folded solution, and cells with outputs around it."""
    setup = new_code_cell(
        "import numpy as np\n\nfrom cnn_attention.exercises import check_exercise",
        execution_count=1,
    )
    shape = new_code_cell("np.zeros((2, 8, 5, 7)).shape", execution_count=2)
    shape.outputs = [
        new_output("execute_result", {"text/plain": "(2, 8, 5, 7)"}, execution_count=2)
    ]
    after = new_code_cell("print('next section')", execution_count=4)
    after.outputs = [new_output("stream", name="stdout", text="next section\n")]
    return new_notebook(
        cells=[
            new_markdown_cell("# Demo chapter"),
            setup,
            shape,
            new_markdown_cell(
                "## Exercises\n\nGraded ★ (one idea). Each solution is folded "
                "under its exercise.\n\n**Exercise demo.1.** The shape after "
                "`permute(0, 2, 3, 1)`?"
            ),
            solution_cell(),
            after,
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )


def code_sources(notebook):
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def check_calls(notebook):
    """(exercise id, answer names) of every show_check cell, in order."""
    calls = []
    for source in code_sources(notebook):
        if "show_check(" not in source:  # setup cells may hold IPython magics
            continue
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "show_check"
            ):
                exercise_id, answers = node.args
                names = [key.value for key in answers.body.keys]
                values = [value.id for value in answers.body.values]
                assert names == values, "each answer is read from its own name"
                calls.append((exercise_id.value, tuple(names)))
    return calls


def solutions(notebook):
    return [
        (solution.exercise_id, solution.names)
        for _, solution in make_workshop.solutions_of(notebook, "test")
    ]


def assert_student_copy(student, original):
    """The original's cells, each solution replaced by an answer cell (comments only)
    and a check cell (show_check only); no answer prose; no outputs anywhere."""
    expected, setup_checked = [], False
    for cell in original.cells:
        if make_workshop.is_solution(cell):
            expected += ["<answer>", "<check>"]
        elif make_workshop.EXERCISES_INTRO.search(cell.source):
            expected.append("<exercises>")
        else:
            expected.append(cell)
        installs = set_repository.INSTALL.search(cell.source)
        if cell.cell_type == "code" and installs and not setup_checked:
            expected.append("<setup check>")
            setup_checked = True
    got = []
    for cell in student.cells:
        tags = cell.metadata.get("tags", [])
        intro = make_workshop.EXERCISES_INTRO.search(cell.source)
        if make_workshop.SETUP_CHECK_TAG in tags:
            assert cell.source == make_workshop.SETUP_CHECK
            got.append("<setup check>")
        elif (
            cell.cell_type == "markdown" and "colab.research.google.com" in cell.source
        ):
            assert "/blob/main/notebooks/" not in cell.source, "Colab: student copies"
            assert not re.search(r"Open this chapter in\s+Colab", cell.source)
            source = cell.source.replace(
                "/blob/workshop/student/", "/blob/main/notebooks/"
            )
            got.append(
                nbformat.v4.new_markdown_cell(
                    re.sub(
                        r"Open this student copy in(\s+)Colab",
                        r"Open this chapter in\1Colab",
                        source,
                    )
                )
            )
        elif cell.cell_type == "markdown" and intro:
            text = " ".join(intro["intro"].split())
            assert make_workshop.STUDENT_INTRO in text, "how the checks work"
            assert "fold" not in text, "the student copy has no folded solutions"
            got.append("<exercises>")
        elif make_workshop.ANSWER_TAG in tags:
            for line in cell.source.splitlines():  # comments, and `name = ...`
                assert line.startswith("# ") or re.fullmatch(
                    r"\w+ = \.\.\.(  # .+)?", line
                )
            got.append("<answer>")
        elif make_workshop.CHECK_TAG in tags:
            statements = ast.parse(cell.source).body
            assert [type(node) for node in statements] == [ast.ImportFrom, ast.Expr]
            assert statements[1].value.func.id == "show_check"
            got.append("<check>")
        else:
            got.append(cell)
    assert [getattr(cell, "source", cell) for cell in got] == [
        getattr(cell, "source", cell) for cell in expected
    ]
    everything = "\n".join(cell.source for cell in student.cells)
    for cell in original.cells:
        if make_workshop.is_solution(cell):
            for line in map(str.strip, cell.source.splitlines()):
                if line.startswith("#") and len(line) > 30:
                    assert line not in everything, f"answer prose: {line}"
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


# --- the student and instructor copies ---------------------------------------------


def test_student_copy_replaces_solutions_and_clears_outputs():
    chapter = synthetic_chapter()
    before = json.dumps(chapter, sort_keys=True)
    student = make_workshop.student_copy(chapter, "demo.ipynb")
    assert json.dumps(chapter, sort_keys=True) == before, "the original is untouched"

    assert_student_copy(student, chapter)
    assert ANSWER_PROSE not in json.dumps(student)
    answer, check = student.cells[4], student.cells[5]
    assert answer.source == (
        "# Exercise demo.1: replace each ... by your answer, then run the check "
        "below.\npermuted_shape = ...  # a shape, such as (2, 5, 7, 8)"
    )
    assert "solution" not in answer.metadata["tags"]
    assert check.source.endswith(
        'show_check("demo.1", lambda: {"permuted_shape": permuted_shape})'
    )
    assert [cell.source for cell in student.cells[:3]] == [
        cell.source for cell in chapter.cells[:3]
    ]
    assert student.cells[3].source == (
        "## Exercises\n\n"
        + "\n".join(
            textwrap.wrap(f"Graded ★ (one idea). {make_workshop.STUDENT_INTRO}", 100)
        )
        + "\n\n**Exercise demo.1.** The shape after `permute(0, 2, 3, 1)`?"
    )
    assert student.cells[6].source == chapter.cells[5].source
    nbformat.validate(student)


def test_each_check_cell_maps_to_a_solution():
    chapter = synthetic_chapter()
    chapter.cells.append(
        solution_cell('answer_a, answer_b = 1, 2\ncheck_exercise("demo.2", a=1, b=2)')
    )
    student = make_workshop.student_copy(chapter, "demo.ipynb")
    assert check_calls(student) == solutions(chapter)
    assert check_calls(student) == [
        ("demo.1", ("permuted_shape",)),
        ("demo.2", ("a", "b")),
    ]
    assert student.cells[-2].source.endswith("\na = ...\nb = ...")


def test_each_answer_starts_as_an_ellipsis_with_its_kind():
    """A name the chapter already uses is reset, so the check never grades it."""
    solution = make_workshop.Solution("cbam.4", ("network", "a" * 70))
    source = make_workshop.answer_cell(solution, "x").source
    assert max(map(len, source.splitlines())) <= 88
    assert "network = ...  # a PyTorch module" in source.splitlines()
    assert f"{'a' * 70} = ..." in source.splitlines()


def test_the_student_copy_has_a_setup_check_and_colab_links_to_student_copies():
    chapter = synthetic_chapter()
    link = (
        "https://colab.research.google.com/github/cnn-attention-book/"
        "cnn-attention-book/blob/main/notebooks/04_cbam.ipynb"
    )
    chapter.cells[0].source += f"\n[Open this chapter in\nColab]({link})"
    chapter.cells[1].source += (
        '\nBOOK_PACKAGE = "git+https://github.com/cnn-attention-book/'
        'cnn-attention-book@main"'
    )
    student = make_workshop.student_copy(chapter, "demo.ipynb")
    assert student.cells[2].source == make_workshop.SETUP_CHECK
    assert student.cells[2].metadata["tags"] == [make_workshop.SETUP_CHECK_TAG]
    assert "[Open this student copy in\nColab](" in student.cells[0].source
    assert "/blob/workshop/student/04_cbam.ipynb)" in student.cells[0].source
    instructor = make_workshop.instructor_copy(chapter, "demo.ipynb")
    assert code_sources(instructor) == code_sources(chapter)


def test_a_long_check_call_is_wrapped_to_the_line_length():
    solution = make_workshop.Solution(
        "demo.1", ("a_rather_long_name", "another_long_name")
    )
    source = make_workshop.check_cell(solution, "x").source
    assert max(map(len, source.splitlines())) <= 88
    ast.parse(source)


def test_instructor_copy_keeps_solutions_and_clears_outputs():
    chapter = synthetic_chapter()
    instructor = make_workshop.instructor_copy(chapter, "demo.ipynb")
    assert code_sources(instructor) == code_sources(chapter)
    assert instructor.cells[4].metadata == chapter.cells[4].metadata
    for cell in instructor.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_the_copies_run_and_the_checks_answer(tmp_path):
    """One kernel: the student copy's check before and after answers, then the solution
    itself, which must print nothing."""
    chapter = synthetic_chapter()
    student = make_workshop.student_copy(chapter, "demo.ipynb")
    check = student.cells[5].source
    student.cells += [
        new_code_cell("permuted_shape = (2, 8, 5, 7)"),
        new_code_cell(check),
        new_code_cell(SOLUTION),
        new_code_cell(check),
    ]
    NotebookClient(
        student,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    printed = [
        "".join(output.get("text", "") for output in cell.outputs)
        for cell in student.cells
        if cell.cell_type == "code" and "show_check" in cell.source
    ]
    assert printed == [
        "✗ demo.1: not yet — replace the ... of `permuted_shape` by your answer (the "
        "cell above)\n",
        "✗ demo.1: not yet — that is the shape before the permute\n",
        "✓ demo.1: correct\n",
    ]
    solution = next(cell for cell in student.cells if cell.source == SOLUTION)
    assert solution.outputs == [], "a solution cell prints nothing"


def test_make_workshop_writes_both_copies(tmp_path):
    path = tmp_path / "demo.ipynb"
    nbformat.write(synthetic_chapter(), path)
    out = tmp_path / "workshop"
    (out / "student").mkdir(parents=True)
    (out / "student" / "stale.ipynb").write_text("{}", encoding="utf-8")
    assert make_workshop.main([str(path), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "student").iterdir()) == ["demo.ipynb"]
    student = nbformat.read(out / "student" / "demo.ipynb", as_version=4)
    instructor = nbformat.read(out / "instructor" / "demo.ipynb", as_version=4)
    assert check_calls(student) == [("demo.1", ("permuted_shape",))]
    assert SOLUTION in code_sources(instructor)


def test_untagged_solutions_are_reported(tmp_path):
    chapter = synthetic_chapter()
    chapter.cells.append(new_code_cell("# @title Solution\nanswer = 42"))
    path = tmp_path / "demo.ipynb"
    nbformat.write(chapter, path)
    (line,) = make_workshop.make_workshop([path], tmp_path / "out")
    assert line.startswith("demo.ipynb: 1 exercises (demo.1); cells [6] look like")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("permuted_shape = (2, 5, 7, 8)", "last statement must be check_exercise"),
        ('check_exercise("demo.1", x=1)\nprint("done")', "last statement must be"),
        ("check_exercise(EXERCISE, permuted_shape=1)", "one string literal"),
        ('check_exercise("demo.1")', "name=value"),
        ('check_exercise("demo.1", **answers)', "name=value"),
        ('%time check_exercise("demo.1", x=1)', "not plain Python"),
    ],
)
def test_a_malformed_solution_is_refused_naming_its_cell(
    tmp_path, capsys, source, message
):
    chapter = synthetic_chapter()
    chapter.cells[4] = solution_cell(source)
    path = tmp_path / "bad.ipynb"
    nbformat.write(chapter, path)
    assert make_workshop.main([str(path), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert "bad.ipynb cell 4 (tagged solution)" in error and message in error
    assert not (tmp_path / "out").exists(), "nothing is written"


# --- the real chapters -------------------------------------------------------------


def chapter_solutions():
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            if make_workshop.is_solution(cell):
                yield path.name, index, cell


def test_solution_cells_in_the_chapters_follow_the_convention():
    """Folded (tag, Colab form, Jupyter, the book's "Show solution"), silent, with no
    @title line, ending with a registered check."""
    found = False
    for name, index, cell in chapter_solutions():
        found = True
        where = f"{name} cell {index}"
        assert "hide-cell" in cell.metadata.get("tags", []), where
        assert cell.metadata.get("cellView") == "form", where
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, where
        assert cell.metadata.get("mystnb") == {
            "code_prompt_show": "Show solution",
            "code_prompt_hide": "Hide solution",
        }, f"{where}: the fold must say Show solution / Hide solution"
        assert "@title" not in cell.source, f"{where}: no # @title line for readers"
        assert cell.outputs == [], f"{where}: a solution prints nothing"
        solution = make_workshop.parse_solution(cell.source)
        assert solution.exercise_id in EXERCISES, f"{where}: unregistered id"
        registered = EXERCISES[solution.exercise_id].names
        assert set(solution.names) == set(registered), where
    assert found, "the chapters have no solution cells"


def test_check_ids_are_registered_and_each_belongs_to_one_notebook():
    used = {}
    for path in NOTEBOOKS:
        for source in code_sources(nbformat.read(path, as_version=4)):
            for exercise_id in re.findall(r"check_exercise\(\s*[\"']([^\"']+)", source):
                used.setdefault(exercise_id, []).append(path.name)
    unregistered = sorted(set(used) - set(EXERCISES))
    assert not unregistered, f"check_exercise ids with no check: {unregistered}"
    for exercise_id in EXERCISES:
        if exercise_id.startswith("demo."):
            continue
        assert len(used.get(exercise_id, [])) == 1, (
            f"{exercise_id} is used by {used.get(exercise_id, [])}; exactly one "
            "solution cell in one notebook must use it"
        )


def test_the_workshop_copies_of_the_chapters(tmp_path):
    report = make_workshop.make_workshop(NOTEBOOKS, tmp_path)
    assert len(report) == len(NOTEBOOKS)
    for path in NOTEBOOKS:
        original = nbformat.read(path, as_version=4)
        student = nbformat.read(tmp_path / "student" / path.name, as_version=4)
        instructor = nbformat.read(tmp_path / "instructor" / path.name, as_version=4)
        assert_student_copy(student, original)
        assert check_calls(student) == solutions(original)
        assert code_sources(instructor) == code_sources(original)

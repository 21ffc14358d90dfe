"""Every chapter follows the template that book/notation.md states ("How a chapter is
written") and the README's contributing section summarises:

- the introduction states learning objectives and the core path, with a Colab link;
- every ``##`` section says (core) or (optional); the core path stands on its own and
  fits the budget of tools/core_path.py (per chapter and for the whole book);
- no cell carries package code, and no cell rebinds a name another defined or imported;
- every seed a chapter mentions is named (title and author, as the post gives them)
  in the Markdown cell of its first mention or before;
- every exercise is graded ★ to ★★★ and names its check id, and its solution (the next
  code cell) uses that id;
- the diagrams a chapter shows with show_figure ship with the package.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

from cnn_attention.figures import figure_names

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import core_path  # noqa: E402
import make_workshop  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = {"ids": lambda path: path.name}

# Title and author of each seed as the post gives them (None: the post names none).
SEEDS = {
    "000": ("translation of the CBAM paper", None),
    "001": (
        "【深度学习】(8) CNN中的通道注意力机制(SEnet、ECAnet),附Tensorflow完整代码",
        "dgvv4",
    ),
    "002": ("Coordinate Attention和BiFPN", None),
    "003": ("(ECCV2018)CBAM改进思路", None),
    "004": ("Attention机制中CBAM以及Dual pooling的pytorch实现", "pprp"),
}
EXERCISE = re.compile(
    r"\*\*Exercise (?P<number>\d+) \((?P<stars>★{1,3})\)[^*]*\*\*[^(\n]*"
    r"\(`(?P<id>[a-z]+\.\d+)`\)"
)


def read(path):
    return nbformat.read(path, as_version=4)


def markdown(notebook):
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_introduction_states_objectives_core_path_and_colab_link(path):
    intro = read(path).cells[0].source
    assert intro.startswith("# "), "the first cell is the title and the introduction"
    assert "**Learning objectives.**" in intro
    assert "**Core path.**" in intro and re.search(r"about \d+ minutes", intro)
    colab = "https://colab.research.google.com/github/"
    assert f"{colab}" in intro and f"/notebooks/{path.name})" in intro


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_every_section_is_core_or_optional(path):
    chapter = core_path.read_chapter(path)
    assert chapter.problems == [], f"unlabelled sections: {chapter.problems}"
    assert ("Setup", "core") in chapter.sections
    assert chapter.core.code_cells and chapter.exercises


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_the_core_path_stands_on_its_own(path):
    """A workshop that skips the optional sections can run what it keeps: no core cell
    reads a name that an optional cell bound last (checked statically; nbval runs the
    whole chapter, `python tools/core_path.py --run` the core path alone)."""
    assert core_path.dependency_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_no_cell_rebinds_a_name_another_cell_defined_or_imported(path):
    """PyTorch and Keras versions keep distinct names (`TorchMinimalSE`,
    `KerasMinimalSE`), so a later cell never silently changes what a name means."""
    assert core_path.rebinding_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_no_cell_carries_package_code(path):
    """The package is ordinary source in cnn_attention/; chapters import it."""
    for index, cell in enumerate(read(path).cells):
        assert not cell.source.lstrip().startswith("#| export"), (path.name, index)


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_the_core_path_fits_the_chapter_budget(path):
    chapter = core_path.read_chapter(path)
    assert chapter.over_budget() == [], core_path.report(chapter)


def test_all_core_paths_fit_the_book_budget():
    minutes = sum(core_path.read_chapter(p).core.reading_minutes() for p in NOTEBOOKS)
    assert minutes <= core_path.BUDGET.book_minutes


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_seeds_are_named_at_their_first_mention(path):
    seen = ""
    for source in markdown(read(path)):
        seen += source
        for number in sorted(set(re.findall(r"[Ss]eed (\d{3})", source))):
            title, author = SEEDS[number]
            where = f"{path.name}: seed {number}, first mentioned in\n{source[:200]}"
            assert title in seen, f"{where}\nneeds its title, {title}"
            assert author is None or author in seen, f"{where}\nneeds its author"


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_every_exercise_is_graded_and_its_solution_checks_its_id(path):
    cells = read(path).cells
    exercises = []
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        headers = list(EXERCISE.finditer(cell.source))
        loose = re.findall(r"\*\*Exercise \d+", cell.source)
        assert len(headers) == len(loose), f"{path.name} cell {index}: not graded"
        for header in headers:
            solution = cells[index + 1]
            assert make_workshop.is_solution(solution), f"{path.name} cell {index + 1}"
            parsed = make_workshop.parse_solution(solution.source)
            assert parsed.exercise_id == header["id"], (header[0], parsed.exercise_id)
            exercises.append(header["id"])
    solutions = [c for c in cells if make_workshop.is_solution(c)]
    assert exercises and len(exercises) == len(solutions)


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_figures_shown_ship_with_the_package(path):
    code = "\n".join(c.source for c in read(path).cells if c.cell_type == "code")
    for name in re.findall(r"show_figure\(\"([\w-]+)\"\)", code):
        assert name in figure_names(), f"{path.name} shows {name!r}, not in the package"
    for cell in read(path).cells:
        if cell.cell_type == "code" and "show_figure(" in cell.source:
            assert "hide-input" in cell.metadata.get("tags", []), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_the_stated_core_path_time_is_the_tools(path):
    """The intro's 'about N minutes' for the core path, and 'add about M' for the
    optional sections, are the model's estimates rounded to 5 (how_to_use.md's table
    has them to the minute)."""
    intro = read(path).cells[0].source
    paragraph = intro[intro.index("**Core path.**") :].split("\n\n")[0]
    stated = int(re.search(r"about (\d+) minutes", paragraph)[1])
    chapter = core_path.read_chapter(path)
    estimate = chapter.core.reading_minutes()
    assert abs(stated - estimate) <= 3, (stated, round(estimate, 1))
    optional = re.search(
        r"\*\(optional\)\*.*?add\s+about\s+(\d+)", paragraph, re.DOTALL
    )
    estimate = chapter.optional.reading_minutes()
    assert abs(int(optional[1]) - estimate) <= 3, (optional[1], round(estimate, 1))


def test_the_sessions_clocks_follow_the_core_paths():
    """tools/workshop_plan.py would change nothing: clocks, minutes, totals agree."""
    sys.path.insert(0, str(ROOT / "tools"))
    import workshop_plan

    text = (ROOT / "book" / "how_to_use.md").read_text(encoding="utf-8")
    assert workshop_plan.rewrite(text) == text, "run python tools/workshop_plan.py"


def test_the_workshop_plan_quotes_the_tool():
    """book/how_to_use.md's table is the tool's output, chapter by chapter."""
    text = (ROOT / "book" / "how_to_use.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (\d) [^|]+\| (\d+) cells, (\d+) lines, ([\d,]+) words \| (\d+) min \| "
        r"(\d+) min \|",
        text,
        re.MULTILINE,
    )
    assert [int(row[0]) for row in rows] == list(range(1, len(NOTEBOOKS) + 1))
    for row, path in zip(rows, NOTEBOOKS):
        chapter = core_path.read_chapter(path)
        core, optional = chapter.core, chapter.optional
        measured = (
            len(core.code_cells),
            core.code_lines,
            core.words,
            int(f"{core.reading_minutes():.0f}"),
            int(f"{optional.reading_minutes():.0f}"),
        )
        quoted = (int(row[1]), int(row[2]), int(row[3].replace(",", "")))
        assert quoted + (int(row[4]), int(row[5])) == measured, path.name

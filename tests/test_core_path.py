"""tools/core_path.py: the reading model, the budget and the static checks, on
synthetic chapters where the right answer is known."""

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import core_path  # noqa: E402


def chapter(tmp_path, *cells) -> Path:
    """A notebook from ("md" | "code", source) pairs."""
    make = {"md": new_markdown_cell, "code": new_code_cell}
    notebook = new_notebook(cells=[make[kind](source) for kind, source in cells])
    path = tmp_path / "99_synthetic.ipynb"
    nbformat.write(notebook, path)
    return path


def test_the_reading_model_adds_cells_words_and_lines(tmp_path):
    words = " ".join(["word"] * 220)  # 2 minutes at 110 words a minute
    code = "\n".join(f"x{i} = {i}" for i in range(50))  # 2 minutes at 25 lines
    path = chapter(tmp_path, ("md", f"# T\n\n{words}"), ("code", code), ("code", "1"))
    part = core_path.read_chapter(path).core
    assert (len(part.code_cells), part.code_lines, part.words) == (2, 51, 220)
    expected = 2 * 1.25 + 220 / 110 + 51 / 25  # the title is not prose
    assert part.reading_minutes() == pytest.approx(expected)


def test_the_budget_names_what_it_exceeds(tmp_path):
    cells = [("md", "# T\n\n## Setup (core)")] + [("code", "x = 1")] * 31
    cells += [("md", "## More (optional)")] + [("code", "y = 2")] * 40
    over = core_path.read_chapter(chapter(tmp_path, *cells)).over_budget()
    assert over == ["31 code cells (budget 30)"]


def test_a_core_cell_may_not_read_what_only_an_optional_cell_bound(tmp_path):
    path = chapter(
        tmp_path,
        ("md", "# T\n\n## Setup (core)"),
        ("code", "import torch\nfrom math import pi\nx = 1"),
        ("md", "## Aside (optional)"),
        ("code", "import torch\nhelper = 2\nx = 3\nfor row in range(2):\n    pass"),
        ("md", "## Back (core)"),
        ("code", "print(torch.pi, pi)"),  # the same import again: fine
        ("code", "for row in range(3):\n    print(row)"),  # bound before read: fine
        ("code", "def f(a):\n    return a + helper\n\nprint([x for _ in 'ab'])"),
    )
    problems = core_path.dependency_problems(path)
    assert problems == [
        "99_synthetic.ipynb: core cell 7 reads `helper`, last bound by optional cell 3",
        "99_synthetic.ipynb: core cell 7 reads `x`, last bound by optional cell 3",
    ]


def test_magics_parse_and_locals_are_not_reads(tmp_path):
    source = "%pip install -q x\nimport os\n\n\ndef f(n, *rest, k=os.sep):\n"
    source += "    total = n\n    return lambda m: total + m + len(rest) + free\n"
    source += "squares = {i: i * i for i in range(3) if i}\nsquares.get(1)"
    reads, binds = core_path.cell_names(source)
    assert reads == {"free", "len", "range"}
    assert set(binds) == {"os", "f", "squares"}


def test_a_name_defined_or_imported_twice_is_reported(tmp_path):
    path = chapter(
        tmp_path,
        ("code", "from torch import nn\nclass Gate:\n    pass\nx = 1"),
        ("code", "from torch import nn\nx = 2"),  # same import, a variable: fine
        ("code", "import torch.nn as nn"),  # another import under the same name
        ("code", "class Gate:\n    pass"),
    )
    problems = core_path.rebinding_problems(path)
    assert len(problems) == 2
    assert problems[0].startswith("99_synthetic.ipynb: cell 2 rebinds `nn`")
    assert problems[1].startswith("99_synthetic.ipynb: cell 3 rebinds `Gate`")

"""The notebooks as Jupyter, Colab and GitHub show them: plain Markdown, no MyST.

tools/plain_render.py converts each notebook with nbconvert's plain HTMLExporter and
names, by notebook and cell, every MyST role, directive, ``:::`` fence, ``(label)=``
target or substitution left in the Markdown, every image that is not a URL (or is a
missing attachment), and every link to a relative .ipynb or .md path. The synthetic
notebooks below prove it finds each kind and leaves plain Markdown alone.
"""

import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import plain_render  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("**/*.ipynb"))  # practice pages too
PNG = plain_render.PLACEHOLDER_PNG

# (Markdown, the kind expected, a piece of its detail); one cell each.
BROKEN = {
    "cite": ("As {cite}`hu2018squeeze` shows.", "myst-role", "{cite}`hu2018squeeze`"),
    "doc": ("See {doc}`../book/notation`.", "myst-role", "{doc}`../book/notation`"),
    "ref": ("See {ref}`sec-shapes`.", "myst-role", "{ref}`sec-shapes`"),
    "numref": ("See {numref}`fig-se`.", "myst-role", "{numref}`fig-se`"),
    "eq": ("By {eq}`squeeze`, z is a mean.", "myst-role", "{eq}`squeeze`"),
    "figure": (
        "```{figure} ../book/figures/se_block.svg\n:name: fig-se\n\nThe SE block.\n```",
        "myst-directive",
        "```{figure}",
    ),
    "note": ("```{note}\nThe order matters.\n```", "myst-directive", "```{note}"),
    "admonition": (
        "````{admonition} Why\nBecause.\n````",
        "myst-directive",
        "```{admonition}",
    ),
    "colon-fence": (":::{note}\nThe order matters.\n:::", "myst-colon-fence", ":::"),
    "target": ("(sec-shapes)=\n## Shapes", "myst-target", "(sec-shapes)="),
    "substitution": ("Version {{ version }}.", "myst-substitution", "{{ version }}"),
    "relative-image": (
        "![SE](../book/figures/se_block.svg)",
        "image",
        "../book/figures/se_block.svg",
    ),
    "html-image": ('<img src="figures/eca.png" alt="ECA">', "image", "figures/eca.png"),
    "missing-attachment": ("![x](attachment:gone.png)", "image", "gone.png"),
    "ipynb-link": ("[Chapter 2](02_squeeze_excitation.ipynb)", "link", "02_squeeze"),
    "md-link": ("[layouts](../book/notation.md#layouts)", "link", "notation.md#lay"),
    "html-link": ('<a href="01_tensor_shapes.ipynb">one</a>', "link", "01_tensor"),
}

# Plain Markdown that looks a little like the above and must pass.
CLEAN = [
    "# Title\n\nSE ([Hu et al., 2018](https://arxiv.org/abs/1709.01507)) squeezes.",
    "> **Note.** The order of the concatenated maps is part of the weights.",
    "Chapter 2: [SE](https://owner.github.io/repo/notebooks/02_squeeze.html),"
    " [this section](#shapes), [a file](https://github.com/o/r/blob/main/README.md).",
    f"![dot](data:image/png;base64,{PNG}) ![web](https://example.org/figure.png)",
    "![kept](attachment:kept.png)",
    "Code may show MyST: `{cite}` and\n\n"
    "```markdown\n{cite}`x`\n:::{note}\n(label)=\n```",
    "Sets $\\{x \\mid x > 0\\}$, a dict `{1: 2}`, the set {1, 2} and (a, b) = (1, 2).",
]


def synthetic_notebook():
    cells = [new_code_cell("print('{cite}`x` in code is not Markdown')")]
    cells += [new_markdown_cell(source) for source, _, _ in BROKEN.values()]
    cells += [new_markdown_cell(source) for source in CLEAN]
    cells[1 + len(BROKEN) + CLEAN.index("![kept](attachment:kept.png)")].attachments = {
        "kept.png": {"image/png": PNG}
    }
    return new_notebook(cells=cells)


@pytest.fixture(scope="module")
def synthetic_problems():
    return plain_render.find_problems(synthetic_notebook(), "synthetic.ipynb")


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_kind_of_problem_is_found_in_its_cell(case, synthetic_problems):
    _, kind, detail = BROKEN[case]
    cell = 1 + list(BROKEN).index(case)
    found = [problem for problem in synthetic_problems if problem.cell == cell]
    assert found, f"{case}: nothing found"
    assert {problem.kind for problem in found} == {kind}, found
    assert any(detail in problem.detail for problem in found), found
    assert str(found[0]).startswith(f"synthetic.ipynb cell {cell}: {kind}: ")


def test_plain_markdown_and_code_cells_pass(synthetic_problems):
    first_clean = 1 + len(BROKEN)
    flagged = [
        problem
        for problem in synthetic_problems
        if problem.cell == 0 or problem.cell >= first_clean
    ]
    assert flagged == []


def test_summary_counts_per_notebook_and_kind(synthetic_problems):
    summary = plain_render.summary(synthetic_problems)
    assert summary.startswith("synthetic.ipynb: myst-role 5, myst-directive 3, ")
    assert "image 3, link 3" in summary


def test_chapters_render_without_myst():
    problems = plain_render.check_paths(NOTEBOOKS)
    assert not problems, (
        "\n".join(map(str, problems)) + "\n\n" + plain_render.summary(problems)
    )

"""The reference cards (book/cards/, issue 20): one per module, each complete, its code
the chapter's own, its parameter formula the package's, and a print stylesheet that
leaves the navigation out.

- Every card has the sections a reader looks for: equations, shapes in both layouts,
  parameters, the minimal PyTorch and Keras code, the package, the official code's
  quirks, and a link to its chapter.
- Every ```python block on a card that defines a class or a function appears verbatim
  in a code cell of its chapter's notebook (trailing whitespace aside), so the code on
  a card is code that nbval runs and cannot drift from it.
- Each card's "Formula in code" table is evaluated against the package's function on
  its row for a grid of sizes, and each worked example ("Example | Parameters") is
  evaluated and found among the chapter's printed outputs.
"""

import ast
import itertools
import json
import math
import re
from functools import cache
from pathlib import Path

import pytest

from cnn_attention import arguments, costs

ROOT = Path(__file__).resolve().parents[1]
CARDS = ROOT / "book" / "cards"
PRINT_CSS = ROOT / "_static" / "print.css"
CHAPTERS = {  # card -> the chapter notebook it summarises
    "se": "02_squeeze_excitation",
    "eca": "03_efficient_channel_attention",
    "cbam": "04_cbam",
    "dual_pooling": "05_dual_pooling",
    "coordinate_attention": "06_coordinate_attention",
    "bifpn": "07_bifpn",
}
SECTIONS = (
    "Equations",
    "Shapes",
    "Parameters",
    "Minimal PyTorch code",
    "Minimal Keras code",
    "The package",
    "Official code's quirks",
    "The chapter",
)
# Where each formula is evaluated: sizes that keep every package function's arguments
# valid are kept, the others (C // r = 0 for SE, say) are skipped.
GRID = {
    "C": (8, 16, 24, 30, 64, 96, 100, 256, 384, 512, 960, 2048),
    "r": (2, 4, 8, 16, 24, 32),
    "k": (1, 3, 5, 7, 9),
    "K": (1, 10, 1000),
    "L": (3, 4, 5, 6),
}
PACKAGE = {
    name: getattr(module, name)
    for module in (costs, arguments)
    for name in module.__all__
    if callable(getattr(module, name))
}


@cache
def card(name: str) -> str:
    return (CARDS / f"{name}.md").read_text(encoding="utf-8")


def sections(text: str) -> dict:
    """The card's `## ` sections: heading -> body."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {heading.strip(): body for heading, body in zip(parts[1::2], parts[2::2])}


def python_blocks(text: str) -> list:
    """The ```python fenced blocks, dedented when they sit inside a list item."""
    pattern = re.compile(r"^( *)```python\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
    blocks = []
    for match in pattern.finditer(text):
        indent = len(match.group(1))
        lines = match.group(2).rstrip("\n").split("\n")
        blocks.append("\n".join(line[indent:] for line in lines))
    return blocks


def defines_something(block: str) -> bool:
    return any(
        isinstance(node, ast.ClassDef | ast.FunctionDef)
        for node in ast.walk(ast.parse(block))
    )


def rstripped(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n"))


@cache
def notebook(chapter: str) -> dict:
    path = ROOT / "notebooks" / f"{chapter}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def code_cells(chapter: str) -> tuple:
    return tuple(
        rstripped("".join(cell["source"]))
        for cell in notebook(chapter)["cells"]
        if cell["cell_type"] == "code"
    )


@cache
def printed(chapter: str) -> str:
    """Everything the chapter's code cells print, thousands separators removed."""
    texts = []
    for cell in notebook(chapter)["cells"]:
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            texts.append("".join(output.get("data", {}).get("text/plain", "")))
    return "\n".join(texts).replace(",", "")


def table_rows(body: str, header: str) -> list:
    """The rows (lists of cells) of the Markdown table whose header starts `header`."""
    lines = body.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith(f"| {header} |")]
    assert starts, f"no table headed {header!r}"
    rows = []
    for line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def inline_code(cell: str) -> str:
    match = re.match(r"`([^`]+)`", cell)
    assert match, f"expected inline code at the start of {cell!r}"
    return match.group(1)


def test_every_card_exists_and_the_index_lists_it():
    index = card("index")
    for name in CHAPTERS:
        assert (CARDS / f"{name}.md").is_file(), name
        assert f"]({name}.md)" in index, f"the index does not list {name}.md"
    assert "Print" in index and "print.css" in index, "the index says how to print"


@pytest.mark.parametrize("name", CHAPTERS)
def test_card_has_every_section(name):
    text = card(name)
    parts = sections(text)
    assert list(parts) == list(SECTIONS), f"{name}: sections {list(parts)}"
    assert text.startswith("# ") and "reference card" in text.split("\n")[0]
    assert "$$" in parts["Equations"]
    shapes = parts["Shapes"]
    assert "| Step | PyTorch | Keras |" in shapes
    assert "(N, C, H, W)" in shapes or "(N, C, H_i, W_i)" in shapes
    assert "(N, H, W, C)" in shapes or "(N, H_i, W_i, C)" in shapes
    assert "$$" in parts["Parameters"] and "**Defaults" in parts["Parameters"]
    torch_code = "\n".join(python_blocks(parts["Minimal PyTorch code"]))
    keras_code = "\n".join(python_blocks(parts["Minimal Keras code"]))
    assert re.search(r"^class TorchMinimal\w+\(nn\.Module\):", torch_code, re.M)
    assert re.search(r"^class KerasMinimal\w+\(layers\.Layer\):", keras_code, re.M)
    package = "\n".join(python_blocks(parts["The package"]))
    assert "import cnn_attention.torch as ct" in package
    assert "import cnn_attention.keras as ck" in package
    quirks = parts["Official code's quirks"]
    assert len(re.findall(r"^- \*\*", quirks, re.M)) >= 4, "at least four quirks"
    assert "(section " in quirks or "sections " in quirks, "quirks name sections"
    link = f"](../../notebooks/{CHAPTERS[name]}.ipynb)"
    assert link in text.split("\n## ")[0], f"{name}: no link to its chapter on top"
    assert link in parts["The chapter"], f"{name}: no link back to its chapter"


@pytest.mark.parametrize("name", CHAPTERS)
def test_code_on_the_card_is_the_chapters(name):
    chapter = CHAPTERS[name]
    checked = 0
    for block in python_blocks(card(name)):
        if not defines_something(block):
            continue
        checked += 1
        block = rstripped(block)
        assert any(block in cell for cell in code_cells(chapter)), (
            f"{name}: this block is not in a code cell of {chapter}.ipynb:\n{block}"
        )
    assert checked >= 2, f"{name}: no minimal code checked"


@pytest.mark.parametrize("name", [*CHAPTERS, "index"])
def test_code_blocks_parse_and_fit_88_columns(name):
    text = card(name)
    for block in python_blocks(text):
        ast.parse(block)
    fences = re.findall(r"^ *```\w*\n(.*?)^ *```", text, re.M | re.S)
    for line in "\n".join(fences).split("\n"):
        assert len(line) <= 88, f"{name}: code line of {len(line)} characters: {line}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_formula_in_code_is_the_packages(name):
    rows = table_rows(sections(card(name))["Parameters"], "Formula in code")
    assert rows
    for formula_cell, function_cell in rows:
        formula, call = inline_code(formula_cell), inline_code(function_cell)
        names = sorted(set(re.findall(r"\b[CrkKL]\b", formula + " " + call)))
        compared = 0
        for values in itertools.product(*(GRID[n] for n in names)):
            sizes = dict(zip(names, values))
            try:
                expected = eval(call, dict(PACKAGE), sizes)  # the card's own text
            except ValueError:  # sizes the package refuses, such as C // r = 0
                continue
            got = eval(formula, {"math": math, "max": max}, sizes)
            assert got == expected, f"{name}: {formula} != {call} at {sizes}"
            compared += 1
        assert compared >= 10, f"{name}: {formula} compared at {compared} sizes only"


@pytest.mark.parametrize("name", CHAPTERS)
def test_worked_examples_are_the_packages_and_the_chapters(name):
    rows = table_rows(sections(card(name))["Parameters"], "Example")
    assert rows
    for call_cell, count_cell, _ in rows:
        call = inline_code(call_cell)
        count = int(count_cell.replace(",", ""))
        assert eval(call, dict(PACKAGE)) == count, f"{name}: {call} != {count}"
        found = re.search(rf"(?<![\d.]){count}(?![\d.])", printed(CHAPTERS[name]))
        assert found, f"{name}: {count} is not printed by {CHAPTERS[name]}.ipynb"


def test_print_stylesheet_hides_the_navigation():
    css = PRINT_CSS.read_text(encoding="utf-8")
    start = css.index("@media print {")
    body = css[start:]
    for selector in (
        ".bd-sidebar-primary",
        ".bd-sidebar-secondary",
        ".bd-header",
        ".bd-header-article",
        ".prev-next-footer",
        ".bd-footer",
        ".dropdown-download-buttons",
        "#jb-print-toc",
    ):
        hidden = re.search(
            rf"(?:^|[\s,]){re.escape(selector)}\s*[,{{][^}}]*?display:\s*none",
            body,
            re.S,
        )
        assert hidden, f"{selector} is not hidden in print"
    assert "break-inside: avoid" in body
    assert "box-shadow: none" in body

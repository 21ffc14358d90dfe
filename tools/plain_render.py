"""Find what breaks when a notebook is shown without MyST (Jupyter, Colab, GitHub).

    python tools/plain_render.py [notebooks/*.ipynb]   # exit 1 when something is found

Each notebook is converted with nbconvert's plain HTMLExporter, which renders Markdown
the way those viewers do. Then every Markdown cell's HTML is searched for:

- ``myst-role``: a role left as text, ``{cite}`x``` (also doc, ref, numref, eq, ...);
- ``myst-directive``: a fence such as ````{note}``, which renders as a code block;
- ``myst-colon-fence``: a ``:::`` fence, which renders as text;
- ``myst-target``: a ``(label)=`` target line;
- ``myst-substitution``: a ``{{ name }}`` substitution;
- ``image``: an image whose source is not a URL (a relative path: in Colab there is no
  file beside the notebook) or an attachment the cell does not carry;
- ``link``: a link to a relative ``.ipynb`` or ``.md`` path (it goes nowhere in Colab).

tests/test_plain_render.py runs it over the chapters and over small synthetic notebooks.
"""

from __future__ import annotations

import argparse
import copy
import html
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
KINDS = (
    "myst-role",
    "myst-directive",
    "myst-colon-fence",
    "myst-target",
    "myst-substitution",
    "image",
    "link",
)
# A 1x1 transparent PNG, standing in for a missing attachment so that nbconvert (which
# refuses a notebook with one) renders the rest; the missing one is reported beforehand.
PLACEHOLDER_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIA"
    "AAUAAXpeqz8AAAAASUVORK5CYII="
)
CELL_START = re.compile(
    r'<div class="jp-Cell\b[^"]*"[^>]*\bid="cell-id=c(?P<index>\d+)"'
)
ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:.+-]*)\}<code>(?P<content>.*?)</code>", re.S)
DIRECTIVE = re.compile(r'<code class="language-\{(?P<name>[^}"]+)\}')
CODE = re.compile(r"<pre\b.*?</pre>|<code\b.*?</code>", re.S)
COLON_FENCE = re.compile(r"(?:^|>|\n)[ \t]*(?P<fence>:::+[^\n<]*)")
TARGET = re.compile(r"(?:^|>|\n)[ \t]*(?P<target>\([^()\s]+\)=)[ \t]*(?=<|\n|$)")
SUBSTITUTION = re.compile(r"\{\{\s*[\w.-]+\s*\}\}")
IMAGE = re.compile(r"<img\b[^>]*?\bsrc=(?P<quote>[\"'])(?P<src>.*?)(?P=quote)", re.S)
LINK = re.compile(r"<a\b[^>]*?\bhref=(?P<quote>[\"'])(?P<href>.*?)(?P=quote)", re.S)
ATTACHMENT_REF = re.compile(r"attachment:(?P<name>[^\s)\"'>]+)")
ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


@dataclass(frozen=True)
class Problem:
    notebook: str
    cell: int  # index among all cells, from 0
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.notebook} cell {self.cell}: {self.kind}: {self.detail}"


def _short(text: str, width: int = 70) -> str:
    text = " ".join(html.unescape(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render(notebook) -> tuple[str, list[tuple[int, str]]]:
    """The exporter's HTML, and (missing attachment, cell) pairs found before it ran.

    Works on a copy whose cells are renamed c0, c1, ... so that each cell's HTML can be
    found again, and whose missing attachments are filled with a placeholder."""
    notebook = copy.deepcopy(notebook)
    missing = []
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"c{index}"
        if cell.cell_type != "markdown":
            continue
        attachments = cell.setdefault("attachments", {})
        for match in ATTACHMENT_REF.finditer(cell.source):
            if match["name"] not in attachments:
                missing.append((index, match["name"]))
                attachments[match["name"]] = {"image/png": PLACEHOLDER_PNG}
    body, _ = HTMLExporter().from_notebook_node(notebook)
    return body, missing


def cell_html(body: str) -> dict[int, str]:
    """Cell index -> the HTML of that cell (up to the next cell's start)."""
    starts = list(CELL_START.finditer(body))
    ends = [match.start() for match in starts[1:]] + [body.rfind("</main>")]
    return {
        int(match["index"]): body[match.start() : end]
        for match, end in zip(starts, ends)
    }


def markdown_problems(fragment: str) -> list[tuple[str, str]]:
    """(kind, detail) for one Markdown cell's rendered HTML."""
    found = []
    for match in ROLE.finditer(fragment):
        found.append(
            ("myst-role", f"{{{match['name']}}}`{_short(match['content'], 50)}`")
        )
    for match in DIRECTIVE.finditer(fragment):
        found.append(("myst-directive", f"```{{{match['name']}}}"))
    text = CODE.sub(" ", fragment)  # prose only: code may show these on purpose
    for match in COLON_FENCE.finditer(text):
        found.append(("myst-colon-fence", _short(match["fence"])))
    for match in TARGET.finditer(text):
        found.append(("myst-target", match["target"]))
    for match in SUBSTITUTION.finditer(text):
        found.append(("myst-substitution", match[0]))
    for match in IMAGE.finditer(fragment):
        src = html.unescape(match["src"])
        # Attachments were checked before rendering; http(s) and data: URLs show.
        if not src.startswith(("https://", "http://", "data:", "attachment:")):
            found.append(("image", f"source is not a URL: {_short(src)}"))
    for match in LINK.finditer(fragment):
        href = html.unescape(match["href"])
        path = re.split(r"[#?]", href)[0]
        if not ABSOLUTE.match(href) and path.endswith((".ipynb", ".md")):
            found.append(("link", f"relative link {_short(href)}"))
    return found


def find_problems(notebook, name: str) -> list[Problem]:
    """Every problem of one notebook (a NotebookNode), in cell order."""
    body, missing = render(notebook)
    problems = [
        Problem(name, index, "image", f"missing attachment {attachment}")
        for index, attachment in missing
    ]
    fragments = cell_html(body)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        if index not in fragments:
            problems.append(
                Problem(name, index, "render", "cell not found in the HTML")
            )
            continue
        for kind, detail in markdown_problems(fragments[index]):
            problems.append(Problem(name, index, kind, detail))
    return sorted(problems, key=lambda problem: problem.cell)


def check_paths(paths: list[Path]) -> list[Problem]:
    problems = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        problems += find_problems(notebook, path.name)
    return problems


def summary(problems: list[Problem]) -> str:
    """One line per notebook: how many problems of each kind."""
    counts = Counter((problem.notebook, problem.kind) for problem in problems)
    lines = []
    for notebook in sorted({problem.notebook for problem in problems}):
        parts = [
            f"{kind} {counts[notebook, kind]}"
            for kind in (*KINDS, "render")
            if counts[notebook, kind]
        ]
        lines.append(f"{notebook}: " + ", ".join(parts))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every chapter"
    )
    paths = parser.parse_args(argv).notebooks
    paths = paths or sorted((ROOT / "notebooks").glob("**/*.ipynb"))
    problems = check_paths(paths)
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{len(problems)} problems\n{summary(problems)}")
        return 1
    print(f"{len(paths)} notebooks render without MyST leftovers")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

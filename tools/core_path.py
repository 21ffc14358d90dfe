"""The workshop's core path through each chapter: what it holds, and how long it takes.

    python tools/core_path.py                  # every chapter: counts, then a timed run
    python tools/core_path.py --no-run notebooks/02_squeeze_excitation.ipynb

Every ``##`` section of a chapter says in its heading whether it is **core** or
**optional**: ``## Shape walkthrough (core)``. A ``###`` heading may carry its own
label, which holds until the next heading of its level or above; without one it
inherits its section's. The title and the introduction before the first ``##`` are
core. Two sections carry no label: ``Exercises`` (each exercise is graded ★, ★★ or
★★★ instead) and ``References``.

For each chapter the tool counts, on the core path and off it, the code cells, the
lines of code and the words of prose (Markdown without code, links or math), then
runs the core path on its own: the core code cells only, in order, in a fresh kernel.
That run proves the core path does not lean on a cell it skips, and its time is the
machine's share of a workshop. The reading-time estimate is a model, stated here so
that the numbers in book/how_to_use.md can be checked:

- prose at 150 words a minute (technical text with equations);
- code at 20 lines a minute (read, and compared with its printed output), except the
  package's own code in ``#| export`` cells, skimmed at 60 lines a minute (a workshop
  says what a helper does, not how each line does it);
- plus the measured run time of the core cells;
- exercises: 5 minutes for ★, 10 for ★★, 15 for ★★★ (to attempt, then check).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABEL = re.compile(
    r"^(?P<level>#{1,6})\s+(?P<title>.*?)\s*(?:\((?P<label>core|optional)\))?\s*$"
)
UNLABELLED = ("Exercises", "References")
PROSE_WORDS_PER_MINUTE = 150
CODE_LINES_PER_MINUTE = 20
EXPORT_LINES_PER_MINUTE = 60
EXERCISE_MINUTES = {1: 5, 2: 10, 3: 15}
STARS = re.compile(r"\*\*Exercise\b[^*]*?(?P<stars>★+)")


@dataclass
class Part:
    """What one path (core or optional) of a chapter holds."""

    code_cells: list = field(default_factory=list)  # their sources
    indices: list = field(default_factory=list)  # their positions in the notebook
    code_lines: int = 0
    export_lines: int = 0  # of those, in `#| export` cells
    words: int = 0

    def reading_minutes(self) -> float:
        return (
            self.words / PROSE_WORDS_PER_MINUTE
            + (self.code_lines - self.export_lines) / CODE_LINES_PER_MINUTE
            + self.export_lines / EXPORT_LINES_PER_MINUTE
        )


@dataclass
class Chapter:
    name: str
    core: Part
    optional: Part
    sections: list  # (heading, label)
    exercises: list  # number of stars of each exercise
    problems: list  # headings without a label


def prose_words(markdown: str) -> int:
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"`[^`]*`", " code ", text)
    return len(re.findall(r"[^\W\d_][\w'’-]*", text))


def code_lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip())


def read_chapter(path: Path) -> Chapter:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    core, optional = Part(), Part()
    section_label, sub_label = "core", None  # before the first ##: the introduction
    in_back_matter = False
    sections, problems, exercises = [], [], []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            # Attribute each stretch of a Markdown cell to the label in force there.
            chunk = []
            for line in cell.source.splitlines() + ["# end"]:
                match = LABEL.match(line) if line.startswith("#") else None
                if match is None:
                    chunk.append(line)
                    continue
                if not in_back_matter:
                    label = sub_label or section_label
                    (core if label == "core" else optional).words += prose_words(
                        "\n".join(chunk)
                    )
                chunk = []
                if line == "# end":
                    break
                level, title = len(match["level"]), match["title"]
                if level == 2:
                    in_back_matter = title in UNLABELLED
                    sub_label = None
                    if in_back_matter:
                        sections.append((title, None))
                    elif match["label"] is None:
                        problems.append(f"## {title}")
                        section_label = "core"
                    else:
                        section_label = match["label"]
                        sections.append((title, section_label))
                elif level == 3 and not in_back_matter:
                    sub_label = match["label"]
                    if sub_label:
                        sections.append((f"  {title}", sub_label))
            exercises += [len(m["stars"]) for m in STARS.finditer(cell.source)]
        elif cell.cell_type == "code" and not in_back_matter:
            part = core if (sub_label or section_label) == "core" else optional
            part.code_cells.append(cell.source)
            part.indices.append(index)
            part.code_lines += code_lines(cell.source)
            if cell.source.startswith("#| export"):
                part.export_lines += code_lines(cell.source)
    return Chapter(path.name, core, optional, sections, exercises, problems)


def run_core_path(path: Path, chapter: Chapter) -> float:
    """Run the chapter's core code cells alone in a fresh kernel; return the seconds.

    Raises the first error a cell not tagged raises-exception hits."""
    import nbformat
    from nbclient import NotebookClient

    for name, value in {
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "KERAS_BACKEND": "tensorflow",
    }.items():
        os.environ.setdefault(name, value)
    original = nbformat.read(path, as_version=4)
    cells = [original.cells[index] for index in chapter.core.indices]
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=original.metadata)
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return time.perf_counter() - started


def exercise_minutes(stars: list) -> int:
    return sum(EXERCISE_MINUTES[count] for count in stars)


def report(chapter: Chapter, seconds: float | None) -> str:
    core, optional = chapter.core, chapter.optional
    run = "" if seconds is None else f", runs alone in {seconds:.0f} s"
    reading = core.reading_minutes() + (seconds or 0) / 60

    def counts(part: Part) -> str:
        return (
            f"{len(part.code_cells):3d} code cells, {part.code_lines:4d} lines of code "
            f"({part.export_lines} exported), {part.words:5d} words"
        )

    lines = [
        f"{chapter.name}",
        f"  core:     {counts(core)}{run}; about {reading:.0f} min",
        f"  optional: {counts(optional)}; about {optional.reading_minutes():.0f} min",
        f"  exercises: {' '.join('★' * n for n in chapter.exercises) or 'none'}; about "
        f"{exercise_minutes(chapter.exercises)} min",
    ]
    for title, label in chapter.sections:
        lines.append(f"    {label or '-':8s} {title}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--no-run", action="store_true", help="count, do not run")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    status = 0
    for path in paths:
        chapter = read_chapter(path)
        if chapter.problems:
            print(f"{path.name}: sections without (core) or (optional):", end=" ")
            print(", ".join(chapter.problems))
            status = 1
        seconds = None if args.no_run else run_core_path(path, chapter)
        print(report(chapter, seconds), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Rewrite book/how_to_use.md's core-path table and session timings from core_path.py.

    python tools/workshop_plan.py           # rewrite the page in place
    python tools/workshop_plan.py --check   # exit 1 if the page is out of date

After a chapter's core path changes, the page's table (cells, lines, words, minutes)
and the three sessions' clocks follow: a "Chapter N, core path (about M min)" row
takes the tool's M minutes, every other row keeps its length, and the last row of a
session (questions) absorbs what is left of its three hours. A session that no longer
fits is an error: move material to an optional section first.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import core_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "how_to_use.md"
SESSION_MINUTES = 180
TABLE_ROW = re.compile(r"^\| (\d) ([^|]+)\| [^|]+\| \d+ min \| \d+ min \|(.*)$")
CLOCK_ROW = re.compile(r"^\| (\d+):(\d\d)–(\d+):(\d\d) \|([^|]*)\|(.*)$")
CORE_BLOCK = re.compile(r"Chapter (\d), core path \(about \d+ min\)")


def chapter_minutes() -> dict[int, tuple]:
    rows = {}
    paths = sorted((ROOT / "notebooks").glob("0*.ipynb"))
    for number, path in enumerate(paths, start=1):
        chapter = core_path.read_chapter(path)
        core, optional = chapter.core, chapter.optional
        rows[number] = (
            f"{len(core.code_cells)} cells, {core.code_lines} lines, "
            f"{core.words:,} words",
            int(f"{core.reading_minutes():.0f}"),
            int(f"{optional.reading_minutes():.0f}"),
        )
    return rows


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def rewrite(text: str) -> str:
    rows = chapter_minutes()
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = TABLE_ROW.match(line)
        if match:
            number = int(match.group(1))
            size, core, optional = rows[number]
            lines[index] = (
                f"| {number} {match.group(2)}| {size} | {core} min | {optional} min |"
                f"{match.group(3)}"
            )
    # sessions: consecutive clock rows
    index = 0
    while index < len(lines):
        if not CLOCK_ROW.match(lines[index]):
            index += 1
            continue
        end = index
        while end < len(lines) and CLOCK_ROW.match(lines[end]):
            end += 1
        session = [CLOCK_ROW.match(line) for line in lines[index:end]]
        lengths = []
        for match in session:
            start = int(match.group(1)) * 60 + int(match.group(2))
            stop = int(match.group(3)) * 60 + int(match.group(4))
            block = CORE_BLOCK.search(match.group(5))
            lengths.append(rows[int(block.group(1))][1] if block else stop - start)
        lengths[-1] = SESSION_MINUTES - sum(lengths[:-1])
        if lengths[-1] < 0:
            raise SystemExit(f"a session no longer fits in 3 hours: {lengths}")
        clock = 0
        for offset, (match, length) in enumerate(zip(session, lengths)):
            block = CORE_BLOCK.sub(
                lambda m: (
                    f"Chapter {m.group(1)}, core path "
                    f"(about {rows[int(m.group(1))][1]} min)"
                ),
                match.group(5),
            )
            lines[index + offset] = (
                f"| {_clock(clock)}–{_clock(clock + length)} |{block}|{match.group(6)}"
            )
            clock += length
        index = end
    text = "\n".join(lines)
    total = sum(row[1] for row in rows.values())
    return re.sub(
        r"The core paths add up to about \d+ hours \d+ minutes \(\d+ minutes\)",
        f"The core paths add up to about {total // 60} hours {total % 60} minutes "
        f"({total} minutes)",
        text,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report")
    args = parser.parse_args(argv)
    text = PAGE.read_text(encoding="utf-8")
    updated = rewrite(text)
    if args.check:
        if updated != text:
            print(
                f"{PAGE.relative_to(ROOT)} is out of date: run tools/workshop_plan.py"
            )
            return 1
        return 0
    PAGE.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

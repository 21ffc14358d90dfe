"""The FAQ page: at least 20 questions, each with an answer that links to the cells
showing it and the upstream issue threads that asked it.

`make book` fails on a link to a heading that does not exist (myst_heading_anchors);
this test checks the same without building, with MyST's own slugs.
"""

import json
import re
from pathlib import Path

import pytest
from myst_parser.mdit_to_docutils.base import default_slugify

ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / "book" / "faq.md"
BOOK_LINK = re.compile(
    r"\]\(\.\./(?P<page>notebooks/[\w/]+\.ipynb)#(?P<anchor>[\w-]+)\)"
)
UPSTREAM = re.compile(
    r"\[(?P<label>[\w.-]+/[\w.-]+#\d+)\]"
    r"\(https://github\.com/(?P<repo>[\w.-]+/[\w.-]+)/(?:issues|pull)/(?P<number>\d+)\)"
)


def questions() -> dict[str, str]:
    """Question -> the text under it."""
    parts = re.split(r"^### (.+)$", FAQ.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def headings(page: str) -> set[str]:
    cells = json.loads((ROOT / page).read_text(encoding="utf-8"))["cells"]
    found = set()
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                match = re.match(r"^#{1,3} (.+)$", line)
                if match:
                    found.add(default_slugify(match[1].replace("`", "")))
    return found


def test_at_least_twenty_questions():
    assert len(questions()) >= 20, len(questions())


@pytest.mark.parametrize("question", questions())
def test_each_answer_links_to_a_section_that_exists_and_to_its_sources(question):
    text = questions()[question]
    answer, _, asked = text.partition("*Asked in:*")
    assert asked, f"{question!r}: no 'Asked in:' sources"
    links = list(BOOK_LINK.finditer(answer))
    assert links, f"{question!r}: no link to the section that shows the answer"
    for link in links:
        assert (ROOT / link["page"]).is_file(), link["page"]
        assert link["anchor"] in headings(link["page"]), (
            f"{question!r}: {link['page']} has no heading #{link['anchor']}"
        )
    sources = list(UPSTREAM.finditer(asked))
    assert sources, f"{question!r}: no upstream issue among its sources"
    for source in sources:  # the label says the thread the link opens
        assert source["label"] == f"{source['repo']}#{source['number']}"
    first_line = answer.strip().splitlines()[0]
    assert not re.fullmatch(r"[A-Z_]+", first_line), f"{question!r}: placeholder"

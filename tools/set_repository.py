"""Point the book at its GitHub repository, everywhere at once.

    make set-repository URL=https://github.com/OWNER/REPO
    python tools/set_repository.py https://github.com/OWNER/REPO

The repository URL is written once, as ``repository.url`` in _config.yml (Jupyter Book's
launch and repository buttons read it). Everything below is derived from it, and this
tool rewrites it together with the setting:

- the Colab install line in the notebooks' setup cells, ``git+<URL>@main`` (or
  ``cnn-attention @ git+<URL>@main``);
- absolute links to the published book. GitHub Pages serves a project site at
  ``https://OWNER.github.io/REPO/`` (see `book_base_url`): chapters at
  ``<base>notebooks/<name>.html``, prose pages at ``<base>book/<name>.html``;
- "Open in Colab" links,
  ``https://colab.research.google.com/github/OWNER/REPO/blob/...``;
- links into the repository, ``https://github.com/OWNER/REPO/...``.

Files: _config.yml, notebooks/**/*.ipynb, README.md, book/**/*.md. The old URLs are the
one in _config.yml and any in the notebooks' install lines. Replacements are textual,
so a notebook's JSON is not re-serialised and nothing else in it changes; a second run
with the same URL changes nothing. `find_mismatches` lists what does not match the
configured URL, in the notebooks and the book's pages: among them the links to the
workshop copies on the branch `WORKSHOP_BRANCH`, which must name a chapter; the tests
call it.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "_config.yml"
USAGE = "make set-repository URL=https://github.com/OWNER/REPO"
# The branch the publishing workflow (.github/workflows/book.yml) fills with the
# workshop copies of the chapters, `student/<chapter>.ipynb` and
# `instructor/<chapter>.ipynb`; book/how_to_use.md links them in Colab.
WORKSHOP_BRANCH = "workshop"
WORKSHOP_FOLDERS = ("student", "instructor")
# Files the workflow puts on the site beside the book (tools/make_workshop.py --zip).
SITE_DOWNLOADS = (
    "workshop/cnn-attention-student.zip",
    "workshop/cnn-attention-instructor.zip",
)
# GitHub's rules: an owner is 1-39 letters, digits or single inner hyphens; a repository
# name is letters, digits, '.', '-' and '_' (not '.' or '..').
OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
NAME = r"[A-Za-z0-9._-]{1,100}"
REPOSITORY_URL = re.compile(rf"https://github\.com/(?P<owner>{OWNER})/(?P<name>{NAME})")
# `repository:` block of _config.yml, then its `url:` line (optionally quoted).
CONFIG_URL = re.compile(
    r"(?P<head>^repository:[ \t]*\n(?:[ \t]+.*\n)*?[ \t]+url:[ \t]*)"
    r"(?P<quote>[\"']?)(?P<url>[^\s\"'#]+)(?P=quote)",
    re.MULTILINE,
)
CONFIG_BRANCH = re.compile(
    r"^repository:[ \t]*\n(?:[ \t]+.*\n)*?[ \t]+branch:[ \t]*"
    r"[\"']?(?P<branch>[^\s\"'#]+)",
    re.MULTILINE,
)
# The requirement the setup cells pass to pip; the URL ends where the branch begins.
INSTALL = re.compile(
    r"(?:cnn-attention @ )?git\+(?P<url>https://[^\s\"'@{}]+)@(?P<branch>[\w./-]+)"
)
# Ends of URLs in Markdown, HTML, JSON strings and prose.
URL_TAIL = r"[^\s\"'<>)\]`\\]*"
GITHUB_IO = re.compile(
    rf"https://(?P<host>[A-Za-z0-9-]+)\.github\.io/(?P<path>{URL_TAIL})"
)
COLAB = re.compile(
    r"https://colab\.research\.google\.com/github/"
    rf"(?P<owner>[^/\s\"'<>)]+)/(?P<name>[^/\s\"'<>)]+)/blob/(?P<branch>[^/\s\"'<>)]+)/"
    rf"(?P<path>{URL_TAIL})"
)


@dataclass(frozen=True)
class Repository:
    owner: str
    name: str

    @property
    def url(self) -> str:
        return f"https://github.com/{self.owner}/{self.name}"

    @property
    def book_url(self) -> str:
        return book_base_url(self.url)

    @property
    def colab_prefix(self) -> str:
        return f"https://colab.research.google.com/github/{self.owner}/{self.name}/"


def parse_repository_url(url: str) -> Repository:
    """``https://github.com/OWNER/REPO`` (a trailing ``/`` or ``.git`` is dropped).

    Raises ValueError saying what is wrong and what is expected.
    """
    text = url.strip()
    for suffix in ("/", ".git"):
        text = text.removesuffix(suffix)
    match = REPOSITORY_URL.fullmatch(text)
    if not match or match["name"] in {".", ".."}:
        if not text.startswith("https://github.com/"):
            why = "it must start with https://github.com/"
        elif text.count("/") != 4:
            why = "it must name exactly an owner and a repository, nothing after them"
        else:
            why = (
                "the owner or the repository name has characters GitHub does not allow"
            )
        raise ValueError(
            f"not a GitHub repository URL: {url!r} ({why}); expected "
            "https://github.com/OWNER/REPO"
        )
    return Repository(match["owner"], match["name"])


def book_base_url(repository_url: str) -> str:
    """Where GitHub Pages publishes the book built from this repository, ending in '/'.

    A project site lives at https://OWNER.github.io/REPO/ (host names are lower case);
    the repository named OWNER.github.io is the owner's user site, served at the root.
    """
    repository = parse_repository_url(repository_url)
    host = f"https://{repository.owner.lower()}.github.io/"
    if repository.name.lower() == f"{repository.owner.lower()}.github.io":
        return host
    return f"{host}{repository.name}/"


def configured_url(root: Path = ROOT) -> str:
    """``repository.url`` from _config.yml."""
    match = CONFIG_URL.search((root / CONFIG).read_text(encoding="utf-8"))
    if not match:
        raise ValueError(f"{CONFIG} has no `repository:` block with a `url:` line")
    return match["url"]


def configured_branch(root: Path = ROOT) -> str:
    match = CONFIG_BRANCH.search((root / CONFIG).read_text(encoding="utf-8"))
    return match["branch"] if match else "main"


def files_to_rewrite(root: Path) -> list[Path]:
    files = [root / CONFIG, root / "README.md"]
    files += sorted((root / "notebooks").glob("**/*.ipynb"))
    files += sorted((root / "book").glob("**/*.md"))
    return [path for path in files if path.is_file()]


def old_repositories(root: Path) -> set[Repository]:
    """The repository in _config.yml and those the notebooks' install lines name."""
    urls = {configured_url(root)}
    for path in sorted((root / "notebooks").glob("**/*.ipynb")):
        urls |= {match["url"] for match in INSTALL.finditer(path.read_text("utf-8"))}
    found = set()
    for url in urls:
        try:
            found.add(parse_repository_url(url))
        except ValueError:
            print(
                f"note: {url!r} is not a GitHub URL; only install lines are rewritten"
            )
    return found


def _alternative(old: str) -> str:
    if old.endswith("/"):
        return re.escape(old)
    # A repository URL must end here (not `.../REPO-other`), though `.git` may follow.
    return re.escape(old) + r"(?![\w-])(?!\.(?!git\b)\w)"


def rewrite(text: str, olds: set[Repository], new: Repository) -> tuple[str, list]:
    """Every old URL replaced by its new counterpart; also returns (old, new) pairs."""
    replacements = {}
    for old in olds:
        replacements[old.url] = new.url
        replacements[old.book_url] = new.book_url
        replacements[old.colab_prefix] = new.colab_prefix
    alternatives = "|".join(
        _alternative(old) for old in sorted(replacements, key=len, reverse=True)
    )
    pattern = re.compile(
        rf"(?:cnn-attention @ )?git\+https://[^\s\"'@]+(?=@)|{alternatives}"
    )
    changes = []

    def replace(match: re.Match) -> str:
        found = match[0]
        if "git+" in found:  # an install line: keep its form, change its URL
            wanted = found[: found.index("git+")] + f"git+{new.url}"
        else:
            wanted = replacements[found]
        if wanted != found:
            changes.append((found, wanted))
        return wanted

    return pattern.sub(replace, text), changes


def set_repository(url: str, root: Path = ROOT) -> list[str]:
    """Rewrite every place; return one line per change (empty when nothing changed)."""
    new = parse_repository_url(url)
    olds = old_repositories(root)
    report = []
    for path in files_to_rewrite(root):
        text = path.read_text(encoding="utf-8")
        if path.name == CONFIG and path.parent == root:
            current = CONFIG_URL.search(text)
            updated = CONFIG_URL.sub(lambda m: f"{m['head']}{new.url}", text, count=1)
            updated, changes = rewrite(updated, olds, new)
            if current["url"] != new.url:
                changes.insert(0, (f"repository.url {current['url']}", new.url))
        else:
            updated, changes = rewrite(text, olds, new)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
        counted: dict[tuple, int] = {}
        for change in changes:
            counted[change] = counted.get(change, 0) + 1
        for (old, wanted), count in counted.items():
            times = f" ({count} times)" if count > 1 else ""
            report.append(f"{path.relative_to(root)}: {old} -> {wanted}{times}")
    return report


def find_mismatches(root: Path = ROOT) -> list[str]:
    """Install URLs in the notebooks, and book links and Colab links in the notebooks
    and the book's pages, that do not match _config.yml's repository, or that point at
    a page or file the book does not have."""
    repository = parse_repository_url(configured_url(root))
    branch = configured_branch(root)
    base = repository.book_url
    pages = {  # chapters and practice pages
        path.relative_to(root).with_suffix(".html").as_posix()
        for path in root.glob("notebooks/**/*.ipynb")
    }
    pages |= {
        path.relative_to(root).with_suffix(".html").as_posix()
        for path in root.glob("book/**/*.md")
    }
    pages |= {"", "index.html", "genindex.html", "search.html", *SITE_DOWNLOADS}
    chapters = {path.name for path in root.glob("notebooks/*.ipynb")}
    problems = []
    files = sorted((root / "notebooks").glob("**/*.ipynb"))
    files += sorted((root / "book").glob("**/*.md"))
    for path in files:
        name = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        for match in INSTALL.finditer(text) if path.suffix == ".ipynb" else []:
            if (match["url"], match["branch"]) != (repository.url, branch):
                problems.append(
                    f"{name}: install line {match[0]!r} should read "
                    f"'git+{repository.url}@{branch}'"
                )
        for match in GITHUB_IO.finditer(text):
            if text[match.end() : match.end() + 1] == "<":
                continue  # a pattern such as .../notebooks/<name>.html, not a link
            link = match[0].rstrip(".,;:")
            page = re.split(r"[#?]", link)[0]
            if page.startswith(base):
                if page.removeprefix(base) not in pages:
                    problems.append(f"{name}: book link {link} names no page")
                continue
            # Shaped like a link to one of our pages, under another site or folder.
            tail = re.match(
                rf"(?:{NAME}/)?(?P<page>(?:notebooks|book|workshop)/[^#?]*)",
                match["path"],
            )
            if tail and tail["page"].rstrip(".,;:") in pages:
                problems.append(f"{name}: book link {link} should start with {base}")
        for match in COLAB.finditer(text):
            link = match[0].rstrip(".,;:")
            target = re.split(r"[#?]", match["path"])[0].rstrip(".,;:")
            if (match["owner"], match["name"]) != (repository.owner, repository.name):
                problems.append(
                    f"{name}: Colab link {link} should start with "
                    f"{repository.colab_prefix}blob/{branch}/"
                )
            elif match["branch"] == WORKSHOP_BRANCH:
                folder, _, chapter = target.partition("/")
                if folder not in WORKSHOP_FOLDERS or chapter not in chapters:
                    problems.append(
                        f"{name}: Colab link {link} names no workshop copy (expected "
                        f"{' or '.join(WORKSHOP_FOLDERS)}/<chapter>.ipynb of a chapter)"
                    )
            elif match["branch"] != branch:
                problems.append(f"{name}: Colab link {link} should use {branch}")
            elif not (root / target).is_file():
                problems.append(f"{name}: Colab link {link} names no file here")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], usage=USAGE)
    parser.add_argument("url", help="https://github.com/OWNER/REPO")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        new = parse_repository_url(args.url)
        report = set_repository(args.url, args.root)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in report:
        print(line)
    if report:
        print(f"Repository set to {new.url}; the book will be at {new.book_url}")
    else:
        print(f"Nothing to change: every place already uses {new.url}")
    leftovers = find_mismatches(args.root)
    for line in leftovers:
        print(f"still wrong: {line}", file=sys.stderr)
    return 1 if leftovers else 0


if __name__ == "__main__":
    sys.exit(main())

